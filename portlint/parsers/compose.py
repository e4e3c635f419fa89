"""docker-compose files: ``ports``, ``expose`` and ``network_mode`` as exposures.

Compose semantics that matter for exposure:

* a ``ports`` entry without a host IP binds every interface (``0.0.0.0`` and
  ``::``), and Docker's NAT rules bypass host firewalls such as ufw;
* a container-only entry (``"2375"``) is published on an ephemeral host port,
  still on every interface;
* ``expose`` only opens ports to containers on the same networks;
* ``network_mode: host`` puts every listening port straight on the host.

Values are interpolated from the process environment, then ``--env-file``
files (or the ``.env`` beside the compose file), the precedence Compose uses.
"""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from portlint.model import EPHEMERAL_PORTS, Exposure, InputError, Location, ParseOutcome, PortRange
from portlint.netscope import classify_bind
from portlint.parsers import ParseContext, SourceFile
from portlint.parsers.compose_ports import (
    PortSpec, PortSpecError, parse_expose, parse_long, parse_short,
)
from portlint.parsers.interpolation import (
    UNRESOLVED_MARK, InterpolationError, interpolate, parse_env_file,
)
from portlint.yamlpos import LocatedDict, LocatedList, Span, YAMLLoadError, load_one

NAME_PATTERNS = (
    "compose.yaml", "compose.yml", "compose.*.yaml", "compose.*.yml",
    "docker-compose*.yaml", "docker-compose*.yml",
)
ALL_INTERFACES = ("0.0.0.0", "::")
INTERNAL_SOURCES = ("container-network",)
_SERVICES_KEY = re.compile(r"^services\s*:", re.MULTILINE)


def is_compose_name(name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in NAME_PATTERNS)


class ComposeParser:
    name = "compose"

    def __init__(self) -> None:
        self._env_cache: dict[Path, dict[str, str]] = {}

    def claims(self, path: Path, text: str | None) -> bool:
        if is_compose_name(path.name):
            return True
        if path.suffix not in (".yml", ".yaml") or text is None:
            return False
        return _SERVICES_KEY.search(text) is not None

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source in files:
            yield self.parse_file(source, ctx)

    def parse_file(self, source: SourceFile, ctx: ParseContext) -> ParseOutcome:
        file = source.display
        try:
            doc = load_one(source.text)
        except YAMLLoadError as exc:
            return ParseOutcome(file, errors=(InputError(file, exc.line, exc.message, exc.column),))
        if doc is None:
            return ParseOutcome(file)
        if not isinstance(doc, dict):
            return ParseOutcome(file, errors=(InputError(
                file, 1, f"a Compose file must be a mapping, found {_type_name(doc)}"),))
        services = doc.get("services")
        if services is None:
            return ParseOutcome(file)
        if not isinstance(services, dict):
            span = doc.spans["services"]
            return ParseOutcome(file, errors=(InputError(
                file, span.line, f"'services' must be a mapping, found {_type_name(services)}",
                span.column),))
        builder = _FileReader(file, self._environment(source.path, ctx))
        for name, service in services.items():
            builder.read_service(str(name), service, services.spans[name])
        return ParseOutcome(file, tuple(builder.exposures), tuple(builder.errors))

    def _environment(self, path: Path, ctx: ParseContext) -> dict[str, str]:
        """Process environment over ``--env-file`` files, or over the ``.env`` beside the file."""
        env_paths = ctx.env_files or (path.parent / ".env",)
        key = env_paths[0] if not ctx.env_files else Path("\x00cli")
        if key not in self._env_cache:
            values: dict[str, str] = {}
            for env_path in env_paths:
                text = ctx.read_text(env_path)
                if text is not None:
                    values.update(parse_env_file(text, {**ctx.environ, **values}))
            self._env_cache[key] = values
        return {**self._env_cache[key], **ctx.environ}


def _type_name(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


class _FileReader:
    """Collects the exposures and errors of one Compose file."""

    def __init__(self, file: str, env: Mapping[str, str]):
        self.file = file
        self.env = env
        self.image = ""
        self.service_span: Span | None = None
        self.exposures: list[Exposure] = []
        self.errors: list[InputError] = []

    def error(self, span: Span, message: str) -> None:
        self.errors.append(InputError(self.file, span.line, message, span.column))

    def location(self, span: Span) -> Location:
        return Location(self.file, span.line, span.end_line, span.column)

    def expand(self, value: object, unresolved: list[str]) -> str:
        text = str(value)
        if "$" not in text:
            return text
        result = interpolate(text, self.env)
        unresolved.extend(name for name in result.unresolved if name not in unresolved)
        return result.value

    def read_service(self, name: str, service: object, span: Span) -> None:
        if service is None:
            return
        resource = f"services.{name}"
        if not isinstance(service, dict):
            self.error(span, f"{resource} must be a mapping, found {_type_name(service)}")
            return
        self.service_span = span
        image = service.get("image")
        self.image = self.expand(image, []) if isinstance(image, str) else ""
        host_network = self._host_network(service, resource)
        for key, reader in (("ports", self._port_entry), ("expose", self._expose_entry)):
            entries = service.get(key)
            if entries is None:
                continue
            if not isinstance(entries, list):
                self.error(service.spans[key], f"{resource}.{key} must be a list, found {_type_name(entries)}")
                continue
            spans = entries.spans if isinstance(entries, LocatedList) else [service.spans[key]] * len(entries)
            for entry, entry_span in zip(entries, spans):
                try:
                    reader(resource, entry, entry_span, host_network)
                except (PortSpecError, InterpolationError) as exc:
                    self.error(entry_span, f"{resource}.{key}: {exc}")

    def _host_network(self, service: LocatedDict, resource: str) -> bool:
        if "network_mode" not in service:
            return False
        unresolved: list[str] = []
        mode = self.expand(service["network_mode"], unresolved).strip()
        if mode != "host":
            return False
        self.exposures.append(Exposure(
            kind="compose", location=self.location(service.spans["network_mode"]),
            resource=resource, protocol="all", port_range=PortRange(0, 65535),
            sources=ALL_INTERFACES, scope="internet", unresolved=tuple(unresolved),
            traits=frozenset({"host-network"}), raw=f"network_mode: {mode}", image=self.image,
            context=self.location(self.service_span) if self.service_span else None,
        ))
        return True

    def _port_entry(self, resource: str, entry: object, span: Span, host_network: bool) -> None:
        unresolved: list[str] = []
        if isinstance(entry, dict):
            fields = {key: None if entry.get(key) is None else self.expand(entry[key], unresolved)
                      for key in ("target", "published", "host_ip", "protocol")}
            spec = parse_long(fields["target"], fields["published"], fields["host_ip"], fields["protocol"])
            raw = ", ".join(f"{k}: {v}" for k, v in entry.items())
        elif isinstance(entry, (str, int)) and not isinstance(entry, bool):
            raw = str(entry)
            spec = parse_short(self.expand(entry, unresolved))
        else:
            raise PortSpecError(f"entry {entry!r} is not a port (expected a string, number or mapping)")
        self._emit(resource, spec, span, raw, unresolved, host_network, published=True)

    def _expose_entry(self, resource: str, entry: object, span: Span, host_network: bool) -> None:
        if not isinstance(entry, (str, int)) or isinstance(entry, bool):
            raise PortSpecError(f"entry {entry!r} is not a port")
        unresolved: list[str] = []
        spec = parse_expose(self.expand(entry, unresolved))
        self._emit(resource, spec, span, str(entry), unresolved, host_network, published=False)

    def _emit(self, resource: str, spec: PortSpec, span: Span, raw: str,
              unresolved: list[str], host_network: bool, published: bool) -> None:
        traits: set[str] = set()
        target = spec.container_ports
        if target is None:
            traits.add("unresolved-port")
            target = PortRange(1, 65535)
        if host_network:
            # The container's own ports sit on the host's interfaces; mappings are ignored.
            traits.add("host-network")
            port_range, sources, scope = target, ALL_INTERFACES, "internet"
        elif not published:
            traits.add("expose-only")
            port_range, sources, scope = target, INTERNAL_SOURCES, "private"
        else:
            traits.add("published")
            port_range = spec.host_ports
            if spec.host_ports_unresolved:
                traits.add("unresolved-host-port")
                port_range = target
            elif port_range is None:
                traits.add("ephemeral-host-port")
                port_range = PortRange(*EPHEMERAL_PORTS)
            if spec.host_ip_unresolved:
                sources = tuple(f"${{{name}}}" for name in unresolved) or ("unresolved",)
                scope = "unknown"
            elif spec.host_ip is None:
                sources, scope = ALL_INTERFACES, "internet"
            else:
                sources, scope = (spec.host_ip,), classify_bind(spec.host_ip)
        self.exposures.append(Exposure(
            kind="compose", location=self.location(span), resource=resource,
            protocol=spec.protocol, port_range=port_range,
            target_port_range=target if published and not host_network else None,
            sources=sources, scope=scope, unresolved=tuple(unresolved),
            traits=frozenset(traits), raw=raw.replace(UNRESOLVED_MARK, ""), image=self.image,
            context=self.location(self.service_span) if self.service_span else None,
        ))
