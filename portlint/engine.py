"""The pipeline: discovery -> parsers -> exposures -> rules -> report.

No printing here; the CLI renders the ``Report`` with a formatter.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from functools import lru_cache, partial
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Callable, Mapping, Sequence

from portlint.checks import Hit, Rule, RuleContext, iter_rule_classes
from portlint import suppress
from portlint.discovery import NAMED_DESCRIPTOR, discover
from portlint.model import Exposure, Finding, InputError, ParseOutcome, Report, Severity
from portlint import inputs
from portlint.inputs import ReadRefused, read_input, read_input_stat
from portlint.parsers import ParseContext, Parser, SourceFile, load_parsers
from portlint.plugins import load_entry_points
from portlint.jobs import resolve_jobs

#: Suffixes whose content is read to let parsers recognise files not named for them (the whole
#: file, up to ``limits.FILE_BYTES``: a risky manifest after 300 KB of comment padding is still one).
SNIFF_SUFFIXES = frozenset({".yml", ".yaml", ".json"})


@dataclass
class Options:
    exclude: tuple[str, ...] = ()
    env_files: tuple[Path, ...] = ()
    var_files: tuple[Path, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    ignore: frozenset[str] = frozenset()
    select: frozenset[str] = frozenset()
    rules_dirs: tuple[Path, ...] = ()
    #: called with (files parsed, files to parse) as parsing goes on
    progress: Callable[[int, int], None] | None = None
    severity: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = field(default_factory=Path.cwd)
    #: nothing outside it is read because a checked file says so; None: found from the paths
    project_root: Path | None = None
    #: input errors found before the run (settings refused in .portlint.yaml); reported with the others
    errors: list[InputError] = field(default_factory=list)
    #: filled by the run: (device, inode) of every file read (outputs must never overwrite one)
    read: set[tuple[int, int]] = field(default_factory=set)
    #: filled by the run: the text of every checked file, by display path (for suppression comments)
    texts: dict[str, str] = field(default_factory=dict)
    #: a suppression without a reason silences nothing; ``accept`` entries of the configuration
    #: (see portlint.accept), the configuration file they came from, and the day expiries are judged on
    require_reason: bool = False
    accept: list = field(default_factory=list)
    config_file: Path | None = None
    today: "date | None" = None
    #: worker processes parsers may use (0: the CPUs this process may use; 1: strictly sequential)
    jobs: int = 0
    #: Compose projects declared in the configuration (see ``ParseContext.compose_projects``)
    compose_projects: tuple = ()
    #: reuse parse results of unchanged files (``portlint.cache``); off unless asked (the CLI asks)
    cache: bool = False
    #: where the result cache lives (None: the user cache folder)
    cache_dir: Path | None = None
    #: apply ``exclude`` to paths named on the command line too (as pre-commit needs)
    force_exclude: bool = True
    #: (gitignore-style pattern, codes) pairs: those rules are skipped in matching files
    per_file_ignores: tuple = ()
    #: (name, text) of standard input to check as if it were the file NAME (``-`` on the command line)
    stdin: tuple[str, str] | None = None
    #: the configuration in effect, for the command line (``portlint.cli.Settings``)
    settings: object = None
    #: configurations below the run's own, each for the files under its folder: an object with
    #: ``root`` (the real project root it was built for) and ``for_folder(path) -> Scope | None``
    #: (None: the run's own settings apply). None: one configuration for every file.
    scopes: object = None

    @property
    def display_base(self) -> Path:
        """The folder displayed paths are relative to: the project root (else the current folder)."""
        return self.project_root or self.cwd

    def absolute(self, shown: str) -> Path:
        """The path of a displayed file name."""
        return self.display_base / shown


@dataclass(frozen=True)
class Scope:
    """The settings that may differ per file, as the nearest configuration above a file makes them
    (keys it does not set come from the configurations above it; see docs/configuration.md).

    ``exclude`` holds only the patterns of configurations below the run's own (those of the run's
    own configuration and of ``--exclude`` are ``Options.exclude``); ``rules_dirs`` every rule
    folder in effect; ``accept_file`` the configuration the ``accept`` entries came from.
    """

    config_file: Path
    exclude: tuple = ()
    ignore: frozenset = frozenset()
    select: frozenset = frozenset()
    severity: Mapping[str, str] = field(default_factory=dict)
    per_file_ignores: tuple = ()
    accept: tuple = ()
    accept_file: Path | None = None
    require_reason: bool = False
    env_files: tuple = ()
    var_files: tuple = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    rules_dirs: tuple = ()

    def rule_key(self) -> tuple:
        return (self.ignore, self.select, tuple(sorted(self.severity.items())), self.rules_dirs)

    def parse_key(self) -> tuple:
        return (self.env_files, self.var_files, tuple(sorted(self.variables.items())))


def scope_of(options: Options, path: Path) -> "Scope | None":
    """The per-file settings of ``path`` (a file, absolute or relative to the current folder);
    None when the run's own settings apply."""
    tree = _scope_tree(options)
    if tree is None:
        return None
    if os.sep == "/" and isinstance(path, PurePath) and isinstance(options.cwd, PurePath):
        # on text: a Path's text is normalised, so its folder's text is what ``.parent`` gives
        text = os.fspath(path)
        if text[:1] != "/":
            text = os.path.join(os.fspath(options.cwd), text)
        return tree.for_folder(os.path.dirname(text))
    absolute = path if path.is_absolute() else options.cwd / path
    return tree.for_folder(absolute.parent)


def _scope_tree(options: Options):
    """The run's tree of configurations below its own; None when one configuration serves the run."""
    tree = options.scopes
    if tree is None or options.project_root is None \
            or _real_folder(options.project_root) != _real_folder(tree.root):
        return None  # one configuration per run (or a revision checked in another folder)
    return tree


@lru_cache(maxsize=64)
def _real_folder(path: Path) -> str:
    """The real path of a run's root folders, resolved once per run (``collect`` clears it)."""
    return os.path.realpath(path)


def scoped_options(options: Options, scope: "Scope | None") -> Options:
    """``options`` with a scope's per-file settings in place of the run's own."""
    if scope is None:
        return options
    import dataclasses

    view = dataclasses.replace(
        options, ignore=scope.ignore, select=scope.select, severity=dict(scope.severity),
        per_file_ignores=scope.per_file_ignores, accept=[dict(e) for e in scope.accept],
        config_file=scope.accept_file, require_reason=scope.require_reason, env_files=scope.env_files,
        var_files=scope.var_files, variables=dict(scope.variables), rules_dirs=scope.rules_dirs, scopes=None)
    return view


def display_path(path: Path, cwd: Path) -> str:
    """Relative to ``cwd`` when under it (by name, links not resolved), with ``/`` separators."""
    try:
        absolute = os.path.abspath(path if path.is_absolute() else cwd / path)
        here = os.path.abspath(cwd)
        if absolute == here:
            return "."
        prefix = here.rstrip(os.sep) + os.sep
        if absolute.startswith(prefix):
            # both are normalised absolute paths: the relative path is the rest of the name
            # (what os.path.relpath computes, without splitting and rejoining both paths)
            rest = absolute[len(prefix):]
            if os.sep == "/" and not rest.startswith("/"):  # POSIX keeps a leading '//'
                return rest
            return Path(os.path.relpath(absolute, here)).as_posix()
        if _is_under(Path(absolute), cwd) and os.path.lexists(os.path.realpath(absolute)):
            # cwd reached through a link, e.g. /tmp -> /private/tmp (a pipe's "link" leads nowhere real)
            return Path(os.path.relpath(os.path.realpath(absolute), os.path.realpath(cwd))).as_posix()
        return Path(absolute).as_posix()
    except ValueError:  # pragma: no cover - different drives on Windows
        return path.as_posix()


def shown_path(path: Path, options: Options) -> str:
    """How a file is shown in every output: relative to the project root whatever the current folder
    (``path`` itself, when relative, is relative to the current folder)."""
    base, cwd = options.display_base, options.cwd
    if os.sep == "/" and os.path.isabs(cwd) and os.path.isabs(base):
        # display_path's common case, on text: a file below the base is the rest of its name
        text = os.fspath(path)
        absolute = os.path.abspath(text if text[:1] == "/" else os.path.join(os.fspath(cwd), text))
        here = os.path.abspath(base)
        prefix = here.rstrip("/") + "/"
        if absolute != here and absolute.startswith(prefix) and absolute[len(prefix):len(prefix) + 1] != "/":
            return absolute[len(prefix):]
    return display_path(path if path.is_absolute() else cwd / path, base)


def _is_under(path: Path, root: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
        return True
    except (ValueError, OSError):
        return False


def collect(paths: Sequence[Path], options: Options) -> tuple[list[ParseOutcome], list[InputError], int]:
    """Discover and parse: every outcome, the errors met before parsing, files claimed."""
    from portlint.dependents import expand as expand_dependents
    from portlint.inputs import project_root

    _real_folder.cache_clear()
    inputs.start_run()  # real paths of folders are learnt afresh each run (engine.run forgets them)
    parsers = load_parsers()
    root = options.project_root = options.project_root or project_root(paths, options.cwd)
    paths = expand_dependents(paths, root)  # a named .env, override, tfvars or module brings what it changes
    claimed: dict[str, list[SourceFile]] = defaultdict(list)
    errors: list[InputError] = []
    base = options.display_base
    for candidate in discover(paths, options.exclude, root, options.force_exclude, _nested_excludes(options)):
        path = candidate.path
        shown = shown_path(path, options)
        if candidate.problem is not None:
            if candidate.problem == NAMED_DESCRIPTOR:
                shown = path.as_posix()  # as named: where /dev/stdin leads is no file of the tree
            if candidate.always or candidate.explicit or _owner(parsers, path, None) is not None:
                errors.append(InputError(shown, 1, candidate.problem))
            continue
        owner = _owner(parsers, path, None)
        if owner is None and path.suffix.lower() in SNIFF_SUFFIXES:
            head = _head(path)
            owner = _owner(parsers, path, head) if head is not None else None
        if owner is None:
            continue
        try:
            text, info = read_input_stat(path, root)
        except ReadRefused as exc:
            errors.append(InputError(shown, exc.line, f"cannot read file: {exc.reason}"))
            continue
        if text is None:
            errors.append(InputError(shown, 1, "cannot read file: it vanished while portlint ran"))
            continue
        options.read.add((info.st_dev, info.st_ino))  # the file read (``_remember`` without a stat)
        options.texts[shown] = text
        claimed[owner.name].append(SourceFile(path, shown, text))

    if options.stdin is not None:
        _claim_stdin(options, parsers, claimed, errors)

    def read_neighbour(path: Path) -> str | None:
        text, info = read_input_stat(path, root)
        if text is not None:
            options.read.add((info.st_dev, info.st_ino))
        return text

    jobs = resolve_jobs(options.jobs)
    contexts: dict[tuple, tuple] = {}

    def context_for(source: SourceFile) -> tuple:
        """(context, cache) for a file: env files, var files and variables are per-file settings."""
        scope = scope_of(options, source.path)
        view = scoped_options(options, scope)
        key = scope.parse_key() if scope is not None else None
        if key not in contexts:
            ctx = ParseContext(
                environ=dict(options.environ), env_files=tuple(view.env_files),
                var_files=tuple(view.var_files), variables=dict(view.variables),
                read_text=read_neighbour, display_path=partial(shown_path, options=options),
                project_root=root, jobs=jobs, compose_projects=tuple(options.compose_projects),
            )
            contexts[key] = (ctx, _result_cache(options, parsers, ctx) if options.cache else None)
        return contexts[key]

    outcomes: list[ParseOutcome] = []
    by_name = {p.name: p for p in parsers}
    total = sum(len(group) for group in claimed.values())
    for name in sorted(claimed):
        group = sorted(claimed[name], key=lambda source: source.display)  # the order files were named in never matters
        parts: dict[int, list[SourceFile]] = {}
        for source in group:  # files whose configurations read the same env and var files parse together
            parts.setdefault(id(context_for(source)), []).append(source)
        for part in parts.values():
            ctx, cache = context_for(part[0])
            if cache is None:
                from portlint.workers import parse_in_workers

                parsed = parse_in_workers(by_name[name], part, ctx, _parse_safely,
                                          lambda reads: [_remember(options, Path(p)) for p in reads])
                if parsed is None:
                    parsed = _parse_safely(by_name[name], part, ctx, options.progress, len(outcomes), total)
                elif options.progress:
                    options.progress(min(len(outcomes) + len(parsed), total), total)
                outcomes.extend(parsed)
            else:
                from portlint.cache import parse_cached

                outcomes.extend(parse_cached(by_name[name], part, ctx, cache, _parse_safely, ctx.jobs,
                                             lambda reads: [_remember(options, Path(p)) for p in reads]))
    outcomes.sort(key=lambda outcome: outcome.file)  # stable: a file's outcomes keep their order
    files = len({f.display for group in claimed.values() for f in group} | {o.file for o in outcomes})
    return outcomes, errors, files


def _nested_excludes(options: Options):
    """For discovery: the exclude patterns of the configurations below the run's own that govern a
    folder (None when there are none)."""
    if options.scopes is None:
        return None

    trees: list = []  # _scope_tree(options), asked once: the run's roots do not change during it

    def patterns(folder: Path | str, names: list[str] | None = None) -> tuple:
        """``names``: the folder's listing, when discovery holds it (see ``config.config_in``)."""
        if not trees:
            trees.append(_scope_tree(options))
        tree = trees[0]  # as scope_of(options, <a file in folder>), without building its path
        scope = tree.for_folder(inputs.absolute(folder), names) if tree is not None else None
        return scope.exclude if scope is not None else ()

    return patterns


def _claim_stdin(options: Options, parsers: list[Parser], claimed: dict, errors: list[InputError]) -> None:
    """Standard input, checked as the file ``--stdin-filename`` names (its neighbours are read from disk)."""
    name, text = options.stdin
    path = Path(os.path.abspath(options.cwd / name))
    shown = display_path(path, options.display_base)
    owner = _owner(parsers, path, text)
    if owner is None:
        errors.append(InputError(shown, 1, "no parser recognises standard input under this name; name it "
                                           "with --stdin-filename (docker-compose.yml, main.tf, "
                                           "firewall.yaml, a Kubernetes .yaml ...)"))
        return
    options.texts[shown] = text
    claimed[owner.name].append(SourceFile(path, shown, text))


def _result_cache(options: Options, parsers: list[Parser], ctx: ParseContext):
    """The result cache for this run's settings (None when no folder can be used).

    Everything a parse result may depend on beyond the files it reads is in the key:
    portlint's code and version, the parsers' code, the project root and display base,
    the ``--var`` values and the content of ``--env-file`` / ``--var-file`` files
    (Terraform reads var files directly); environment names are recorded per group."""
    from portlint.cache import ResultCache, file_digest, source_fingerprint

    settings = {
        "code": source_fingerprint(parsers), "root": str(ctx.project_root), "base": str(options.display_base),
        "cwd": str(options.cwd),
        "variables": sorted(ctx.variables.items()),
        "env_files": [[str(p), file_digest(Path(p), read_input)] for p in ctx.env_files],
        "var_files": [[str(p), file_digest(Path(p).resolve(), read_input)] for p in ctx.var_files],
        "compose_projects": [[[str(p) for p in files], [str(p) for p in env], where, line]
                             for files, env, where, line in ctx.compose_projects],
    }
    return ResultCache.open(options.cache_dir, settings)


def _remember(options: Options, path: Path) -> None:
    """Note a file the run read, so that no output is ever written over it."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):  # pragma: no cover - vanished after it was read
        return
    options.read.add((info.st_dev, info.st_ino))


def _parse_safely(parser: Parser, files: list[SourceFile], ctx: ParseContext,
                  progress: Callable[[int, int], None] | None = None, done: int = 0,
                  total: int = 0) -> list[ParseOutcome]:
    """Run a parser so that no file can cost another its findings.

    Parsers isolate their own units (resources, services, documents). This is
    the last net: when a parser still raises, each file it had not finished is
    parsed again on its own, and only a file that fails alone is reported as an
    internal error; the others keep their findings.
    """
    outcomes: list[ParseOutcome] = []
    try:
        for outcome in parser.parse(files, ctx):
            outcomes.append(outcome)
            if progress:
                progress(min(done + len(outcomes), total), total)
    except Exception:  # a parser bug must not hide the rest of the tree
        finished = {o.file for o in outcomes}
        left = [f for f in files if f.display not in finished]
        if len(files) == 1:
            return outcomes + [_crash(parser, f) for f in left]
        for source in left:
            if source.display in finished:
                continue  # a file read along with an earlier one (a Terraform module)
            for outcome in _parse_safely(parser, [source], ctx):
                if outcome.file not in finished:
                    finished.add(outcome.file)
                    outcomes.append(outcome)
    return outcomes


def _crash(parser: Parser, source: SourceFile) -> ParseOutcome:
    import sys

    exc = sys.exc_info()[1]
    message = (f"internal error in the {parser.name} parser: {type(exc).__name__}: {exc}"
               "; please report it (run with --debug for the traceback)")
    return ParseOutcome(source.display, errors=(InputError(source.display, 1, message),))


def _head(path: Path) -> str | None:
    """A file's text (up to ``limits.FILE_BYTES``), for parsers to recognise it; None for binary or
    unreadable files.

    Only a file a parser claims is then read as an input (and an unreadable one is
    an error); a data file that merely ends in .json is never an error. Never
    blocks: only a regular file is read (discovery hands on no other kind, and
    the file is checked again once open).
    """
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            from portlint import limits

            data = fh.read(limits.FILE_BYTES)
        except OSError:
            return None
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _owner(parsers: list[Parser], path: Path, text: str | None) -> Parser | None:
    for parser in parsers:
        if parser.claims(path, text):
            return parser
    return None


CODE_PATTERN = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")


def available_rules(options: Options, errors: list[InputError] | None = None) -> list[type[Rule]]:
    """Built-in, plug-in and declarative rule classes; codes and names must be unique.

    With ``errors``, a bad rule file costs only itself: it is reported there as an
    input error and every other rule still runs. Without, it raises RuleFileError.
    """
    from portlint.declarative import RuleFileError, load_rules_dir
    from portlint.plugins import PluginError

    classes = list(iter_rule_classes(load_entry_points("portlint.rules")))
    shown = partial(shown_path, options=options)
    for directory in options.rules_dirs:
        if errors is None:
            classes.extend(load_rules_dir(directory, shown))
        else:
            classes.extend(_rules_of(directory, shown, errors))
    seen: dict[str, type[Rule]] = {}
    kept: list[type[Rule]] = []
    for cls in classes:
        if not CODE_PATTERN.match(getattr(cls, "code", "")):
            raise PluginError(f"rule {cls.__name__}: code {getattr(cls, 'code', None)!r} is not like ABC123")
        clash = next((key for key in (cls.code, cls.name) if key in seen and seen[key] is not cls), None)
        if clash is not None:
            if errors is not None and getattr(cls, "origin", None):
                errors.append(InputError(cls.origin, 1, f"rule {clash!r} is already defined "
                                                        f"({seen[clash].__module__}); this one is not used"))
                continue
            raise PluginError(f"rule {clash!r} is defined twice ({seen[clash].__module__} and {cls.__module__})")
        seen[cls.code] = seen[cls.name] = cls
        if cls not in kept:
            kept.append(cls)
    return kept


def _rules_of(directory: Path, shown: Callable[[Path], str], errors: list[InputError]) -> list[type[Rule]]:
    """The rules of each file in a rules folder, one file at a time."""
    from portlint.declarative import RuleFileError, load_rule_file
    from portlint.limits import LimitExceeded

    if not directory.is_dir():
        errors.append(InputError(shown(directory), 1, "rules directory does not exist"))
        return []
    try:
        paths = sorted(directory.iterdir())
    except OSError as exc:
        errors.append(InputError(shown(directory), 1, f"cannot list rules directory: {exc.strerror or exc}"))
        return []
    classes: list[type[Rule]] = []
    for path in paths:
        if path.suffix not in (".yaml", ".yml") or path.is_dir():
            continue
        try:
            classes.extend(load_rule_file(path, shown(path), directory))
        except RuleFileError as exc:
            errors.append(InputError(exc.file, exc.line, exc.message))
        except LimitExceeded as exc:
            errors.append(InputError(shown(path), exc.line or 1, exc.message))
    return classes


def load_rules(options: Options, errors: list[InputError] | None = None) -> list[Rule]:
    """The rules to run: available ones minus ``ignore``, limited to ``select`` when given."""
    rules = []
    for cls in available_rules(options, errors):
        ids = {cls.code, cls.name}
        if ids & options.ignore:
            continue
        if options.select and not ids & options.select:
            continue
        rules.append(cls())
    return rules


def evaluate(exposures: list[Exposure], rules: list[Rule], ctx: RuleContext,
             severity: Mapping[str, str] | None = None) -> list[Finding]:
    """Run every rule; the engine stamps code, name and (configured) severity on each hit."""
    findings = []
    overrides = severity or {}
    # the service rules share one verdict per exposure (portlint.checks.verdict): they must know
    # which of them run and at which configured severity
    ctx.options.setdefault("active_rules", frozenset(rule.code for rule in rules))
    ctx.options.setdefault("severity_overrides", {
        rule.code: overrides.get(rule.code) or overrides.get(rule.name)
        for rule in rules if overrides.get(rule.code) or overrides.get(rule.name)})
    from itertools import repeat

    from portlint.checks.verdict import verdict_check, verdicts

    # a rule's ``applies_to`` admits the only exposures its ``check`` can report: each such set is
    # worked out once for all the rules that name it; the service rules' hits come from one pass
    # that asks each exposure's verdict once (``verdicts``), as their ``check`` would one by one
    admitted: dict = {}
    verdicts_of: dict[int, dict[str, list[Hit]]] = {}
    for rule in rules:
        forced = overrides.get(rule.code) or overrides.get(rule.name)
        hits: list[Hit] = []
        cls = type(rule)
        own = getattr(rule, "__dict__", None) or {}
        if cls.check is not Rule.check or "check" in own:  # the base class's check reports nothing
            admits = own.get("applies_to", getattr(cls, "applies_to", None))
            judged = exposures
            if admits is not None:
                judged = admitted.get(admits)
                if judged is None:
                    judged = admitted[admits] = [e for e in exposures if admits(e)]
            if cls.check is verdict_check and "check" not in own:
                found = verdicts_of.get(id(judged))
                if found is None:
                    found = verdicts_of[id(judged)] = verdicts(judged, ctx)
                hits.extend(found.get(rule.code, ()))
            else:
                for got in map(rule.check, judged, repeat(ctx)):
                    if got:
                        hits.extend(got)
        hits.extend(rule.finish(exposures, ctx))
        for hit in hits:
            level = Severity.parse(forced) if forced else (
                rule.severity if hit.severity is None else hit.severity)  # INFO is falsy
            findings.append(Finding(rule.code, rule.name, level, hit.message, hit.exposure))
    findings.sort(key=lambda f: (f.location.file, f.location.line, f.location.column, f.rule_id))
    return findings


def run(paths: Sequence[Path], options: Options, with_findings: bool = True) -> Report:
    """The whole pipeline for ``check`` (and, without rules, ``inventory``)."""
    import gc

    # what start-up built (modules, rule tables, the risk list) lives as long as the process: the
    # collector need not scan it again, and the many small records of a large tree need not trigger
    # a collection every 700 allocations (about a sixth of the CPU of a 6,400-file Compose run)
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        return _run(paths, options, with_findings)
    finally:
        inputs.end_run()
        gc.set_threshold(*thresholds)


def _run(paths: Sequence[Path], options: Options, with_findings: bool) -> Report:
    from portlint.policy import evaluate_policies

    outcomes, errors, files = collect(paths, options)
    report = Report(files_scanned=files)
    report.errors.extend(options.errors)
    report.errors.extend(errors)
    exposures: list[Exposure] = []
    for outcome in outcomes:
        exposures.extend(outcome.exposures)
        report.errors.extend(outcome.errors)
        report.notices.extend(n for n in outcome.notices if n not in report.notices)
    report.exposures, report.shadowed = evaluate_policies(exposures, report.errors)
    report.errors = sorted(set(report.errors), key=lambda e: (e.file, e.line, e.column, e.message))
    if with_findings:
        if options.scopes is None:
            _judge(report, options, report.exposures)
        else:
            _judge_per_scope(report, options)
    return report


def _judge(report: Report, options: Options, exposures: list[Exposure]) -> None:
    """Rules, per-file ignores, suppressions and acceptances with one set of settings."""
    from portlint.reference import load_risk_list

    ctx = RuleContext(risks=load_risk_list(), shadowed=report.shadowed)
    rule_errors: list[InputError] = []
    rules = load_rules(options, rule_errors)
    if rule_errors:
        report.errors = sorted(set(report.errors) | set(rule_errors),
                               key=lambda e: (e.file, e.line, e.column, e.message))
    report.rules = [type(rule) for rule in rules]
    findings, chains = _with_fallbacks(evaluate(exposures, rules, ctx, options.severity), rules, ctx, options.severity)
    findings = _per_file_ignores(findings, options)
    suppress.settle_report(report, findings, options, rules, {**options.texts, **_texts(findings, options)})
    _collapse(report, chains)


def _judge_per_scope(report: Report, options: Options) -> None:
    """Each file judged with its own configuration's per-file settings (the nearest above it).

    Rules run over every exposure once per distinct rule setting (rules that compare exposures
    see all of them); each file keeps the findings of its own setting, and suppressions and
    acceptances are settled per configuration with only its files' texts.
    """
    from portlint.reference import load_risk_list

    scopes: dict[str, Scope | None] = {}
    tree = _scope_tree(options)
    base = options.display_base
    # a plain relative name below an absolute base: its folder's name is the base's joined with the
    # name's folder, the very text ``scope_of`` hands the tree (built here without Paths)
    base_text = os.fspath(base) if os.sep == "/" and base.is_absolute() else None

    def scope_for(shown: str) -> Scope | None:
        found = scopes.get(shown, scopes)
        if found is not scopes:
            return found
        if tree is None:
            found = None
        elif base_text is not None and shown[:1] not in ("/", "") and shown[-1:] != "/" and "//" not in shown \
                and "/./" not in shown and shown[:2] != "./" and shown[-2:] != "/." and shown != ".":
            folder = shown.rpartition("/")[0]
            found = tree.for_folder(os.path.join(base_text, folder) if folder else base_text)
        else:
            found = scope_of(options, options.absolute(shown))
        scopes[shown] = found
        return found

    files = {e.location.file for e in report.exposures} | set(options.texts)
    views: dict[int, tuple[Options, set[str]]] = {}
    for shown in sorted(files):
        scope = scope_for(shown)
        key = id(scope) if scope is not None else 0
        if key not in views:
            views[key] = (scoped_options(options, scope), set())
        views[key][1].add(shown)
    if not views:
        views[0] = (options, set())
    evaluated: dict[tuple, tuple[list, list[Finding]]] = {}
    rule_errors: list[InputError] = []
    classes: list = []
    findings_of: dict[int, list[Finding]] = {}
    for key, (view, _) in views.items():
        rule_key = (view.ignore, view.select, tuple(sorted(view.severity.items())), tuple(view.rules_dirs))
        if rule_key not in evaluated:
            ctx = RuleContext(risks=load_risk_list(), shadowed=report.shadowed)
            rules = load_rules(view, rule_errors)
            evaluated[rule_key] = (rules, *_with_fallbacks(evaluate(report.exposures, rules, ctx, view.severity),
                                                           rules, ctx, view.severity))
            classes.extend(type(rule) for rule in rules if type(rule) not in classes)
        findings_of[key] = evaluated[rule_key]
    report.rules = classes
    if rule_errors:
        report.errors = sorted(set(report.errors) | set(rule_errors),
                               key=lambda e: (e.file, e.line, e.column, e.message))
    findings_all: list[Finding] = []
    for key, (view, own) in views.items():
        rules, findings, chains = findings_of[key]
        mine = [f for f in findings if (id(scope_for(f.location.file)) if scope_for(f.location.file) is not None
                                        else 0) == key]
        mine = _per_file_ignores(mine, view)
        part = Report(exposures=report.exposures)
        texts = {file: text for file, text in options.texts.items() if file in own}
        texts.update({file: text for file, text in _texts(mine, view).items() if file not in texts})
        suppress.settle_report(part, mine, view, rules, texts)
        _collapse(part, chains)
        findings_all.extend(part.findings)
        report.suppressed.extend(part.suppressed)
        report.accepted.extend(part.accepted)
        report.waivers.update(part.waivers)
        report.errors.extend(e for e in part.errors if e not in report.errors)
    order = (lambda f: (f.location.file, f.location.line, f.location.column, f.rule_id))
    report.findings = sorted(findings_all, key=order)
    report.suppressed.sort(key=order)
    report.accepted.sort(key=order)


def _with_fallbacks(findings: list[Finding], rules: list[Rule], ctx: RuleContext,
                    severity: Mapping[str, str] | None) -> tuple[list[Finding], list[list[tuple]]]:
    """``findings`` plus, for each service-rule verdict that names others ("also: PL106 ..."), the
    findings those others would make, and the chains (best first) that ``_collapse`` settles.

    One verdict is reported per exposure (portlint.checks.verdict); when a suppression, an
    ``accept`` entry or a per-file ignore silences it, the next one must stand: silencing PL101
    on a port must not silence the PL106 on the same port too.
    """
    from portlint.checks.verdict import SERVICE_RULES, chain

    overrides = severity or {}
    by_code = {rule.code: rule for rule in rules}
    extra: list[Finding] = []
    chains: list[list[tuple]] = []
    for finding in findings:
        if finding.rule_id not in SERVICE_RULES:
            continue
        ranked = chain(finding.exposure, ctx)
        if len(ranked) < 2 or ranked[0].code != finding.rule_id:
            continue
        links = [(finding.rule_id, id(finding.exposure))]
        for candidate in ranked[1:]:
            rule = by_code.get(candidate.code)
            if rule is None:
                continue
            forced = overrides.get(rule.code) or overrides.get(rule.name)
            level = Severity.parse(forced) if forced else candidate.severity
            extra.append(Finding(rule.code, rule.name, level, candidate.text, finding.exposure))
            links.append((rule.code, id(finding.exposure)))
        chains.append(links)
    if not extra:
        return findings, chains
    findings = findings + extra
    findings.sort(key=lambda f: (f.location.file, f.location.line, f.location.column, f.rule_id))
    return findings, chains


def _collapse(report: Report, chains: list[list[tuple]]) -> None:
    """Keep one verdict per exposure: the first of its chain still open after per-file ignores,
    suppressions and acceptances. Those before it stay suppressed or accepted (with their
    reasons); those after it were only stand-ins and are dropped wherever they ended up."""
    if not chains:
        return

    def key(f: Finding) -> tuple:
        return (f.rule_id, id(f.exposure))

    open_ = {key(f) for f in report.findings}
    drop: set[tuple] = set()
    for links in chains:
        first = next((i for i, link in enumerate(links) if link in open_), None)
        if first is not None:
            drop.update(links[first + 1:])
    if not drop:
        return
    report.findings = [f for f in report.findings if key(f) not in drop]
    report.suppressed = [f for f in report.suppressed if key(f) not in drop]
    report.accepted = [f for f in report.accepted if key(f) not in drop]
    for f in [f for f in report.waivers if key(f) in drop]:
        del report.waivers[f]


def _per_file_ignores(findings: list[Finding], options: Options) -> list[Finding]:
    """Drop the findings of rules a ``per-file-ignores`` pattern skips in their file."""
    if not options.per_file_ignores:
        return findings
    from portlint.discovery import _excluded_with_parents, patterns_of

    compiled = [(patterns_of([pattern]), codes) for pattern, codes in options.per_file_ignores]
    kept = []
    for finding in findings:
        path = options.absolute(finding.location.file)
        if not any(finding.rule_id in codes and _excluded_with_parents(path, False, patterns)
                   for patterns, codes in compiled):
            kept.append(finding)
    return kept


def _texts(findings: list[Finding], options: Options) -> dict[str, str]:
    """The text of every file with findings, for its suppression comments.

    The checked files' texts are kept from when they were read; any other file
    (a Terraform module file read along with its folder) is read again safely.
    """
    root = options.project_root
    texts = {}
    for file in {f.location.file for f in findings}:
        if file in options.texts:
            texts[file] = options.texts[file]
            continue
        try:
            texts[file] = read_input(options.absolute(file), root) or ""
        except ReadRefused:
            texts[file] = ""
    return texts


def exit_code(report: Report, fail_on: Severity | None) -> int:
    """2 for input errors (even with findings), 1 for findings at or above ``fail_on``, else 0."""
    if report.errors:
        return 2
    if fail_on is not None and any(f.severity >= fail_on for f in report.findings):
        return 1
    return 0
