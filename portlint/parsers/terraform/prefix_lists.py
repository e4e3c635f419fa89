"""Managed prefix lists defined in the configuration, resolved where security-group rules use them.

``aws_ec2_managed_prefix_list`` holds ``entry { cidr = ... }`` blocks, and
``aws_ec2_managed_prefix_list_entry`` resources add entries to a list by its
``prefix_list_id``. A rule that names such a list (``prefix_list_ids = [aws_ec2_managed_prefix_list.office.id]``)
admits exactly those CIDRs, so they become the rule's sources. A list this module
does not define (a data source, a literal ``pl-...`` ID, one from another module)
stays a ``prefix-list:`` tag, and one whose entries cannot be read stays unresolved.
"""

from __future__ import annotations

import re
from typing import Any

from portlint.limits import LimitExceeded
from portlint.parsers.terraform.values import TerraformError, Unknown, charge

LIST_TYPE = "aws_ec2_managed_prefix_list"
ENTRY_TYPE = "aws_ec2_managed_prefix_list_entry"
_REF = re.compile(rf"^({LIST_TYPE}\.[A-Za-z_][\w-]*)\.(?:id|arn)$")


def module_of(view: Any) -> Any:
    """The ``Module`` a block view belongs to (its scope's resolver), or None."""
    scope = getattr(view, "scope", None)
    while scope is not None and scope.parent is not None:
        scope = scope.parent
    owner = getattr(getattr(scope, "resolver", None), "__self__", None)
    return owner if hasattr(owner, "resource_blocks") else None


def add_prefix_lists(sources: Any, view: Any, value: Any) -> None:
    """Add what ``value`` (a prefix list ID or a list of them) admits to ``sources``."""
    if value is None or value == [] or value == "":
        return
    module = module_of(view)
    for item in value if isinstance(value, list) else [value]:
        charge()
        if not isinstance(item, Unknown):
            sources.add_tag(item, "prefix-list:")
            continue
        for ref in sorted(item.refs):
            match = _REF.match(ref)
            entries = entries_of(module, match.group(1)) if match and module is not None else None
            if entries is None:
                sources.add_tag(Unknown({ref}), "prefix-list:")
            elif not entries:  # defined here with no entry we can see: who it admits is not known
                sources.add(Unknown({f"{match.group(1)} (no entries in this configuration)"}))
            else:
                sources.add(entries)


def entries_of(module: Any, address: str) -> list[Any] | None:
    """The CIDRs (or Unknowns) of a prefix list this module defines; None when it defines none."""
    cache = module.__dict__.setdefault("_prefix_list_entries", {})
    if address not in cache:
        cache[address] = _read(module, address)
    return cache[address]


def _read(module: Any, address: str) -> list[Any] | None:
    from portlint.parsers.terraform.evaluate import reference_text

    located = module.resources.get(address)
    if located is None:
        return None
    found: list[Any] = []
    try:
        for view in module.instances(located.item, located.unit, address):
            for block in view.blocks("entry"):
                found.append(block.get("cidr", None))
            for value, _span in view.items("entry"):
                found.append(value.get("cidr") if isinstance(value, dict) else value)
        for other in module.resource_blocks:
            if other.item.labels[0] != ENTRY_TYPE:
                continue
            attr = other.item.body.attributes.get("prefix_list_id")
            target = reference_text(attr.expr) if attr is not None else None
            if target is None or target.rsplit(".", 1)[0] != address:
                continue
            key = ".".join(other.item.labels)
            for view in module.instances(other.item, other.unit, key):
                found.append(view.get("cidr", None))
    except (TerraformError, LimitExceeded):
        return [Unknown({f"{address}.entry"})]
    return [value for value in found if value is not None]
