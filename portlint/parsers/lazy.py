"""Built-in parsers that are imported only when a file may be theirs.

Every file is offered to every parser's ``claims``; importing all seven built-in
parser modules to ask them cost 35-110 ms per process (Ansible's alone most of
it), more than the rest of a one-file run. A ``LazyParser`` stands in for a
built-in: its ``quick`` test uses only the standard library and is a *necessary*
condition of the real ``claims`` (a suffix, a word the real test needs); only
when it passes is the parser's module imported and its own ``claims`` asked.
So a Compose-only run imports the Compose parser alone, a ``.tf`` run the
Terraform parser alone, and recognition stays exactly the real parsers' (a test
checks every quick test against the real claims on the examples and test trees).

The entry points are unchanged (``portlint.parsers.compose:ComposeParser`` ...):
third-party parsers are loaded and called as before, and the real parser object
answers every other attribute (``cache_groups``, ``parallel``).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Callable, Iterable, Iterator

_YAML = (".yml", ".yaml")


def _compose(path: Path, text: str | None) -> bool:
    name = path.name
    return name.startswith(("compose.", "docker-compose")) or (text is not None and path.suffix in _YAML
                                                                and "services" in text)


def _firewall(path: Path, text: str | None) -> bool:
    return path.suffix in _YAML and (text is None or "firewall" in text)


def _terraform(path: Path, text: str | None) -> bool:
    return path.name.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json"))


def _terraform_plan(path: Path, text: str | None) -> bool:
    return text is not None and path.suffix.lower() == ".json" and '"terraform_version"' in text


def _kubernetes(path: Path, text: str | None) -> bool:
    return text is not None and path.suffix.lower() in (".yml", ".yaml", ".json") and "apiVersion" in text


def _cloudformation(path: Path, text: str | None) -> bool:
    return (text is not None and path.suffix.lower() in (".yml", ".yaml", ".json", ".template")
            and "Resources" in text)


#: every module name the Ansible parser reads holds one of these (a test checks ``SNIFF_MODULES``)
ANSIBLE_WORDS = ("ufw", "firewall", "group")


def _ansible(path: Path, text: str | None) -> bool:
    return text is not None and path.suffix in _YAML and any(word in text for word in ANSIBLE_WORDS)


#: entry-point value of a built-in parser -> its quick test
QUICK: dict[str, Callable[[Path, str | None], bool]] = {
    "portlint.parsers.compose:ComposeParser": _compose,
    "portlint.parsers.terraform:TerraformParser": _terraform,
    "portlint.parsers.firewall:FirewallParser": _firewall,
    "portlint.parsers.cloudformation:CloudFormationParser": _cloudformation,
    "portlint.parsers.kubernetes:KubernetesParser": _kubernetes,
    "portlint.parsers.ansible:AnsibleParser": _ansible,
    "portlint.parsers.terraform_plan:TerraformPlanParser": _terraform_plan,
}


class LazyParser:
    """A built-in parser, imported the first time a file passes its quick test or it is used."""

    def __init__(self, name: str, value: str, quick: Callable[[Path, str | None], bool]) -> None:
        self.name = name
        self._value = value
        self._quick = quick
        self._real = None

    @property
    def real(self):
        if self._real is None:
            module_name, _, attr = self._value.partition(":")
            factory = getattr(import_module(module_name), attr)
            self._real = factory() if isinstance(factory, type) else factory
        return self._real

    def claims(self, path: Path, text: str | None) -> bool:
        return self._quick(path, text) and self.real.claims(path, text)

    def parse(self, files: Iterable, ctx) -> Iterator:
        return self.real.parse(files, ctx)

    def __getattr__(self, attr: str):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self.real, attr)

    def __repr__(self) -> str:
        return f"LazyParser({self._value})"
