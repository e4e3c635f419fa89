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

import os
import re
from collections import ChainMap
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from portlint.model import EPHEMERAL_PORTS, Exposure, InputError, Location, ParseOutcome, PortRange, Step
from portlint.netscope import classify_bind
from portlint.parsers import ParseContext, SourceFile, line_start_key
from portlint.parsers.compose_project import (
    DEFAULT_FILES, IncludeEntry, Layer, group_projects, include_entries, last_value, merged_entries,
    same_service,
)
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
_INCLUDE_KEY = re.compile(r"^include\s*:", re.MULTILINE)
_EXTENDS_KEY = re.compile(r"^\s*extends\s*:", re.MULTILINE)


def is_compose_name(name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in NAME_PATTERNS)


class ComposeParser:
    name = "compose"
    #: independent groups (``cache_groups``) may be parsed in worker processes (``--jobs``)
    parallel = True
    #: no result-cache entries: a Compose file parses faster than its entry is written or checked
    #: (the run cache still replays an unchanged run; see docs/performance.md)
    cache_results = False

    def __init__(self) -> None:
        #: env files read (by the folder of a .env, or a Path naming declared or --env-file files)
        #: (variables, problems, the process environment they were merged with, merged variables)
        self._env_cache: dict[Path | str, tuple[dict[str, str], tuple, Mapping[str, str], dict[str, str]]] = {}

    def claims(self, path: Path, text: str | None) -> bool:
        if is_compose_name(path.name):
            return True
        if path.suffix not in (".yml", ".yaml") or text is None:
            return False
        return line_start_key(text, "services")  # a line-start key, like ^services\s*:

    @staticmethod
    def cache_groups(files: list[SourceFile]) -> list[list[SourceFile]]:
        """The files of one folder (a default file and its override) are cached together; when a
        file has an ``include`` section or an ``extends``, every Compose file is one group, since an
        included or extended file anywhere is read as part of the project that reaches it and not on
        its own."""
        if any(_INCLUDE_KEY.search(source.text) or _EXTENDS_KEY.search(source.text) for source in files):
            return [list(files)]
        groups: dict[Path, list[SourceFile]] = {}
        for source in files:
            groups.setdefault(source.path.parent, []).append(source)
        return list(groups.values())

    def parse(self, files: Iterable[SourceFile], ctx: ParseContext) -> Iterator[ParseOutcome]:
        files = list(files)
        declared_projects = getattr(ctx, "compose_projects", ()) or ()
        #: each file's real path, resolved once, and only when needed: to match declared
        #: projects' files, or to find the projects whose includes reach another's file
        reals: dict[int, str] = {}

        def real_of(source: SourceFile) -> str:
            if id(source) not in reals:
                reals[id(source)] = _real(source.path)
            return reals[id(source)]

        #: project root (its file, real path once known) -> its outcome, and its override files
        results: list[tuple[SourceFile | str | None, ParseOutcome, tuple[SourceFile, ...]]] = []
        #: project root (real path) -> the files its includes (and extends) reached
        reached: dict[str, set[str]] = {}
        rest = files
        if declared_projects:
            claimed = {real_of(source): source for source in files}
            consumed: set[str] = set()
            for declared in declared_projects:
                for outcome in self._declared(declared, claimed, consumed, ctx, reached):
                    results.append((None, outcome, ()))
            rest = [source for source in files if real_of(source) not in consumed]
        reached_by: list[tuple[SourceFile, set[str]]] = []
        for source, overrides in group_projects(rest):
            override_docs = []
            for override in overrides:
                doc, problems = load_single(override.text)
                errors = [InputError(override.display, e.line, e.message, e.column) for e in problems]
                services = doc.get("services") if isinstance(doc, dict) else None
                if doc is not None and not isinstance(doc, dict):
                    errors.append(InputError(override.display, 1, "a Compose file must be a mapping, "
                                                                  f"found {_type_name(doc)}"))
                    doc = None
                elif services is not None and not isinstance(services, dict):
                    span = doc.spans["services"]
                    errors.append(InputError(override.display, span.line, "'services' must be a mapping, "
                                                                          f"found {_type_name(services)}", span.column))
                    services = None
                override_docs.append((override, services or {}, doc))
                results.append((None, ParseOutcome(override.display, errors=tuple(errors)), ()))
            state = {"files": 0, "reached": set()}
            outcome = self.parse_file(source, ctx, tuple(override_docs), state=state)
            reached_by.append((source, state["reached"]))
            results.append((source, outcome, overrides))
        if any(reached.values()) or any(found for _source, found in reached_by):
            for source, found in reached_by:
                reached[real_of(source)] = found
            results = [(real_of(root) if isinstance(root, SourceFile) else root, outcome, overrides)
                       for root, outcome, overrides in results]
        else:  # no file reached another: no project is part of another, and roots are not compared
            results = [(None, outcome, overrides) for _root, outcome, overrides in results]
        yield from _without_included(results, reached)

    def _declared(self, declared: tuple, claimed: Mapping[str, SourceFile], consumed: set[str],
                  ctx: ParseContext, reached: dict[str, set[str]]) -> Iterator[ParseOutcome]:
        """A project declared in the configuration (``compose-projects``): its files merged in
        order, as ``docker compose -f a -f b`` merges them, read where its first file is checked.

        ``declared`` is ``(files, env_files, configuration file as shown, line)``.
        """
        paths, env_files, where, line = declared
        paths = tuple(paths)[:limits.COMPOSE_FILES]
        mine = [path for path in paths if _real(path) in claimed]
        consumed.update(_real(path) for path in mine)
        if not paths or _real(paths[0]) not in claimed:
            return  # checked where its first file is checked
        sources: list[SourceFile] = []
        problems: list[InputError] = []
        for path in paths:
            source = claimed.get(_real(path))
            if source is None:
                shown = ctx.display_path(path)
                try:
                    text = ctx.read_text(path)
                except (ReadRefused, LimitExceeded) as exc:
                    reason = getattr(exc, "reason", None) or getattr(exc, "message", str(exc))
                    problems.append(InputError(where, line, f"compose-projects: {shown}: {reason}; "
                                                            "the project is read without it"))
                    continue
                if text is None:
                    problems.append(InputError(where, line, f"compose-projects: {shown} does not exist; "
                                                            "the project is read without it"))
                    continue
                source = SourceFile(path, shown, text)
            sources.append(source)
        if problems:
            yield ParseOutcome(where, errors=tuple(problems))
        first, more = sources[0], []
        for source in sources[1:]:
            doc, load_problems = load_single(source.text)
            errors = [InputError(source.display, e.line, e.message, e.column) for e in load_problems]
            services = doc.get("services") if isinstance(doc, dict) else None
            if doc is not None and not isinstance(doc, dict):
                errors.append(InputError(source.display, 1, "a Compose file must be a mapping, "
                                                            f"found {_type_name(doc)}"))
                doc = None
            elif services is not None and not isinstance(services, dict):
                span = doc.spans["services"]
                errors.append(InputError(source.display, span.line, "'services' must be a mapping, "
                                                                    f"found {_type_name(services)}", span.column))
                services = None
            more.append((source, services or {}, doc))
            if _real(source.path) in claimed:
                yield ParseOutcome(source.display, errors=tuple(errors))
            elif errors:
                yield ParseOutcome(first.display, errors=tuple(errors))
        state = {"files": 0, "reached": set()}
        yield self.parse_file(first, ctx, tuple(more), env_files=tuple(env_files) or None, state=state)
        reached[_real(first.path)] = state["reached"]

    def parse_file(self, source: SourceFile, ctx: ParseContext,
                   overrides: tuple[tuple, ...] = (), env_files: tuple[Path, ...] | None = None,
                   state: dict | None = None) -> ParseOutcome:
        """One Compose project: ``source``, the files merged over it (already loaded, in order:
        ``(file, services, document)``) and the files their ``include`` sections bring in.

        ``env_files`` replaces ``--env-file`` / the ``.env`` beside ``source`` (a declared
        project's ``env-file``); ``state`` collects the files reached through ``include``.
        """
        file = source.display
        state = {"files": 0, "reached": set()} if state is None else state
        doc, problems = load_single(source.text)
        errors = [InputError(file, e.line, e.message, e.column) for e in problems]
        if doc is not None and not isinstance(doc, dict):
            errors.append(InputError(file, 1, f"a Compose file must be a mapping, found {_type_name(doc)}"))
            doc = None
        services = doc.get("services") if doc is not None else None
        if services is not None and not isinstance(services, dict):
            span = doc.spans["services"]
            errors.append(InputError(
                file, span.line, f"'services' must be a mapping, found {_type_name(services)}", span.column))
            services = None
        services = services if services is not None else LocatedDict()
        if not hasattr(services, "spans"):
            services.span, services.spans, services.tag = Span(1, 1, 1), {}, None
        overrides = tuple(item if len(item) == 3 else (*item, None) for item in overrides)
        has_include = (isinstance(doc, dict) and "include" in doc) or any(
            isinstance(more_doc, dict) and "include" in more_doc for _o, _s, more_doc in overrides)
        if not services and not has_include and not any(more for _o, more, _d in overrides):
            return ParseOutcome(file, errors=tuple(errors))
        env, env_problems = self._environment(source.path, ctx, env_files)
        errors.extend(InputError(*problem) if isinstance(problem, tuple) else InputError(file, 1, problem)
                      for problem in env_problems)
        builder = _FileReader(file, env, source.path, ctx, services)
        names = list(services)
        for _override, more, _doc in overrides:
            names.extend(name for name in more if name not in names)
        taken: dict[str, object] = {}
        for name in names:
            service = services.get(name)
            span = services.spans.get(name, services.span) if name in services else Span(1, 1, 1)
            layers = [(file, source.path, service, services, span)] if name in services else []
            for override, more, _doc in overrides:
                if name in more:
                    layers.append((override.display, override.path, more[name], more,
                                   getattr(more, "spans", {}).get(name, Span(1, 1, 1))))
            taken[str(name)] = layers[0][2]
            try:
                builder.read_project_service(str(name), layers)
            except _FileFull as full:
                builder.error(full.span, full.message)
                break
            except Exception as exc:  # noqa: BLE001 - one bad service must not cost the others
                builder.error(span, f"services.{name}: could not be read ({type(exc).__name__}: {exc})")
        errors.extend(builder.errors)
        state["reached"].update(_extended(builder, ctx))
        exposures = list(builder.exposures)
        if has_include:
            docs = [(file, source.path, doc)] + [(o.display, o.path, d) for o, _s, d in overrides]
            imported = self._include(docs, source.path.parent, env, ctx, (_real(source.path),), state,
                                     taken, errors)
            for _definition, found in imported.values():
                exposures.extend(found)
        return ParseOutcome(file, tuple(exposures), tuple(sorted(errors, key=_error_order)))

    def _include(self, docs: list[tuple], working_dir: Path, env: Mapping[str, str], ctx: ParseContext,
                 chain: tuple[str, ...], state: dict, taken: dict[str, object],
                 errors: list[InputError]) -> dict[str, tuple[object, list[Exposure]]]:
        """The services the ``include`` sections of ``docs`` bring into the project, by name, each
        with its definition and exposures, as Compose imports them: every entry is a project of its
        own (its own folder, ``.env`` and includes), and a name the project already has is a conflict.

        ``docs`` are ``(file as shown, path, document)`` in merge order; relative paths are taken from
        ``working_dir`` (the including project's directory); ``chain`` holds the files being
        included, for cycles; ``taken`` (updated) maps the names already in the project to their
        definitions. Problems are errors at the line of the entry that caused them.
        """
        imported: dict[str, tuple[object, list[Exposure]]] = {}
        for shown, _path, doc in docs:
            if not isinstance(doc, dict) or "include" not in doc:
                continue
            key_span = doc.spans.get("include", Span(1, 1, 1))
            entries, problems = include_entries(doc["include"], key_span)
            errors.extend(InputError(shown, span.line, message, span.column) for span, message in problems)
            for entry in entries:
                found = self._include_entry(entry, shown, working_dir, env, ctx, chain, state, errors)
                if found is None:
                    continue
                source_shown, services = found
                for name, (definition, exposures) in services.items():
                    if name in taken:
                        if not same_service(taken[name], definition):
                            errors.append(InputError(
                                shown, entry.span.line, f"include {entry.paths[0]!r:.80}: service {name!r:.80} "
                                f"of {source_shown} is also defined in this project; Compose refuses the "
                                "conflict, so the included one is not checked", entry.span.column))
                        continue
                    taken[name] = definition
                    imported[name] = (definition, exposures)
        return imported

    def _include_entry(self, entry: IncludeEntry, shown: str, working_dir: Path, env: Mapping[str, str],
                       ctx: ParseContext, chain: tuple[str, ...], state: dict,
                       errors: list[InputError]) -> tuple[str, dict[str, tuple[object, list[Exposure]]]] | None:
        """One ``include`` entry read as Compose reads it; None when it cannot be (an error is added)."""
        label = f"include {entry.paths[0]!r:.80}"

        def fail(message: str) -> None:
            errors.append(InputError(shown, entry.span.line, f"{label}: {message}", entry.span.column))

        def expand(text: str) -> str | None:
            try:
                result = interpolate(text, env)
            except InterpolationError as exc:
                fail(str(exc))
                return None
            if result.unresolved:
                fail(f"the path uses ${{{result.unresolved[0]}}}, which is not set; not read")
                return None
            return result.value

        paths = [expand(p) for p in entry.paths]
        directory = expand(entry.project_directory) if entry.project_directory is not None else ""
        env_names = [expand(p) for p in entry.env_files] if entry.env_files is not None else []
        if any(p is None for p in [*paths, directory, *env_names]):
            return None
        files = [working_dir / p for p in paths]
        project_dir = working_dir / directory if directory else files[0].parent
        env_paths = [working_dir / p for p in env_names] if entry.env_files is not None else [project_dir / ".env"]
        for path in [*files, project_dir, *env_paths]:
            if not ctx.inside_project(path):
                fail(f"{ctx.display_path(path)} is outside the project root {ctx.project_root}; not read")
                return None
        if _real(files[0]) in chain:
            names = [ctx.display_path(Path(p)) for p in chain] + [ctx.display_path(files[0])]
            fail(f"forms an include cycle ({' -> '.join(names):.300}); Compose refuses it")
            return None
        if state["files"] + len(files) > limits.COMPOSE_FILES:
            exc = LimitExceeded("the number of files merged into this Compose project", limits.COMPOSE_FILES,
                                "COMPOSE_FILES", entry.span.line)
            fail(f"{exc.message}; not read")
            return None
        state["files"] += len(files)
        loaded = []
        for path in files:
            file_shown = ctx.display_path(path)
            try:
                text = ctx.read_text(path)
            except (ReadRefused, LimitExceeded) as exc:
                fail(f"{file_shown}: {getattr(exc, 'reason', None) or exc}; not read")
                return None
            if text is None:
                fail(f"{file_shown} does not exist")
                return None
            state["reached"].add(_real(path))
            doc, problems = load_single(text)
            errors.extend(InputError(file_shown, e.line, e.message, e.column) for e in problems)
            services = doc.get("services") if isinstance(doc, dict) else None
            if doc is not None and not isinstance(doc, dict):
                errors.append(InputError(file_shown, 1, f"a Compose file must be a mapping, found {_type_name(doc)}"))
                doc = None
            elif services is not None and not isinstance(services, dict):
                span = doc.spans["services"]
                errors.append(InputError(file_shown, span.line, "'services' must be a mapping, "
                                                                f"found {_type_name(services)}", span.column))
                services = None
            loaded.append((file_shown, path, doc, services if services is not None else {}))
        # the included project's variables: its env files, under the including project's values
        values: dict[str, str] = {}
        for env_path in env_paths:
            env_shown = ctx.display_path(env_path)
            try:
                text = ctx.read_text(env_path)
                if text is None:
                    if entry.env_files is not None:
                        fail(f"env_file {env_shown} does not exist")
                        return None
                    continue
                values.update(parse_env_file(text, ChainMap(values, env)))
            except ReadRefused as exc:
                fail(f"env_file {env_shown}: {exc.reason}; its variables are not used")
            except LimitExceeded as exc:
                fail(f"env_file {env_shown}: {exc.message}; its variables are not used")
        sub_env = ChainMap(env, values)  # the including project's values win; only names used are looked up
        main_shown, main_path, _doc, main_services = loaded[0]
        reader = _FileReader(main_shown, sub_env, main_path, ctx, main_services)
        names: list[str] = []
        for _s, _p, _d, services in loaded:
            names.extend(str(name) for name in services if str(name) not in names)
        result: dict[str, tuple[object, list[Exposure]]] = {}
        for name in names:
            layers = [(file_shown, path, services[name], services,
                       getattr(services, "spans", {}).get(name, Span(1, 1, 1)))
                      for file_shown, path, _d, services in loaded if name in services]
            before = len(reader.exposures)
            try:
                reader.read_project_service(name, layers)
            except _FileFull as full:
                reader.error(full.span, full.message)
                break
            except Exception as exc:  # noqa: BLE001 - one bad service must not cost the others
                reader.error(layers[0][4], f"services.{name}: could not be read ({type(exc).__name__}: {exc})")
            result[name] = (layers[0][2], reader.exposures[before:])
        errors.extend(reader.errors)
        state["reached"].update(_extended(reader, ctx))
        own = {name: definition for name, (definition, _e) in result.items()}
        nested = self._include([(s, p, d) for s, p, d, _x in loaded], project_dir, sub_env, ctx,
                               (*chain, _real(files[0])), state, own, errors)
        result.update(nested)
        return main_shown, result

    def _environment(self, path: Path, ctx: ParseContext,
                     declared: tuple[Path, ...] | None = None) -> tuple[dict[str, str], tuple[str, ...]]:
        """Process environment over a declared project's env files, else ``--env-file`` files,
        else the ``.env`` beside the file.

        Returns the variables and the problems met reading the env files (a FIFO,
        a link out of the project, too many lines): those are reported on the
        Compose file, and the env file's variables are then left unset.
        """
        env_paths: tuple[Path, ...] | None
        if declared:
            env_paths, key = declared, Path("\x00declared:" + "\x00".join(str(p) for p in declared))
        elif ctx.env_files:
            # per configuration: folders whose configurations name other env files must not share them
            env_paths, key = ctx.env_files, "\x00cli:" + "\x00".join(str(p) for p in ctx.env_files)
        else:  # the folder's .env, by the folder's name (a Path is made only the first time)
            env_paths, key = None, os.path.dirname(os.fspath(path))
        found = self._env_cache.get(key)
        if found is not None and found[2] is ctx.environ:
            return found[3], found[1]
        if found is None:
            if env_paths is None:
                env_paths = (path.with_name(".env"),)
            values: dict[str, str] = {}
            problems: list = []  # messages for the Compose file; (file, line, message) for an env file's own line
            for env_path in env_paths:
                if not ctx.inside_project(env_path):
                    problems.append(f"env file {ctx.display_path(env_path)} is outside the project root "
                                    f"{ctx.project_root}; not read")
                    continue
                try:
                    text = ctx.read_text(env_path)
                    if text is not None:
                        values.update(parse_env_file(text, ChainMap(values, ctx.environ)))
                    elif declared:
                        problems.append(f"env file {ctx.display_path(env_path)} does not exist")
                except ReadRefused as exc:
                    problems.append(f"env file {ctx.display_path(env_path)}: {exc.reason}; its variables are not used")
                except LimitExceeded as exc:  # reported in the env file, at the line that hit the limit
                    problems.append((ctx.display_path(env_path), exc.line or 1, f"{exc.message}; its variables are not used"))
            found = (values, tuple(problems))
        #: the variables as used (the process environment over the files'), made once per
        #: environment: readers never change them
        # a view, not a copy: copying would read the whole process environment, and the run cache
        # would then miss whenever any variable changed (CI sets new ones on every run)
        merged = ChainMap(ctx.environ, found[0])
        self._env_cache[key] = (found[0], found[1], ctx.environ, merged)
        return merged, found[1]


def _real(path: Path) -> str:
    """A file's identity: its real path (links resolved), as a string."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def _extended(reader: "_FileReader", ctx: ParseContext) -> set[str]:
    """The files ``reader`` read for ``extends.file`` that are not their folder's default file.

    Such a base file is a template: Compose deploys its services only through the services that
    extend them, so it is not a project of its own (its entries are reported under each extending
    service, at its own lines). A default file (``docker compose up`` in its folder runs it) stays
    a project of its own.
    """
    return {_real(Path(key)) for key, found in reader.loaded.items()
            if found is not None and not _is_default_file(Path(key), ctx)}


def _is_default_file(path: Path, ctx: ParseContext) -> bool:
    """Is ``path`` the file ``docker compose up`` reads in its folder (the first default name found)?"""
    if path.name not in DEFAULT_FILES:
        return False
    for name in DEFAULT_FILES[:DEFAULT_FILES.index(path.name)]:
        try:
            if ctx.read_text(path.parent / name) is not None:
                return False
        except (ReadRefused, LimitExceeded):
            return False  # it exists, so Compose would take it first
    return True


def _without_included(results: list[tuple], reached: dict[str, set[str]]) -> Iterator[ParseOutcome]:
    """The outcomes, with a file that another project includes, or extends without being its
    folder's default file (``_extended``), not also reported as a project of its own (it is part
    of the project that reaches it, as ``docker compose`` loads it), and no exposure reported twice
    (a file included by two projects, or a default file with an override that is also included
    elsewhere).

    A file keeps its own project when it has an override file beside it (``docker compose up`` in
    its folder merges that override, which the including project does not) or when the only
    projects including it are ones it includes itself (a cycle, reported as an error).
    """
    includers: dict[str, set[str]] = {}
    for root, files in reached.items():
        for file in files:
            if file != root:
                includers.setdefault(file, set()).add(root)
    #: the exposures yielded so far, by place: equal exposures stand at the same place, and an
    #: exposure's own hash covers all its fields, so only those sharing a place are compared
    seen: dict[tuple, list[Exposure]] = {}
    for root, outcome, overrides in results:
        if root is not None and not overrides and any(
                other not in reached.get(root, ()) for other in includers.get(root, ())):
            yield ParseOutcome(outcome.file)
            continue
        kept, places = [], []
        for exposure in outcome.exposures:  # compared with earlier outcomes' only, as a set would be
            where = exposure.location
            place = (where.file, where.line, where.column, where.end_line)
            there = seen.get(place)
            if there is None or not any(other is exposure or other == exposure for other in there):
                kept.append(exposure)
                places.append(place)
        for place, exposure in zip(places, kept):
            seen.setdefault(place, []).append(exposure)
        yield outcome if len(kept) == len(outcome.exposures) else ParseOutcome(outcome.file, tuple(kept),
                                                                               outcome.errors)


#: host IP text -> classify_bind's scope (a pure function of the text); bounded
_BIND_SCOPES: dict[str, str] = {}
_BIND_SCOPES_MAX = 1024


def _bind_scope(address: str) -> str:
    scope = _BIND_SCOPES.get(address)
    if scope is None:
        scope = classify_bind(address)
        if len(_BIND_SCOPES) < _BIND_SCOPES_MAX and len(address) <= 64:
            _BIND_SCOPES[address] = scope
    return scope


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
        #: where the image of the service being read is set (file as shown, span), when merging
        #: files, and the origins it gives (made when first needed)
        self.image_origin: tuple[str, Span] | None = None
        self._origin_steps: tuple[Step, ...] | None = None
        #: other Compose files read for ``extends`` (by path): shown name, path, services
        self.loaded: dict[str, tuple[str, Path, Mapping] | None] = {}
        self.service_span: Span | None = None
        #: (service span, its Location, file) for ``_context``
        self._context_made: tuple | None = None
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
        if len(layers) == 1:
            self._read_layer(resource, layers[0])
        else:
            self._read_merged(resource, layers)

    def _read_merged(self, resource: str, layers: list[tuple]) -> None:
        """A service as several files (or ``extends``) write it, each entry at its own file's line."""
        as_layers = [Layer(l[0], l[1], l[2], l[4]) for l in layers]
        image_layer, image = last_value(as_layers, "image")
        self.image, self.image_origin, self._origin_steps = "", None, None
        if image_layer is not None:
            self._use(next(l for l in layers if l[2] is image_layer.service))
            self.image = self._image(image_layer.service, resource, image_layer.service.spans.get("image",
                                                                                                  image_layer.span))
            self.image_origin = (image_layer.file, image_layer.service.spans.get("image", image_layer.span))
        mode_layer, _mode = last_value(as_layers, "network_mode")
        host_network = False
        if mode_layer is not None:
            self._use(next(l for l in layers if l[2] is mode_layer.service))
            try:
                host_network = self._host_network(mode_layer.service, resource)
            except (InterpolationError, PortSpecError) as exc:
                self.error(mode_layer.service.spans.get("network_mode", mode_layer.span),
                           f"{resource}.network_mode: {exc}")
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

    def _read_layer(self, resource: str, layer: tuple) -> None:
        """``_read_layers`` for a service only one file writes (no override, no extends): what
        ``last_value`` and ``merged_entries`` find for one layer, without building Layers (tests
        compare the two)."""
        self._use(layer)
        service, default = layer[2], layer[4]
        self.image, self.image_origin, self._origin_steps = "", None, None
        if "image" in service and getattr(service["image"], "tag", None) != "!reset":
            span = service.spans.get("image", default)
            self.image = self._image(service, resource, span)
            self.image_origin = (layer[0], span)
        host_network = False
        if "network_mode" in service and getattr(service["network_mode"], "tag", None) != "!reset":
            try:
                host_network = self._host_network(service, resource)
            except (InterpolationError, PortSpecError) as exc:
                self.error(service.spans.get("network_mode", default), f"{resource}.network_mode: {exc}")
        for key, reader in (("ports", self._port_entry), ("expose", self._expose_entry)):
            if key not in service:
                continue
            entries = service[key]
            if getattr(entries, "tag", None) == "!reset":
                continue
            key_span = service.spans.get(key, default)
            if not isinstance(entries, list):
                self.error(key_span, f"{resource}.{key} must be a list, found {_type_name(entries)}")
                continue
            entry_spans = entries.spans if isinstance(entries, LocatedList) else [key_span] * len(entries)
            for index in range(len(entries)):
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
            context=self._context(), origins=self._image_origins(),
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
                sources, scope = (spec.host_ip,), _bind_scope(spec.host_ip)
        self.exposures.append(Exposure(
            kind="compose", location=self.location(span), resource=resource,
            protocol=spec.protocol, port_range=port_range,
            target_port_range=target if published and not host_network else None,
            sources=sources, scope=scope, unresolved=tuple(unresolved),
            traits=frozenset(traits), raw=raw.replace(UNRESOLVED_MARK, ""), image=self.image,
            context=self._context(), origins=self._image_origins(),
        ))

    def _context(self) -> Location | None:
        """The location of the service being read (the same for each of its entries: made once)."""
        span = self.service_span
        if span is None:
            return None
        made = self._context_made
        if made is None or made[0] is not span or made[2] != self.file:
            made = self._context_made = (span, self.location(span), self.file)
        return made[1]

    def _image_origins(self) -> tuple[Step, ...]:
        """The image's line when another file sets it (an override, an extended service)."""
        origin = self.image_origin
        if origin is None or origin[0] == self.file:
            return ()
        if self._origin_steps is None:  # made once per service, when an entry needs it
            file, span = origin
            self._origin_steps = (Step(f"image {self.image}", file, span.line, span.column),)
        return self._origin_steps
