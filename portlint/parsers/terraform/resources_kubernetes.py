"""Kubernetes objects written with the Terraform Kubernetes provider, judged like manifests.

* ``kubernetes_service`` / ``kubernetes_service_v1``: a ``LoadBalancer`` faces the
  internet unless ``load_balancer_source_ranges`` narrows it or an annotation asks
  the cloud for an internal load balancer (the manifest parser's own reading of
  those annotations, ``kubernetes.is_internal_lb``); ``NodePort`` (and a
  LoadBalancer's node ports) open a port on every node; ``external_ips`` are
  reachable at those addresses; ``ClusterIP`` stays inside the cluster.
* Workloads (``kubernetes_pod``, ``_deployment``, ``_daemonset`` / ``_daemon_set_v1``,
  ``_stateful_set``, ``_job``, ``_cron_job``, ``_replication_controller`` and their
  ``_v1`` forms): ``host_port`` in a container ``port`` binds the node's interfaces,
  ``host_network = true`` puts every container port there.

The exposures carry the same traits as the manifest parser's, so every rule judges
them alike; findings point at the ``port`` block or the ``host_network`` line.
"""

from __future__ import annotations

from typing import Any, Iterator

from portlint.model import Exposure, Location, PortRange
from portlint.netscope import classify_bind
from portlint.parsers.kubernetes import ALL_INTERFACES, INTERNAL_LB_ANNOTATIONS, NODE_PORTS, is_internal_lb
from portlint.parsers.kubernetes import _AWS_SCHEME as AWS_SCHEME, _AWS_TYPE as AWS_TYPE
from portlint.parsers.terraform.module import BlockView
from portlint.parsers.terraform.resources import Sources, guarded, invalid, normalize_protocol
from portlint.parsers.terraform.values import Unknown, kind_of, refs_in
from portlint.protocols import ALL_PORTS
from portlint.yamlpos import Span


def _first(view: BlockView, *path: str) -> BlockView | None:
    """The first nested block along ``path`` (``spec``, ``template``, ``spec``), or None."""
    for name in path:
        found = view.blocks(name)
        if not found:
            return None
        view = found[0]
    return view


def _exposure(view: BlockView, span: Span, protocol: str, ports: PortRange, target: PortRange | None,
              sources: tuple[str, ...], scope: str, traits: set[str], image: str = "",
              unresolved: set[str] | frozenset[str] = frozenset()) -> Exposure:
    block = view.span
    return Exposure(
        kind="terraform", location=Location(view.file, span.line, span.end_line, span.column),
        context=None if block == span else Location(view.file, block.line, block.end_line, block.column),
        resource=view.address, protocol=protocol, port_range=ports, target_port_range=target,
        sources=sources, scope=scope, unresolved=tuple(sorted(set(unresolved) | set(view.unresolved))),
        traits=frozenset(traits), image=image)


def _port(value: Any, name: str, span: Span, required: bool = False) -> int | Unknown | None:
    """A port number 1-65535 (a name or nothing: None); anything else is an input error."""
    if isinstance(value, Unknown):
        return value
    if value is None or value == "":
        if required:
            raise invalid(f"{name} is required", span)
        return None
    if isinstance(value, bool):
        raise invalid(f"{name} must be a port number, got a bool", span)
    if isinstance(value, str) and not value.strip().isdigit():
        if required:
            raise invalid(f"{name} must be a port number, got {value[:40]!r}", span)
        return None  # a named port
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        raise invalid(f"{name} must be a port number, got {kind_of(value)}", span) from None
    if not 1 <= number <= 65535:
        raise invalid(f"{name} {number} is outside 1-65535", span)
    return number


def _protocol(entry: BlockView) -> str:
    value = entry.get("protocol", "TCP")
    if isinstance(value, Unknown):
        return "tcp"
    proto = normalize_protocol(value)
    if proto not in ("tcp", "udp", "sctp"):
        at = entry.attribute("protocol")
        raise invalid(f"protocol {str(value)[:40]!r} must be TCP, UDP or SCTP", at.span if at else entry.span)
    return proto


# ------------------------------------------------------------------------ Services


def kubernetes_service(view: BlockView) -> Iterator[Exposure]:
    spec = _first(view, "spec")
    if spec is None:
        return
    meta = _first(view, "metadata")
    annotations = meta.get("annotations", None) if meta is not None else None
    kind = spec.get("type", "ClusterIP")
    ranges = spec.get("load_balancer_source_ranges", None)
    range_sources = Sources()
    if ranges:
        at = spec.attribute("load_balancer_source_ranges")
        range_sources.add(ranges, cidr=("load_balancer_source_ranges", at.span if at else spec.span))
    external = Sources()
    if spec.get("external_ips", None):
        at = spec.attribute("external_ips")
        external.add(spec.get("external_ips"), cidr=("external_ips", at.span if at else spec.span))
    lb_class = spec.get("load_balancer_class", None)
    for entry in spec.blocks("port"):
        yield from guarded(view, entry.span, _service_port(view, entry, kind, annotations, lb_class,
                                                           range_sources, external), "this port block")


def _service_port(view: BlockView, entry: BlockView, kind: Any, annotations: Any, lb_class: Any,
                  ranges: Sources, external: Sources) -> Iterator[Exposure]:
    protocol = _protocol(entry)
    at = entry.attribute("port")
    port = _port(entry.get("port", None), "port", at.span if at else entry.span, required=True)
    traits = {"k8s-service"}
    unresolved: set[str] = set()
    if isinstance(port, Unknown):
        unresolved |= port.refs
        traits.add("unresolved-port")
        ports = ALL_PORTS
    else:
        ports = PortRange.single(port)
    target_value = entry.get("target_port", None)
    target = _port(target_value, "target_port", entry.span)
    target_range = PortRange.single(target) if isinstance(target, int) else None
    if isinstance(kind, Unknown):
        yield _exposure(view, entry.span, protocol, ports, target_range, tuple(sorted(kind.refs)), "unknown",
                        traits, unresolved=unresolved | kind.refs)
        return
    kind = str(kind)
    if kind == "LoadBalancer":
        if ranges.items or ranges.unresolved:
            sources, scope, extra = tuple(ranges.items), ranges.scope(), set(ranges.unresolved)
        elif isinstance(annotations, Unknown) or isinstance(lb_class, Unknown) or _unknown_lb_annotation(annotations):
            refs = refs_in([annotations, lb_class])
            sources, scope, extra = tuple(sorted(refs)), "unknown", refs
        else:
            known = {k: v for k, v in (annotations or {}).items() if isinstance(v, (str, int, float, bool))} \
                if isinstance(annotations, dict) else {}
            if is_internal_lb(known, lb_class):
                sources, scope, extra = ("internal-load-balancer",), "private", set()
            else:
                sources, scope, extra = ("0.0.0.0/0", "::/0"), "internet", set()
        yield _exposure(view, entry.span, protocol, ports, target_range, sources, scope,
                        traits | {"load-balancer"}, unresolved=unresolved | extra)
    if kind in ("LoadBalancer", "NodePort"):
        node = _port(entry.get("node_port", None), "node_port", entry.span)
        node_range = PortRange.single(node) if isinstance(node, int) else NODE_PORTS
        unknown = {"node addresses (NodePort)"} if kind == "NodePort" else set()
        node_traits = traits | {"node-port"} | (set() if isinstance(node, int) else {"node-port-range"})
        yield _exposure(view, entry.span, protocol, node_range, target_range or (ports if port else None),
                        ("node-addresses",), "unknown", node_traits, unresolved=unresolved | unknown)
    if kind not in ("LoadBalancer", "NodePort", "ExternalName"):
        yield _exposure(view, entry.span, protocol, ports, target_range, ("cluster-network",), "private",
                        traits | {"cluster-ip"}, unresolved=unresolved)
    for address in external.items:
        yield _exposure(view, entry.span, protocol, ports, target_range, (address,), classify_bind(address),
                        traits | {"external-ip"}, unresolved=unresolved)


def _unknown_lb_annotation(annotations: Any) -> bool:
    """Is an annotation that could make the load balancer internal known only after apply?"""
    if not isinstance(annotations, dict):
        return False
    deciding = set(INTERNAL_LB_ANNOTATIONS) | {AWS_TYPE, AWS_SCHEME}
    return any(isinstance(value, Unknown) for key, value in annotations.items() if key in deciding)


# ------------------------------------------------------------------------ workloads

#: where each workload keeps its pod spec
POD_SPECS = {
    "kubernetes_pod": ("spec",),
    "kubernetes_deployment": ("spec", "template", "spec"),
    "kubernetes_daemonset": ("spec", "template", "spec"),
    "kubernetes_daemon_set_v1": ("spec", "template", "spec"),
    "kubernetes_stateful_set": ("spec", "template", "spec"),
    "kubernetes_replication_controller": ("spec", "template", "spec"),
    "kubernetes_job": ("spec", "template", "spec"),
    "kubernetes_cron_job": ("spec", "job_template", "spec", "template", "spec"),
}
for _name in ("kubernetes_pod", "kubernetes_deployment", "kubernetes_stateful_set",
              "kubernetes_replication_controller", "kubernetes_job", "kubernetes_cron_job"):
    POD_SPECS[f"{_name}_v1"] = POD_SPECS[_name]


def _workload(path: tuple[str, ...]):
    def adapter(view: BlockView) -> Iterator[Exposure]:
        spec = _first(view, *path)
        if spec is None:
            return
        yield from _pod(view, spec)
    return adapter


def _pod(view: BlockView, spec: BlockView) -> Iterator[Exposure]:
    host_network = spec.get("host_network", False)
    if host_network is True:
        at = spec.attribute("host_network")
        yield _exposure(view, at.span if at else spec.span, "all", PortRange(0, 65535), None, ALL_INTERFACES,
                        "internet", {"host-network"})
    for key in ("init_container", "container"):
        for container in spec.blocks(key):
            image = container.get("image", "")
            image = image if isinstance(image, str) else ""
            for entry in container.blocks("port"):
                yield from guarded(view, entry.span, _container_port(view, entry, host_network is True, image),
                                   "this port block")


def _container_port(view: BlockView, entry: BlockView, host_network: bool, image: str) -> Iterator[Exposure]:
    protocol = _protocol(entry)
    container_port = _port(entry.get("container_port", None), "container_port", entry.span, required=True)
    host_port = _port(entry.get("host_port", None), "host_port", entry.span)
    if host_network and isinstance(container_port, int):
        yield _exposure(view, entry.span, protocol, PortRange.single(container_port), None, ALL_INTERFACES,
                        "internet", {"host-network"}, image)
        return
    if host_port is None:
        return
    target = PortRange.single(container_port) if isinstance(container_port, int) else None
    if isinstance(host_port, Unknown):
        yield _exposure(view, entry.span, protocol, ALL_PORTS, target, tuple(sorted(host_port.refs)), "unknown",
                        {"host-port", "published", "unresolved-host-port"}, image, unresolved=host_port.refs)
        return
    host_ip = entry.get("host_ip", None)
    sources = Sources()
    if host_ip not in (None, ""):
        at = entry.attribute("host_ip")
        sources.add(host_ip, cidr=("host_ip", at.span if at else entry.span))
    if sources.unresolved:
        bound, scope = tuple(sources.items), "unknown"
    elif sources.items:
        bound, scope = tuple(sources.items), classify_bind(sources.items[0])
    else:
        bound, scope = ALL_INTERFACES, "internet"
    yield _exposure(view, entry.span, protocol, PortRange.single(host_port), target, bound, scope,
                    {"host-port", "published"}, image, unresolved=sources.unresolved)


ADAPTERS = {"kubernetes_service": kubernetes_service, "kubernetes_service_v1": kubernetes_service}
ADAPTERS.update({name: _workload(path) for name, path in POD_SPECS.items()})
