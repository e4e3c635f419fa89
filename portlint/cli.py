"""Command line: a thin layer over the engine and the formatters."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

import click

from portlint import __version__

SEVERITY_CHOICES = ["critical", "high", "medium", "low", "info", "never"]

#: set by --debug: show the traceback of an unexpected error instead of one line
_DEBUG = False


class OutputError(click.ClickException):
    """An output file that could not or may not be written: the check did not complete (exit 2)."""

    exit_code = 2

    def __init__(self, target: Path, reason: str):
        super().__init__(f"cannot write {_clean(str(target))}: {reason}")


def _clean(text: str, limit: int = 1000) -> str:
    """One line of printable text: control characters shown as escapes, long text cut."""
    out = []
    for ch in text[:limit]:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out) + ("..." if len(text) > limit else "")


def _set_debug(ctx, param, value):
    global _DEBUG
    if value:
        _DEBUG = True
    return value


_debug = click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
                      help="Show the traceback of an unexpected error.")


def _split_codes(values: Sequence[str]) -> list[str]:
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def _use_colour(flag: bool | None) -> bool:
    """--color/--no-color, else NO_COLOR (set and not empty: no colour), else FORCE_COLOR (set and not
    empty: colour), else colour on a terminal. See no-color.org and force-color.org."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


class Settings:
    """The configuration in effect: the run's own file's settings, and the configurations below it."""

    def __init__(self, config, trusted: bool, tree=None):
        self.config = config
        self.trusted = trusted
        #: the configurations below the run's own (portlint.config.ConfigTree), None with --config/--isolated
        self.tree = tree
        self.origins: dict[str, str] = {}

    @property
    def fail_on(self):
        return self.config.fail_on


def _locate_config(paths: Sequence[Path], cwd: Path, config: Path | None, isolated: bool,
                   project_root: Path | None = None):
    """(file, trusted): --config, else the root-most configuration at or above the checked paths'
    common folder (up to --project-root or the git top level)."""
    from portlint.config import root_most_config
    from portlint.inputs import git_top_level

    if config is not None:
        return config, True
    if isolated:
        return None, False
    starts = [cwd / p for p in paths if str(p) != "-"] or [cwd]
    try:
        common = Path(os.path.commonpath([os.path.abspath(p) for p in starts]))
    except ValueError:
        common = cwd
    folder = common if common.is_dir() else common.parent
    stop = project_root if project_root is not None else git_top_level(folder)
    return root_most_config(common, stop), False


def _options(exclude, env_file, var_file=(), var=(), ignore=(), select=(), config=None, rules_dir=(),
             paths=(), project_root=None, isolated=False, force_exclude=None, stdin=None):
    """Engine options from the command line over the configuration, and the configured fail-on.

    Every rule code or name, on the command line or in the configuration, must
    name a rule (case-insensitively); anything else is a usage error with a
    suggestion. The Settings in effect are left on ``options.settings``. Unless
    --config or --isolated is given, configurations below the run's own apply to
    the files under their folders (``options.scopes``, loaded as the run meets them).
    """
    from portlint.config import CodeError, ConfigError, ConfigTree, load_config
    from portlint.engine import Options, available_rules, display_path
    from portlint.inputs import project_root as find_project_root
    from portlint.model import InputError

    cwd = Path.cwd()
    named = [Path(p) for p in paths if str(p) != "-"]
    config_file, trusted = _locate_config(named, cwd, config, isolated, project_root)
    root = find_project_root(named or [Path(".")], cwd, project_root, config_file)
    shown_config = display_path(config_file, root) if config_file else None
    try:
        # a configuration named on the command line is the CI's own; one found in the tree is confined to it
        settings = load_config(config_file, shown_config, root=None if trusted else root)
        if trusted:
            _confine_rules_dirs(settings, root)
    except ConfigError as exc:
        raise click.UsageError(f"invalid configuration: {_clean(str(exc))}") from None
    cli_vars = {}
    for item in var:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--var")
        cli_vars[name.strip()] = value
    patterns = [(p, settings.base) for p in settings.exclude] + [(p, root) for p in exclude]
    options = Options(
        exclude=tuple(patterns), cwd=cwd, project_root=root, config_file=config_file,
        force_exclude=settings.force_exclude if force_exclude is None and settings.force_exclude is not None
        else force_exclude is not False,
    )
    cli_rules_dirs = tuple(rule_dir for rule_dir in rules_dir)

    def known_with(rules_dirs) -> list:
        return available_rules(Options(environ={}, rules_dirs=tuple(rules_dirs), cwd=cwd, project_root=root), [])

    known = known_with(tuple(settings.rules_dirs) + cli_rules_dirs)

    def codes(tokens, hint):
        try:
            return _resolve(tokens, known)
        except CodeError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None

    cli_ignore, cli_select = codes(_split_codes(ignore), "--ignore"), codes(_split_codes(select), "--select")

    def layer(config, parent: dict | None, rules) -> dict:
        """The per-file values of one configuration over those of the configuration above it."""
        def configured(tokens, *where):
            try:
                return _resolve(tokens, rules)
            except CodeError as exc:
                raise ConfigError(config.shown, int(config.where(*where).rsplit(":", 1)[1]), str(exc)) from None

        out = dict(parent) if parent is not None else {
            "ignore": frozenset(), "select": frozenset(), "severity": {}, "per_file_ignores": (), "accept": (),
            "accept_file": None, "require_reason": False, "env_files": (), "var_files": (), "variables": {},
            "rules_dirs": (), "exclude": ()}
        has = (lambda key: key in config.lines) if parent is not None else (lambda key: True)
        if has("ignore"):
            out["ignore"] = frozenset().union(*[configured([c], "ignore", i) for i, c in enumerate(config.ignore)])
        if has("select"):
            out["select"] = frozenset().union(*[configured([c], "select", i) for i, c in enumerate(config.select)])
        if has("severity"):
            severity = {}
            for name, level in config.severity.items():
                for code in configured([name], "severity", name):
                    severity[code] = level
            out["severity"] = severity
        if has("per-file-ignores"):
            out["per_file_ignores"] = tuple(
                ((pattern, config.base), configured(tokens, "per-file-ignores", pattern))
                for pattern, tokens in config.per_file_ignores.items())
        if has("accept"):
            for index, entry in enumerate(config.accept):
                if "rules" in entry:
                    entry["rules"] = sorted(configured(entry["rules"], "accept", index, "rules"))
            out["accept"], out["accept_file"] = tuple(config.accept), config.path
        if has("require-reason"):
            out["require_reason"] = config.require_reason
        if has("env-file"):
            out["env_files"] = tuple(config.env_files)
        if has("var-file"):
            out["var_files"] = tuple(config.var_files)
        if has("vars"):
            out["variables"] = dict(config.variables)
        if parent is not None:  # rule folders and excludes add up, each anchored at its own folder
            out["rules_dirs"] = tuple(parent["rules_dirs"]) + tuple(config.rules_dirs)
            from portlint.discovery import patterns_of

            out["exclude"] = tuple(parent["exclude"]) + patterns_of((p, config.base) for p in config.exclude)
        else:
            out["rules_dirs"] = tuple(config.rules_dirs)
        return out

    try:
        own = layer(settings, None, known)
    except ConfigError as exc:
        raise click.UsageError(f"invalid configuration: {_clean(str(exc))}") from None
    options.ignore = cli_ignore | own["ignore"]
    options.select = cli_select if select else own["select"]
    options.severity = own["severity"]
    options.per_file_ignores = own["per_file_ignores"]
    options.accept = list(own["accept"])
    options.require_reason = own["require_reason"]
    options.env_files = tuple(env_file) or own["env_files"]
    options.var_files = own["var_files"] + tuple(var_file)
    options.variables = {**own["variables"], **cli_vars}
    options.rules_dirs = own["rules_dirs"] + cli_rules_dirs
    options.compose_projects = tuple((tuple(p["files"]), tuple(p["env_files"]), shown_config or "", p["line"])
                                   for p in settings.compose_projects)  # run-wide: the run's own file
    options.stdin = stdin
    tree = None
    if not trusted and not isolated:
        from portlint.engine import Scope

        layers: dict[int, dict] = {}

        def load(path: Path):
            return load_config(path, display_path(path, root), root=root)

        def build(config, parent_scope):
            above = layers[id(parent_scope)] if parent_scope is not None else own
            values = layer(config, above, known_with(tuple(above["rules_dirs"]) + tuple(config.rules_dirs)
                                                     + cli_rules_dirs))
            options.errors.extend(InputError(config.shown, line, message) for line, message in config.problems)
            _note_read(options, config.path)
            scope = Scope(
                config_file=config.path, exclude=values["exclude"], ignore=cli_ignore | values["ignore"],
                select=cli_select if select else values["select"], severity=dict(values["severity"]),
                per_file_ignores=values["per_file_ignores"], accept=values["accept"],
                accept_file=values["accept_file"] or config_file, require_reason=values["require_reason"],
                env_files=tuple(env_file) or values["env_files"], var_files=values["var_files"] + tuple(var_file),
                variables={**values["variables"], **cli_vars}, rules_dirs=values["rules_dirs"] + cli_rules_dirs)
            layers[id(scope)] = values
            return scope

        tree = ConfigTree(root, config_file.parent if config_file is not None else None, load, build)
        options.scopes = tree
    holder = Settings(settings, trusted, tree)
    options.settings = holder
    if config_file is not None:
        _note_read(options, config_file)
        options.errors.extend(InputError(shown_config, line, message) for line, message in settings.problems)
    return options, settings.fail_on


def _resolve(tokens, known) -> frozenset[str]:
    from portlint.config import resolve_codes

    return resolve_codes(tokens, known)


def _confine_rules_dirs(settings, root: Path) -> None:
    """A configuration named with --config: its rules-dir entries must still lie in the project."""
    from portlint.inputs import is_inside

    for folder in list(settings.rules_dirs):
        if not is_inside(folder, root):
            settings.rules_dirs.remove(folder)
            settings.problems.append((1, f"rules-dir {folder.as_posix()} is outside the project root "
                                         f"{root.as_posix()}; not read (rule folders must be inside it)"))


def _note_read(options, path: Path) -> None:
    try:
        info = os.stat(path)
    except OSError:
        return
    options.read.add((info.st_dev, info.st_ino))


def _run(paths, options, with_findings: bool):
    from portlint.config import ConfigError
    from portlint.engine import run
    from portlint.plugins import PluginError

    from portlint.declarative import RuleFileError

    named = [Path(p) for p in paths if str(p) != "-"]
    if not named and getattr(options, "stdin", None) is None:
        named = [Path(".")]
    _apply_performance(options)
    try:
        return run(named, options, with_findings=with_findings)
    except (PluginError, RuleFileError) as exc:
        raise click.UsageError(_clean(str(exc))) from None
    except ConfigError as exc:  # a configuration below the run's own, met while walking
        raise click.UsageError(f"invalid configuration: {_clean(str(exc))}") from None
    except FileNotFoundError as exc:
        raise click.BadParameter(f"path {_clean(str(exc))} does not exist", param_hint="PATHS") from None


def _remember_option(ctx, param, value):
    if value is not None:
        ctx.meta.setdefault("portlint.performance", {})[param.name] = value
    return value


def _performance(function):
    """--jobs, --cache-dir and --no-cache (see docs/performance.md), applied in ``_run``."""
    for option in (
        click.option("--jobs", "-j", type=click.IntRange(min=0), default=None, expose_value=False,
                     callback=_remember_option,
                     help="Worker processes for parsing (default: the CPUs this process may use, from its "
                          "affinity and its container's CPU quota; 1: strictly sequential)."),
        click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     expose_value=False, callback=_remember_option,
                     help="Keep the result cache here instead of the user cache folder "
                          "(PORTLINT_CACHE_DIR, else ~/.cache/portlint)."),
        click.option("--no-cache", is_flag=True, default=None, expose_value=False, callback=_remember_option,
                     help="Parse every file again; neither read nor write the result cache."),
    ):
        function = option(function)
    return function


def _apply_performance(options) -> None:
    chosen = click.get_current_context().meta.get("portlint.performance", {})
    options.jobs = chosen.get("jobs") or 0
    options.cache_dir = chosen.get("cache_dir")
    options.cache = not chosen.get("no_cache") and not os.environ.get("PORTLINT_NO_CACHE")


_paths = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
_exclude = click.option("--exclude", multiple=True, metavar="PATTERN",
                        help="Skip files and folders matching this gitignore-style PATTERN, relative to the "
                             "project root; applies to files named on the command line too (repeatable).")
_force_exclude = click.option(
    "--force-exclude/--no-force-exclude", default=None,
    help="Apply excludes to paths named on the command line (default: on, as pre-commit needs).")
_isolated = click.option("--isolated", is_flag=True,
                         help="Ignore every configuration file in the tree (.portlint.yaml, pyproject.toml).")
_var_file = click.option("--var-file", multiple=True,
                         type=click.Path(path_type=Path, dir_okay=False, exists=True),
                         help="Terraform variables file for root modules, after the automatic ones (repeatable).")
_var = click.option("--var", multiple=True, metavar="NAME=VALUE",
                    help="Terraform variable for root modules; wins over every file (repeatable).")
_config = click.option("--config", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                       help="Settings file to use instead of any in the tree (trusted: use it in CI for pull "
                            "requests). Default: for each file, the nearest .portlint.yaml, .portlint.yml or "
                            "pyproject.toml with [tool.portlint] above it, up to the repository root (run-wide "
                            "settings from the root-most one).")
_rules_dir = click.option("--rules-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False),
                          help="Folder of declarative YAML rules to add (repeatable).")
_project_root = click.option(
    "--project-root", type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Folder nothing outside of is read (default: the git top level of PATHS, else the folder of the "
         "configuration file, else the current folder).")
def _link_base(function):
    from portlint.cli_render import link_base_option

    return link_base_option(function)


def _read_stdin(name: str | None) -> tuple[str, str]:
    """Standard input as (name, text), within the file size limit."""
    from portlint import limits

    data = click.get_binary_stream("stdin").read(limits.FILE_BYTES + 1)
    if len(data) > limits.FILE_BYTES:
        raise click.UsageError(f"standard input is over portlint's limit of {limits.FILE_BYTES:,} bytes "
                               "(raise it with PORTLINT_MAX_FILE_BYTES)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.UsageError("standard input is not UTF-8 text") from None
    return name or "stdin.yaml", text


_env_file = click.option("--env-file", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
                         help="Compose interpolation values, instead of the .env beside each file (repeatable).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="portlint")
@_debug
def cli() -> None:
    """Find risky network port exposure in infrastructure configuration."""


def _check_formats() -> list[str]:
    from portlint.formatters import CHECK_FORMATS

    return list(CHECK_FORMATS)


def _parse_reports(values: Sequence[str]) -> list[tuple[str, Path]]:
    pairs = []
    for value in values:
        fmt, sep, target = value.partition(":")
        if not sep or fmt not in _check_formats() or not target:
            raise click.BadParameter(f"{value!r} is not FORMAT:FILE with FORMAT one of {', '.join(_check_formats())}",
                                     param_hint="--report")
        pairs.append((fmt, Path(target)))
    return pairs


class _Progress:
    """A one-line counter on stderr, shown only on a terminal and only for runs that take a while."""

    def __init__(self) -> None:
        import time

        self.clock = time.monotonic
        self.start = self.clock()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if self.clock() - self.start < 0.5 and not self.shown:
            return
        self.shown = True
        click.echo(f"\rportlint: {done}/{total} files parsed", nl=False, err=True)

    def close(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 60 + "\r", nl=False, err=True)


@cli.command()
@_paths
@click.option("--format", "-f", "fmt", type=click.Choice(_check_formats()), default=None,
              help="Output format (default: text; github when run in GitHub Actions).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the output to FILE instead of standard output.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT:FILE",
              help="Also write FORMAT to FILE, e.g. sarif:portlint.sarif (repeatable).")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Ignore the findings recorded in this baseline file; report only new ones.")
@click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Record every current finding in this baseline file (and exit 0 unless input errors).")
@click.option("--fail-on", type=click.Choice(SEVERITY_CHOICES), default=None,
              help="Exit 1 when a finding is at or above this severity (default: medium).")
@_exclude
@_env_file
@_var_file
@_var
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Rule codes, names or code prefixes (PL4) to skip, comma-separated; case-insensitive. "
                   "An unknown code is a usage error.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only run these rule codes, names or code prefixes (PL1), comma-separated; case-insensitive. "
                   "An unknown code is a usage error.")
@click.option("--color/--no-color", default=None,
              help="Colour the text output (default: on a terminal; NO_COLOR turns it off, FORCE_COLOR on).")
@click.option("--stdin-filename", metavar="NAME",
              help="With PATH -: check standard input as if it were the file NAME (its name picks the parser).")
@click.option("--fail-on-empty", is_flag=True, default=None,
              help="Exit 2 when the run checked no file (a typo in PATHS, everything excluded).")
@_config
@_isolated
@_force_exclude
@_rules_dir
@_project_root
@_performance
@_debug
@click.pass_context
def check(ctx, paths, fmt, output, reports, baseline, write_baseline, fail_on, exclude, env_file, var_file, var,
          ignore, select, color, stdin_filename, fail_on_empty, config, isolated, force_exclude, rules_dir,
          project_root):
    """Check PATHS (files, folders, or - for standard input; default: .) for risky port exposure.

    Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or input errors
    (and, with --fail-on-empty, a run that checked no file).
    """
    from portlint.engine import exit_code
    from portlint.formatters import CHECK_FORMATS, get_renderer
    from portlint.model import Severity

    stdin = _stdin_for(paths, stdin_filename)
    options, configured_fail_on = _options(exclude, env_file, var_file, var, ignore, select, config, rules_dir,
                                           paths, project_root, isolated, force_exclude, stdin)
    settings = options.settings.config
    extra = _parse_reports(tuple(settings.reports) + tuple(reports))
    if baseline is None and write_baseline is None and settings.baseline is not None:
        baseline = settings.baseline
    fail_on = fail_on or configured_fail_on or "medium"
    if fail_on_empty is None:
        fail_on_empty = bool(settings.fail_on_empty)
    docs_url = _docs_url(settings)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" and not output else "text"
    colour = _use_colour(color) and output is None
    run_cache = None
    if stdin is None and write_baseline is None and baseline is None and "html" not in [fmt] + [f for f, _ in extra]:
        run_cache = _replay_or_record(ctx, options, paths, {
            "params": ctx.params, "fmt": fmt, "colour": colour, "fail_on": fail_on,
            "fail_on_empty": fail_on_empty, "extra": extra, "output": output, "docs_url": docs_url})
    progress = _Progress() if sys.stderr.isatty() else None
    options.progress = progress
    try:
        report = _run(paths, options, with_findings=True)
    finally:
        if progress:
            progress.close()
    if write_baseline is not None or baseline is not None:
        from portlint.baseline import BaselineError, settle

        from portlint.engine import available_rules

        known = list(report.rules) + [cls for cls in available_rules(options, []) if cls not in report.rules]
        try:
            stale = settle(report, write_to=write_baseline, compare_with=baseline,
                           write=lambda target, text: _write(target, text, options),
                           checked=set(options.texts), rules=known)
        except BaselineError as exc:
            raise click.BadParameter(_clean(str(exc)), param_hint="--baseline") from None
        _report_stale(baseline, stale)
    threshold = None if fail_on == "never" else Severity.parse(fail_on)
    empty = _say_if_empty(report, paths)
    for notice in report.notices:  # skipped on purpose (unrendered Helm templates): never the exit code
        _say(f"portlint: notice: {_clean(notice.file)}: {_clean(notice.message)}")
    render_options = {"color": colour, "fail_on": threshold, "severity": dict(options.severity),
                      "project_root": options.project_root, "docs_url": docs_url}
    if fmt == "html" or any(extra_fmt == "html" for extra_fmt, _ in extra):
        from portlint.cli_render import page_options

        render_options.update(page_options(report, options, output))
    written = []
    for extra_fmt, target in extra:
        text = get_renderer(CHECK_FORMATS, extra_fmt)(report, {**render_options, "color": False,
                                                               "page_dir": target.parent})
        _write(target, text, options)
        written.append((str(target), text))
    text = get_renderer(CHECK_FORMATS, fmt)(report, render_options)
    if output is not None:
        _write(output, text, options)
    else:
        click.echo(text, nl=False, color=colour)
    status = 2 if empty and fail_on_empty else exit_code(report, threshold)
    if run_cache is not None:
        _keep_run(run_cache, options, report, text, written, status)
    ctx.exit(status)


def _replay_or_record(ctx, options, paths, command: dict):
    """An unchanged re-run is replayed from the run cache (portlint.cache.RunCache) and exits here;
    otherwise the run cache to keep this run in (None when it cannot be kept), recording from now."""
    global _SAID
    from datetime import date

    from portlint.cache import RunCache, RunRecord

    _apply_performance(options)
    run_cache = RunCache.open(options, [Path(p) for p in paths], command)
    if run_cache is None:
        return None
    replay = run_cache.lookup(options.environ, (options.today or date.today()).isoformat())
    if replay is not None:
        options.read.update((device, inode) for device, inode in replay["read"])
        for line in replay["stderr"]:
            _say(line)
        for target, text in replay["written"]:
            _write(Path(target), text, options)
        if command["output"] is not None:
            _write(command["output"], replay["stdout"], options)
        else:
            click.echo(replay["stdout"], nl=False, color=command["colour"])
        ctx.exit(replay["exit"])
    RunRecord.current = RunRecord()
    _SAID = []
    return run_cache


def _keep_run(run_cache, options, report, text: str, written: list, status: int) -> None:
    global _SAID
    from datetime import date

    from portlint.cache import RunRecord

    record, said = RunRecord.current, _SAID
    RunRecord.current, _SAID = None, None
    if record is None or said is None:
        return
    dated = any(w.expires is not None for w in report.waivers.values()) or "expire" in repr(options.accept)
    run_cache.store(record, options, text, said, written, status, dated, (options.today or date.today()).isoformat())


def _stdin_for(paths, name: str | None):
    """Standard input when PATHS has ``-``; --stdin-filename without it is a usage error."""
    dashes = sum(1 for p in paths if str(p) == "-")
    if dashes > 1:
        raise click.BadParameter("- (standard input) may be named only once", param_hint="PATHS")
    if not dashes:
        if name is not None:
            raise click.BadParameter("needs - among PATHS (standard input)", param_hint="--stdin-filename")
        return None
    return _read_stdin(name)


def _docs_url(settings) -> str | None:
    """The rule pages' base URL for SARIF: ``docs-url`` of the configuration, else PORTLINT_DOCS_URL
    (a value that is not an http(s) URL is a usage error, not a silently dropped link)."""
    from portlint.formatters.sarif import DOCS_URL_ENV, is_docs_url

    value = settings.docs_url or os.environ.get(DOCS_URL_ENV) or None
    if value is not None and not is_docs_url(value):
        raise click.UsageError(f"{DOCS_URL_ENV} {_clean(value)[:80]!r} is not an http(s) URL")
    return value


def _say_if_empty(report, paths) -> bool:
    """Say on standard error when the run checked no file; True then."""
    if report.files_scanned or report.errors:
        return False
    named = ", ".join(_clean(str(p)) for p in paths) or "."
    _say(f"portlint: warning: no file was checked in {named}: no file there is one portlint reads "
         "(Compose, Terraform, firewall YAML, CloudFormation, Kubernetes, Ansible), or every one is excluded. "
         "A pipe such as <(helm template ...) is read with `- --stdin-filename NAME`; "
         "--fail-on-empty makes this exit 2.")
    return True


def _report_stale(baseline, stale: list[dict]) -> None:
    """Recorded baseline findings that no longer occur: the baseline should be written again."""
    if not stale:
        return
    total = sum(entry["count"] for entry in stale)
    _say(f"portlint: note: {total} finding(s) recorded in {_clean(str(baseline))} no longer occur "
         "(fixed, or changed so that they are new); write the baseline again to drop them:")
    for entry in stale[:20]:
        _say(f"  {_clean(str(entry.get('file')))}: {_clean(str(entry.get('rule_id')))} "
             f"{_clean(str(entry.get('resource') or ''))} x{entry['count']}")
    if len(stale) > 20:
        _say(f"  ... and {len(stale) - 20} more")


def _write(target: Path, text: str, options) -> None:
    """Write an output file, never through a symbolic link and never over a file the run read.

    Any failure is an OutputError (exit 2): a check whose report was not
    written did not complete.
    """
    import errno
    import stat

    absolute = Path(os.path.abspath(options.cwd / target))
    _refuse_links_in(absolute, target, options)
    try:
        info = os.stat(absolute)
    except OSError:
        info = None
    if info is not None and (info.st_dev, info.st_ino) in options.read:
        raise OutputError(target, "portlint read that file in this run (it is being checked); "
                                  "choose an output path outside the checked files")
    try:
        absolute.parent.mkdir(parents=True, exist_ok=True)
        flags = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        fd = os.open(absolute, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(target, "it is a symbolic link; portlint never writes through one") from None
        raise OutputError(target, _clean(exc.strerror or str(exc))) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if not stat.S_ISREG(mode) and _in_project(absolute, options):
                raise OutputError(target, "not a regular file")
            fh.write(text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(target, _clean(exc.strerror or str(exc))) from None


def _in_project(path: Path, options) -> bool:
    root = options.project_root
    return root is not None and (path == root or Path(os.path.realpath(path.parent)).is_relative_to(root)
                                 or path.is_relative_to(root))


def _refuse_links_in(absolute: Path, target: Path, options) -> None:
    """No folder on the way to an output inside the project may be a symbolic link (planted by the tree)."""
    if not _in_project(absolute, options):
        return
    root = options.project_root
    lexical_root = next((p for p in (absolute, *absolute.parents) if os.path.realpath(p) == str(root)), None)
    for folder in reversed(absolute.parents):
        if lexical_root is not None and not folder.is_relative_to(lexical_root):
            continue  # above the project: the machine's own links (/tmp -> /private/tmp) are fine
        if os.path.islink(folder):
            raise OutputError(target, f"{_clean(folder.as_posix())} is a symbolic link; "
                                      "portlint never writes through one")


@cli.command()
@_paths
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "html"]), default="table",
              show_default=True, help="Output format (html: a self-contained port map page).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the output to FILE instead of standard output.")
@_link_base
@_exclude
@_env_file
@_var_file
@_var
@_config
@_isolated
@_force_exclude
@_project_root
@_performance
@_debug
@click.pass_context
def inventory(ctx, paths, fmt, output, link_base, exclude, env_file, var_file, var, config, isolated,
              force_exclude, project_root):
    """List every exposure found in PATHS, risky or not: the port map of the tree.

    json and html also carry each exposure's findings (open, suppressed or accepted).
    """
    from portlint.cli_render import page_options
    from portlint.formatters import INVENTORY_FORMATS, get_renderer

    options = _options(exclude, env_file, var_file, var, config=config, paths=paths, project_root=project_root,
                       isolated=isolated, force_exclude=force_exclude)[0]
    report = _run(paths, options, with_findings=fmt != "table")
    render_options = page_options(report, options, output, link_base) if fmt != "table" else {}
    text = get_renderer(INVENTORY_FORMATS, fmt)(report, render_options)
    if output is not None:
        _write(output, text, options)
    else:
        click.echo(text, nl=False)
    ctx.exit(2 if report.errors else 0)


#: what each configuration key is when nothing sets it
_DEFAULTS = {"fail-on": "medium", "fail-on-empty": False, "select": "all rules", "ignore": [],
             "per-file-ignores": {}, "severity": {}, "exclude": [], "force-exclude": True,
             "env-file": ".env beside each Compose file", "var-file": [], "vars": {}, "rules-dir": [],
             "baseline": None, "reports": [], "require-reason": False, "accept": [],
             "docs-url": "PORTLINT_DOCS_URL, else none (SARIF without helpUri)"}


@cli.command("config")
@_paths
@_config
@_isolated
@_project_root
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--schema", is_flag=True, help="Print the configuration's JSON Schema (for editors) and exit.")
@_debug
def config_command(paths, config, isolated, project_root, fmt, schema):
    """Show the configuration each of PATHS is checked with, and where each value comes from.

    Each file takes its per-file settings (select, ignore, severity, exclude, accept ...)
    from the nearest .portlint.yaml, .portlint.yml or pyproject.toml with [tool.portlint]
    above it, up to the repository root; run-wide settings (fail-on, baseline, reports)
    come from the root-most one. --config replaces them all, --isolated ignores them.
    Codes are validated as check does.
    """
    import json

    from portlint.config import SCHEMA_FILE

    if schema:
        click.echo(SCHEMA_FILE.read_text(encoding="utf-8"), nl=False)
        return
    options, _ = _options((), (), paths=paths, config=config, project_root=project_root, isolated=isolated)
    targets = [Path(p) for p in paths if str(p) != "-"] or [Path(".")]
    summaries = [_effective(options, target, isolated) for target in targets]
    if fmt == "json":
        click.echo(json.dumps(summaries[0] if len(summaries) == 1 else summaries, indent=2, default=str))
        return
    holder = options.settings
    shown = summaries[0]["configuration"]
    how = ("given with --config (trusted)" if holder.trusted else "found walking up from the checked paths")
    click.echo(f"# configuration: {shown + ' (' + how + ')' if shown else 'none' + (' (--isolated)' if isolated else '')}")
    click.echo(f"# project root: {options.display_base.as_posix()} (paths, excludes and baselines are relative to it)")
    for summary in summaries:
        if len(summaries) > 1 or summary["nested"]:
            nested = ", ".join(summary["nested"]) or "none"
            click.echo(f"# for {summary['path']}: configurations below it, nearest first: {nested}")
        for key, item in summary["settings"].items():
            click.echo(f"{key}: {json.dumps(item['value'], default=str)}  # {item['from']}")


def _effective(options, target: Path, isolated: bool) -> dict:
    """The configuration a file or folder is checked with, and where each value comes from: per-file
    keys from the nearest configuration above it that sets them (exclude and rules-dir add up),
    run-wide keys from the run's own configuration."""
    from portlint.config import PER_FILE_KEYS, ConfigError, config_in, load_config
    from portlint.engine import display_path

    holder = options.settings
    root = options.display_base
    absolute = Path(os.path.abspath(options.cwd / target))
    folder = absolute if absolute.is_dir() else absolute.parent
    nested = []  # nearest first
    tree = holder.tree
    if tree is not None:
        try:
            tree.for_folder(folder)  # validates every configuration on the way (codes, keys)
            current = os.path.realpath(folder)
            for _ in range(4096):
                if current == tree.top or not (current == tree.root.as_posix()
                                               or current.startswith(tree.root.as_posix() + "/")):
                    break
                found = config_in(Path(current))
                if found is not None:
                    nested.append(load_config(found, display_path(found, root), root=root))
                if current == tree.root.as_posix() or os.path.dirname(current) == current:
                    break
                current = os.path.dirname(current)
        except ConfigError as exc:
            raise click.UsageError(f"invalid configuration: {_clean(str(exc))}") from None
    own = holder.config
    values = {}
    for key, default in _DEFAULTS.items():
        chain = (nested + [own]) if key in PER_FILE_KEYS else [own]
        setting = [c for c in chain if key in c.lines or (isinstance(c.document, dict) and key in c.document)]
        if key in ("exclude", "rules-dir") and len(setting) > 1:
            value = []
            for c in reversed(setting):
                value.extend(_shown_value(c, key, root))
            values[key] = {"value": value, "from": ", ".join(c.where(key) for c in setting)}
        elif setting:
            values[key] = {"value": _shown_value(setting[0], key, root), "from": setting[0].where(key)}
        else:
            values[key] = {"value": default, "from": "default"}
    shown = display_path(options.config_file, root) if options.config_file else None
    return {"path": display_path(absolute, root), "configuration": shown, "trusted": holder.trusted,
            "isolated": bool(isolated), "project_root": root.as_posix(),
            "nested": [c.shown for c in nested], "settings": values}


def _shown_value(settings, key: str, root: Path):
    from portlint.engine import display_path

    attr = {"rules-dir": "rules_dirs", "env-file": "env_files", "var-file": "var_files",
            "vars": "variables"}.get(key, key.replace("-", "_"))
    value = getattr(settings, attr, None)
    if isinstance(value, list) and value and isinstance(value[0], Path):
        value = [display_path(v, root) for v in value]
    elif isinstance(value, Path):
        value = display_path(value, root)
    if key == "accept":
        value = [{k: (str(v) if k == "expires" and v is not None else v) for k, v in e.items()
                  if k not in ("line", "origin")} for e in value]
    return value


def _register_reference_commands() -> None:
    from portlint.cli_reference import explain, port, rules
    from portlint.cli_render import render

    for command in (rules, explain, port, render):
        cli.add_command(command)


_register_reference_commands()


def _register_diff_command() -> None:
    from portlint.cli_diff import diff

    cli.add_command(diff)


_register_diff_command()


def _register_trust_command() -> None:
    from portlint.cli_trust import trust

    cli.add_command(trust)


_register_trust_command()


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status instead of raising.

    0 and 1 mean the check ran completely; anything that stopped it (usage,
    input, output or internal errors) is 2, with one line and no traceback
    unless ``--debug`` is given.
    """
    global _DEBUG
    _DEBUG = False
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="portlint",
                          standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code if exc.exit_code != 1 else 2
    except (click.Abort, KeyboardInterrupt):
        click.echo("Aborted.", err=True)
        return 130
    except OSError as exc:
        if not _stdout_broken(exc):
            return _internal_error(exc)
        _say(f"portlint: cannot write standard output: {exc.strerror or exc}")
        return 2
    except Exception as exc:  # anything else is our bug or the machine's: never a traceback, never exit 1
        return _internal_error(exc)
    return result if isinstance(result, int) else 0


def run() -> None:
    """The console script (and ``python -m portlint``): ``main``, then the process ends without
    tearing the interpreter down.

    Freeing the objects of a run one by one at exit cost 15 ms of a 190 ms run over 400 Compose
    files (mypy skips it the same way). Nothing is lost: every file portlint writes is closed
    before ``main`` returns, no exit handler of portlint's is registered, and standard output is
    flushed here (a failure to write it is exit 2, as anywhere else).
    """
    status = main()
    try:
        sys.stdout.flush()
    except (OSError, ValueError) as exc:
        _say(f"portlint: cannot write standard output: {getattr(exc, 'strerror', None) or exc}")
        status = 2
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(status)


def _stdout_broken(exc: OSError) -> bool:
    """Whether ``exc`` failed a write to standard output (a full disk, a closed pipe): the innermost
    frame was writing to it, or its buffer does not flush. Then standard output is pointed at
    /dev/null, so that Python's own flush at exit says nothing more."""
    streams = [stream for stream in (sys.stdout, sys.__stdout__) if stream is not None]
    streams += [getattr(stream, "buffer", None) for stream in streams]
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    writing = tb is not None and any(any(value is stream for stream in streams if stream is not None)
                                     for value in tb.tb_frame.f_locals.values())
    try:
        sys.stdout.flush()
        if not writing:
            return False
    except (OSError, ValueError):
        pass
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return True


def _internal_error(exc: Exception) -> int:
    """Our bug or the machine's: one line, exit 2 (called while ``exc`` is being handled)."""
    if _DEBUG:
        import traceback

        traceback.print_exc()
    else:
        _say(f"portlint: internal error: {type(exc).__name__}: {_clean(str(exc), 300)} "
             "(run with --debug for the traceback)")
    return 2


#: lines said on standard error while a run is recorded for the run cache (see _replay_or_record)
_SAID: list | None = None


def _say(line: str) -> None:
    if _SAID is not None:
        _SAID.append(line)
    try:
        click.echo(line, err=True)
    except Exception:  # pragma: no cover - stderr itself is gone
        pass
