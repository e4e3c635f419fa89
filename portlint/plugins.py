"""Entry-point discovery for parsers and rules.

Built-ins are listed here as well as in ``pyproject.toml`` so a source checkout
that was never installed still works; installed plug-ins add to them. Entry
points are read once per process (the only start-up cost that grows with the
environment).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module, metadata

BUILTINS: dict[str, dict[str, str]] = {
    "portlint.parsers": {
        "compose": "portlint.parsers.compose:ComposeParser",
        "terraform": "portlint.parsers.terraform:TerraformParser",
        "firewall": "portlint.parsers.firewall:FirewallParser",
        "cloudformation": "portlint.parsers.cloudformation:CloudFormationParser",
        "kubernetes": "portlint.parsers.kubernetes:KubernetesParser",
        "ansible": "portlint.parsers.ansible:AnsibleParser",
        "terraform-plan": "portlint.parsers.terraform_plan:TerraformPlanParser",
    },
    "portlint.rules": {
        "builtin": "portlint.checks:builtin_rules",
    },
}


class PluginError(Exception):
    """A plug-in that cannot be loaded; the message names its distribution."""


@lru_cache(maxsize=1)
def _all_entry_points() -> metadata.EntryPoints:
    return metadata.entry_points()


def find_entry_points(group: str) -> list[tuple[str, str, str]]:
    """``(name, "module:attr", distribution)`` for a group, built-ins first, without importing."""
    found = {name: (name, value, "portlint") for name, value in BUILTINS.get(group, {}).items()}
    for ep in _all_entry_points().select(group=group):
        dist = ep.dist.name if ep.dist is not None else "unknown distribution"
        if ep.name in found and found[ep.name][1] == ep.value:
            continue
        if ep.name in found:
            raise PluginError(
                f"{dist}: entry point {ep.name!r} in {group} clashes with one from {found[ep.name][2]}")
        found[ep.name] = (ep.name, ep.value, dist)
    return sorted(found.values(), key=lambda item: (item[2] != "portlint", item[0]))


def _resolve(value: str):
    module_name, _, attr = value.partition(":")
    obj = import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


def load_entry_points(group: str) -> list:
    """Import every entry point of a group; a broken one raises PluginError."""
    loaded = []
    for name, value, dist in find_entry_points(group):
        try:
            loaded.append(_resolve(value))
        except Exception as exc:  # a plug-in's import error must not look like ours
            raise PluginError(f"{dist}: cannot load {group} entry point {name!r} ({value}): {exc}") from exc
    return loaded
