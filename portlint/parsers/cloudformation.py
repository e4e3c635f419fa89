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

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from portlint import limits
from portlint.model import Exposure, InputError, Location, ParseOutcome, PortRange
from portlint.netscope import classify_sources
from portlint.parsers import ParseContext, SourceFile, kubernetes_stream
from portlint.parsers.units import Invalid, Units, checked_address, failure_message, short, type_name
from portlint.protocols import normalize_protocol
from portlint.yamlpos import LocatedDict, LocatedList, LocatedStr, Span, YAMLLoadError, load_single

_SNIFF = re.compile(r"AWSTemplateFormatVersion|AWS::EC2::(SecurityGroup|NetworkAclEntry)")
#: what makes a claimed file a template even when it does not load: the version key, or a column-0 Resources:
_STRONG = re.compile(r"(?<![\w.-])[\"']?AWSTemplateFormatVersion[\"']?[ \t]*:|^Resources[ \t]*:", re.MULTILINE)
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
        if kubernetes_stream(text):
            return False  # a manifest that mentions a security group type (a ConfigMap, an annotation)
        return "Resources" in text and "AWS" in text and _SNIFF.search(text) is not None

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source in files:
            yield parse_template(source)


def _load(source: SourceFile) -> tuple[Any, list[YAMLLoadError]]:
    """The template and the YAML errors met in it; raises YAMLLoadError when nothing can be read.

    A local YAML error (an unsupported tag, a duplicate key) leaves the bad value out and is returned
    beside the template, so it costs only the resource that holds it.
    """
    if source.path.suffix.lower() == ".json":
        from portlint.jsonpos import JSONLoadError, loads_located

        try:
            return loads_located(source.text), []
        except JSONLoadError as exc:
            raise YAMLLoadError(f"invalid JSON: {exc.message}", exc.line, exc.column) from None
        except json.JSONDecodeError as exc:  # a scalar the located reader handed to the json module
            raise YAMLLoadError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
        except (ValueError, RecursionError) as exc:
            raise YAMLLoadError(f"invalid JSON: {failure_message(exc)}", 1) from None
    doc, errors = load_single(source.text)
    if doc is None and errors:
        raise errors[0]
    return doc, errors


def parse_template(source: SourceFile) -> ParseOutcome:
    file = source.display
    strong = _STRONG.search(source.text) is not None  # else claimed only by a type name and the word Resources
    try:
        doc, problems = _load(source)
    except YAMLLoadError as exc:
        return ParseOutcome(file, errors=(InputError(file, exc.line, exc.message, exc.column),) if strong else ())
    except limits.LimitExceeded as exc:
        return ParseOutcome(file, errors=(InputError(file, max(exc.line, 1), exc.message),))
    load_errors = tuple(InputError(file, e.line, e.message, e.column) for e in problems)
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        if not strong:
            return ParseOutcome(file)  # a document that names a security group type, not a template
        if load_errors:  # the Resources mapping itself was the bad value: its error says why
            return ParseOutcome(file, errors=load_errors)
        span = doc.spans.get("Resources", doc.span) if isinstance(doc, LocatedDict) else Span(1, 1, 1)
        got = type_name(doc.get("Resources")) if isinstance(doc, dict) else type_name(doc)
        return ParseOutcome(file, errors=(InputError(
            file, span.line, f"a CloudFormation template needs a Resources mapping, got {got}", span.column),))
    units = Units(file)
    units.errors.extend(load_errors)
    error_lines = {e.line for e in load_errors}
    template = _Template(file, doc, units)
    resources = doc["Resources"]
    for name, resource in resources.items():
        span = resources.spans[name]
        if resource is None and error_lines & set(range(span.line, span.end_line + 1)):
            continue  # the YAML error already names this resource's line
        if not units.run(span.line, span.column, f"resource {name}",
                         lambda: list(template.resource(name, resource, span))):
            break
    return units.outcome()


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
    def __init__(self, file: str, doc: LocatedDict, units: Units):
        self.file, self.doc = file, doc
        self.parameters = doc.get("Parameters") if isinstance(doc.get("Parameters"), dict) else {}
        self.mappings = doc.get("Mappings") if isinstance(doc.get("Mappings"), dict) else {}
        self.conditions = doc.get("Conditions") if isinstance(doc.get("Conditions"), dict) else {}
        self.units = units
        self.steps = 0
        self.condition_values: dict[str, bool | None] = {}
        self.evaluating: set[str] = set()

    def step(self, cost: int = 1) -> None:
        """Count evaluation work; a resource that needs more than ``limits.CFN_STEPS`` is refused."""
        self.steps += cost
        if self.steps > limits.CFN_STEPS:
            raise limits.LimitExceeded("evaluating this resource's intrinsic functions", limits.CFN_STEPS,
                                       "CFN_STEPS")

    # -- intrinsic functions ---------------------------------------------------------

    def value(self, raw: Any, depth: int = 0) -> Any:
        self.step()
        raw = long_form(raw)
        if depth > 20:
            return Unresolved(["nesting"])
        if isinstance(raw, dict) and len(raw) == 1:
            (key, arg), = raw.items()
            if key == "Ref" and isinstance(arg, str):
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

            def lookup(name: str) -> str:
                value = self.value(extra[name], depth + 1) if isinstance(extra, dict) and name in extra \
                    else self._ref(name)
                if isinstance(value, Unresolved) or value is None:
                    refs.append(name)
                    return ""
                text = str(value) if isinstance(value, (str, int, float)) else ""
                self.step(len(text))
                return text
            text = _substitute(str(template) if isinstance(template, str) else "", lookup)
            return Unresolved(refs) if refs else text
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            parts = self.value(arg[1], depth + 1)
            if isinstance(parts, Unresolved) or not isinstance(parts, list):
                return parts
            bad = [p for p in parts if isinstance(p, Unresolved)]
            if bad:
                return Unresolved(r for p in bad for r in p.refs)
            text = str(arg[0]).join(str(p) for p in parts)
            self.step(len(text))
            return text
        if key == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            index, items = self.value(arg[0], depth + 1), self.value(arg[1], depth + 1)
            position = _index(index)
            if isinstance(items, list) and position is not None and position < len(items):
                return items[position]
            return Unresolved(["Fn::Select"])
        if key == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
            text = self.value(arg[1], depth + 1)
            if not isinstance(text, str) or not isinstance(arg[0], str) or not arg[0]:
                return Unresolved(["Fn::Split"])
            parts = text.split(arg[0])
            self.step(len(parts))
            return parts
        if key == "Fn::FindInMap" and isinstance(arg, list) and len(arg) == 3:
            keys = [self.value(a, depth + 1) for a in arg]
            try:
                return self.value(self.mappings[keys[0]][keys[1]][keys[2]], depth + 1)
            except (KeyError, TypeError, IndexError):
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
        """A named condition's value, computed once (conditions may refer to each other, even in a cycle)."""
        if not isinstance(name, str):
            return None
        if name in self.condition_values:
            return self.condition_values[name]
        definition = self.conditions.get(name)
        if definition is None or name in self.evaluating:
            return None
        self.evaluating.add(name)
        try:
            result = self._evaluate_condition(definition, depth + 1)
        finally:
            self.evaluating.discard(name)
        self.condition_values[name] = result
        return result

    def _evaluate_condition(self, raw: Any, depth: int) -> bool | None:
        self.step()
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

    def resource(self, name: str, resource: Any, span: Span) -> Iterator[Exposure]:
        """The exposures of one resource; each ingress/egress entry of a security group is a unit of its own."""
        self.steps = 0
        if not isinstance(resource, dict) or resource.get("Type") not in TYPES:
            return
        props = resource.get("Properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise Invalid(f"Properties must be a mapping, got {type_name(props)}", resource.spans.get("Properties"))
        if "Condition" in resource and self._condition(resource["Condition"], 0) is False:
            return
        kind = resource["Type"]
        if kind == "AWS::EC2::SecurityGroup":
            for key, direction in (("SecurityGroupIngress", "ingress"), ("SecurityGroupEgress", "egress")):
                if props.get(key) is None:
                    continue
                rules, spans = self._rule_list(props, key, span)
                for index, (rule, rule_span) in enumerate(zip(rules, spans)):
                    kept: list[Exposure] = []

                    def body(rule=rule, rule_span=rule_span, index=index) -> None:
                        if isinstance(rule, dict) and _is_intrinsic(rule):
                            rule = self.value(rule)
                            if isinstance(rule, Unresolved) or rule is None:
                                return
                        if not isinstance(rule, dict):
                            raise Invalid(f"{key}[{index}] must be a mapping, got {type_name(rule)}")
                        kept.extend(self._rule(name, rule, rule_span, direction, span))
                    self.units.run(rule_span.line, rule_span.column, f"resource {name}", body)
                    yield from kept
        elif kind == "AWS::EC2::NetworkAclEntry":
            yield from self._nacl(name, props, span)
        else:
            direction = "egress" if kind.endswith("Egress") else "ingress"
            yield from self._rule(name, props, span, direction)

    def _rule_list(self, props: LocatedDict, key: str, span: Span) -> tuple[list, list[Span]]:
        """The entries of SecurityGroupIngress/Egress with their spans (an intrinsic may compute the list)."""
        rules = props[key]
        if isinstance(rules, list) and not _is_intrinsic(rules):
            spans = rules.spans if isinstance(rules, LocatedList) else [span] * len(rules)
            return rules, spans
        if _is_intrinsic(rules):
            value = self.value(rules)
            if isinstance(value, list):
                return value, [props.spans.get(key, span)] * len(value)
            if isinstance(value, Unresolved) or value is None:
                return [], []
            rules = value
        raise Invalid(f"{key} must be a list, got {type_name(rules)}", props.spans.get(key))

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
                    items.append(checked_address(value, key, getattr(rule, "spans", {}).get(key)))
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
        # A value CloudFormation would reject is an input error at its line, as for Terraform (no PL502 guess).
        spans = getattr(rule, "spans", {})
        if "invalid-protocol" in traits:
            raise Invalid(f"IpProtocol {short(protocol_raw)} is not an IP protocol", spans.get("IpProtocol"))
        if "invalid-ports" in traits:
            raise Invalid(f"{protocol} needs FromPort and ToPort from low to high within 0-65535, got "
                          f"{short(rule.get('FromPort'))} and {short(rule.get('ToPort'))}",
                          spans.get("FromPort", spans.get("ToPort")))
        raw = ""
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
        if "invalid-ports" in traits:
            raise Invalid(f"{protocol} needs a PortRange with From and To from low to high within 0-65535",
                          props.spans.get("PortRange") if isinstance(props, LocatedDict) else None)
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
                       priority=_index(number) if _index(number) is not None else 32766)


def _substitute(text: str, lookup) -> str:
    """Fn::Sub: replace each ``${Name}`` by ``lookup(Name)``; ``${!Literal}`` stays. Linear in the text."""
    out: list[str] = []
    start = 0
    while True:
        opening = text.find("${", start)
        closing = text.find("}", opening + 2) if opening >= 0 else -1
        if closing < 0:
            out.append(text[start:])
            return "".join(out)
        name = text[opening + 2:closing]
        if not name or name.startswith("!"):
            out.append(text[start:closing + 1])
        else:
            out.append(text[start:opening])
            out.append(lookup(name))
        start = closing + 1


def _index(value: Any) -> int | None:
    """A small non-negative integer written in ASCII digits (a list index, a rule number); None otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 10**9 else None
    if isinstance(value, str) and 0 < len(value) <= 9 and value.isascii() and value.isdigit():
        return int(value)
    return None


def _is_intrinsic(value: Any) -> bool:
    """``!Ref x``, ``{"Fn::If": [...]}`` ...: a value CloudFormation computes."""
    if getattr(value, "tag", None):
        return True
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return isinstance(key, str) and (key in ("Ref", "Condition") or key.startswith("Fn::"))
    return False


def _same(a: Any, b: Any) -> bool:
    return not isinstance(a, Unresolved) and not isinstance(b, Unresolved) and a == b
