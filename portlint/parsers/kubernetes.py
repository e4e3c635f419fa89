"""Kubernetes manifests (multi-document YAML): Services, and host ports and host networking
in pod templates.

* ``LoadBalancer`` Services face the internet, unless ``loadBalancerSourceRanges``
  narrows the sources or an annotation asks the cloud for an internal load
  balancer;
* ``NodePort`` Services open the node port on every node (who reaches the nodes
  is not in the manifest: scope ``unknown`` without a finding of its own);
* ``ClusterIP`` Services are internal; ``externalIPs`` are reachable at those addresses;
* ``hostPort`` binds the port on the node's interfaces, ``hostNetwork`` puts every
  container port there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from portlint.model import Exposure, InputError, Location, ParseOutcome, PortRange
from portlint.netscope import classify_bind, classify_sources
from portlint.parsers import ParseContext, SourceFile, yaml_documents
from portlint.protocols import normalize_protocol
from portlint.yamlpos import LocatedDict, Span

_KIND = re.compile(r"^kind\s*:", re.MULTILINE)
_API = re.compile(r"^apiVersion\s*:", re.MULTILINE)
NODE_PORTS = PortRange(30000, 32767)
ALL_INTERFACES = ("0.0.0.0", "::")

#: Annotations that make a LoadBalancer internal, with the values that mean "internal".
INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": None,       # any true-ish value
    "service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
    "service.beta.kubernetes.io/azure-load-balancer-internal": None,
    "networking.gke.io/load-balancer-type": {"internal"},
    "cloud.google.com/load-balancer-type": {"internal"},
    "service.beta.kubernetes.io/oci-load-balancer-internal": None,
    "service.beta.kubernetes.io/openstack-internal-load-balancer": None,
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": {"private"},
    "service.beta.kubernetes.io/do-loadbalancer-type": {"internal"},
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": {"intranet"},
}
POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}


def is_internal_lb(annotations: Any) -> bool:
    if not isinstance(annotations, dict):
        return False
    for key, values in INTERNAL_LB_ANNOTATIONS.items():
        if key in annotations:
            value = str(annotations[key]).strip().lower()
            if values is None:
                if value not in ("false", "0", "", "no"):
                    return True
            elif value in values:
                return True
    return False


class KubernetesParser:
    name = "kubernetes"

    def claims(self, path: Path, text: str | None) -> bool:
        if text is None or path.suffix not in (".yml", ".yaml"):
            return False
        return _KIND.search(text) is not None and _API.search(text) is not None

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source in files:
            yield parse_manifests(source)


def parse_manifests(source: SourceFile) -> ParseOutcome:
    file = source.display
    documents, failed = yaml_documents(source)
    if failed:
        return failed
    exposures: list[Exposure] = []
    errors: list[InputError] = []
    for doc in documents:
        for item in _objects(doc):
            try:
                exposures.extend(_Object(file, item).exposures())
            except _Invalid as exc:
                errors.append(InputError(file, exc.span.line, exc.message, exc.span.column))
    return ParseOutcome(file, tuple(exposures), tuple(errors))


def _objects(doc: Any) -> Iterator[LocatedDict]:
    """The objects of a document, looking inside ``kind: List``."""
    if not isinstance(doc, dict):
        return
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            yield from _objects(item)
    elif "kind" in doc:
        yield doc


class _Invalid(Exception):
    def __init__(self, span: Span, message: str):
        super().__init__(message)
        self.span, self.message = span, message


def _port_number(value: Any) -> int | None:
    """A numeric port, or None for a named port (``http``) or nothing."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        number = int(value)
        return number if 0 < number <= 65535 else -1
    return None


class _Object:
    def __init__(self, file: str, obj: LocatedDict):
        self.file, self.obj = file, obj
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        name = meta.get("name", "?")
        namespace = meta.get("namespace")
        self.kind = str(obj.get("kind"))
        self.resource = f"{self.kind}/{namespace + '/' if namespace else ''}{name}"
        self.annotations = meta.get("annotations")

    def location(self, span: Span) -> Location:
        return Location(self.file, span.line, span.end_line, span.column)

    def exposures(self) -> Iterator[Exposure]:
        if self.kind == "Service":
            yield from self._service()
        elif self.kind in POD_SPEC_PATHS:
            spec = self.obj
            for key in POD_SPEC_PATHS[self.kind]:
                spec = spec.get(key) if isinstance(spec, dict) else None
            if isinstance(spec, dict):
                yield from self._pod(spec)

    def _service(self) -> Iterator[Exposure]:
        spec = self.obj.get("spec")
        if not isinstance(spec, dict):
            return
        kind = str(spec.get("type", "ClusterIP"))
        ports = spec.get("ports") if isinstance(spec.get("ports"), list) else []
        ranges = spec.get("loadBalancerSourceRanges")
        external_ips = [str(ip) for ip in spec.get("externalIPs", []) or []]
        for index, entry in enumerate(ports):
            if not isinstance(entry, dict):
                continue
            span = ports.spans[index]
            protocol = normalize_protocol(entry.get("protocol", "TCP")) or "tcp"
            port = _port_number(entry.get("port"))
            if port is None or port == -1:
                raise _Invalid(span, f"{self.resource}: port {entry.get('port')!r} is not a port number (1-65535)")
            target = _port_number(entry.get("targetPort", port))
            target_range = PortRange.single(target) if target and target > 0 else None
            traits = frozenset({"k8s-service"})
            if kind == "LoadBalancer":
                if ranges:
                    sources = tuple(str(r) for r in ranges)
                    scope = classify_sources(sources)
                elif is_internal_lb(self.annotations):
                    sources, scope = ("internal-load-balancer",), "private"
                else:
                    sources, scope = ("0.0.0.0/0", "::/0"), "internet"
                yield self._exposure(span, protocol, PortRange.single(port), target_range, sources, scope,
                                     traits | {"load-balancer"})
            if kind in ("LoadBalancer", "NodePort"):
                node_port = _port_number(entry.get("nodePort"))
                node_range = PortRange.single(node_port) if node_port and node_port > 0 else NODE_PORTS
                # Who reaches the nodes is not in the manifest. For a NodePort Service that is the whole
                # question, so it is kept as unresolved (PL501); a LoadBalancer's own node ports are not.
                unknown = ("node addresses (NodePort)",) if kind == "NodePort" else ()
                yield self._exposure(span, protocol, node_range, target_range or PortRange.single(port),
                                     ("node-addresses",), "unknown", traits | {"node-port"}, unresolved=unknown)
            if kind == "ClusterIP" or kind not in ("LoadBalancer", "NodePort", "ExternalName"):
                yield self._exposure(span, protocol, PortRange.single(port), target_range, ("cluster-network",),
                                     "private", traits | {"cluster-ip"})
            for ip in external_ips:
                yield self._exposure(span, protocol, PortRange.single(port), target_range, (ip,), classify_bind(ip),
                                     traits | {"external-ip"})

    def _exposure(self, span: Span, protocol: str, ports: PortRange, target: PortRange | None,
                  sources: tuple[str, ...], scope: str, traits: frozenset[str], image: str = "",
                  unresolved: tuple[str, ...] = ()) -> Exposure:
        return Exposure(kind="kubernetes", location=self.location(span), resource=self.resource, protocol=protocol,
                        port_range=ports, target_port_range=target, sources=sources, scope=scope,
                        traits=traits, image=image, context=self.location(self.obj.span), unresolved=unresolved)

    def _pod(self, spec: LocatedDict) -> Iterator[Exposure]:
        host_network = spec.get("hostNetwork") is True
        if host_network:
            span = spec.spans["hostNetwork"]
            yield self._exposure(span, "all", PortRange(0, 65535), None, ALL_INTERFACES, "internet",
                                 frozenset({"host-network"}))
        for key in ("initContainers", "containers"):
            containers = spec.get(key)
            if not isinstance(containers, list):
                continue
            for container in containers:
                if not isinstance(container, dict) or not isinstance(container.get("ports"), list):
                    continue
                image = str(container.get("image", ""))
                ports = container["ports"]
                for index, entry in enumerate(ports):
                    if not isinstance(entry, dict):
                        continue
                    span = ports.spans[index]
                    protocol = normalize_protocol(entry.get("protocol", "TCP")) or "tcp"
                    container_port = _port_number(entry.get("containerPort"))
                    host_port = _port_number(entry.get("hostPort"))
                    if container_port == -1 or host_port == -1:
                        raise _Invalid(span, f"{self.resource}: containerPort/hostPort must be 1-65535")
                    if host_network and container_port:
                        yield self._exposure(span, protocol, PortRange.single(container_port), None, ALL_INTERFACES,
                                             "internet", frozenset({"host-network"}), image)
                    elif host_port:
                        host_ip = entry.get("hostIP")
                        sources = (str(host_ip),) if host_ip else ALL_INTERFACES
                        scope = classify_bind(str(host_ip)) if host_ip else "internet"
                        target = PortRange.single(container_port) if container_port else None
                        yield self._exposure(span, protocol, PortRange.single(host_port), target, sources, scope,
                                             frozenset({"host-port", "published"}), image)
