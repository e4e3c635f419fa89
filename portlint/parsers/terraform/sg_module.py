"""Calls of the community module ``terraform-aws-modules/security-group/aws``.

The module turns its arguments into ``aws_security_group_rule`` resources:
named rules (``ssh-tcp``) from ``ingress_rules`` with ``ingress_cidr_blocks``,
and objects in ``ingress_with_cidr_blocks`` / ``ingress_with_ipv6_cidr_blocks``
whose ``cidr_blocks`` is a comma-separated string defaulting to the module's
CIDR lists. portlint expands the same arguments, pointing at the argument (or
the object in the list) that grants each exposure. Preset submodules
(``//modules/ssh``) add their own named rules.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterator

from portlint.model import Exposure, PortRange
from portlint.parsers.terraform.module import BlockView
from portlint.parsers.terraform.resources import Emitter, Sources, port_range
from portlint.parsers.terraform.values import Unknown, to_list
from portlint.parsers.terraform.resources import normalize_protocol
from portlint.yamlpos import Span

_SOURCE = re.compile(
    r"^(?:registry\.terraform\.io/|git::https://github\.com/|github\.com/)?"
    r"terraform-aws-modules/(?:terraform-aws-)?security-group(?:/aws)?(?:\.git)?"
    r"(?://modules/(?P<preset>[\w-]+))?(?:\?.*)?$"
)

#: Module defaults for the CIDR lists, per direction.
DEFAULT_CIDRS = {"ingress": ([], []), "egress": (["0.0.0.0/0"], ["::/0"])}


def preset_of(source: str) -> str | None | bool:
    """False when ``source`` is not the module; the preset name (or None) when it is."""
    m = _SOURCE.match(source.strip())
    if not m:
        return False
    return m.group("preset")


@lru_cache(maxsize=1)
def _table() -> dict:
    from portlint.reference import load_data_file

    return load_data_file("terraform-aws-security-group.yaml")


def expand(call: BlockView, preset: str | None) -> Iterator[Exposure]:
    """Exposures created by one instance of a call of the module."""
    if call.get("create", True) is False or call.get("create_sg", True) is False:
        return
    table = _table()
    emit = Emitter(call)
    for direction in ("ingress", "egress"):
        v4_default, v6_default = DEFAULT_CIDRS[direction]
        cidrs = call.get(f"{direction}_cidr_blocks", v4_default)
        cidrs6 = call.get(f"{direction}_ipv6_cidr_blocks", v6_default)
        prefixes = call.get(f"{direction}_prefix_list_ids", [])
        named: list[tuple[Any, Span, str]] = []
        for key in (f"{direction}_rules", f"computed_{direction}_rules"):
            named.extend((value, span, key) for value, span in call.items(key))
        if preset and direction == "ingress":
            for name in table["groups"].get(preset, []):
                named.append((name, _preset_span(call), "preset"))
        for name, span, key in named:
            sources = Sources()
            sources.add(cidrs)
            sources.add(cidrs6)
            sources.add_tag(prefixes, "prefix-list:")
            yield from _named_rule(emit, call, name, span, direction, sources, key)
        for key in (f"{direction}_with_cidr_blocks", f"computed_{direction}_with_cidr_blocks",
                    f"{direction}_with_ipv6_cidr_blocks", f"computed_{direction}_with_ipv6_cidr_blocks",
                    f"{direction}_with_source_security_group_id",
                    f"computed_{direction}_with_source_security_group_id",
                    f"{direction}_with_self", f"computed_{direction}_with_self",
                    f"{direction}_with_prefix_list_ids", f"computed_{direction}_with_prefix_list_ids"):
            for value, span in call.items(key):
                yield from _object_rule(emit, call, key, value, span, direction, cidrs, cidrs6)


def _preset_span(call: BlockView) -> Span:
    source = call.attribute("source")
    return source.span if source else call.span


def _named_rule(emit: Emitter, call: BlockView, name: Any, span: Span, direction: str,
                sources: Sources, key: str) -> Iterator[Exposure]:
    if isinstance(name, Unknown):
        exposure = emit.exposure(span, direction, "allow", name, name, sources,
                                 resource=f"{call.address}.{key}[?]")
        if exposure:
            yield exposure
        return
    rule = _table()["rules"].get(str(name))
    if rule is None or (not sources.items and not sources.unresolved):
        return
    low, high, protocol = rule
    exposure = emit.exposure(span, direction, "allow", protocol, PortRange(low, high), sources,
                             resource=f'{call.address}.{key}["{name}"]', raw=str(name))
    if exposure:
        yield exposure


def _split_cidrs(value: Any) -> Any:
    if isinstance(value, Unknown) or value is None:
        return value
    if isinstance(value, list):
        return value
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _object_rule(emit: Emitter, call: BlockView, key: str, value: Any, span: Span, direction: str,
                 cidrs: Any, cidrs6: Any) -> Iterator[Exposure]:
    resource = f"{call.address}.{key}"
    if isinstance(value, Unknown):
        exposure = emit.exposure(span, direction, "allow", value, value, _sources_of(value),
                                 resource=resource)
        if exposure:
            yield exposure
        return
    if not isinstance(value, dict):
        return
    rule_name = value.get("rule")
    if rule_name is not None and not isinstance(rule_name, Unknown):
        rule = _table()["rules"].get(str(rule_name))
        if rule is None:
            return
        low, high, protocol = rule
        ports: Any = PortRange(low, high)
    else:
        protocol = value.get("protocol", None)
        proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
        ports = port_range(value.get("from_port"), value.get("to_port"), proto)
    sources = Sources()
    if "with_cidr_blocks" in key:
        sources.add(_split_cidrs(value.get("cidr_blocks", ",".join(c for c in to_list(cidrs) if isinstance(c, str))
                                           if not isinstance(cidrs, Unknown) else cidrs)))
    elif "with_ipv6_cidr_blocks" in key:
        sources.add(_split_cidrs(value.get("ipv6_cidr_blocks", ",".join(
            c for c in to_list(cidrs6) if isinstance(c, str)) if not isinstance(cidrs6, Unknown) else cidrs6)))
    elif "source_security_group_id" in key:
        sources.add_tag(value.get("source_security_group_id", "?"), "sg:")
    elif "with_self" in key:
        sources.items.append("self")
        sources.tags.append("self")
    else:
        sources.add_tag(value.get("prefix_list_ids", "?"), "prefix-list:")
    if not sources.items and not sources.unresolved:
        return
    label = rule_name if isinstance(rule_name, str) else value.get("description", "")
    exposure = emit.exposure(span, direction, "allow", protocol, ports, sources,
                             resource=f'{resource}["{label}"]' if label else resource)
    if exposure:
        yield exposure


def _sources_of(value: Unknown) -> Sources:
    sources = Sources()
    sources.add(value)
    return sources

