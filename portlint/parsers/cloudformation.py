"""CloudFormation templates (YAML or JSON): security groups, their ingress/egress resources,
and network ACL entries.

Short-form intrinsics (``!Ref``, ``!Sub``, ``!If`` ...) load as their long form.
``Ref`` to a parameter resolves to its ``Default``; ``Fn::Sub``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap`` and ``Fn::If`` (with
``Fn::Equals``/``Not``/``And``/``Or`` conditions on known values) are
evaluated; anything else (``Fn::GetAtt``, ``Fn::ImportValue``, parameters
without default) stays unresolved.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from portlint.model import Exposure, InputError, Location, ParseOutcome, PortRange
from portlint.netscope import classify_sources
from portlint.parsers import ParseContext, SourceFile
from portlint.protocols import normalize_protocol
from portlint.yamlpos import LocatedDict, LocatedList, LocatedStr, Span, YAMLLoadError, load_one

_SNIFF = re.compile(r"AWSTemplateFormatVersion|AWS::EC2::(SecurityGroup|NetworkAclEntry)")
ALL_PORTS = PortRange(0, 65535)
TYPES = ("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress",
         "AWS::EC2::NetworkAclEntry")


class Unresolved:
    """A CloudFormation value that cannot be known from the template alone."""

    def __init__(self, refs: Iterable[str]):
        self.refs = tuple(dict.fromkeys(refs))


class CloudFormationParser:
    name = "cloudformation"

    def claims(self, path: Path, text: str | None) -> bool:
        if text is None or path.suffix.lower() not in (".yml", ".yaml", ".json", ".template"):
            return False
        return _SNIFF.search(text) is not None and "Resources" in text

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source in files:
            yield parse_template(source)


def _load(source: SourceFile):
    if source.path.suffix.lower() == ".json":
        from portlint.jsonpos import JSONLoadError, loads_located

        try:
            return loads_located(source.text)
        except JSONLoadError as exc:
            raise YAMLLoadError(f"invalid JSON: {exc.message}", exc.line, exc.column) from None
    return load_one(source.text)


def parse_template(source: SourceFile) -> ParseOutcome:
    file = source.display
    try:
        doc = _load(source)
    except YAMLLoadError as exc:
        return ParseOutcome(file, errors=(InputError(file, exc.line, exc.message, exc.column),))
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        return ParseOutcome(file, errors=(InputError(file, 1, "a CloudFormation template needs a Resources mapping"),))
    template = _Template(file, doc)
    exposures = list(template.exposures())
    return ParseOutcome(file, tuple(exposures), tuple(template.errors))


def long_form(value: Any) -> Any:
    """``!Ref x`` -> ``{"Ref": "x"}``; ``!GetAtt a.b`` -> ``{"Fn::GetAtt": ["a", "b"]}``."""
    tag = getattr(value, "tag", None)
    if tag:
        name = tag[1:]
        inner = str(value) if isinstance(value, LocatedStr) else value
        if name == "GetAtt" and isinstance(inner, str):
            inner = inner.split(".", 1)
        key = "Ref" if name == "Ref" else "Condition" if name == "Condition" else f"Fn::{name}"
        return {key: inner}
    return value


class _Template:
    def __init__(self, file: str, doc: LocatedDict):
        self.file, self.doc = file, doc
        self.parameters = doc.get("Parameters") if isinstance(doc.get("Parameters"), dict) else {}
        self.mappings = doc.get("Mappings") if isinstance(doc.get("Mappings"), dict) else {}
        self.conditions = doc.get("Conditions") if isinstance(doc.get("Conditions"), dict) else {}
        self.errors: list[InputError] = []

    # -- intrinsic functions ---------------------------------------------------------

    def value(self, raw: Any, depth: int = 0) -> Any:
        raw = long_form(raw)
        if depth > 20:
            return Unresolved(["nesting"])
        if isinstance(raw, dict) and len(raw) == 1:
            (key, arg), = raw.items()
            if key == "Ref":
                return self._ref(str(arg))
            if key.startswith("Fn::") or key == "Condition":
                return self._function(key, arg, depth)
        if isinstance(raw, list):
            return [self.value(item, depth + 1) for item in raw]
        if isinstance(raw, dict):
            return {k: self.value(v, depth + 1) for k, v in raw.items()}
        return str(raw) if isinstance(raw, LocatedStr) else raw

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return None
        param = self.parameters.get(name)
        if isinstance(param, dict) and "Default" in param:
            default = param["Default"]
            if str(param.get("Type", "")).startswith("List<") or param.get("Type") == "CommaDelimitedList":
                return [part.strip() for part in str(default).split(",")]
            return default
        return Unresolved([name])

    def _function(self, key: str, arg: Any, depth: int) -> Any:
        if key == "Fn::Sub":
            template, extra = (arg[0], arg[1] if len(arg) > 1 else {}) if isinstance(arg, list) else (arg, {})
            refs: list[str] = []

            def sub(m: re.Match) -> str:
                name = m.group(1)
                value = self.value(extra[name], depth + 1) if name in extra else self._ref(name)
                if isinstance(value, Unresolved) or value is None:
                    refs.append(name)
                    return ""
                return str(value)
            text = re.sub(r"\$\{([^!}][^}]*)\}", sub, str(template))
            return Unresolved(refs) if refs else text
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            parts = self.value(arg[1], depth + 1)
            if isinstance(parts, Unresolved) or not isinstance(parts, list):
                return parts
            bad = [p for p in parts if isinstance(p, Unresolved)]
            if bad:
                return Unresolved(r for p in bad for r in p.refs)
            return str(arg[0]).join(str(p) for p in parts)
        if key == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            index, items = self.value(arg[0], depth + 1), self.value(arg[1], depth + 1)
            if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
                return items[int(index)]
            return Unresolved(["Fn::Select"])
        if key == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            text = self.value(arg[1], depth + 1)
            return text.split(str(arg[0])) if isinstance(text, str) else Unresolved(["Fn::Split"])
        if key == "Fn::FindInMap" and isinstance(arg, list) and len(arg) == 3:
            keys = [self.value(a, depth + 1) for a in arg]
            try:
                return self.value(self.mappings[keys[0]][keys[1]][keys[2]], depth + 1)
            except (KeyError, TypeError):
                return Unresolved(["Fn::FindInMap"])
        if key == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            cond = self._condition(arg[0], depth)
            if cond is None:
                yes, no = self.value(arg[1], depth + 1), self.value(arg[2], depth + 1)
                return yes if _same(yes, no) else Unresolved([f"Condition {arg[0]}"])
            return self.value(arg[1] if cond else arg[2], depth + 1)
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
            result = self._evaluate_condition({key: arg}, depth)
            return Unresolved(["condition"]) if result is None else result
        if key == "Fn::GetAtt":
            target = ".".join(map(str, arg)) if isinstance(arg, list) else str(arg)
            return Unresolved([target])
        return Unresolved([key])

    def _condition(self, name: Any, depth: int) -> bool | None:
        definition = self.conditions.get(str(name))
        return None if definition is None else self._evaluate_condition(definition, depth + 1)

    def _evaluate_condition(self, raw: Any, depth: int) -> bool | None:
        raw = long_form(raw)
        if depth > 20 or not isinstance(raw, dict) or len(raw) != 1:
            return None
        (key, arg), = raw.items()
        if key == "Condition":
            return self._condition(arg, depth)
        if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            a, b = (self.value(x, depth + 1) for x in arg)
            if isinstance(a, Unresolved) or isinstance(b, Unresolved):
                return None
            return str(a) == str(b)
        if key == "Fn::Not" and isinstance(arg, list) and arg:
            inner = self._evaluate_condition(arg[0], depth + 1)
            return None if inner is None else not inner
        if key in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            values = [self._evaluate_condition(a, depth + 1) for a in arg]
            if None in values:
                return None
            return all(values) if key == "Fn::And" else any(values)
        return None

    # -- resources ---------------------------------------------------------------------

    def exposures(self) -> Iterator[Exposure]:
        resources = self.doc["Resources"]
        for name, resource in resources.items():
            if not isinstance(resource, dict) or resource.get("Type") not in TYPES:
                continue
            props = resource.get("Properties") or {}
            if not isinstance(props, dict):
                continue
            if "Condition" in resource and self._condition(resource["Condition"], 0) is False:
                continue
            kind = resource["Type"]
            span = resources.spans[name]
            if kind == "AWS::EC2::SecurityGroup":
                for key, direction in (("SecurityGroupIngress", "ingress"), ("SecurityGroupEgress", "egress")):
                    rules = props.get(key)
                    if isinstance(rules, list):
                        spans = rules.spans if isinstance(rules, LocatedList) else [span] * len(rules)
                        for rule, rule_span in zip(rules, spans):
                            if isinstance(rule, dict):
                                yield from self._rule(name, rule, rule_span, direction, span)
            elif kind == "AWS::EC2::NetworkAclEntry":
                yield from self._nacl(name, props, span)
            else:
                direction = "egress" if kind.endswith("Egress") else "ingress"
                yield from self._rule(name, props, span, direction)

    def _location(self, span: Span) -> Location:
        return Location(self.file, span.line, span.end_line, span.column)

    def _sources(self, rule: dict, direction: str) -> tuple[tuple[str, ...], list[str], str]:
        items: list[str] = []
        unresolved: list[str] = []
        tags = False
        for key in ("CidrIp", "CidrIpv6"):
            if key in rule:
                value = self.value(rule[key])
                if isinstance(value, Unresolved):
                    unresolved.extend(value.refs)
                    items.extend(value.refs)
                elif value:
                    items.append(str(value))
        for key in ("SourceSecurityGroupId", "SourceSecurityGroupName", "DestinationSecurityGroupId",
                    "SourcePrefixListId", "DestinationPrefixListId"):
            if key in rule:
                tags = True
                items.append(("prefix-list:" if "PrefixList" in key else "sg:") + key)
        known = [i for i in items if i not in unresolved and not i.startswith(("sg:", "prefix-list:"))]
        if known or unresolved:
            scope = classify_sources(known, unresolved=bool(unresolved))
        else:
            scope = "private" if tags else "unknown"
        return tuple(items), unresolved, scope

    def _rule(self, name: str, rule: dict, span: Span, direction: str,
              context: Span | None = None) -> Iterator[Exposure]:
        protocol_raw = self.value(rule.get("IpProtocol"))
        sources, unresolved, scope = self._sources(rule, direction)
        if not sources:
            return
        traits: set[str] = set()
        if isinstance(protocol_raw, Unresolved):
            unresolved += list(protocol_raw.refs)
            protocol, traits = "all", {"unresolved-port"}
        else:
            protocol = normalize_protocol(protocol_raw)
            if protocol is None:
                protocol, traits = "all", {"invalid-protocol"}
        ports, port_traits, port_refs = self._ports(self.value(rule.get("FromPort")),
                                                    self.value(rule.get("ToPort")), protocol)
        traits |= port_traits
        unresolved += port_refs
        raw = f"IpProtocol {protocol_raw!r} is not an IP protocol" if "invalid-protocol" in traits else \
            (f"{protocol} needs FromPort and ToPort from low to high within 0-65535" if "invalid-ports" in traits
             else "")
        yield Exposure(kind="cloudformation", location=self._location(span), resource=name, protocol=protocol,
                       port_range=ports, sources=sources, scope=scope, direction=direction,
                       unresolved=tuple(dict.fromkeys(unresolved)), traits=frozenset(traits), raw=raw,
                       context=self._location(context) if context else None)

    @staticmethod
    def _ports(low: Any, high: Any, protocol: str) -> tuple[PortRange, set[str], list[str]]:
        if protocol not in ("tcp", "udp", "sctp"):
            return ALL_PORTS, set(), []
        refs = [r for v in (low, high) if isinstance(v, Unresolved) for r in v.refs]
        if refs:
            return ALL_PORTS, {"unresolved-port"}, refs
        if low is None or high is None:
            return ALL_PORTS, {"invalid-ports"}, []  # tcp/udp need both ends of the range
        try:
            start, end = int(low), int(high)
        except (TypeError, ValueError):
            return ALL_PORTS, {"invalid-ports"}, []
        if start == -1 and end == -1:
            return ALL_PORTS, set(), []
        if not (0 <= start <= end <= 65535):
            return ALL_PORTS, {"invalid-ports"}, []
        return PortRange(start, end), set(), []

    def _nacl(self, name: str, props: dict, span: Span) -> Iterator[Exposure]:
        protocol = normalize_protocol(self.value(props.get("Protocol"))) or "all"
        port_range = self.value(props.get("PortRange")) or {}
        if not isinstance(port_range, dict):
            port_range = {}
        ports, traits, refs = self._ports(port_range.get("From"), port_range.get("To"), protocol)
        cidrs = {"CidrIp": props.get("CidrBlock")} if "CidrBlock" in props else {}
        if "Ipv6CidrBlock" in props:
            cidrs["CidrIpv6"] = props["Ipv6CidrBlock"]
        sources, unresolved, scope = self._sources(cidrs, "ingress")
        if not sources:
            return
        egress = self.value(props.get("Egress", False))
        acl = props.get("NetworkAclId")
        acl = long_form(acl)
        acl_key = str(acl.get("Ref")) if isinstance(acl, dict) and "Ref" in acl else str(self.value(acl))
        number = self.value(props.get("RuleNumber"))
        action = str(self.value(props.get("RuleAction", "allow"))).lower()
        yield Exposure(kind="cloudformation", location=self._location(span), resource=name, protocol=protocol,
                       port_range=ports, sources=sources, scope=scope,
                       direction="egress" if str(egress).lower() == "true" else "ingress",
                       action="deny" if action == "deny" else "allow", unresolved=tuple(unresolved + refs),
                       traits=frozenset(traits), raw=f"{protocol} needs a PortRange with From and To"
                       if "invalid-ports" in traits else "", context=self._location(span), policy=f"cfn-nacl:{self.file}:{acl_key}",
                       priority=int(number) if str(number).isdigit() else 32766)


def _same(a: Any, b: Any) -> bool:
    return not isinstance(a, Unresolved) and not isinstance(b, Unresolved) and a == b
