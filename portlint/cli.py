"""Command line: a thin layer over the engine and the formatters."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

import click

from portlint import __version__

SEVERITY_CHOICES = ["critical", "high", "medium", "low", "info", "never"]


def _split_codes(values: Sequence[str]) -> frozenset[str]:
    return frozenset(code.strip() for value in values for code in value.split(",") if code.strip())


def _use_colour(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _options(exclude, env_file, var_file=(), var=(), ignore=(), select=(), config=None, rules_dir=()):
    """Engine options from the command line over ``.portlint.yaml``, and the configured fail-on."""
    from portlint.config import ConfigError, find_config, load_config
    from portlint.engine import Options

    cwd = Path.cwd()
    try:
        settings = load_config(config or find_config(cwd))
    except ConfigError as exc:
        raise click.UsageError(f"invalid configuration: {exc}") from None
    variables = {}
    for item in var:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--var")
        variables[name.strip()] = value
    options = Options(
        exclude=tuple(settings.exclude) + tuple(exclude), env_files=tuple(env_file), var_files=tuple(var_file),
        variables=variables, ignore=_split_codes(list(settings.ignore) + list(ignore)),
        select=_split_codes(list(select) or settings.select), rules_dirs=tuple(settings.rules_dirs) + tuple(rules_dir),
        severity=settings.severity, cwd=cwd,
    )
    return options, settings.fail_on


def _run(paths, options, with_findings: bool):
    from portlint.engine import run
    from portlint.plugins import PluginError

    from portlint.declarative import RuleFileError

    try:
        return run([Path(p) for p in paths] or [Path(".")], options, with_findings=with_findings)
    except (PluginError, RuleFileError) as exc:
        raise click.UsageError(str(exc)) from None
    except FileNotFoundError as exc:
        raise click.BadParameter(f"path {exc} does not exist", param_hint="PATHS") from None


_paths = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
_exclude = click.option("--exclude", multiple=True, metavar="GLOB",
                        help="Skip files and folders matching GLOB (repeatable).")
_var_file = click.option("--var-file", multiple=True,
                         type=click.Path(path_type=Path, dir_okay=False, exists=True),
                         help="Terraform variables file for root modules, after the automatic ones (repeatable).")
_var = click.option("--var", multiple=True, metavar="NAME=VALUE",
                    help="Terraform variable for root modules; wins over every file (repeatable).")
_config = click.option("--config", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                       help="Settings file (default: .portlint.yaml in the current folder, if any).")
_rules_dir = click.option("--rules-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False),
                          help="Folder of declarative YAML rules to add (repeatable).")
_env_file = click.option("--env-file", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
                         help="Compose interpolation values, instead of the .env beside each file (repeatable).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="portlint")
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
@click.option("--ignore", multiple=True, metavar="CODES", help="Rule codes or names to skip (comma-separated).")
@click.option("--select", multiple=True, metavar="CODES", help="Only run these rule codes or names.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@_config
@_rules_dir
@click.pass_context
def check(ctx, paths, fmt, output, reports, baseline, write_baseline, fail_on, exclude, env_file, var_file, var,
          ignore, select, color, config, rules_dir):
    """Check PATHS (files or folders; default: .) for risky port exposure.

    Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or input errors.
    """
    from portlint.engine import exit_code
    from portlint.formatters import CHECK_FORMATS, get_renderer
    from portlint.model import Severity

    options, configured_fail_on = _options(exclude, env_file, var_file, var, ignore, select, config, rules_dir)
    extra = _parse_reports(reports)
    progress = _Progress() if sys.stderr.isatty() else None
    options.progress = progress
    try:
        report = _run(paths, options, with_findings=True)
    finally:
        if progress:
            progress.close()
    if write_baseline is not None or baseline is not None:
        from portlint.baseline import BaselineError, settle

        try:
            settle(report, write_to=write_baseline, compare_with=baseline)
        except BaselineError as exc:
            raise click.BadParameter(str(exc), param_hint="--baseline") from None
        except OSError as exc:
            raise click.FileError(str(write_baseline), hint=exc.strerror or str(exc)) from None
    fail_on = fail_on or configured_fail_on or "medium"
    threshold = None if fail_on == "never" else Severity.parse(fail_on)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" and not output else "text"
    colour = _use_colour(color) and output is None
    render_options = {"color": colour, "fail_on": threshold}
    for extra_fmt, target in extra:
        text = get_renderer(CHECK_FORMATS, extra_fmt)(report, {**render_options, "color": False})
        _write(target, text)
    text = get_renderer(CHECK_FORMATS, fmt)(report, render_options)
    if output is not None:
        _write(output, text)
    else:
        click.echo(text, nl=False, color=colour)
    ctx.exit(exit_code(report, threshold))


def _write(target: Path, text: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(str(target), hint=exc.strerror or str(exc)) from None


@cli.command()
@_paths
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@_exclude
@_env_file
@_var_file
@_var
@_config
@click.pass_context
def inventory(ctx, paths, fmt, exclude, env_file, var_file, var, config):
    """List every exposure found in PATHS, risky or not: the port map of the tree."""
    from portlint.formatters import INVENTORY_FORMATS, get_renderer

    report = _run(paths, _options(exclude, env_file, var_file, var, config=config)[0], with_findings=False)
    click.echo(get_renderer(INVENTORY_FORMATS, fmt)(report, {}), nl=False)
    ctx.exit(2 if report.errors else 0)


def _register_reference_commands() -> None:
    from portlint.cli_reference import explain, port, rules

    for command in (rules, explain, port):
        cli.add_command(command)


_register_reference_commands()


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit status instead of raising."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="portlint",
                          standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 130
    return result if isinstance(result, int) else 0
