"""Entry-point discovery for parsers and rules.

Built-ins are listed here as well as in ``pyproject.toml`` so a source checkout
that was never installed still works; installed plug-ins add to them. Entry
points are read once per process (the only start-up cost that grows with the
environment).
"""

from __future__ import annotations

import configparser
import os
import sys
from functools import lru_cache
from importlib import import_module

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
def _all_entry_points() -> tuple[tuple[str, str, str, str], ...]:
    """``(group, name, value, distribution)`` of every ``portlint.*`` entry point installed.

    Reads ``entry_points.txt`` of the distributions on ``sys.path`` directly: only
    files that mention ``[portlint.`` are parsed, and no package metadata is
    loaded, which keeps this the same cost however many packages are installed.
    The first distribution of a name on ``sys.path`` wins, as for imports.
    """
    found: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for base in _import_folders():
        try:
            entries = sorted(os.scandir(base), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")):
                continue
            dist = entry.name.rsplit(".", 1)[0].split("-", 1)[0].replace("_", "-").lower()
            if dist in seen:
                continue
            seen.add(dist)
            try:
                with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8") as fh:
                    text = fh.read()
            except OSError:
                continue
            if "[portlint." not in text:
                continue
            parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            try:
                parser.read_string(text)
            except configparser.Error:
                continue
            for group in parser.sections():
                if group.startswith("portlint."):
                    found.extend((group, name, value.strip(), dist) for name, value in parser.items(group))
    return tuple(found)


def _import_folders() -> list[str]:
    """The ``sys.path`` folders to scan for plug-ins: never the current folder.

    The current folder is usually the repository being checked; a
    ``*.dist-info`` planted there must not become a plug-in (its module would
    be imported). Only installed distributions are plug-ins.
    """
    try:
        here = os.path.realpath(os.getcwd())
    except OSError:
        here = None
    folders = []
    for base in sys.path:
        if base in ("", "."):
            continue
        try:
            if here is not None and os.path.realpath(base) == here:
                continue
        except (OSError, ValueError):
            continue
        folders.append(base)
    return folders


def find_entry_points(group: str) -> list[tuple[str, str, str]]:
    """``(name, "module:attr", distribution)`` for a group, built-ins first, without importing."""
    found = {name: (name, value, "portlint") for name, value in BUILTINS.get(group, {}).items()}
    for ep_group, name, value, dist in _all_entry_points():
        if ep_group != group:
            continue
        if name in found and found[name][1] == value:
            continue
        if name in found:
            raise PluginError(f"{dist}: entry point {name!r} in {group} clashes with one from {found[name][2]}")
        found[name] = (name, value, dist)
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
