"""Firewall-like Terraform resources as exposures, one adapter per resource type.

Adapters read evaluated attributes through a ``BlockView`` and never see HCL.
Each exposure points at the smallest element that grants it: the ``ingress``
block, the rule resource, the ``allow`` block, the ``security_rule``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from portlint.model import Exposure, Location, PortRange
from portlint.netscope import classify_sources, parse_network
from portlint.parsers.terraform.module import BlockView
from portlint.parsers.terraform.prefix_lists import add_prefix_lists
from portlint.limits import LimitExceeded
from portlint.parsers.terraform.values import TerraformError, Unknown, charge, kind_of, to_list
from portlint.protocols import ALL_PORTS
from portlint.protocols import normalize_protocol as _normalize_protocol
from portlint.protocols import parse_port_text as parse_ports
from portlint.yamlpos import Span

IPV4_ANY, IPV6_ANY = "0.0.0.0/0", "::/0"


@dataclass(frozen=True)
class InvalidPorts:
    """A port specification Terraform or the cloud would reject (``from_port > to_port``, 70000):
    an input error at the line of ``attr`` (the rule's line when it has none)."""

    text: str
    attr: str = ""


@dataclass
class Record:
    """Something with attributes: a BlockView, or one object of an attribute list."""

    get: Callable[[str, Any], Any]
    span: Span
    unresolved: frozenset[str] = frozenset()
    #: where an attribute is written (None: not written as its own attribute)
    at: Callable[[str], Span | None] = lambda name: None
    #: the block itself, when the record is one (its nested blocks can be read)
    view: BlockView | None = None

    def line_of(self, *names: str) -> Span:
        """The span of the first of ``names`` written, else the record's own."""
        for name in names:
            span = self.at(name)
            if span is not None:
                return span
        return self.span


def invalid(message: str, span: Span) -> TerraformError:
    """A value the provider rejects at plan or apply: an input error at its line."""
    return TerraformError(message, span.line, span.column)


def normalize_protocol(value: Any) -> str | None:
    """The shared protocol reader, where text it cannot read (``"--6"``) means "not a protocol"."""
    try:
        return _normalize_protocol(value)
    except (ValueError, TypeError, OverflowError):
        return None


def guarded(view: BlockView, span: Span, exposures: Iterable[Exposure], what: str = "") -> list[Exposure]:
    """The exposures of one rule block, or none (and an input error) when it cannot be read:
    a bad ``ingress`` block costs only itself, never its siblings."""
    try:
        return list(exposures)
    except (TerraformError, LimitExceeded) as exc:
        view.problem(exc, span, what)
    except RecursionError as exc:
        view.problem(exc, span, what)
    except Exception as exc:  # an adapter bug: this block is reported, the others are checked
        view.problem(exc, span, what)
    return []


def record_of(view: BlockView) -> Record:
    return Record(view.get, view.span, view.unresolved, lambda name: _attr_span(view, name), view)


def _attr_span(view: BlockView, name: str) -> Span | None:
    attr = view.attribute(name)
    return attr.span if attr is not None else None


def records(view: BlockView, kind: str) -> list[Record]:
    """Nested blocks of ``kind``, or the same written as an attribute list of objects."""
    found = [record_of(v) for v in view.blocks(kind)]
    try:
        items = view.items(kind)
    except (TerraformError, LimitExceeded) as exc:
        attr = view.attribute(kind)
        view.problem(exc, attr.span if attr else view.span)
        items = []
    for value, span in items:
        if isinstance(value, dict):
            found.append(Record(lambda name, default=None, _v=value: _v.get(name, default), span, view.unresolved))
        elif isinstance(value, Unknown):
            found.append(Record(lambda name, default=None, _u=value: _u, span, view.unresolved | value.refs))
        elif value is not None:
            view.problem(TerraformError(f"{kind} must be a block, got {kind_of(value)}", span.line, span.column),
                         span)
    return found


class Sources:
    """Collects who can reach an exposure: addresses, tags and unresolved references."""

    TAG_PREFIXES = ("sg:", "tag:", "self")
    PUBLIC_TAG_PREFIXES = ("prefix-list:", "service-tag:")

    def __init__(self) -> None:
        self.items: list[str] = []
        self.addresses: list[str] = []
        self.tags: list[str] = []
        self.unresolved: set[str] = set()

    def _append(self, text: str, bucket: list[str]) -> None:
        if text not in self.items:
            self.items.append(text)
            bucket.append(text)

    def add(self, value: Any, prefix: str = "", cidr: tuple[str, Span] | None = None) -> None:
        """Add a CIDR, a list of them, or an Unknown (a reference that could not be resolved).

        ``cidr`` (attribute name, span) says the attribute takes CIDR blocks only: a known
        value that is not an address or network is rejected by the provider, so it is an
        input error at that span."""
        charge()
        if value is None or value == "":
            return
        if isinstance(value, Unknown):
            self.unresolved |= value.refs
            for ref in sorted(value.refs):
                self._append(prefix + ref, self.tags if prefix else [])
            return
        if isinstance(value, list):
            for item in value:
                self.add(item, prefix, cidr)
            return
        if cidr is not None and (not isinstance(value, str) or parse_network(value) is None):
            name, span = cidr
            shown = repr(value) if isinstance(value, str) and len(value) <= 80 else kind_of(value)
            raise invalid(f"{name}: {shown} is not a CIDR block (the provider rejects it)", span)
        text = prefix + str(value).strip()
        if text != prefix:
            self._append(text, self.tags if text.startswith(self.TAG_PREFIXES + self.PUBLIC_TAG_PREFIXES)
                         else self.addresses)

    def add_tag(self, value: Any, prefix: str) -> None:
        """Security groups, network tags and the like: their value may stay unknown."""
        if value is None or value == [] or value == "" or value is False:
            return
        for item in value if isinstance(value, list) else [value]:
            label = (sorted(item.refs)[0] if item.refs else "?") if isinstance(item, Unknown) else str(item)
            self._append(prefix + label, self.tags)

    def scope(self) -> str:
        scopes = []
        if self.addresses or self.unresolved:
            scopes.append(classify_sources(self.addresses, unresolved=bool(self.unresolved)))
        if any(t.startswith(self.PUBLIC_TAG_PREFIXES) for t in self.tags):
            scopes.append("restricted-public")
        if any(t.startswith(self.TAG_PREFIXES) for t in self.tags):
            scopes.append("private")
        for scope in ("internet", "unknown", "restricted-public", "private", "local"):
            if scope in scopes:
                return scope
        return "unknown"


@dataclass
class Emitter:
    """Builds exposures for one adapter call."""

    view: BlockView

    def exposure(self, span: Span, direction: str, action: str, protocol: Any, ports: Any,
                 sources: Sources, extra_unresolved: Iterable[str] = (), policy: str = "",
                 priority: float = 0, resource: str | None = None, raw: str = "",
                 rec: Record | None = None, protocol_attr: str = "protocol",
                 traits_extra: Iterable[str] = ()) -> Exposure | None:
        """One exposure; a protocol or port specification the provider rejects is an input
        error (TerraformError) at the attribute that holds it (``rec`` knows where)."""
        where = rec if rec is not None else Record(lambda name, default=None: default, span)
        proto = protocol if isinstance(protocol, str) and protocol in ("all",) else normalize_protocol(protocol)
        unresolved = set(sources.unresolved) | set(extra_unresolved) | set(self.view.unresolved)
        traits: set[str] = set()
        if isinstance(protocol, Unknown):
            unresolved |= protocol.refs
            proto = "all"
            traits.add("unresolved-protocol")
        if proto is None:
            text = protocol if isinstance(protocol, str) and len(protocol) <= 80 else kind_of(protocol)
            raise invalid(f"{protocol_attr} is required" if protocol is None
                          else f"protocol {text!r} is not an IP protocol", where.line_of(protocol_attr))
        if isinstance(ports, InvalidPorts):
            names = (ports.attr,) if ports.attr else ()
            raise invalid(ports.text, where.line_of(*names))
        elif isinstance(ports, Unknown) or ports is None:
            if isinstance(ports, Unknown):
                unresolved |= ports.refs
            traits.add("unresolved-port")
            port_range = ALL_PORTS
        else:
            port_range = ports
        if proto not in ("tcp", "udp", "sctp", "all"):
            port_range = ALL_PORTS
        traits |= set(traits_extra)
        scope = sources.scope()
        view_span = self.view.span
        context = None if view_span == span else Location(self.view.file, view_span.line, view_span.end_line,
                                                           view_span.column)
        return Exposure(
            kind="terraform", location=Location(self.view.file, span.line, span.end_line, span.column),
            context=context,
            resource=resource or self.view.address, protocol=proto, port_range=port_range,
            sources=tuple(sources.items), scope=scope, direction=direction, action=action,
            unresolved=tuple(sorted(unresolved)), traits=frozenset(traits), raw=raw,
            policy=policy, priority=priority,
        )


def port_range(from_port: Any, to_port: Any, protocol: str | None) -> PortRange | Unknown | InvalidPorts:
    """AWS-style from/to ports; ``-1`` or absent with protocol all means every port."""
    if protocol == "all" or protocol not in ("tcp", "udp", "sctp"):
        return ALL_PORTS
    unknown = [v for v in (from_port, to_port) if isinstance(v, Unknown)]
    if unknown:
        return Unknown(set().union(*(u.refs for u in unknown)))
    if from_port is None or to_port is None:
        return InvalidPorts(f"{protocol} needs both from_port and to_port", "from_port" if from_port is None
                            else "to_port")
    try:
        start, end = _port_number(from_port), _port_number(to_port)
    except (TypeError, ValueError, OverflowError):
        return InvalidPorts(f"ports {_short(from_port)}-{_short(to_port)} are not numbers", "from_port")
    if start == -1 and end == -1:
        return ALL_PORTS
    if not 0 <= start <= 65535:
        return InvalidPorts(f"from_port {start} is outside 0-65535", "from_port")
    if not 0 <= end <= 65535:
        return InvalidPorts(f"to_port {end} is outside 0-65535", "to_port")
    if end < start:
        return InvalidPorts(f"from_port {start} is greater than to_port {end}", "to_port")
    return PortRange(start, end)


def _port_number(value: Any) -> int:
    """A whole number (``22``, ``"22"``, ``22.0``); anything else raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("a bool")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not whole")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not (text.lstrip("-").isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
            raise ValueError("not a number")
        return int(text)
    return int(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def ignored_ports(rec: Record, proto: str | None, low: str = "from_port", high: str = "to_port") -> set[str]:
    """AWS ignores the ports of an all-protocol (``-1``) rule: ports written there
    (not 0 or -1) are accepted but mean every port. The trait PL502 reports."""
    if proto != "all":
        return set()
    written = [rec.get(name, None) for name in (low, high)]
    for value in written:
        try:
            number = _port_number(value) if value is not None and not isinstance(value, Unknown) else 0
        except (TypeError, ValueError, OverflowError):
            continue
        if number not in (0, -1):
            return {"ports-ignored"}
    return set()


def parse_port_text(text: Any, attr: str = "") -> PortRange | Unknown | InvalidPorts:
    """``"22"``, ``"1000-2000"``, ``"*"``, ``"all"``, ``"any"``, 22 -> a range."""
    if isinstance(text, Unknown):
        return text
    try:
        return parse_ports("" if text is None else text)
    except (ValueError, TypeError, OverflowError) as exc:
        return InvalidPorts(str(exc), attr)


def _direction(value: Any, ingress_words: tuple[str, ...]) -> str:
    if isinstance(value, str) and value.strip().lower() not in ingress_words:
        return "egress"
    return "ingress"


# ------------------------------------------------------------------------ AWS


def _aws_sg_rule(emit: Emitter, rec: Record, direction: str, resource: str | None = None) -> Iterator[Exposure]:
    protocol = rec.get("protocol", None)
    proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
    ports = port_range(rec.get("from_port", None), rec.get("to_port", None), proto) \
        if not isinstance(protocol, Unknown) else None
    sources = Sources()
    sources.add(rec.get("cidr_blocks", None), cidr=("cidr_blocks", rec.line_of("cidr_blocks")))
    sources.add(rec.get("ipv6_cidr_blocks", None), cidr=("ipv6_cidr_blocks", rec.line_of("ipv6_cidr_blocks")))
    sources.add_tag(rec.get("security_groups", None), "sg:")
    sources.add_tag(rec.get("source_security_group_id", None), "sg:")
    add_prefix_lists(sources, emit.view, rec.get("prefix_list_ids", None))
    if rec.get("self", False) is True:
        sources.add_tag("self", "")  # the group's own members: private, as any security group source
    if not sources.items and not sources.unresolved:
        return
    exposure = emit.exposure(rec.span, direction, "allow", protocol, ports, sources, rec.unresolved,
                             resource=resource, rec=rec, traits_extra=ignored_ports(rec, proto))
    if exposure:
        yield exposure


def aws_security_group(view: BlockView) -> Iterator[Exposure]:
    emit = Emitter(view)
    for direction in ("ingress", "egress"):
        for rec in records(view, direction):
            yield from guarded(view, rec.span, _aws_sg_rule(emit, rec, direction), f"this {direction} rule")


def aws_security_group_rule(view: BlockView) -> Iterator[Exposure]:
    kind = view.get("type", "ingress")
    if not isinstance(kind, Unknown) and kind not in ("ingress", "egress"):
        shown = repr(kind) if isinstance(kind, str) and len(kind) <= 80 else kind_of(kind)
        raise invalid(f'type must be "ingress" or "egress", got {shown} (the provider rejects it)',
                      record_of(view).line_of("type"))
    direction = "egress" if kind == "egress" else "ingress"
    yield from _aws_sg_rule(Emitter(view), record_of(view), direction)


def _aws_vpc_rule(view: BlockView, direction: str) -> Iterator[Exposure]:
    protocol = view.get("ip_protocol", None)
    proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
    ports = port_range(view.get("from_port", None), view.get("to_port", None), proto)
    rec = record_of(view)
    sources = Sources()
    sources.add(view.get("cidr_ipv4", None), cidr=("cidr_ipv4", rec.line_of("cidr_ipv4")))
    sources.add(view.get("cidr_ipv6", None), cidr=("cidr_ipv6", rec.line_of("cidr_ipv6")))
    sources.add_tag(view.get("referenced_security_group_id", None), "sg:")
    add_prefix_lists(sources, view, view.get("prefix_list_id", None))
    if not sources.items and not sources.unresolved:
        return
    exposure = Emitter(view).exposure(view.span, direction, "allow", protocol, ports, sources, rec=rec,
                                      protocol_attr="ip_protocol")
    if exposure:
        yield exposure


def aws_vpc_security_group_ingress_rule(view: BlockView) -> Iterator[Exposure]:
    yield from _aws_vpc_rule(view, "ingress")


def aws_vpc_security_group_egress_rule(view: BlockView) -> Iterator[Exposure]:
    yield from _aws_vpc_rule(view, "egress")


def _nacl_entry(emit: Emitter, rec: Record, direction: str, policy: str, number_key: str,
                action_key: str, resource: str | None = None) -> Iterator[Exposure]:
    protocol = rec.get("protocol", None)
    proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
    ports = port_range(rec.get("from_port", None), rec.get("to_port", None), proto)
    sources = Sources()
    sources.add(rec.get("cidr_block", None), cidr=("cidr_block", rec.line_of("cidr_block")))
    sources.add(rec.get("ipv6_cidr_block", None), cidr=("ipv6_cidr_block", rec.line_of("ipv6_cidr_block")))
    if not sources.items and not sources.unresolved:
        return
    action = str(rec.get(action_key, "allow") or "allow").lower()
    number = rec.get(number_key, 0)
    priority = number if isinstance(number, (int, float)) else 32766
    exposure = emit.exposure(rec.span, direction, "deny" if action == "deny" else "allow", protocol, ports,
                             sources, rec.unresolved, policy=policy, priority=priority, resource=resource,
                             rec=rec, traits_extra=ignored_ports(rec, proto) | {"stateless"})
    if exposure:
        yield exposure


def aws_network_acl(view: BlockView) -> Iterator[Exposure]:
    emit = Emitter(view)
    for direction in ("ingress", "egress"):
        for rec in records(view, direction):
            yield from guarded(view, rec.span, _nacl_entry(emit, rec, direction,
                                                           f"nacl:{_base_address(view.address)}", "rule_no",
                                                           "action"), f"this {direction} rule")


def aws_network_acl_rule(view: BlockView) -> Iterator[Exposure]:
    direction = "egress" if view.get("egress", False) is True else "ingress"
    acl = view.reference("network_acl_id")
    group = _strip_attr(acl, (".id",)) if acl else str(view.get("network_acl_id", view.address))
    prefix = view.address.rsplit("aws_network_acl_rule.", 1)[0]
    yield from _nacl_entry(Emitter(view), record_of(view), direction, f"nacl:{prefix}{group}",
                           "rule_number", "rule_action")


# ------------------------------------------------------------------------ GCP


def google_compute_firewall(view: BlockView) -> Iterator[Exposure]:
    if view.get("disabled", False) is True:
        return
    direction = _direction(view.get("direction", "INGRESS"), ("ingress",))
    priority = view.get("priority", 1000)
    priority = priority if isinstance(priority, (int, float)) else 1000
    network = view.reference("network") or view.get("network", "default")
    network_key = _strip_attr(network, (".name", ".id", ".self_link")) if isinstance(network, str) else "?"
    sources = Sources()
    rec_view = record_of(view)
    if direction == "ingress":
        sources.add(view.get("source_ranges", None), cidr=("source_ranges", rec_view.line_of("source_ranges")))
        sources.add_tag(view.get("source_tags", None), "tag:")
        sources.add_tag(view.get("source_service_accounts", None), "tag:")
        if not sources.items and not sources.unresolved:
            sources.add(IPV4_ANY)  # GCP: an ingress rule with no source applies to every address
    else:
        sources.add(view.get("destination_ranges", None),
                    cidr=("destination_ranges", rec_view.line_of("destination_ranges")))
        if not sources.items and not sources.unresolved:
            sources.add(IPV4_ANY)
    emit = Emitter(view)
    for action in ("allow", "deny"):
        for rec in records(view, action):
            yield from guarded(view, rec.span, _gcp_rule(emit, rec, action, direction, sources, network_key,
                                                         priority), f"this {action} block")


def _gcp_rule(emit: Emitter, rec: Record, action: str, direction: str, sources: Sources, network_key: str,
              priority: Any) -> Iterator[Exposure]:
    protocol = rec.get("protocol", None)
    ports_value = rec.get("ports", None)
    proto = normalize_protocol(protocol) if not isinstance(protocol, Unknown) else None
    ranges: list[Any]
    if isinstance(ports_value, Unknown):
        ranges = [ports_value]
    elif not ports_value or proto == "all":
        ranges = [ALL_PORTS]
    elif not isinstance(ports_value, list):
        raise TerraformError(f"ports must be a list of ports, got {kind_of(ports_value)}")
    else:
        ranges = [parse_port_text(p, "ports") for p in ports_value]
    for ports in ranges:
        # GCP: at equal priority a deny wins, so it sorts just before the allows
        exposure = emit.exposure(rec.span, direction, action, protocol, ports, sources, rec.unresolved,
                                 policy=f"gcp:{network_key}", rec=rec,
                                 priority=priority - 0.5 if action == "deny" else priority)
        if exposure:
            yield exposure


# ------------------------------------------------------------------------ Azure


def _azure_rule(emit: Emitter, rec: Record, policy: str, resource: str | None = None) -> Iterator[Exposure]:
    direction = _direction(rec.get("direction", "Inbound"), ("inbound",))
    access = str(rec.get("access", "Allow") or "Allow").lower()
    protocol = rec.get("protocol", "*")
    priority = rec.get("priority", 4096)
    priority = priority if isinstance(priority, (int, float)) else 4096
    sources = Sources()
    side = "source" if direction == "ingress" else "destination"
    for value in (rec.get(f"{side}_address_prefix", None), rec.get(f"{side}_address_prefixes", None)):
        for item in (value if isinstance(value, list) else [value]):
            sources.add(_azure_tag(item))
    sources.add_tag(rec.get(f"{side}_application_security_group_ids", None), "sg:")
    if not sources.items and not sources.unresolved:
        return
    port_values = []
    single = rec.get("destination_port_range", None)
    if single is not None:
        port_values.append(single)
    many = rec.get("destination_port_ranges", None)
    if isinstance(many, Unknown):
        port_values.append(many)
    elif many:
        port_values.extend(to_list(many))
    if not port_values:
        port_values = ["*"]
    for value in [part for v in port_values for part in (v.split(",") if isinstance(v, str) else [v])]:
        ports = parse_port_text(value, "destination_port_range" if rec.at("destination_port_range")
                                else "destination_port_ranges")
        exposure = emit.exposure(rec.span, direction, "deny" if access == "deny" else "allow", protocol, ports,
                                 sources, rec.unresolved, policy=policy, priority=priority, resource=resource,
                                 rec=rec)
        if exposure:
            yield exposure


#: Azure service tags that mean "anyone": Internet, any, and every Azure customer's address.
AZURE_INTERNET_TAGS = frozenset({"*", "any", "internet", "azurecloud"})
AZURE_PRIVATE_TAGS = frozenset({"virtualnetwork", "azureloadbalancer"})


def _azure_tag(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    lowered = value.strip().lower()
    if lowered in AZURE_INTERNET_TAGS or lowered in AZURE_PRIVATE_TAGS:
        return value.strip()
    if lowered.startswith("azurecloud."):
        return "AzureCloud"
    from portlint.netscope import parse_network

    if parse_network(value) is None:
        return f"service-tag:{value}"  # a Microsoft service's ranges: public, but not everyone
    return value


def azurerm_network_security_group(view: BlockView) -> Iterator[Exposure]:
    emit = Emitter(view)
    for rec in records(view, "security_rule"):
        yield from guarded(view, rec.span, _azure_rule(emit, rec, f"nsg:{_base_address(view.address)}"),
                           "this security_rule")


def azurerm_network_security_rule(view: BlockView) -> Iterator[Exposure]:
    ref = view.reference("network_security_group_name")
    prefix = view.address.rsplit("azurerm_network_security_rule.", 1)[0]
    if ref and ref.startswith("azurerm_network_security_group."):
        group = prefix + _strip_attr(ref, (".name",))
    else:
        name = view.get("network_security_group_name", None)
        group = f"name:{name}" if isinstance(name, str) else view.address
    yield from _azure_rule(Emitter(view), record_of(view), f"nsg:{group}")


# ------------------------------------------------------------------------ others


def digitalocean_firewall(view: BlockView) -> Iterator[Exposure]:
    emit = Emitter(view)
    for kind, direction, side in (("inbound_rule", "ingress", "source"), ("outbound_rule", "egress", "destination")):
        for rec in records(view, kind):
            yield from guarded(view, rec.span, _do_rule(emit, rec, direction, side), f"this {kind}")


def _do_rule(emit: Emitter, rec: Record, direction: str, side: str) -> Iterator[Exposure]:
    sources = Sources()
    sources.add(rec.get(f"{side}_addresses", None), cidr=(f"{side}_addresses", rec.line_of(f"{side}_addresses")))
    for tag_key in ("droplet_ids", "tags", "load_balancer_uids", "kubernetes_ids"):
        sources.add_tag(rec.get(f"{side}_{tag_key}", None), "tag:")
    if not sources.items and not sources.unresolved:
        return
    protocol = rec.get("protocol", None)
    ports = parse_port_text(rec.get("port_range", "all"), "port_range")
    exposure = emit.exposure(rec.span, direction, "allow", protocol, ports, sources, rec.unresolved, rec=rec)
    if exposure:
        yield exposure


def hcloud_firewall(view: BlockView) -> Iterator[Exposure]:
    emit = Emitter(view)
    for rec in records(view, "rule"):
        yield from guarded(view, rec.span, _hcloud_rule(emit, rec), "this rule")


def _hcloud_rule(emit: Emitter, rec: Record) -> Iterator[Exposure]:
    direction = _direction(rec.get("direction", "in"), ("in",))
    sources = Sources()
    side = "source_ips" if direction == "ingress" else "destination_ips"
    sources.add(rec.get(side, None), cidr=(side, rec.line_of(side)))
    if not sources.items and not sources.unresolved:
        return
    ports = parse_port_text(rec.get("port", "any"), "port")
    exposure = emit.exposure(rec.span, direction, "allow", rec.get("protocol", None), ports, sources,
                             rec.unresolved, rec=rec)
    if exposure:
        yield exposure


def openstack_networking_secgroup_rule_v2(view: BlockView) -> Iterator[Exposure]:
    direction = _direction(view.get("direction", "ingress"), ("ingress",))
    protocol = view.get("protocol", None)
    proto = "all" if protocol in (None, "", "any") else protocol
    low, high = view.get("port_range_min", None), view.get("port_range_max", None)
    ports: Any = ALL_PORTS if low is None and high is None else port_range(low, high, normalize_protocol(proto))
    if isinstance(ports, InvalidPorts):
        ports = InvalidPorts(ports.text.replace("from_port", "port_range_min").replace("to_port", "port_range_max"),
                             {"from_port": "port_range_min", "to_port": "port_range_max"}.get(ports.attr, ""))
    rec = record_of(view)
    sources = Sources()
    sources.add(view.get("remote_ip_prefix", None), cidr=("remote_ip_prefix", rec.line_of("remote_ip_prefix")))
    sources.add_tag(view.get("remote_group_id", None), "sg:")
    if not sources.items and not sources.unresolved:
        sources.add(IPV6_ANY if str(view.get("ethertype", "IPv4")).lower() == "ipv6" else IPV4_ANY)
    exposure = Emitter(view).exposure(view.span, direction, "allow", proto, ports, sources, rec=rec)
    if exposure:
        yield exposure


def _strip_attr(text: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


def _base_address(address: str) -> str:
    """``aws_network_acl.main[0]`` -> ``aws_network_acl.main`` (instances share a policy name)."""
    return address.split("[", 1)[0]


ADAPTERS: dict[str, Callable[[BlockView], Iterator[Exposure]]] = {
    "aws_security_group": aws_security_group,
    "aws_default_security_group": aws_security_group,
    "aws_security_group_rule": aws_security_group_rule,
    "aws_vpc_security_group_ingress_rule": aws_vpc_security_group_ingress_rule,
    "aws_vpc_security_group_egress_rule": aws_vpc_security_group_egress_rule,
    "aws_network_acl": aws_network_acl,
    "aws_default_network_acl": aws_network_acl,
    "aws_network_acl_rule": aws_network_acl_rule,
    "google_compute_firewall": google_compute_firewall,
    "azurerm_network_security_group": azurerm_network_security_group,
    "azurerm_network_security_rule": azurerm_network_security_rule,
    "digitalocean_firewall": digitalocean_firewall,
    "hcloud_firewall": hcloud_firewall,
    "openstack_networking_secgroup_rule_v2": openstack_networking_secgroup_rule_v2,
}

# other providers live in their own modules (they build on the helpers above)
from portlint.parsers.terraform.resources_cloud import ADAPTERS as _CLOUD  # noqa: E402
from portlint.parsers.terraform.resources_kubernetes import ADAPTERS as _KUBERNETES  # noqa: E402

ADAPTERS.update(_CLOUD)
ADAPTERS.update(_KUBERNETES)
