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

from portlint.model import EPHEMERAL_PORTS, Exposure, InputError, Location, ParseOutcome, PortRange, Step
from portlint.netscope import classify_bind
from portlint.parsers import ParseContext, SourceFile
from portlint.parsers.compose_project import Layer, group_projects, last_value, merged_entries
from portlint.parsers.compose_ports import (
    PortSpec, PortSpecError, parse_expose, parse_long, parse_short,
)
from portlint.parsers.interpolation import (
    UNRESOLVED_MARK, InterpolationError, interpolate, parse_env_file,
)
from portlint import limits
from portlint.inputs import ReadRefused
from portlint.limits import LimitExceeded
from portlint.yamlpos import LocatedDict, LocatedList, Span, load_single

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
        self._env_cache: dict[Path, tuple[dict[str, str], tuple[str, ...]]] = {}

    def claims(self, path: Path, text: str | None) -> bool:
        if is_compose_name(path.name):
            return True
        if path.suffix not in (".yml", ".yaml") or text is None:
            return False
        return _SERVICES_KEY.search(text) is not None

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        for source, overrides in group_projects(list(files)):
            if not overrides:
                yield self.parse_file(source, ctx)
                continue
            override_docs = []
            for override in overrides:
                doc, problems = load_single(override.text)
                errors = [InputError(override.display, e.line, e.message, e.column) for e in problems]
                services = doc.get("services") if isinstance(doc, dict) else None
                if doc is not None and not isinstance(doc, dict):
                    errors.append(InputError(override.display, 1, "a Compose file must be a mapping, "
                                                                  f"found {_type_name(doc)}"))
                elif services is not None and not isinstance(services, dict):
                    span = doc.spans["services"]
                    errors.append(InputError(override.display, span.line, "'services' must be a mapping, "
                                                                          f"found {_type_name(services)}", span.column))
                    services = None
                override_docs.append((override, services or {}))
                yield ParseOutcome(override.display, errors=tuple(errors))
            yield self.parse_file(source, ctx, tuple(override_docs))

    def parse_file(self, source: SourceFile, ctx: ParseContext,
                   overrides: tuple[tuple[SourceFile, Mapping], ...] = ()) -> ParseOutcome:
        """One Compose file, with the override files merged over it (already loaded, in order)."""
        file = source.display
        doc, problems = load_single(source.text)
        errors = [InputError(file, e.line, e.message, e.column) for e in problems]
        if doc is None:
            return ParseOutcome(file, errors=tuple(errors))
        if not isinstance(doc, dict):
            errors.append(InputError(file, 1, f"a Compose file must be a mapping, found {_type_name(doc)}"))
            return ParseOutcome(file, errors=tuple(errors))
        services = doc.get("services")
        if services is None:
            return ParseOutcome(file, errors=tuple(errors))
        if not isinstance(services, dict):
            span = doc.spans["services"]
            errors.append(InputError(
                file, span.line, f"'services' must be a mapping, found {_type_name(services)}", span.column))
            return ParseOutcome(file, errors=tuple(errors))
        env, env_problems = self._environment(source.path, ctx)
        errors.extend(InputError(file, 1, message) for message in env_problems)
        builder = _FileReader(file, env, source.path, ctx, services)
        names = list(services)
        for _override, more in overrides:
            names.extend(name for name in more if name not in names)
        for name in names:
            service = services.get(name)
            span = services.spans.get(name, services.span) if name in services else Span(1, 1, 1)
            layers = [(file, source.path, service, services, span)] if name in services else []
            for override, more in overrides:
                if name in more:
                    layers.append((override.display, override.path, more[name], more,
                                   getattr(more, "spans", {}).get(name, Span(1, 1, 1))))
            try:
                builder.read_project_service(str(name), layers)
            except _FileFull as full:
                builder.error(full.span, full.message)
                break
            except Exception as exc:  # noqa: BLE001 - one bad service must not cost the others
                builder.error(span, f"services.{name}: could not be read ({type(exc).__name__}: {exc})")
        errors.extend(builder.errors)
        return ParseOutcome(file, tuple(builder.exposures), tuple(sorted(errors, key=_error_order)))

    def _environment(self, path: Path, ctx: ParseContext) -> tuple[dict[str, str], tuple[str, ...]]:
        """Process environment over ``--env-file`` files, or over the ``.env`` beside the file.

        Returns the variables and the problems met reading the env files (a FIFO,
        a link out of the project, too many lines): those are reported on the
        Compose file, and the env file's variables are then left unset.
        """
        env_paths = ctx.env_files or (path.parent / ".env",)
        key = env_paths[0] if not ctx.env_files else Path("\x00cli")
        if key not in self._env_cache:
            values: dict[str, str] = {}
            problems: list[str] = []
            for env_path in env_paths:
                shown = ctx.display_path(env_path)
                if not ctx.inside_project(env_path):
                    problems.append(f"env file {shown} is outside the project root "
                                    f"{ctx.project_root}; not read")
                    continue
                try:
                    text = ctx.read_text(env_path)
                    if text is not None:
                        values.update(parse_env_file(text, {**ctx.environ, **values}))
                except ReadRefused as exc:
                    problems.append(f"env file {shown}: {exc.reason}; its variables are not used")
                except LimitExceeded as exc:
                    problems.append(f"env file {shown}: {exc.message}; its variables are not used")
            self._env_cache[key] = (values, tuple(problems))
        values, problems = self._env_cache[key]
        return {**values, **ctx.environ}, problems


def _error_order(error: InputError) -> tuple[int, int]:
    return error.line, error.column


class _FileFull(Exception):
    """The file reached ``limits.EXPOSURES_PER_FILE``; nothing more is read from it."""

    def __init__(self, span: Span, message: str):
        super().__init__(message)
        self.span, self.message = span, message


def _type_name(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


class _FileReader:
    """Collects the exposures and errors of one Compose file."""

    def __init__(self, file: str, env: Mapping[str, str], path: Path | None = None,
                 ctx: ParseContext | None = None, services: Mapping | None = None):
        self.file = file
        self.env = env
        self.path = path
        self.ctx = ctx
        self.services = services or {}
        self.image = ""
        #: where the image of the service being read is set, when merging files
        self.image_origin: Step | None = None
        #: other Compose files read for ``extends`` (by path): shown name, path, services
        self.loaded: dict[str, tuple[str, Path, Mapping] | None] = {}
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

    def _use(self, layer: tuple) -> None:
        """Read the next values as written in ``layer``'s file (errors and lines go there)."""
        self.file, self.path, _service, self.services, self.service_span = layer

    def read_project_service(self, name: str, layers: list[tuple]) -> None:
        """A service as Compose builds it: inherited (``extends``) layers, then this file's,
        then the override files'; each port entry keeps its own file and line."""
        resource = f"services.{name}"
        home = (self.file, self.path, self.services, self.service_span)
        try:
            own = []
            for layer in layers:
                self._use(layer)
                service = layer[2]
                if service is None:
                    continue
                if not isinstance(service, dict):
                    self.error(layer[4], f"{resource} must be a mapping, found {_type_name(service)}")
                    continue
                spans = getattr(service, "spans", {})
                self._extends(name, service, resource, spans.get("extends", layer[4]))
                self._env_file(service, resource, spans.get("env_file", layer[4]))
                own.append(layer)
            if not own:
                return
            declaring = [layer for layer in own if "extends" in layer[2]]
            inherited = self._inherited(declaring[-1], resource, 0, frozenset()) if declaring else []
            self._read_layers(resource, inherited + own)
        finally:
            self.file, self.path, self.services, self.service_span = home

    def _inherited(self, layer: tuple, resource: str, depth: int, seen: frozenset) -> list[tuple]:
        """The layers ``extends`` puts under ``layer``, base first (problems were reported by
        ``_extends`` for the file itself; the ones only following reveals are reported here)."""
        file, path, service, services, span = layer
        extends = service.get("extends")
        ext_span = getattr(service, "spans", {}).get("extends", span)
        if isinstance(extends, str):
            extends = {"service": extends}
        if not isinstance(extends, dict) or not isinstance(extends.get("service"), str):
            return []
        base_name = extends["service"]
        other_file, other_path, other_services = file, path, services
        if extends.get("file") is not None:
            loaded = self._load_other(extends["file"], path, resource, ext_span, file)
            if loaded is None:
                return []
            other_file, other_path, other_services = loaded
            if base_name not in other_services:
                self.errors.append(InputError(file, ext_span.line, f"{resource}.extends names service "
                                              f"{base_name!r:.80}, which {other_file} does not define",
                                              ext_span.column))
                return []
        key = (str(other_path), base_name)
        if key in seen:
            if any(k[0] != str(other_path) for k in seen):  # same-file cycles are reported by _extends
                self.errors.append(InputError(file, ext_span.line, f"{resource}.extends forms a cycle "
                                              f"through {other_file}", ext_span.column))
            return []
        if depth >= limits.COMPOSE_FILES:
            exc = LimitExceeded("the depth of extends", limits.COMPOSE_FILES, "COMPOSE_FILES", ext_span.line)
            self.errors.append(InputError(file, ext_span.line, f"{resource}: {exc.message}", ext_span.column))
            return []
        base = other_services.get(base_name)
        if not isinstance(base, dict):
            return []
        base_layer = (other_file, other_path, base, other_services,
                      getattr(other_services, "spans", {}).get(base_name, span))
        return self._inherited(base_layer, resource, depth + 1, seen | {key}) + [base_layer]

    def _load_other(self, name: object, path: Path | None, resource: str, span: Span,
                    file: str) -> tuple[str, Path, Mapping] | None:
        """The services of another Compose file named by ``extends.file`` (read once per run)."""
        if path is None or self.ctx is None or not isinstance(name, str):
            return None
        try:
            target = path.parent / self.expand(name, []).replace(UNRESOLVED_MARK, "")
        except InterpolationError:
            return None
        if not self.ctx.inside_project(target):
            return None  # reported by _extends
        key = str(target)
        if key not in self.loaded:
            if len(self.loaded) >= limits.COMPOSE_FILES:
                exc = LimitExceeded("the number of files merged into this Compose project",
                                    limits.COMPOSE_FILES, "COMPOSE_FILES", span.line)
                self.errors.append(InputError(file, span.line, f"{resource}: {exc.message}", span.column))
                return None
            shown = self.ctx.display_path(target)
            try:
                text = self.ctx.read_text(target)
            except (ReadRefused, LimitExceeded):
                text = None  # reported by _extends
            services: Mapping = {}
            if text is not None:
                doc, problems = load_single(text)
                for problem in problems:
                    self.errors.append(InputError(shown, problem.line, problem.message, problem.column))
                found = doc.get("services") if isinstance(doc, dict) else None
                services = found if isinstance(found, dict) else {}
            self.loaded[key] = (shown, target, services) if text is not None else None
        return self.loaded[key]

    def _read_layers(self, resource: str, layers: list[tuple]) -> None:
        image_layer, image = last_value([Layer(l[0], l[1], l[2], l[4]) for l in layers], "image")
        self.image, image_origin = "", None
        if image_layer is not None:
            self._use(next(l for l in layers if l[2] is image_layer.service))
            self.image = self._image(image_layer.service, resource, image_layer.service.spans.get("image",
                                                                                                  image_layer.span))
            span = image_layer.service.spans.get("image", image_layer.span)
            image_origin = Step(f"image {self.image}", image_layer.file, span.line, span.column)
        self.image_origin = image_origin
        mode_layer, _mode = last_value([Layer(l[0], l[1], l[2], l[4]) for l in layers], "network_mode")
        host_network = False
        if mode_layer is not None:
            self._use(next(l for l in layers if l[2] is mode_layer.service))
            try:
                host_network = self._host_network(mode_layer.service, resource)
            except (InterpolationError, PortSpecError) as exc:
                self.error(mode_layer.service.spans.get("network_mode", mode_layer.span),
                           f"{resource}.network_mode: {exc}")
        as_layers = [Layer(l[0], l[1], l[2], l[4]) for l in layers]
        for key, reader in (("ports", self._port_entry), ("expose", self._expose_entry)):
            for layer, value in merged_entries(as_layers, key):
                self._use(next(l for l in layers if l[2] is layer.service))
                key_span = layer.service.spans.get(key, layer.span)
                if not isinstance(value, tuple):
                    self.error(key_span, f"{resource}.{key} must be a list, found {_type_name(value)}")
                    continue
                entries, kept = value
                entry_spans = entries.spans if isinstance(entries, LocatedList) else [key_span] * len(entries)
                for index in kept:
                    try:
                        reader(resource, entries[index], entry_spans[index], host_network)
                    except (PortSpecError, InterpolationError) as exc:
                        self.error(entry_spans[index], f"{resource}.{key}: {exc}")

    def _image(self, service: LocatedDict, resource: str, span: Span) -> str:
        image = service.get("image")
        if image is None:
            return ""
        if not isinstance(image, str):
            self.error(span, f"{resource}.image must be a string, got {_type_name(image)}")
            return ""
        try:
            return self.expand(image, []).replace(UNRESOLVED_MARK, "")
        except InterpolationError as exc:
            self.error(span, f"{resource}.image: {exc}")
            return ""

    def _extends(self, name: str, service: LocatedDict, resource: str, span: Span) -> None:
        """``extends`` is checked, not followed: a file outside the project, or unreadable, is an error."""
        extends = service.get("extends")
        if extends is None:
            return
        if isinstance(extends, str):
            extends = {"service": extends}
        if not isinstance(extends, dict):
            self.error(span, f"{resource}.extends must be a mapping or a service name, got {_type_name(extends)}")
            return
        spans = getattr(extends, "spans", {})
        file = extends.get("file")
        if file is not None:
            file_span = spans.get("file", span)
            if not isinstance(file, str) or not file.strip():
                self.error(file_span, f"{resource}.extends.file must be a path, got {_type_name(file)}")
                return
            if self.path is None or self.ctx is None:
                return
            try:
                target = self.path.parent / self.expand(file, []).replace(UNRESOLVED_MARK, "")
            except InterpolationError as exc:
                self.error(file_span, f"{resource}.extends.file: {exc}")
                return
            if not self.ctx.inside_project(target):
                self.error(file_span, f"{resource}.extends.file {file!r:.80} is outside the project root "
                                      f"{self.ctx.project_root}; not read")
                return
            try:
                if self.ctx.read_text(target) is None:
                    self.error(file_span, f"{resource}.extends.file {file!r:.80} does not exist")
            except ReadRefused as exc:
                self.error(file_span, f"{resource}.extends.file {file!r:.80}: {exc.reason}; not read")
            return
        # same-file extends: the chain must end at a real service, without a cycle
        seen = [name]
        current = extends
        while True:
            base = current.get("service") if isinstance(current, dict) else current
            if not isinstance(base, str) or base not in self.services:
                self.error(span, f"{resource}.extends names service {base!r:.80}, which this file "
                                 "does not define")
                return
            if base in seen:
                chain = " -> ".join([*seen, base])
                self.error(span, f"{resource}.extends forms a cycle ({chain:.200})")
                return
            seen.append(base)
            parent = self.services.get(base)
            current = parent.get("extends") if isinstance(parent, dict) else None
            if current is None or (isinstance(current, dict) and "file" in current):
                return

    def _env_file(self, service: LocatedDict, resource: str, span: Span) -> None:
        """A service's ``env_file`` is never read; one outside the project is an error."""
        entries = service.get("env_file")
        if entries is None or self.path is None or self.ctx is None:
            return
        items = entries if isinstance(entries, list) else [entries]
        item_spans = getattr(entries, "spans", None) or [span] * len(items)
        for item, item_span in zip(items, item_spans):
            path = item.get("path") if isinstance(item, dict) else item
            if not isinstance(path, str):
                continue
            if not self.ctx.inside_project(self.path.parent / path):
                self.error(item_span, f"{resource}.env_file {path!r:.80} is outside the project root "
                                      f"{self.ctx.project_root}")

    def _host_network(self, service: LocatedDict, resource: str) -> bool:
        if "network_mode" not in service:
            return False
        if not isinstance(service["network_mode"], str):
            raise PortSpecError(f"must be a string, got {_type_name(service['network_mode'])}")
        unresolved: list[str] = []
        mode = self.expand(service["network_mode"], unresolved).strip()
        if mode != "host":
            return False
        if len(self.exposures) >= limits.EXPOSURES_PER_FILE:
            span = service.spans["network_mode"]
            exc = LimitExceeded("the number of port entries in this Compose file",
                                limits.EXPOSURES_PER_FILE, "EXPOSURES_PER_FILE", span.line)
            raise _FileFull(span, f"{resource}: {exc.message}; the entries after this one are not checked")
        self.exposures.append(Exposure(
            kind="compose", location=self.location(service.spans["network_mode"]),
            resource=resource, protocol="all", port_range=PortRange(0, 65535),
            sources=ALL_INTERFACES, scope="internet", unresolved=tuple(unresolved),
            traits=frozenset({"host-network"}), raw=f"network_mode: {mode}", image=self.image,
            context=self.location(self.service_span) if self.service_span else None,
            origins=self._image_origins(),
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
        if len(self.exposures) >= limits.EXPOSURES_PER_FILE:
            exc = LimitExceeded("the number of port entries in this Compose file",
                                limits.EXPOSURES_PER_FILE, "EXPOSURES_PER_FILE", span.line)
            raise _FileFull(span, f"{resource}: {exc.message}; the entries after this one are not checked")
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
            origins=self._image_origins(),
        ))

    def _image_origins(self) -> tuple[Step, ...]:
        """The image's line when another file sets it (an override, an extended service)."""
        origin = self.image_origin
        return (origin,) if origin is not None and origin.file != self.file else ()
