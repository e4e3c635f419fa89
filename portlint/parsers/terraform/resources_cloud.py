"""Alibaba Cloud and Oracle Cloud firewall resources as exposures.

* ``alicloud_security_group_rule``: ``type`` ingress/egress, ``ip_protocol``,
  ``port_range`` as ``"22/22"`` (``"-1/-1"`` for every port), ``cidr_ip`` /
  ``ipv6_cidr_ip`` / ``source_security_group_id`` / ``prefix_list_id``,
  ``policy`` accept/drop and ``priority`` 1-100 (lower first; at equal priority
  a drop wins, as Alibaba documents), one ordered set per security group.
* ``oci_core_security_list``: each ``ingress_security_rules`` /
  ``egress_security_rules`` block; ``protocol`` is ``all`` or an IP protocol
  number (``"6"`` TCP, ``"17"`` UDP, ``"1"`` ICMP); ``tcp_options`` /
  ``udp_options`` ``min``/``max`` are destination ports (absent: every port).
  Security lists only allow, and their rules add up.
* ``oci_core_network_security_group_security_rule``: ``direction``
  INGRESS/EGRESS, ``source``/``destination`` with ``source_type`` CIDR_BLOCK,
  SERVICE_CIDR_BLOCK (an Oracle service's ranges) or NETWORK_SECURITY_GROUP
  (a group of your own), ports in ``tcp_options.destination_port_range``.
"""

from __future__ import annotations

from typing import Any, Iterator

from portlint.model import Exposure
from portlint.parsers.terraform.module import BlockView
from portlint.parsers.terraform.resources import (
    Emitter, InvalidPorts, Record, Sources, guarded, invalid, normalize_protocol, port_range, record_of, records,
)
from portlint.parsers.terraform.values import Unknown
from portlint.protocols import ALL_PORTS

# ------------------------------------------------------------------------ Alibaba Cloud


def alicloud_security_group_rule(view: BlockView) -> Iterator[Exposure]:
    rec = record_of(view)
    direction = "egress" if str(view.get("type", "ingress")).strip().lower() == "egress" else "ingress"
    protocol = view.get("ip_protocol", None)
    proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
    ports = _slash_range(view.get("port_range", "-1/-1"), proto)
    sources = Sources()
    sources.add(view.get("cidr_ip", None), cidr=("cidr_ip", rec.line_of("cidr_ip")))
    sources.add(view.get("ipv6_cidr_ip", None), cidr=("ipv6_cidr_ip", rec.line_of("ipv6_cidr_ip")))
    if not sources.items and not sources.unresolved:  # Alibaba ignores the group and list when a CIDR is given
        sources.add_tag(view.get("source_security_group_id", None), "sg:")
        sources.add_tag(view.get("prefix_list_id", None), "prefix-list:")
    if not sources.items and not sources.unresolved:
        return
    action = "deny" if str(view.get("policy", "accept")).strip().lower() == "drop" else "allow"
    priority = view.get("priority", 1)
    priority = priority if isinstance(priority, (int, float)) and not isinstance(priority, bool) else 1
    group = view.reference("security_group_id")
    group = group.rsplit(".id", 1)[0] if group else str(view.get("security_group_id", view.address))
    prefix = view.address.rsplit("alicloud_security_group_rule.", 1)[0]
    exposure = Emitter(view).exposure(
        view.span, direction, action, protocol, ports, sources, rec=rec, protocol_attr="ip_protocol",
        policy=f"alisg:{prefix}{group}", priority=priority - 0.5 if action == "deny" else priority)
    if exposure:
        yield exposure


def _slash_range(value: Any, proto: str | None) -> Any:
    """``"22/22"``, ``"1/65535"``, ``"-1/-1"`` -> a range (an input error when malformed)."""
    if isinstance(value, Unknown):
        return value
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    low, sep, high = text.partition("/")
    if not sep:
        return InvalidPorts(f"port_range {text[:40]!r} must be written start/end (22/22, -1/-1)", "port_range")
    ports = port_range(low.strip(), high.strip(), proto)
    if isinstance(ports, InvalidPorts):
        return InvalidPorts(ports.text.replace("from_port", "port_range start").replace("to_port", "port_range end"),
                            "port_range")
    return ports


# ------------------------------------------------------------------------ Oracle Cloud


def oci_core_security_list(view: BlockView) -> Iterator[Exposure]:
    emit = Emitter(view)
    for kind, direction, side in (("ingress_security_rules", "ingress", "source"),
                                  ("egress_security_rules", "egress", "destination")):
        for rec in records(view, kind):
            yield from guarded(view, rec.span, _oci_rule(emit, view, rec, direction, side, nested_range=False),
                               f"this {kind} block")


def oci_core_network_security_group_security_rule(view: BlockView) -> Iterator[Exposure]:
    direction = "egress" if str(view.get("direction", "INGRESS")).strip().upper() == "EGRESS" else "ingress"
    side = "source" if direction == "ingress" else "destination"
    yield from _oci_rule(Emitter(view), view, record_of(view), direction, side, nested_range=True)


def _oci_rule(emit: Emitter, view: BlockView, rec: Record, direction: str, side: str,
              nested_range: bool) -> Iterator[Exposure]:
    protocol = rec.get("protocol", None)
    proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
    sources = Sources()
    kind = rec.get(f"{side}_type", "CIDR_BLOCK")
    kind = kind.strip().upper() if isinstance(kind, str) else kind
    value = rec.get(side, None)
    if kind == "NETWORK_SECURITY_GROUP":
        sources.add_tag(value, "sg:")
    elif kind == "SERVICE_CIDR_BLOCK":
        sources.add_tag(value, "service-tag:")  # an Oracle service's public ranges, not everyone
    else:
        sources.add(value, cidr=(side, rec.line_of(side)))
    if not sources.items and not sources.unresolved:
        return
    ports: Any = ALL_PORTS
    if proto in ("tcp", "udp"):
        ports = _oci_ports(view, rec, f"{proto}_options", nested_range)
    exposure = emit.exposure(rec.span, direction, "allow", protocol, ports, sources, rec.unresolved, rec=rec)
    if exposure:
        yield exposure


def _oci_ports(view: BlockView, rec: Record, options: str, nested_range: bool) -> Any:
    """Destination ports of ``tcp_options`` / ``udp_options`` (every port when absent)."""
    found = _sub_records(view, rec, options)
    if not found:
        return ALL_PORTS
    holder = found[0]
    if nested_range:
        ranges = _sub_records(view, holder, "destination_port_range")
        if not ranges:
            return ALL_PORTS
        holder = ranges[0]
    low, high = holder.get("min", None), holder.get("max", None)
    if low is None and high is None:
        return ALL_PORTS
    ports = port_range(low, high, "tcp")
    if isinstance(ports, InvalidPorts):  # at the min or max line inside the options block
        name = {"from_port": "min", "to_port": "max"}.get(ports.attr, "")
        raise invalid(ports.text.replace("from_port", "min").replace("to_port", "max"), holder.line_of(name))
    return ports


def _sub_records(view: BlockView, rec: Record, name: str) -> list[Record]:
    """Nested blocks (or an object attribute) called ``name`` inside a record."""
    inner = getattr(rec, "view", None)
    if inner is not None:
        return records(inner, name)
    value = rec.get(name, None)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return [Record(lambda key, default=None, _v=value: _v.get(key, default), rec.span, rec.unresolved)]
    if isinstance(value, Unknown):
        return [Record(lambda key, default=None, _u=value: _u, rec.span, rec.unresolved | value.refs)]
    return []


ADAPTERS = {
    "alicloud_security_group_rule": alicloud_security_group_rule,
    "oci_core_security_list": oci_core_security_list,
    "oci_core_network_security_group_security_rule": oci_core_network_security_group_security_rule,
}
