"""portlint's own firewall format: an ordered (or prioritised) rule set in YAML.

    firewall:
      name: edge
      default: deny                 # what happens when no rule matches (deny if omitted)
      groups:
        office: [203.0.113.0/24]
      rules:
        - name: block-telnet
          action: deny
          protocol: tcp             # tcp | udp | sctp | icmp | icmpv6 | any (tcp if omitted)
          ports: [23]               # integers, "a-b" ranges, or "any" (any if omitted)
          sources: [any]            # CIDRs, addresses, any, internet, @group (any if omitted)
          priority: 100             # optional; lower first (1000 if omitted)

Files are validated against ``portlint/schemas/firewall.schema.json``; every
schema error is reported with its line and path. Rules are evaluated as the
firewall would (see ``portlint.policy``); ``default: allow`` opens everything
that no earlier rule denies.

Ties: rules without ``priority`` keep their place in file order (first match wins)
at the default priority; between rules that both wrote the same ``priority``, a deny
goes before an allow, as in priority-based firewalls (Azure NSGs refuse equal
priorities, GCP applies the deny): the rules that wrote it trade places among
themselves, denies first. Files without priorities are plain first-match lists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from portlint import limits
from portlint.model import Exposure, InputError, Location, ParseOutcome, PortRange
from portlint.netscope import LOCAL_WORDS, PRIVATE_WORDS, classify_sources, parse_network
from portlint.parsers import ParseContext, SourceFile, line_start_key, yaml_documents
from portlint.parsers.units import Invalid, Units, invalid_address, short
from portlint.protocols import ALL_PORTS, parse_port_text
from portlint.schemas import json_path
from portlint.yamlpos import LocatedDict, LocatedList, Span, span_at

DEFAULT_PRIORITY = 1000
ANY = ("0.0.0.0/0", "::/0")
KNOWN_WORDS = PRIVATE_WORDS | LOCAL_WORDS


def schema_errors(document: Any, file: str) -> list[InputError]:
    """Every JSON Schema violation, at the line of the offending value, with its path."""
    return [error for _, error in _schema_errors(document, file)]


def _schema_errors(document: Any, file: str) -> list[tuple[list, InputError]]:
    from jsonschema import Draft202012Validator

    from portlint.schemas import json_path, load_schema

    errors = []
    for error in sorted(Draft202012Validator(load_schema("firewall")).iter_errors(document),
                        key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        span = span_at(document, path)
        errors.append((path, InputError(file, span.line, f"{json_path(path)}: {_cut(error.message)}", span.column)))
    return errors


#: lists longer than this are checked item by item here, not by jsonschema (about 100 µs an item there)
_LONG_LIST = 32
_PORT_TEXT = re.compile(r"(?:any|[0-9]{1,5}(?:-[0-9]{1,5})?)")


def _port_item_ok(item: Any) -> bool:
    if isinstance(item, bool):
        return False
    if isinstance(item, int):
        return 0 <= item <= 65535
    return isinstance(item, str) and _PORT_TEXT.fullmatch(item) is not None


def _checked_long_lists(doc: Any, file: str, restore: list) -> list[tuple[list, InputError]]:
    """Check the items of long ``ports``/``sources``/``destinations``/group lists as the schema would.

    jsonschema costs about 100 µs per item, so a 1 MB list of ports took tens of seconds. Items of a long
    list are checked here; the schema then sees the list shortened to its first item (``restore`` puts it back).
    """
    spec = doc.get("firewall") if isinstance(doc, dict) else None
    if not isinstance(spec, dict):
        return []
    lists: list[tuple[list, dict, Any, Any]] = []   # (path, owner, key, check)
    rules = spec.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            lists.append((["firewall", "rules", index, "ports"], rule, "ports", _port_item_ok))
            for key in ("sources", "destinations"):
                lists.append((["firewall", "rules", index, key], rule, key, lambda v: isinstance(v, str) and v != ""))
    groups = spec.get("groups")
    for name in list(groups) if isinstance(groups, dict) else []:
        lists.append((["firewall", "groups", name], groups, name, lambda v: isinstance(v, str) and v != ""))
    errors: list[tuple[list, InputError]] = []
    for path, owner, key, check in lists:
        items = owner.get(key)
        if not isinstance(items, LocatedList) or len(items) <= _LONG_LIST:
            continue
        for position, item in enumerate(items):
            if not check(item):
                at = items.spans[position]
                where = path + [position]
                errors.append((where, InputError(file, at.line, f"{json_path(where)}: {short(item)} is not valid "
                                                 f"here", at.column)))
        shortened = LocatedList(items[:1])
        shortened.span, shortened.spans, shortened.tag = items.span, items.spans[:1], items.tag
        restore.append((owner, key, items))
        owner[key] = shortened
    return errors


def _cut(message: str) -> str:
    """jsonschema quotes the offending value whole; a huge value must not make a huge message."""
    return message if len(message) <= 300 else message[:297] + "..."


def _priority(rule: LocatedDict) -> float:
    """The priority a rule has, written or not."""
    return rule["priority"] if "priority" in rule else DEFAULT_PRIORITY


def _priorities(rules: list) -> dict[int, float]:
    """Each rule's place in its set (index -> sort key). Within one priority the rules keep the slots
    they hold in the file; the rules that wrote that priority trade slots among themselves so that
    denies come first, while a rule without ``priority`` keeps its own slot (so an allow with no
    priority still comes before a later ``priority: 1000`` deny, first match wins)."""
    slots: dict[float, list[int]] = {}
    for index, rule in enumerate(rules):
        if isinstance(rule, dict) and isinstance(_priority(rule), (int, float)):
            slots.setdefault(_priority(rule), []).append(index)
    order: dict[int, float] = {}
    for priority, indices in slots.items():
        written = [i for i in indices if "priority" in rules[i]]
        placed = dict(zip(written, sorted(written, key=lambda i: (rules[i].get("action") != "deny", i))))
        for slot, index in enumerate(indices):  # the fraction keeps integer priorities apart
            order[placed.get(index, index)] = priority + slot / (len(indices) + 1)
    return order


class FirewallParser:
    name = "firewall"

    def claims(self, path: Path, text: str | None) -> bool:
        if path.suffix not in (".yml", ".yaml"):
            return False
        if text is None:
            return path.name.endswith((".firewall.yaml", ".firewall.yml"))
        return line_start_key(text, "firewall")  # a line-start key, like ^firewall\s*:

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source in files:
            yield parse_firewall_file(source)


def parse_firewall_file(source: SourceFile) -> ParseOutcome:
    file = source.display
    documents, failed = yaml_documents(source)
    units = Units(file)
    if failed:
        units.errors.extend(failed.errors)  # a bad document costs only itself: the others are read
    for index, doc in enumerate(d for d in documents if d is not None):
        if not isinstance(doc, dict) or "firewall" not in doc:
            continue
        span = doc.spans["firewall"]
        if not units.run(span.line, span.column, "firewall", lambda: _document(units, doc, index)):
            break
    return units.outcome()


def _document(units: Units, doc: LocatedDict, index: int) -> list[Exposure]:
    """One firewall document; a schema error inside a rule costs only that rule."""
    _lowercase_keywords(doc["firewall"])
    bad_rules: set[int] = set()
    fatal = False
    restore: list = []
    try:
        problems = _checked_long_lists(doc, units.file, restore) + _schema_errors(doc, units.file)
    finally:
        for owner, key, items in reversed(restore):
            owner[key] = items
    for path, error in problems:
        units.errors.append(error)
        if len(path) >= 3 and path[:2] == ["firewall", "rules"] and isinstance(path[2], int):
            bad_rules.add(path[2])
        else:
            fatal = True
    if fatal:
        return []
    firewall = _Firewall(units, doc["firewall"], doc.spans["firewall"], index, bad_rules)
    return list(firewall.exposures())


def _lowercase_keywords(spec: Any) -> None:
    """``TCP``, ``Allow``, ``Ingress``: keywords are case-insensitive, as in most firewalls."""
    if not isinstance(spec, dict):
        return
    if isinstance(spec.get("default"), str):
        spec["default"] = spec["default"].lower()
    for rule in spec.get("rules") or []:
        if isinstance(rule, dict):
            for key in ("action", "direction", "protocol"):
                if isinstance(rule.get(key), str):
                    rule[key] = rule[key].lower()


class _Firewall:
    def __init__(self, units: Units, spec: LocatedDict, span: Span, index: int, bad_rules: set[int]):
        self.units, self.file, self.spec, self.span = units, units.file, spec, span
        self.bad_rules = bad_rules
        self.label = spec.get("name") or (f"firewall #{index + 1}" if index else "firewall")
        self.policy = f"firewall:{self.file}:{self.label}"
        self.groups = spec.get("groups", {})
        for name, members in self.groups.items():  # a malformed address is an error at its own line
            for position, member in enumerate(members):
                if invalid_address(str(member)):
                    at = members.spans[position]
                    units.error(at.line, f"group {name}: {short(str(member))} is not a valid IP address or CIDR",
                                at.column)

    def location(self, span: Span) -> Location:
        return Location(self.file, span.line, span.end_line, span.column)

    def sources(self, items: list[str] | None) -> tuple[tuple[str, ...], list[str]]:
        """Expand ``@group``, ``any`` and ``internet``; unknown groups become unresolved."""
        if not items:
            return ANY, []
        out: list[str] = []
        unresolved: list[str] = []
        spans = getattr(items, "spans", [None] * len(items))
        for item, at in zip(items, spans):
            word = str(item).strip()
            if word.startswith("@"):
                if word[1:] not in self.groups:
                    unresolved.append(word)
                    out.append(word)
                else:
                    out.extend(self._members(word[1:], at))
            elif word.lower() in ("any", "internet"):
                out.extend(ANY)
            elif word in self.groups:  # a group named without its "@"
                out.extend(self._members(word, at))
            elif invalid_address(word):
                raise Invalid(f"{short(word)} is not a valid IP address or CIDR", at)
            elif parse_network(word) is None and word.lower() not in KNOWN_WORDS:
                unresolved.append(word)
                out.append(word)
            else:
                out.append(word)
        # a malformed group member was reported at its line; it reaches no one, so it is left unresolved
        unresolved.extend(s for s in out if invalid_address(s) and s not in unresolved)
        return tuple(dict.fromkeys(out)), unresolved

    def _members(self, name: str, at: Span | None) -> list[str]:
        """A group's addresses; a member ``@other`` brings in that group (a cycle is an error)."""
        out: list[str] = []
        path = [name]
        stack = [iter(self.groups[name])]
        while stack:
            member = next(stack[-1], None)
            if member is None:
                stack.pop()
                path.pop()
                continue
            word = str(member).strip()
            if word.startswith("@") and word[1:] in self.groups:
                if word[1:] in path:
                    cycle = " -> ".join([*path[path.index(word[1:]):], word[1:]])
                    raise Invalid(f"groups refer to each other in a cycle ({cycle})", at)
                if len(out) > limits.EXPOSURES_PER_FILE:
                    raise Invalid(f"group {name} expands to more than {limits.EXPOSURES_PER_FILE:,} addresses", at)
                path.append(word[1:])
                stack.append(iter(self.groups[word[1:]]))
            else:
                out.append(word)
        return out

    def exposures(self) -> Iterator[Exposure]:
        rules = self.spec.get("rules", [])
        self.order = _priorities(rules)
        for index, rule in enumerate(rules):
            if index in self.bad_rules or rule.get("enabled", True) is False:
                continue  # a rule with schema errors was reported at its values' lines
            span = rules.spans[index]
            name = rule.get("name", f"#{index + 1}")
            kept: list[Exposure] = []
            if self.units.run(span.line, span.column, f"rule {name}",
                              lambda: kept.extend(self.rule(rule, span, name, self.order.get(index)))):
                yield from kept
        if self.spec.get("default", "deny") == "allow":
            span = self.spec.spans["default"]
            for direction in ("ingress", "egress"):
                yield Exposure(
                    kind="firewall", location=self.location(span), resource=f"firewall {self.label} / default allow",
                    protocol="all", port_range=ALL_PORTS, sources=ANY, scope="internet", direction=direction,
                    action="allow", raw="default: allow", policy=self.policy, priority=float("inf"),
                )

    def rule(self, rule: LocatedDict, span: Span, name: str, priority: float | None = None) -> Iterator[Exposure]:
        direction = rule.get("direction", "ingress")
        protocol = rule.get("protocol", "tcp")
        protocol = "all" if protocol in ("any", "all") else protocol
        key = "sources" if direction == "ingress" else "destinations"
        sources, unresolved = self.sources(rule.get(key))
        scope = classify_sources([s for s in sources if s not in unresolved], unresolved=bool(unresolved))
        ports = rule.get("ports")
        for ports in self.port_ranges(ports, protocol, getattr(ports, "spans", None)):
            yield Exposure(
                kind="firewall", location=self.location(span), resource=f"firewall {self.label} / rule {name}",
                protocol=protocol, port_range=ports, sources=sources, scope=scope, direction=direction,
                action=rule["action"], unresolved=tuple(unresolved), raw=str(name),
                policy=self.policy, priority=_priority(rule) if priority is None else priority,
            )

    @staticmethod
    def port_ranges(ports: list | None, protocol: str, spans: list | None = None) -> list[PortRange]:
        if not ports or protocol not in ("tcp", "udp", "sctp", "all"):
            return [ALL_PORTS]
        ranges = []
        for position, item in enumerate(ports):
            try:
                ranges.append(parse_port_text(item))
            except ValueError as exc:
                raise Invalid(str(exc), spans[position] if spans else None) from None
        return [ALL_PORTS] if ALL_PORTS in ranges else ranges
