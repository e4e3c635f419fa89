"""Ansible inventories as far as variables need them: groups, their hosts and children, and the
variables an inventory file sets on groups and hosts.

Two formats are read, as Ansible's ``ini`` and ``yaml`` inventory plugins read them:

* INI: ``[group]`` sections list hosts (``web1 http_port=80`` sets host variables inline),
  ``[group:vars]`` sets group variables (strings, as Ansible reads them there),
  ``[group:children]`` names child groups; hosts before any section are ungrouped.
  Inline host values are read as Python literals where they are one (``80``, ``True``),
  as Ansible does.
* YAML: ``all:`` (or any top-level group) with ``hosts:``, ``vars:`` and ``children:``.

Host patterns such as ``web[01:20]`` are kept as one name (not expanded). Dynamic inventory
scripts and plugins other than these two are not run. Every host and group read counts
against ``limits.INVENTORY_ENTRIES``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from portlint import limits
from portlint.limits import LimitExceeded
from portlint.model import Step

_SECTION = re.compile(r"\[([^\]:\s]+)(?::(vars|children|hosts))?\]\s*$")
#: nesting of ``children`` followed when ordering a host's groups
MAX_GROUP_DEPTH = 32


@dataclass
class Group:
    name: str
    hosts: dict[str, None] = field(default_factory=dict)  # in order, each once
    children: dict[str, None] = field(default_factory=dict)
    #: variable -> (value, where it was set)
    vars: dict[str, tuple[Any, Step]] = field(default_factory=dict)


@dataclass
class Inventory:
    groups: dict[str, Group] = field(default_factory=dict)
    #: host -> its inline variables (value, where set)
    hosts: dict[str, dict[str, tuple[Any, Step]]] = field(default_factory=dict)
    entries: int = 0
    _built: Any = None
    _depths: dict = field(default_factory=dict)

    def group(self, name: str) -> Group:
        if name not in self.groups:
            self._count(name)
            self.groups[name] = Group(name)
        return self.groups[name]

    def host(self, name: str) -> dict[str, tuple[Any, Step]]:
        if name not in self.hosts:
            self._count(name)
            self.hosts[name] = {}
        return self.hosts[name]

    def _count(self, name: str) -> None:
        self.entries += 1
        if self.entries > limits.INVENTORY_ENTRIES:
            raise LimitExceeded("hosts and groups in the inventory", limits.INVENTORY_ENTRIES,
                                "INVENTORY_ENTRIES")

    def add_member(self, group: str, host: str) -> None:
        self.group(group).hosts[host] = None
        self.host(host)

    # -- questions a play asks ----------------------------------------------------------

    def groups_of(self, host: str) -> list[str]:
        """The groups ``host`` belongs to (directly or through children), in Ansible's order for
        variables: ``all`` first, then by depth below ``all`` (parents before children), then by name."""
        parents, direct = self._links()
        found: set[str] = set()
        stack = list(direct.get(host, ()))
        while stack:  # each group once: cycles in children end here
            name = stack.pop()
            if name in found:
                continue
            found.add(name)
            stack.extend(parents.get(name, ()))
        found.discard("all")
        return ["all"] + sorted(found, key=lambda name: (self._depth(name, parents), name))

    def _links(self) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
        """(group -> its parent groups, host -> the groups that list it), built once."""
        if self._built is None:
            parents: dict[str, set[str]] = {}
            direct: dict[str, list[str]] = {}
            for group in self.groups.values():
                for child in group.children:
                    parents.setdefault(child, set()).add(group.name)
                for host in group.hosts:
                    direct.setdefault(host, []).append(group.name)
            self._built = (parents, direct)
        return self._built

    def _depth(self, name: str, parents: dict[str, set[str]]) -> int:
        """Longest chain of parents above ``name`` below ``all`` (its children are 1), memoised."""
        if name in self._depths:
            return self._depths[name]
        best, stack, seen = 1, [(name, 1)], set()
        while stack:
            current, level = stack.pop()
            if (current, level) in seen or level > MAX_GROUP_DEPTH:
                continue
            seen.add((current, level))
            best = max(best, level)
            stack.extend((p, level + 1) for p in parents.get(current, ()) if p != "all")
        self._depths[name] = best
        return best

    def hosts_of(self, group: str) -> list[str]:
        """Every host of ``group`` and of its children, each once."""
        hosts: dict[str, None] = {}
        seen_groups: set[str] = set()
        stack = [group]
        while stack:
            name = stack.pop()
            if name in seen_groups or name not in self.groups:
                continue
            seen_groups.add(name)
            hosts.update(dict.fromkeys(self.groups[name].hosts))
            stack.extend(self.groups[name].children)
        return list(hosts)


def read_inventory(inventory: Inventory, text: str, shown: str, document: Any | None) -> list[tuple[int, str]]:
    """Add one inventory file to ``inventory``: ``document`` is its YAML when it read as YAML
    (a mapping), else the INI text is read. Returns (line, problem) of lines that could not be
    read (the others are kept); raises LimitExceeded."""
    if isinstance(document, dict):
        _yaml_groups(inventory, document, shown)
        return []
    return _ini(inventory, text, shown)


def _ini(inventory: Inventory, text: str, shown: str) -> list[tuple[int, str]]:
    problems: list[tuple[int, str]] = []
    section, kind = "ungrouped", "hosts"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            match = _SECTION.match(line)
            if match is None:
                problems.append((number, f"not an inventory section header: {line[:80]!r}"))
                section, kind = "", "skip"  # its lines belong to no known section
                continue
            section, kind = match.group(1), match.group(2) or "hosts"
            inventory.group(section)
            continue
        if kind == "skip":
            continue
        if kind == "children":
            child = line.split()[0]
            inventory.group(child)
            inventory.group(section).children[child] = None
        elif kind == "vars":
            name, equals, value = line.partition("=")
            if equals and name.strip():
                inventory.group(section).vars[name.strip()] = (
                    _unquote(value.strip()), Step(f"inventory [{section}:vars]", shown, number))
        else:
            words = _split(line)
            host = words[0]
            inventory.add_member(section, host)
            for word in words[1:]:
                name, equals, value = word.partition("=")
                if equals and name:
                    inventory.host(host)[name] = (_literal(value), Step(f"inventory host {host}", shown, number))
    return problems


def _split(line: str) -> list[str]:
    """Words of a host line, quotes kept together; a ``#`` after a space starts a comment."""
    import shlex

    try:
        lexer = shlex.shlex(line, posix=True)
        lexer.whitespace_split, lexer.commenters = True, "#"
        words = list(lexer)
    except ValueError:
        words = line.split()
    return words or [line]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _literal(value: str) -> Any:
    """An inline host value as Ansible reads it: a Python literal when it is one, else the text."""
    if len(value) > 200:
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


def _yaml_groups(inventory: Inventory, document: dict, shown: str) -> None:
    """Top-level groups (``all`` and ungrouped ones), followed iteratively through ``children``."""
    stack: list[tuple[str, Any, str | None]] = [(str(name), body, None) for name, body in document.items()]
    seen: set[tuple[str, int, str | None]] = set()
    while stack:
        name, body, parent = stack.pop()
        if (name, id(body), parent) in seen:
            continue  # an alias that repeats (or contains) a group: read it once
        seen.add((name, id(body), parent))
        group = inventory.group(name)
        if parent is not None:
            inventory.group(parent).children[name] = None
        if not isinstance(body, dict):
            continue
        spans = getattr(body, "spans", {}) or {}
        hosts = body.get("hosts")
        if isinstance(hosts, dict):
            host_spans = getattr(hosts, "spans", {}) or {}
            for host, host_vars in hosts.items():
                host = str(host)
                inventory.add_member(name, host)
                line = host_spans[host].line if host in host_spans else (spans["hosts"].line if "hosts" in spans else 1)
                if isinstance(host_vars, dict):
                    var_spans = getattr(host_vars, "spans", {}) or {}
                    for key, value in host_vars.items():
                        inventory.host(host)[str(key)] = (value, Step(
                            f"inventory host {host}", shown, var_spans[key].line if key in var_spans else line))
        group_vars = body.get("vars")
        if isinstance(group_vars, dict):
            var_spans = getattr(group_vars, "spans", {}) or {}
            for key, value in group_vars.items():
                group.vars[str(key)] = (value, Step(f"inventory group {name}", shown,
                                                    var_spans[key].line if key in var_spans else 1))
        children = body.get("children")
        if isinstance(children, dict):
            stack.extend((str(child), child_body, name) for child, child_body in children.items())
