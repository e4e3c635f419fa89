"""Remote modules that estates use most, expanded from their arguments without downloading them.

``terraform-aws-modules/security-group/aws`` has its own file (``sg_module``). Here:

- ``terraform-google-modules/network/google`` (``firewall_rules``, ``ingress_rules``,
  ``egress_rules``) and its ``//modules/firewall-rules`` (``rules``, ``ingress_rules``,
  ``egress_rules``): each rule object is one ``google_compute_firewall``;
- ``terraform-aws-modules/vpc/aws``: the dedicated NACL of each subnet tier
  (``public_inbound_acl_rules`` ...), and the default NACL and default security group when
  their rules are given;
- ``Azure/network-security-group/azurerm``: ``predefined_rules`` (named in
  ``rules/terraform-remote-modules.yaml``) and ``custom_rules``, one NSG.

Each exposure points at the object in the caller's argument list that grants it. Any
other remote module is opaque: ``firewall_arguments`` says whether its arguments look
like firewall input, which the parser reports (PL501) instead of skipping silently.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterator

from portlint import limits
from portlint.model import Exposure
from portlint.netscope import parse_network
from portlint.parsers.terraform.module import BlockView
from portlint.parsers.terraform.resources import (
    ALL_PORTS, AZURE_INTERNET_TAGS, AZURE_PRIVATE_TAGS, IPV4_ANY, Emitter, Sources, guarded,
    normalize_protocol, parse_port_text, port_range,
)
from portlint.parsers.terraform.values import TerraformError, Unknown, kind_of, to_list
from portlint.yamlpos import Span

Expander = Callable[[BlockView], Iterator[Exposure]]


def _source(namespace: str, name: str, provider: str, submodule: str = "") -> re.Pattern:
    """A module's registry address and its GitHub forms, optionally with ``//modules/NAME``."""
    registry = rf"(?:registry\.terraform\.io/|registry\.opentofu\.org/)?{namespace}/{name}/{provider}"
    github = (rf"(?:git::)?(?:https://|ssh://git@|git@)?github\.com[/:]{namespace}/terraform-{provider}-{name}"
              rf"(?:\.git)?")
    sub = rf"//modules/{submodule}/?" if submodule else r"/?"
    return re.compile(rf"^(?:{registry}|{github}){sub}(?:\?.*)?$", re.I)


@lru_cache(maxsize=1)
def _table() -> dict:
    from portlint.reference import load_data_file

    return load_data_file("terraform-remote-modules.yaml")


def expander_of(source: str) -> Expander | None:
    """The built-in expansion of a remote module source, or None when portlint has none."""
    text = source.strip()
    for pattern, expand in _MODULES:
        if pattern.match(text):
            return expand
    return None


# ------------------------------------------------------------------ opaque modules

_FIREWALL_WORDS = frozenset({"ingress", "egress", "firewall", "firewalls", "rule", "rules", "cidr", "cidrs",
                             "port", "ports", "allowed", "whitelist", "allowlist", "whitelisted",
                             "allowlisted"})
_PORT_RANGE = re.compile(r"^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$")


def _looks_named(name: str) -> bool:
    lowered = name.lower()
    if "source_ranges" in lowered or "cidr" in lowered:
        return True
    return any(word in _FIREWALL_WORDS for word in re.split(r"[_\-.]+", lowered))


def _looks_valued(value: Any) -> bool:
    """A CIDR string or a port range (``"8000-8080"``) anywhere in the value, or an object
    key named like firewall input; walked at most TF_COLLECTION items."""
    pending, seen = [value], 0
    while pending and seen < limits.TF_COLLECTION:
        item = pending.pop()
        seen += 1
        if isinstance(item, dict):
            if any(isinstance(k, str) and _looks_named(k) for k in list(item)[:64]):
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            text = item.strip()
            if "/" in text and parse_network(text) is not None:
                return True
            m = _PORT_RANGE.match(text)
            if m and int(m.group(1)) <= int(m.group(2)) <= 65535:
                return True
    return False


def firewall_arguments(view: BlockView, meta: frozenset[str]) -> list[str]:
    """Arguments of a module call that look like firewall input, in file order: named like
    it (ingress, egress, firewall, rule, cidr, port, source_ranges, allowed, allow- or
    whitelist) or holding CIDR strings or port ranges."""
    found = []
    for name in view.body.attributes:
        if name in meta:
            continue
        if _looks_named(name):
            found.append(name)
            continue
        try:
            value = view.get(name)
        except Exception:  # an argument portlint cannot evaluate says nothing either way
            continue
        if _looks_valued(value):
            found.append(name)
    return found


# ------------------------------------------------------------------ helpers


def _get(rule: Any, key: str, default: Any = None) -> Any:
    if isinstance(rule, dict):
        value = rule.get(key, default)
        return default if value is None else value
    return default


def _label(view: BlockView, argument: str, rule: Any, index: int) -> str:
    name = _get(rule, "name")
    key = f'"{name}"' if isinstance(name, str) else str(index)
    return f"{view.address}.{argument}[{key}]"


def _items(view: BlockView, argument: str) -> list[tuple[Any, Span]]:
    """The objects of a list argument; a value that is not a list is an input error."""
    value = view.get(argument) if view.has(argument) else None
    if value is None or isinstance(value, Unknown):
        return view.items(argument) if isinstance(value, Unknown) else []
    if not isinstance(value, (list, dict)):
        attr = view.attribute(argument)
        raise TerraformError(f"{argument} must be a list of objects, got {kind_of(value)}",
                             attr.span.line if attr else 0, attr.span.column if attr else 1)
    return view.items(argument)


def _unknown_rule(emit: Emitter, view: BlockView, value: Unknown, span: Span, direction: str,
                  resource: str) -> Iterator[Exposure]:
    sources = Sources()
    sources.add(value)
    exposure = emit.exposure(span, direction, "allow", value, value, sources, resource=resource)
    if exposure:
        yield exposure


def _strip_attr(text: str) -> str:
    for suffix in (".name", ".id", ".self_link", ".network_name", ".network_self_link", ".network_id"):
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


# ------------------------------------------------------------------ Google network


def _gcp_network(view: BlockView) -> Iterator[Exposure]:
    yield from _gcp(view, "firewall_rules")


def _gcp_firewall_rules(view: BlockView) -> Iterator[Exposure]:
    yield from _gcp(view, "rules")


def _gcp(view: BlockView, legacy: str) -> Iterator[Exposure]:
    """Legacy rule lists (``ranges`` by ``direction``) win; otherwise ``ingress_rules`` and
    ``egress_rules``, as the module itself decides."""
    emit = Emitter(view)
    network = view.reference("network_name") or view.get("network_name", "default")
    network_key = _strip_attr(network) if isinstance(network, str) else "?"
    rules = _items(view, legacy)
    lists = [(legacy, None, rules)] if rules else \
        [(arg, direction, _items(view, arg)) for arg, direction in (("ingress_rules", "INGRESS"),
                                                                     ("egress_rules", "EGRESS"))]
    for argument, fixed, items in lists:
        for index, (rule, span) in enumerate(items):
            resource = _label(view, argument, rule, index)
            if isinstance(rule, Unknown):
                yield from guarded(view, span, _unknown_rule(emit, view, rule, span, "ingress", resource))
                continue
            if not isinstance(rule, dict):
                view.problem(TerraformError(f"{argument} must hold objects, got {kind_of(rule)}", span.line,
                                            span.column), span)
                continue
            yield from guarded(view, span, _gcp_rule(emit, rule, span, fixed, network_key, resource),
                               f"this rule of {argument}")


def _gcp_rule(emit: Emitter, rule: dict, span: Span, fixed: str | None, network_key: str,
              resource: str) -> Iterator[Exposure]:
    if _get(rule, "disabled") is True:
        return
    direction_text = fixed or _get(rule, "direction", "INGRESS")
    direction = "ingress" if str(direction_text).lower() == "ingress" else "egress"
    sources = Sources()
    if direction == "ingress":
        sources.add(_get(rule, "source_ranges") if fixed else _get(rule, "ranges"))
        sources.add_tag(_get(rule, "source_tags"), "tag:")
        sources.add_tag(_get(rule, "source_service_accounts"), "tag:")
    else:
        sources.add(_get(rule, "destination_ranges") if fixed else _get(rule, "ranges"))
    if not sources.items and not sources.unresolved:
        sources.add(IPV4_ANY)  # GCP: a rule with no ranges applies to every address
    priority = _get(rule, "priority", 1000)
    priority = priority if isinstance(priority, (int, float)) else 1000
    for action in ("allow", "deny"):
        blocks = _get(rule, action, [])
        for block in ([blocks] if isinstance(blocks, Unknown) else to_list(blocks)):
            protocol = block if isinstance(block, Unknown) else _get(block, "protocol")
            ports_value = block if isinstance(block, Unknown) else _get(block, "ports")
            proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
            if isinstance(ports_value, Unknown):
                ranges: list[Any] = [ports_value]
            elif not ports_value or proto == "all":
                ranges = [ALL_PORTS]
            else:
                ranges = [parse_port_text(p) for p in to_list(ports_value)]
            for ports in ranges:
                exposure = emit.exposure(span, direction, action, protocol, ports, sources,
                                         policy=f"gcp:{network_key}",
                                         priority=priority - 0.5 if action == "deny" else priority,
                                         resource=resource)
                if exposure:
                    yield exposure


# ------------------------------------------------------------------ AWS VPC

#: the module's default rules for a dedicated NACL: allow everything (rule 100)
_ALLOW_ALL = {"rule_number": 100, "rule_action": "allow", "from_port": 0, "to_port": 0, "protocol": "-1",
              "cidr_block": IPV4_ANY}


def _aws_vpc(view: BlockView) -> Iterator[Exposure]:
    if view.get("create_vpc", True) is False:
        return
    emit = Emitter(view)
    base = view.address.split("[", 1)[0]
    for tier in _table()["aws_vpc_tiers"]:
        dedicated = view.get(f"{tier}_dedicated_network_acl", False)
        if dedicated is not True and not isinstance(dedicated, Unknown):
            continue  # the module then leaves the tier on the default NACL; these rules are unused
        subnets = view.get(f"{tier}_subnets", [])
        if isinstance(subnets, list) and not subnets:
            continue
        policy = f"nacl:{base}.aws_network_acl.{tier}"
        for direction, argument in (("ingress", f"{tier}_inbound_acl_rules"),
                                    ("egress", f"{tier}_outbound_acl_rules")):
            if view.has(argument):
                items = _items(view, argument)
            else:
                attr = view.attribute(f"{tier}_dedicated_network_acl")
                items = [(_ALLOW_ALL, attr.span if attr else view.span)]
            yield from _nacl_rules(emit, view, argument, items, direction, policy, "rule_number", "rule_action")
    if view.get("manage_default_network_acl", True) is not False:
        for direction, argument in (("ingress", "default_network_acl_ingress"),
                                    ("egress", "default_network_acl_egress")):
            if view.has(argument):  # only when given: the module's default equals AWS's own
                yield from _nacl_rules(emit, view, argument, _items(view, argument), direction,
                                       f"nacl:{base}.aws_default_network_acl.this", "rule_no", "action")
    if view.get("manage_default_security_group", True) is not False:
        for direction, argument in (("ingress", "default_security_group_ingress"),
                                    ("egress", "default_security_group_egress")):
            if view.has(argument):
                for index, (rule, span) in enumerate(_items(view, argument)):
                    resource = f"{view.address}.{argument}[{index}]"
                    yield from guarded(view, span, _sg_rule(emit, rule, span, direction, resource),
                                       f"this rule of {argument}")


def _nacl_rules(emit: Emitter, view: BlockView, argument: str, items: list[tuple[Any, Span]], direction: str,
                policy: str, number_key: str, action_key: str) -> Iterator[Exposure]:
    for index, (rule, span) in enumerate(items):
        resource = f"{view.address}.{argument}[{index}]"
        if isinstance(rule, Unknown):
            yield from guarded(view, span, _unknown_rule(emit, view, rule, span, direction, resource))
            continue
        if not isinstance(rule, dict):
            view.problem(TerraformError(f"{argument} must hold objects, got {kind_of(rule)}", span.line,
                                        span.column), span)
            continue
        yield from guarded(view, span, _nacl_rule(emit, rule, span, direction, policy, number_key, action_key,
                                                  resource), f"this rule of {argument}")


def _nacl_rule(emit: Emitter, rule: dict, span: Span, direction: str, policy: str, number_key: str,
               action_key: str, resource: str) -> Iterator[Exposure]:
    protocol = rule.get("protocol")
    proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
    ports = port_range(rule.get("from_port"), rule.get("to_port"), proto)
    sources = Sources()
    sources.add(rule.get("cidr_block"))
    sources.add(rule.get("ipv6_cidr_block"))
    if not sources.items and not sources.unresolved:
        return
    action = str(rule.get(action_key) or "allow").lower()
    number = rule.get(number_key, 0)
    exposure = emit.exposure(span, direction, "deny" if action == "deny" else "allow", protocol, ports, sources,
                             policy=policy, priority=number if isinstance(number, (int, float)) else 32766,
                             resource=resource)
    if exposure:
        yield exposure


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _sg_rule(emit: Emitter, rule: Any, span: Span, direction: str, resource: str) -> Iterator[Exposure]:
    """One map of ``default_security_group_ingress``: CIDR lists are comma-separated strings."""
    if isinstance(rule, Unknown):
        yield from _unknown_rule(emit, emit.view, rule, span, direction, resource)
        return
    if not isinstance(rule, dict):
        raise TerraformError(f"a security group rule must be an object, got {kind_of(rule)}", span.line,
                             span.column)
    protocol = rule.get("protocol", "-1")
    proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
    ports = port_range(rule.get("from_port", 0), rule.get("to_port", 0), proto)
    sources = Sources()
    sources.add(_split(rule.get("cidr_blocks")))
    sources.add(_split(rule.get("ipv6_cidr_blocks")))
    sources.add_tag(_split(rule.get("prefix_list_ids")), "prefix-list:")
    sources.add_tag(_split(rule.get("security_groups")), "sg:")
    if str(rule.get("self", "")).lower() == "true":
        sources.items.append("self")
        sources.tags.append("self")
    if not sources.items and not sources.unresolved:
        return
    exposure = emit.exposure(span, direction, "allow", protocol, ports, sources, resource=resource)
    if exposure:
        yield exposure


# ------------------------------------------------------------------ Azure NSG


def _azure_address(value: Any) -> Any:
    """An Azure address prefix as portlint's sources know it (service tags marked)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    lowered = text.lower()
    if lowered in AZURE_INTERNET_TAGS or lowered in AZURE_PRIVATE_TAGS:
        return text
    if lowered.startswith("azurecloud."):
        return "AzureCloud"
    return text if parse_network(text) is not None else f"service-tag:{text}"


def _azure_sources(sources: Sources, prefix: Any, prefixes: Any, groups: Any) -> None:
    if groups:
        sources.add_tag(groups, "sg:")
        return
    chosen = prefixes if prefixes is not None else prefix
    items = chosen if isinstance(chosen, list) else [chosen]
    values = [p for item in items for p in (_split(item) if isinstance(item, str) else [item])]
    for value in values:
        sources.add(_azure_address(value))


def _azure_nsg(view: BlockView) -> Iterator[Exposure]:
    emit = Emitter(view)
    policy = f"nsg:{view.address.split('[', 1)[0]}.azurerm_network_security_group.nsg"
    table = _table()["azure_nsg_rules"]
    predefined = _items(view, "predefined_rules")
    prefix = view.get("source_address_prefix", ["*"])
    prefixes = view.get("source_address_prefixes", None)
    for index, (rule, span) in enumerate(predefined):
        resource = _label(view, "predefined_rules", rule, index)
        if isinstance(rule, Unknown):
            yield from guarded(view, span, _unknown_rule(emit, view, rule, span, "ingress", resource))
            continue
        name = _get(rule, "name")
        entry = table.get(name) if isinstance(name, str) else None
        if entry is None:
            if not isinstance(name, Unknown):
                view.problem(TerraformError(f"predefined rule {str(name)[:60]!r} is not one of the module's rules",
                                            span.line, span.column), span)
            continue
        direction, access, protocol, ports = entry
        priority = _get(rule, "priority", 4096 - len(predefined) + index)
        yield from guarded(view, span, _azure_emit(
            emit, span, direction, access, protocol, [ports],
            (prefix, prefixes, _get(rule, "source_application_security_group_ids")), policy, priority, resource),
            "this predefined rule")
    for index, (rule, span) in enumerate(_items(view, "custom_rules")):
        resource = _label(view, "custom_rules", rule, index)
        if isinstance(rule, Unknown):
            yield from guarded(view, span, _unknown_rule(emit, view, rule, span, "ingress", resource))
            continue
        if not isinstance(rule, dict):
            view.problem(TerraformError(f"custom_rules must hold objects, got {kind_of(rule)}", span.line,
                                        span.column), span)
            continue
        ports = _get(rule, "destination_port_range", "*")
        port_values = [ports] if isinstance(ports, Unknown) else _split(str(ports))
        yield from guarded(view, span, _azure_emit(
            emit, span, _get(rule, "direction", "Inbound"), _get(rule, "access", "Allow"),
            _get(rule, "protocol", "*"), port_values,
            (_get(rule, "source_address_prefix", "*"), _get(rule, "source_address_prefixes"),
             _get(rule, "source_application_security_group_ids")), policy, _get(rule, "priority", 4096), resource),
            "this custom rule")


def _azure_emit(emit: Emitter, span: Span, direction: Any, access: Any, protocol: Any, port_values: list,
                who: tuple, policy: str, priority: Any, resource: str) -> Iterator[Exposure]:
    sources = Sources()
    _azure_sources(sources, *who)
    if not sources.items and not sources.unresolved:
        return
    # the module's default direction "Any" is refused by Azure; read as inbound, the side that matters
    way = "egress" if str(direction).strip().lower() == "outbound" else "ingress"
    action = "deny" if str(access).strip().lower() == "deny" else "allow"
    priority = priority if isinstance(priority, (int, float)) else 4096
    for value in port_values:
        ports = value if isinstance(value, Unknown) else parse_port_text(value)
        exposure = emit.exposure(span, way, action, protocol, ports, sources, policy=policy, priority=priority,
                                 resource=resource)
        if exposure:
            yield exposure


_MODULES: list[tuple[re.Pattern, Expander]] = [
    (_source("terraform-google-modules", "network", "google"), _gcp_network),
    (_source("terraform-google-modules", "network", "google", "firewall-rules"), _gcp_firewall_rules),
    (_source("terraform-aws-modules", "vpc", "aws"), _aws_vpc),
    (_source("Azure", "network-security-group", "azurerm"), _azure_nsg),
]
