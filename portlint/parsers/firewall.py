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
          priority: 100             # optional; lower first, ties keep file order

Files are validated against ``portlint/schemas/firewall.schema.json``; every
schema error is reported with its line and path. Rules are evaluated as the
firewall would (see ``portlint.policy``); ``default: allow`` opens everything
that no earlier rule denies.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from portlint.model import Exposure, InputError, Location, ParseOutcome, PortRange
from portlint.netscope import LOCAL_WORDS, PRIVATE_WORDS, classify_sources, parse_network
from portlint.parsers import ParseContext, SourceFile, yaml_documents
from portlint.protocols import ALL_PORTS, parse_port_text
from portlint.yamlpos import LocatedDict, Span, span_at

_TOP_KEY = re.compile(r"^firewall\s*:", re.MULTILINE)
DEFAULT_PRIORITY = 1000
ANY = ("0.0.0.0/0", "::/0")
KNOWN_WORDS = PRIVATE_WORDS | LOCAL_WORDS


def schema_errors(document: Any, file: str) -> list[InputError]:
    """Every JSON Schema violation, at the line of the offending value, with its path."""
    from jsonschema import Draft202012Validator

    from portlint.schemas import json_path, load_schema

    errors = []
    for error in sorted(Draft202012Validator(load_schema("firewall")).iter_errors(document),
                        key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        span = span_at(document, path)
        errors.append(InputError(file, span.line, f"{json_path(path)}: {error.message}", span.column))
    return errors


class FirewallParser:
    name = "firewall"

    def claims(self, path: Path, text: str | None) -> bool:
        if path.suffix not in (".yml", ".yaml"):
            return False
        if text is None:
            return path.name.endswith((".firewall.yaml", ".firewall.yml"))
        return _TOP_KEY.search(text) is not None

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source in files:
            yield parse_firewall_file(source)


def parse_firewall_file(source: SourceFile) -> ParseOutcome:
    file = source.display
    documents, failed = yaml_documents(source)
    if failed:
        return failed
    exposures: list[Exposure] = []
    errors: list[InputError] = []
    for index, doc in enumerate(d for d in documents if d is not None):
        if not isinstance(doc, dict) or "firewall" not in doc:
            continue
        _lowercase_keywords(doc["firewall"])
        problems = schema_errors(doc, file)
        if problems:
            errors.extend(problems)
            continue
        firewall = _Firewall(file, doc["firewall"], doc.spans["firewall"], index)
        exposures.extend(firewall.exposures())
        errors.extend(firewall.errors)
    return ParseOutcome(file, tuple(exposures), tuple(errors))


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
    def __init__(self, file: str, spec: LocatedDict, span: Span, index: int):
        self.file, self.spec, self.span = file, spec, span
        self.label = spec.get("name") or (f"firewall #{index + 1}" if index else "firewall")
        self.policy = f"firewall:{file}:{self.label}"
        self.groups = spec.get("groups", {})
        self.errors: list[InputError] = []

    def location(self, span: Span) -> Location:
        return Location(self.file, span.line, span.end_line, span.column)

    def sources(self, items: list[str] | None) -> tuple[tuple[str, ...], list[str]]:
        """Expand ``@group``, ``any`` and ``internet``; unknown groups become unresolved."""
        if not items:
            return ANY, []
        out: list[str] = []
        unresolved: list[str] = []
        for item in items:
            word = str(item).strip()
            if word.startswith("@"):
                members = self.groups.get(word[1:])
                if members is None:
                    unresolved.append(word)
                    out.append(word)
                else:
                    out.extend(str(m) for m in members)
            elif word.lower() in ("any", "internet"):
                out.extend(ANY)
            elif word in self.groups:  # a group named without its "@"
                out.extend(str(m) for m in self.groups[word])
            elif parse_network(word) is None and word.lower() not in KNOWN_WORDS:
                unresolved.append(word)
                out.append(word)
            else:
                out.append(word)
        return tuple(dict.fromkeys(out)), unresolved

    def exposures(self) -> Iterator[Exposure]:
        rules = self.spec.get("rules", [])
        for index, rule in enumerate(rules):
            if rule.get("enabled", True) is False:
                continue
            span = rules.spans[index]
            name = rule.get("name", f"#{index + 1}")
            direction = rule.get("direction", "ingress")
            protocol = rule.get("protocol", "tcp")
            protocol = "all" if protocol in ("any", "all") else protocol
            who = rule.get("sources") if direction == "ingress" else rule.get("destinations")
            sources, unresolved = self.sources(who)
            scope = classify_sources([s for s in sources if s not in unresolved], unresolved=bool(unresolved))
            try:
                ranges = self.port_ranges(rule.get("ports"), protocol)
            except ValueError as exc:
                self.errors.append(InputError(self.file, span.line, f"rule {name}: {exc}", span.column))
                continue
            for ports in ranges:
                yield Exposure(
                    kind="firewall", location=self.location(span), resource=f"firewall {self.label} / rule {name}",
                    protocol=protocol, port_range=ports, sources=sources, scope=scope, direction=direction,
                    action=rule["action"], unresolved=tuple(unresolved), raw=str(name),
                    policy=self.policy, priority=rule.get("priority", DEFAULT_PRIORITY),
                )
        if self.spec.get("default", "deny") == "allow":
            span = self.spec.spans["default"]
            for direction in ("ingress", "egress"):
                yield Exposure(
                    kind="firewall", location=self.location(span), resource=f"firewall {self.label} / default allow",
                    protocol="all", port_range=ALL_PORTS, sources=ANY, scope="internet", direction=direction,
                    action="allow", raw="default: allow", policy=self.policy, priority=float("inf"),
                )

    @staticmethod
    def port_ranges(ports: list | None, protocol: str) -> list[PortRange]:
        if not ports or protocol not in ("tcp", "udp", "sctp", "all"):
            return [ALL_PORTS]
        ranges = [parse_port_text(item) for item in ports]
        return [ALL_PORTS] if ALL_PORTS in ranges else ranges
