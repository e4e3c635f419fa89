"""Work limits that keep a hostile repository from hanging or exhausting portlint.

Every limit is a plain number here, documented in ``docs/security.md``. When a
limit is hit, the parser or evaluator raises ``LimitExceeded``; the unit it was
working on (a file, a document, a Terraform module) is reported as an input
error naming the limit, and every other unit is still checked. The values can
be raised with environment variables ``PORTLINT_MAX_<NAME>`` (for example
``PORTLINT_MAX_FILE_BYTES=50000000``), read once at import.
"""

from __future__ import annotations

import os


class LimitExceeded(Exception):
    """A documented work limit was hit; ``message`` says which and how to raise it."""

    def __init__(self, what: str, limit: int, name: str, line: int = 0):
        self.what, self.limit, self.name, self.line = what, limit, name, line
        super().__init__(f"{what} exceeds portlint's limit of {limit:,} "
                         f"(raise it with PORTLINT_MAX_{name}; see docs/security.md)")

    @property
    def message(self) -> str:
        return str(self)


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(f"PORTLINT_MAX_{name}", "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


#: bytes of one input file (checked files, .env, tfvars, module files, config, rules)
FILE_BYTES = _limit("FILE_BYTES", 10 * 1024 * 1024)
#: files discovered under the checked paths
FILES = _limit("FILES", 200_000)
#: folder depth walked below a checked folder
DEPTH = _limit("DEPTH", 64)
#: YAML nodes built in one document
YAML_NODES = _limit("YAML_NODES", 250_000)
#: YAML nodes reached through aliases in one document (billion laughs)
YAML_ALIAS_NODES = _limit("YAML_ALIAS_NODES", 100_000)
#: YAML nesting depth
YAML_DEPTH = _limit("YAML_DEPTH", 500)
#: documents in one YAML file
YAML_DOCUMENTS = _limit("YAML_DOCUMENTS", 10_000)
#: exposures (port entries, rules) one file may produce
EXPOSURES_PER_FILE = _limit("EXPOSURES_PER_FILE", 100_000)
#: lines in a .env file
ENV_LINES = _limit("ENV_LINES", 100_000)
#: Terraform evaluation steps for one resource block or module call (all its instances)
TF_STEPS = _limit("TF_STEPS", 250_000)
#: elements in one Terraform list/map/set value, and count/for_each instances
TF_COLLECTION = _limit("TF_COLLECTION", 100_000)
#: characters in one Terraform string value
TF_STRING = _limit("TF_STRING", 1_000_000)
#: nesting of module calls
TF_MODULE_DEPTH = _limit("TF_MODULE_DEPTH", 16)
#: origins (tfvars lines, module arguments) remembered per Terraform value; more are not named
TF_ORIGINS = _limit("TF_ORIGINS", 8)
#: module instances evaluated in one run (fan-out through count/for_each)
TF_MODULE_INSTANCES = _limit("TF_MODULE_INSTANCES", 10_000)
#: bytes of all files of one revision that `portlint diff` reads from git (or copies from the work tree)
DIFF_TREE_BYTES = _limit("DIFF_TREE_BYTES", 512 * 1024 * 1024)
#: decimal digits of one Terraform number (pow(10, 1000000) is refused, not computed)
TF_NUMBER_DIGITS = _limit("TF_NUMBER_DIGITS", 1_000)
#: Terraform evaluation steps for a whole run: what blocks spend beyond their first 20,000 each
TF_RUN_STEPS = _limit("TF_RUN_STEPS", 1_500_000)
#: CloudFormation intrinsic-function evaluation steps per resource (each character a Fn::Sub/Fn::Join builds counts)
CFN_STEPS = _limit("CFN_STEPS", 1_000_000)
#: nesting of Compose variable defaults (${A:-${B:-...}})
INTERPOLATION_DEPTH = _limit("INTERPOLATION_DEPTH", 32)
#: accept entries read from one configuration (more: none is used, and that is an input error)
ACCEPT_ENTRIES = _limit("ACCEPT_ENTRIES", 10_000)
#: other Compose files one project may merge through ``extends: file:`` (and the depth of an extends chain)
COMPOSE_FILES = _limit("COMPOSE_FILES", 64)
#: hosts and groups read from the inventory files beside one Ansible playbook
INVENTORY_ENTRIES = _limit("INVENTORY_ENTRIES", 100_000)
#: characters in one expanded variable value (a .env value or a Compose interpolation result; ${A}${A} doubling)
ENV_VALUE_BYTES = _limit("ENV_VALUE_BYTES", 1024 * 1024)
#: comparisons of allow rules with the earlier deny rules that overlap them, in one ordered rule set
POLICY_COMPARISONS = _limit("POLICY_COMPARISONS", 1_000_000)
