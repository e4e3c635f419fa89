"""Kubernetes manifests (multi-document YAML): Services, and host ports and host networking
in pod templates.

* ``LoadBalancer`` Services face the internet, unless ``loadBalancerSourceRanges``
  narrows the sources or the cloud is asked for an internal load balancer (an
  annotation, or the AWS Load Balancer Controller, whose NLBs are internal unless
  ``aws-load-balancer-scheme: internet-facing`` says otherwise);
* ``NodePort`` Services open the node port on every node (who reaches the nodes
  is not in the manifest: scope ``unknown`` without a finding of its own);
* ``ClusterIP`` Services are internal; ``externalIPs`` are reachable at those addresses;
* ``hostPort`` binds the port on the node's interfaces, ``hostNetwork`` puts every
  container port there.

A Service is judged like a remapped Compose port: reachability is the Service's
port, the service at risk is what runs behind ``targetPort``. The Service's
``selector`` picks the pod templates of the same namespace among the files checked
together; a named ``targetPort`` resolves through their container ports, and the
container that declares the port (or the only container) gives the image. A web
port (80/443) in front of a generic HTTP application port (``rules/web-app-ports.yaml``)
is marked ``web-frontend``.

Helm charts: a file under a chart's ``templates/`` folder (``Chart.yaml`` beside it)
that still holds ``{{ }}`` is not a manifest yet; when it does not read as one it is
skipped, with one notice per chart (``ParseOutcome.notices``, attached to the chart's first
skipped file), and rendered output (``helm template``) is checked like any manifest.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from portlint.model import Exposure, InputError, Location, Notice, ParseOutcome, PortRange
from portlint.netscope import classify_bind, classify_sources
from portlint.parsers import ParseContext, SourceFile, kubernetes_stream as strongly_claimed
from portlint.parsers.units import Invalid, Units, checked_address, expect, short, type_name
from portlint.protocols import normalize_protocol
from portlint.yamlpos import LocatedDict, LocatedList, Span

#: the same words as keys anywhere: flow style ``{kind: Service}``, quoted ``"kind": Service``, JSON
_KIND_KEY = re.compile(r"kind(?<![\w.-]kind)[\"']?[ \t]*:")
_API_KEY = re.compile(r"apiVersion(?<![\w.-]apiVersion)[\"']?[ \t]*:")
NODE_PORTS = PortRange(30000, 32767)
ALL_INTERFACES = ("0.0.0.0", "::")

#: Annotations that make a LoadBalancer internal, with the values that mean "internal"
#: (None: any value but an explicit false).
INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": None,       # in-tree AWS provider
    "service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},  # AWS Load Balancer Controller
    "service.beta.kubernetes.io/azure-load-balancer-internal": None,
    "networking.gke.io/load-balancer-type": {"internal"},
    "cloud.google.com/load-balancer-type": {"internal"},                  # older GKE spelling
    "service.beta.kubernetes.io/oci-load-balancer-internal": None,
    "service.beta.kubernetes.io/openstack-internal-load-balancer": None,
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": {"private"},
    "service.beta.kubernetes.io/do-loadbalancer-network": {"internal"},   # DigitalOcean CCM 0.1.53+
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": {"intranet"},
    "load-balancer.hetzner.cloud/disable-public-network": None,
    "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid": None,  # Tencent Cloud: a subnet id
}
#: The AWS Load Balancer Controller takes Services with these load balancer types (and its
#: ``loadBalancerClass``); its ``aws-load-balancer-scheme`` defaults to ``internal``.
AWS_LBC_TYPES = frozenset({"external", "nlb-ip"})
AWS_LBC_CLASS = "service.k8s.aws/nlb"
_AWS_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type"
_AWS_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
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


def is_internal_lb(annotations: Any, load_balancer_class: Any = None) -> bool:
    """Does the cloud give this LoadBalancer Service an internal address only?"""
    if not isinstance(annotations, dict):
        annotations = {}
    scheme = str(annotations.get(_AWS_SCHEME, "")).strip().lower()
    if scheme == "internet-facing":
        return False
    aws_type = str(annotations.get(_AWS_TYPE, "")).strip().lower()
    if (aws_type in AWS_LBC_TYPES or load_balancer_class == AWS_LBC_CLASS) and _AWS_SCHEME not in annotations:
        return True  # the AWS Load Balancer Controller's default scheme is internal
    for key, values in INTERNAL_LB_ANNOTATIONS.items():
        if key in annotations:
            value = str(annotations[key]).strip().lower()
            if values is None:
                if value not in ("false", "0", "", "no"):
                    return True
            elif value in values:
                return True
    return False


def _load_web_ports() -> tuple[frozenset[int], frozenset[int]]:
    """``rules/web-app-ports.yaml``: the web ports, and the application ports behind them."""
    from portlint.reference import load_data_file

    data = load_data_file("web-app-ports.yaml")
    return frozenset(data["web_ports"]), frozenset(data["app_ports"])


_WEB_PORTS: tuple[frozenset[int], frozenset[int]] | None = None


def web_app_ports() -> tuple[frozenset[int], frozenset[int]]:
    global _WEB_PORTS
    if _WEB_PORTS is None:
        _WEB_PORTS = _load_web_ports()
    return _WEB_PORTS


class KubernetesParser:
    name = "kubernetes"

    def claims(self, path: Path, text: str | None) -> bool:
        """Line-start ``kind:`` and ``apiVersion:`` (block style) is a manifest; the words as keys
        anywhere (flow style, quoted keys, JSON) may be one, confirmed by structure once loaded."""
        if text is None or path.suffix.lower() not in (".yml", ".yaml", ".json"):
            return False
        if "apiVersion" not in text:
            return False
        if strongly_claimed(text):
            return True
        if _API_KEY.search(text) is None or _KIND_KEY.search(text) is None:
            return False
        from portlint.parsers.terraform_plan import TerraformPlanParser

        return not TerraformPlanParser().claims(path, text)  # its kubernetes_manifest values are the plan's

    @staticmethod
    def cache_groups(files: list[SourceFile]) -> list[list[SourceFile]]:
        """One group: a Service is matched to the pod templates of every file checked with it."""
        return [list(files)]

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        loaded = []
        pods = PodIndex()
        skipped: dict[Path, list[str]] = {}  # chart folder -> its unrendered templates, in file order
        for source in files:
            documents, errors = manifest_documents(source)
            chart = _chart_of(source.path, ctx) if "{{" in source.text else None
            if chart is not None and errors:
                # an unrendered Helm template: `helm template` output is what to check
                skipped.setdefault(chart, []).append(source.display)
                loaded.append((source, [], [], chart))
                continue
            loaded.append((source, documents, errors, chart))
            pods.add(documents)
        first = {names[0] for names in skipped.values()}
        for source, documents, errors, chart in loaded:
            outcome = parse_manifests(source, pods, documents, errors, templated=chart is not None)
            if chart is not None:  # values still in {{ }} are not errors of the chart: unknown until rendered
                notices = (_skipped_notice(ctx, chart, len(skipped[chart])),) if source.display in first else ()
                outcome = ParseOutcome(outcome.file, outcome.exposures, (), notices)
            yield outcome


def _skipped_notice(ctx: ParseContext, chart: Path, count: int) -> Notice:
    """One line per chart: how many of its templates were not read, and how to check them."""
    word = "template" if count == 1 else "templates"
    return Notice(ctx.display_path(chart), f"{count} Helm {word} skipped "
                                           "(render them with helm template and check the output)")


def _chart_of(path: Path, ctx: ParseContext) -> Path | None:
    """The Helm chart whose ``templates/`` folder holds ``path`` (``Chart.yaml`` beside that folder), or None."""
    from portlint.inputs import ReadRefused

    for depth, folder in enumerate(path.parents):
        if depth >= 8:  # charts keep templates a few folders deep at most
            return None
        if folder.name == "templates":
            try:
                return folder.parent if ctx.read_text(folder.parent / "Chart.yaml") is not None else None
            except (ReadRefused, OSError):
                return None
    return None


class PodIndex:
    """The pod templates of the files checked together: namespace, labels and containers."""

    def __init__(self) -> None:
        #: (namespace, labels, containers); a container is (image, [(name, number, protocol)])
        self.templates: list[tuple[str, dict[str, str], list[tuple[str, list[tuple[str, int, str]]]]]] = []

    def add(self, documents: list) -> None:
        for doc in documents:
            for obj in _plain_objects(doc):
                kind = obj.get("kind")
                if not isinstance(kind, str) or kind not in POD_SPEC_PATHS:
                    continue
                path = POD_SPEC_PATHS[kind]
                template: Any = obj
                for key in path[:-1]:
                    template = template.get(key) if isinstance(template, dict) else None
                spec = template.get(path[-1]) if isinstance(template, dict) else None
                if not isinstance(spec, dict):
                    continue
                meta = template.get("metadata") if isinstance(template.get("metadata"), dict) else {}
                labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
                top = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                namespace = _namespace(top)
                self.templates.append((namespace, {str(k): _str(v) for k, v in labels.items()}, _containers(spec)))

    def containers(self, namespace: str, selector: Any) -> list[tuple[str, list[tuple[str, int, str]]]]:
        """Containers of the pod templates a Service's selector picks (none without a selector)."""
        if not isinstance(selector, dict) or not selector:
            return []
        wanted = {str(k): _str(v) for k, v in selector.items()}
        found = []
        for space, labels, containers in self.templates:
            if space == namespace and all(labels.get(k) == v for k, v in wanted.items()):
                found.extend(containers)
        return found


def _namespace(meta: dict) -> str:
    namespace = meta.get("namespace")
    return _str(namespace) if namespace else "default"


def _containers(spec: dict) -> list[tuple[str, list[tuple[str, int, str]]]]:
    found = []
    for key in ("containers", "initContainers"):
        items = spec.get(key)
        if not isinstance(items, list):
            continue
        for container in items:
            if not isinstance(container, dict):
                continue
            image = container.get("image") if isinstance(container.get("image"), str) else ""
            ports = []
            for entry in container.get("ports") or []:
                if not isinstance(entry, dict):
                    continue
                number = entry.get("containerPort")
                if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= 65535:
                    continue
                protocol = normalize_protocol(entry.get("protocol", "TCP")) or "tcp"
                name = entry.get("name") if isinstance(entry.get("name"), str) else ""
                ports.append((name, number, protocol))
            found.append((image, ports))
    return found


def _plain_objects(doc: Any) -> Iterator[dict]:
    """The objects of a document, looking inside ``kind: List`` (no errors: the main pass reports them)."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        if item.get("kind") == "List" and isinstance(item.get("items"), list):
            stack.extend(reversed(item["items"]))
        elif "kind" in item:
            yield item


def resolve_target(containers: list, target: Any, protocol: str) -> tuple[int | None, str]:
    """The container port and image behind a Service port's ``targetPort`` (a number or a port name)."""
    named = isinstance(target, str)
    for image, ports in containers:
        for name, number, proto in ports:
            if proto == protocol and ((named and name == target) or (not named and number == target)):
                return number, image
    if not named and len(containers) == 1:
        return target, containers[0][0]  # the only container: a port need not be declared to be served
    return (None if named else target), ""


#: a line that ends one document of a stream and starts the next (what kubectl, Helm and kustomize split at)
_SEPARATOR = re.compile(r"^---(?=[ \t]|$)", re.MULTILINE)


def _is_object(doc: Any) -> bool:
    """The structure that confirms a loosely claimed file: a mapping with ``kind`` and ``apiVersion``."""
    return isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc


def _confirmed(source: SourceFile, documents: list, errors: list) -> tuple[list, list]:
    """A file claimed only by the loose test (flow style, quoted keys, JSON) is a manifest when a
    document loads as a Kubernetes object; otherwise (a data file that merely holds the words, even
    one that does not load) it is nothing: no documents, and no errors but a work limit hit (a
    flow-style Service too large to read is still named). Others keep what they had."""
    if strongly_claimed(source.text):
        return documents, errors
    kept = [doc if _is_object(doc) else None for doc in documents]
    if not any(doc is not None for doc in kept):
        return [], [e for e in errors if "PORTLINT_MAX_" in e.message]
    return kept, errors


def manifest_documents(source: SourceFile) -> tuple[list, list[InputError]]:
    """Every document of a manifest stream, each read on its own, and the errors met.

    A YAML syntax error ends the YAML stream for every loader, but Kubernetes tools
    (kubectl's and the API machinery's YAML reader, Helm, kustomize) split a stream
    at its ``---`` lines before parsing each piece, and YAML 1.2 ends a document at a
    line-start ``---`` whatever is open. So after a syntax error, reading resumes at
    the next ``---`` line, and only the broken document is lost. Work stays linear:
    each piece of text is parsed once, and the documents of the file stay within
    ``limits.YAML_DOCUMENTS``. A ``.json`` file is one JSON document. A loosely claimed file is
    kept only when it confirms (see ``_confirmed``).
    """
    documents, errors = _json_manifest(source) if source.path.suffix.lower() == ".json" else _yaml_manifests(source)
    return _confirmed(source, documents, errors)


def _json_manifest(source: SourceFile) -> tuple[list, list[InputError]]:
    from portlint import limits
    from portlint.jsonpos import JSONLoadError, loads_located

    try:
        return [loads_located(source.text)], []
    except JSONLoadError as exc:
        return [], [InputError(source.display, exc.line, f"invalid JSON: {exc.message}", exc.column)]
    except limits.LimitExceeded as exc:
        return [], [InputError(source.display, max(exc.line, 1), exc.message)]


def _yaml_manifests(source: SourceFile) -> tuple[list, list[InputError]]:
    from portlint import limits
    from portlint.yamlpos import load_documents

    text, offset = source.text, 0
    documents: list = []
    errors: list[InputError] = []
    while True:
        docs, problems = load_documents(text[offset:])
        base = source.text.count("\n", 0, offset)
        if base:
            _shift_lines(docs, base)
        documents.extend(docs)
        errors.extend(InputError(source.display, e.line + base, e.message, e.column) for e in problems)
        if not problems or len(documents) >= limits.YAML_DOCUMENTS:
            break
        # the stream stopped early when a separator lies beyond the last error: resume there
        last = max(e.line for e in problems)
        position = _line_start(text, offset, last)
        following = _SEPARATOR.search(text, max(position, offset + 1)) if position < len(text) else None
        if following is None or not _stopped(docs, text[offset:following.start()]):
            break
        offset = following.start()
    return documents, errors


def _line_start(text: str, offset: int, line: int) -> int:
    """Index in ``text`` of the start of ``line`` (1-based) of ``text[offset:]``."""
    position = offset
    for _ in range(line - 1):
        position = text.find("\n", position) + 1
        if position == 0:
            return len(text)
    return position


def _stopped(docs: list, head: str) -> bool:
    """Did the load end before the text up to the next separator was read (a file-ending error)?"""
    pieces = len(_SEPARATOR.findall(head)) + (0 if head.lstrip().startswith("---") else 1)
    return len(docs) < pieces


def _shift_lines(documents: list, base: int) -> None:
    """Add ``base`` to every line of the located documents (each shared node once)."""
    seen: set[int] = set()
    stack = [d for d in documents if isinstance(d, (LocatedDict, LocatedList))]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if hasattr(node, "span"):
            node.span = _moved(node.span, base)
        if isinstance(node, LocatedDict):
            node.spans = {key: _moved(span, base) for key, span in node.spans.items()}
            children = node.values()
        else:
            node.spans = [_moved(span, base) for span in node.spans]
            children = node
        stack.extend(c for c in children if isinstance(c, (LocatedDict, LocatedList)) and id(c) not in seen)


def _moved(span: Span, base: int) -> Span:
    return Span(span.line + base, span.column, span.end_line + base)


def parse_manifests(source: SourceFile, pods: PodIndex | None = None, documents: list | None = None,
                    errors: list[InputError] | None = None, templated: bool = False) -> ParseOutcome:
    """``templated``: a chart template that reads as YAML; a ``{{ }}`` value where a port or the
    Service type belongs is unresolved (PL501), the rest is checked for what it says."""
    file = source.display
    if documents is None:
        documents, errors = manifest_documents(source)
    if pods is None:
        pods = PodIndex()
        pods.add(documents)
    units = Units(file)
    units.errors.extend(errors or [])  # a bad document costs only itself: the others are read
    for doc in documents:
        for item, span in _objects(doc, units):
            obj = _Object(file, item, pods, templated)
            if not units.run(span.line, span.column, obj.resource, lambda: list(obj.exposures(units))):
                return units.outcome()
    return units.outcome()


def _objects(doc: Any, units: Units) -> Iterator[tuple[LocatedDict, Span]]:
    """The objects of a document, looking inside ``kind: List`` (iteratively: lists may nest deeply)."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        span = getattr(item, "span", Span(1, 1, 1))
        if item.get("kind") == "List":
            items = item.get("items")
            if not isinstance(items, list):
                units.error(span.line, f"List: items must be a list, got {type_name(items)}", span.column)
                continue
            stack.extend(reversed(items))
        elif "kind" in item:
            yield item, span


def _port_number(value: Any, what: str) -> int | None:
    """A numeric port, or None for a named port (``http``) or nothing; Invalid outside 1-65535."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        if value.isascii() and value.replace("-", "").isalnum() and not value.lstrip("-").isdigit():
            return None  # a named port (IANA_SVC_NAME), resolved by the cluster
        raise Invalid(f"{what} must be a port number (1-65535) or a port name, got {short(value)}")
    number = value if isinstance(value, int) else int(value) if isinstance(value, str) and len(value) <= 6 else -1
    if 0 < number <= 65535:
        return number
    raise Invalid(f"{what} must be a port number (1-65535), got {short(value)}")


def _helm(value: Any) -> bool:
    """A Helm expression (``{{ .Values.port }}``) standing where a value belongs."""
    return isinstance(value, str) and "{{" in value


def _str(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else "?"


class _Object:
    def __init__(self, file: str, obj: LocatedDict, pods: PodIndex | None = None, templated: bool = False):
        self.file, self.obj, self.templated = file, obj, templated
        self.pods = pods or PodIndex()
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        self.namespace = _namespace(meta)
        name = _str(meta.get("name", "?"))
        namespace = meta.get("namespace")
        self.kind = _str(obj.get("kind"))
        self.resource = f"{self.kind}/{_str(namespace) + '/' if namespace else ''}{name}"
        self.annotations = meta.get("annotations")

    def location(self, span: Span) -> Location:
        return Location(self.file, span.line, span.end_line, span.column)

    def exposures(self, units: Units) -> Iterator[Exposure]:
        if self.kind == "Service":
            yield from self._service(units)
        elif self.kind in POD_SPEC_PATHS:
            spec = self.obj
            path = POD_SPEC_PATHS[self.kind]
            for depth, key in enumerate(path):
                if not isinstance(spec, dict) or key not in spec:
                    return
                spec = expect(spec[key], dict, ".".join(path[:depth + 1]), spec.spans.get(key))
            yield from self._pod(spec, units)

    def _entries(self, units: Units, items: LocatedList, label: str, read) -> Iterator[Exposure]:
        """Each port entry is a unit of its own: a bad one is an error at its line, the others stay."""
        for index, entry in enumerate(items):
            span = items.spans[index]
            kept: list[Exposure] = []

            def body(entry=entry, span=span) -> list[Exposure]:
                if not isinstance(entry, dict):
                    raise Invalid(f"{label}[{index}] must be a mapping, got {type_name(entry)}")
                return list(read(entry, span))
            if units.run(span.line, span.column, self.resource, lambda: kept.extend(body())):
                yield from kept

    def _service(self, units: Units) -> Iterator[Exposure]:
        spec = self.obj.get("spec")
        if spec is None:
            return
        spec = expect(spec, dict, "spec", self.obj.spans.get("spec"))
        kind = _str(spec.get("type", "ClusterIP"))
        helm_type = kind if self.templated and _helm(kind) else ""  # LoadBalancer or ClusterIP: the values say
        ports = expect(spec.get("ports", []) or [], list, "spec.ports", spec.spans.get("ports"))
        ranges = spec.get("loadBalancerSourceRanges")
        if ranges is not None:
            at = spec.spans.get("loadBalancerSourceRanges")
            ranges = [checked_address(r, "spec.loadBalancerSourceRanges", at) for r in
                      expect(ranges, list, "spec.loadBalancerSourceRanges", at)]
        at = spec.spans.get("externalIPs")
        external_ips = [checked_address(ip, "spec.externalIPs", at)
                        for ip in expect(spec.get("externalIPs", []) or [], list, "spec.externalIPs", at)]

        containers = self.pods.containers(self.namespace, spec.get("selector"))
        internal = is_internal_lb(self.annotations, spec.get("loadBalancerClass"))
        web_ports, app_ports = web_app_ports()
        seen: dict[tuple[int, str], int] = {}

        def read(entry: dict, span: Span) -> Iterator[Exposure]:
            protocol = normalize_protocol(entry.get("protocol", "TCP")) or "tcp"
            helm = {key: entry.get(key) for key in ("port", "targetPort", "nodePort")
                    if self.templated and _helm(entry.get(key))}
            port = None if "port" in helm else _port_number(entry.get("port"), "port")
            if port is None and "port" not in helm:
                raise Invalid(f"port must be a port number (1-65535), got {short(entry.get('port'))}")
            if port is not None and (port, protocol) in seen:  # the API server refuses a Service that repeats a port
                raise Invalid(f"port {port}/{protocol} is already used by the entry at line {seen[port, protocol]}; "
                              "the API server rejects a Service that repeats a port and protocol")
            seen[port, protocol] = span.line
            written = entry.get("targetPort", port)
            target = None if "targetPort" in helm else _port_number(written, "targetPort")
            number, image = resolve_target(containers, target if target else written, protocol)
            target_range = PortRange.single(number) if number else None
            traits = frozenset({"k8s-service"}) | (frozenset({"helm-template"}) if self.templated else frozenset())
            if port is None:  # the chart's values decide the port: which one is exposed is not known here
                traits |= {"unresolved-port"}
            here = PortRange.single(port) if port else PortRange(1, 65535)
            unknown = tuple(f"{key} {value}" for key, value in helm.items() if key == "port")
            if helm_type:
                yield self._exposure(span, protocol, here, target_range, ("helm-values",), "unknown", traits,
                                     image, unresolved=(f"spec.type {helm_type}",) + unknown)
                return
            # a web port in front of a generic HTTP application port: an ordinary web deployment
            front = (frozenset({"web-frontend"}) if protocol == "tcp" and port in web_ports and number
                     and number != port and number in app_ports else frozenset())
            if kind == "LoadBalancer":
                if ranges:
                    sources = tuple(ranges)
                    scope = classify_sources(sources)
                elif internal:
                    sources, scope = ("internal-load-balancer",), "private"
                else:
                    sources, scope = ("0.0.0.0/0", "::/0"), "internet"
                yield self._exposure(span, protocol, here, target_range, sources, scope,
                                     traits | front | {"load-balancer"}, image, unresolved=unknown)
            if kind in ("LoadBalancer", "NodePort"):
                node_port = None if "nodePort" in helm else _port_number(entry.get("nodePort"), "nodePort")
                node_range = PortRange.single(node_port) if node_port else NODE_PORTS
                # Who reaches the nodes is not in the manifest. For a NodePort Service that is the whole
                # question, so it is kept as unresolved (PL501); a LoadBalancer's own node ports are not.
                nodes = ("node addresses (NodePort)",) if kind == "NodePort" else ()
                node_traits = traits - {"unresolved-port"} | {"node-port"} | (
                    frozenset() if node_port else {"node-port-range"})
                yield self._exposure(span, protocol, node_range, target_range or (here if port else None),
                                     ("node-addresses",), "unknown", node_traits, image, unresolved=nodes)
            if kind == "ClusterIP" or kind not in ("LoadBalancer", "NodePort", "ExternalName"):
                yield self._exposure(span, protocol, here, target_range, ("cluster-network",),
                                     "private", traits | {"cluster-ip"}, image, unresolved=unknown)
            for ip in external_ips:
                yield self._exposure(span, protocol, here, target_range, (ip,), classify_bind(ip),
                                     traits | front | {"external-ip"}, image, unresolved=unknown)
        yield from self._entries(units, ports, "spec.ports", read)

    def _exposure(self, span: Span, protocol: str, ports: PortRange, target: PortRange | None,
                  sources: tuple[str, ...], scope: str, traits: frozenset[str], image: str = "",
                  unresolved: tuple[str, ...] = ()) -> Exposure:
        return Exposure(kind="kubernetes", location=self.location(span), resource=self.resource, protocol=protocol,
                        port_range=ports, target_port_range=target, sources=sources, scope=scope,
                        traits=traits, image=image, context=self.location(self.obj.span), unresolved=unresolved)

    def _pod(self, spec: LocatedDict, units: Units) -> Iterator[Exposure]:
        host_network = spec.get("hostNetwork") is True
        if host_network:
            span = spec.spans["hostNetwork"]
            yield self._exposure(span, "all", PortRange(0, 65535), None, ALL_INTERFACES, "internet",
                                 frozenset({"host-network"}))
        for key in ("initContainers", "containers"):
            if spec.get(key) is None:
                continue
            containers = expect(spec[key], list, key, spec.spans.get(key))
            for position, container in enumerate(containers):
                if not isinstance(container, dict):
                    span = containers.spans[position]
                    units.error(span.line, f"{self.resource}: {key}[{position}] must be a mapping, "
                                f"got {type_name(container)}", span.column)
                    continue
                if container.get("ports") is None:
                    continue
                image = _str(container.get("image", ""))
                ports = container["ports"]
                if not isinstance(ports, list):
                    span = container.spans["ports"]
                    units.error(span.line, f"{self.resource}: ports must be a list, got {type_name(ports)}",
                                span.column)
                    continue

                def read(entry: dict, span: Span, image: str = image) -> Iterator[Exposure]:
                    protocol = normalize_protocol(entry.get("protocol", "TCP")) or "tcp"
                    helm = {key: entry.get(key) for key in ("containerPort", "hostPort")
                            if self.templated and _helm(entry.get(key))}
                    container_port = None if "containerPort" in helm else _port_number(
                        entry.get("containerPort"), "containerPort")
                    host_port = None if "hostPort" in helm else _port_number(entry.get("hostPort"), "hostPort")
                    if "hostPort" in helm:  # published on the node, on a port the chart's values decide
                        yield self._exposure(span, protocol, PortRange(1, 65535), None, ALL_INTERFACES, "internet",
                                             frozenset({"host-port", "published", "unresolved-port",
                                                        "helm-template"}), image,
                                             unresolved=(f"hostPort {helm['hostPort']}",))
                        return
                    if host_network and container_port:
                        yield self._exposure(span, protocol, PortRange.single(container_port), None, ALL_INTERFACES,
                                             "internet", frozenset({"host-network"}), image)
                    elif host_port:
                        host_ip = entry.get("hostIP")
                        if host_ip:
                            host_ip = checked_address(host_ip, "hostIP", entry.spans.get("hostIP"))
                        sources = (host_ip,) if host_ip else ALL_INTERFACES
                        scope = classify_bind(host_ip) if host_ip else "internet"
                        target = PortRange.single(container_port) if container_port else None
                        yield self._exposure(span, protocol, PortRange.single(host_port), target, sources, scope,
                                             frozenset({"host-port", "published"}), image)
                yield from self._entries(units, ports, "ports", read)
