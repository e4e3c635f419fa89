"""Commands that explain portlint itself: ``rules``, ``explain``, ``port``."""

from __future__ import annotations

import json
from pathlib import Path

import click


def _rule_classes(rules_dir, isolated: bool = False):
    """Built-in, plug-in and declarative rules, including the `rules-dir` of .portlint.yaml."""
    from portlint.config import ConfigError, find_config, load_config
    from portlint.declarative import RuleFileError
    from portlint.engine import Options, available_rules
    from portlint.plugins import PluginError

    try:
        configured = load_config(find_config(Path.cwd())).rules_dirs if not isolated else []
        return available_rules(Options(environ={}, rules_dirs=tuple(configured) + tuple(rules_dir)))
    except (ConfigError, RuleFileError, PluginError) as exc:
        raise click.UsageError(str(exc)) from None


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("--rules-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Also list the declarative rules in this folder.")
def rules(fmt, rules_dir):
    """List every rule: code, name, default severity, summary and where it comes from."""
    from portlint.formatters.reference import render_rules

    click.echo(render_rules(_rule_classes(rules_dir), fmt), nl=False)


INPUT_ERROR_DOC = """# PL001 input-error

A file portlint was asked to check, or one it needed to read to check it, could not be
checked completely: it could not be read (not a regular file, outside the project root,
too large, not UTF-8), it did not parse, or a unit in it (a service, resource, document,
rule or setting) is invalid. The message says which, and the position is the line of the
smallest unit concerned; every other unit of the file is still checked.

- Severity: error. Input errors always make the run exit 2, whatever `--fail-on` says,
  because a file that was not checked may hide an exposure.
- They cannot be suppressed, accepted or baselined: fix the input, or exclude the file
  (`exclude:` in the configuration, `--exclude`).
"""


@click.command()
@click.argument("rule")
@click.option("--rules-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Also look in the declarative rules in this folder.")
def explain(rule, rules_dir):
    """Print the documentation of RULE (a code such as PL101, or a name; case-insensitive)."""
    from portlint.config import rules_keys, unknown_code_message
    from portlint.formatters.reference import rule_markdown

    if rule.strip().upper() in ("PL001", "INPUT-ERROR"):
        click.echo(INPUT_ERROR_DOC)
        return
    classes = _rule_classes(rules_dir)
    for cls in classes:
        if rule.strip().upper() in (cls.code.upper(), cls.name.upper()):
            click.echo(rule_markdown(cls))
            return
    raise click.BadParameter(unknown_code_message(rule.strip(), rules_keys(classes) + ["PL001"]),
                             param_hint="RULE")


def _port_query(query: str) -> tuple[str, str | None]:
    """(ports or name, protocol) from ``22``, ``22/udp``, ``8000-8100/tcp`` or ``redis``;
    a number outside 0-65535 or an unknown protocol is a usage error."""
    text, sep, proto = query.strip().partition("/")
    protocol = None
    if sep:
        protocol = proto.strip().lower()
        if protocol not in ("tcp", "udp", "sctp"):
            raise click.BadParameter(f"protocol {proto!r} is not tcp, udp or sctp", param_hint="QUERY")
    low, dash, high = text.partition("-")
    if low.strip().isdigit() or (dash and high.strip().isdigit()):
        if not (low.strip().isdigit() and (not dash or high.strip().isdigit())):
            raise click.BadParameter(f"{text!r} is not a port or a range N-M", param_hint="QUERY")
        numbers = [int(low)] + ([int(high)] if dash else [])
        if any(n > 65535 for n in numbers):
            raise click.BadParameter(f"{text!r} is not a port: ports run from 0 to 65535", param_hint="QUERY")
        if dash and numbers[0] > numbers[1]:
            raise click.BadParameter(f"{text!r}: the low end of a range comes first", param_hint="QUERY")
    elif sep and text.lstrip("-").strip().isdigit():
        raise click.BadParameter(f"{text!r} is not a port: ports run from 0 to 65535", param_hint="QUERY")
    return text.strip(), protocol


@click.command()
@click.argument("query")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def port(query, fmt):
    """Look up a port (3389, 22/udp, 8000-8100) or a service name (redis): registry and risk entries."""
    from portlint.formatters.reference import port_report

    text, protocol = _port_query(query)
    if text.startswith("-") and text[1:].strip().isdigit():
        raise click.BadParameter(f"{text!r} is not a port: ports run from 0 to 65535", param_hint="QUERY")
    report = port_report(text)
    if protocol is not None:
        report["query"] = query
        report["services"] = [s for s in report["services"] if protocol in s["protocols"]]
        report["risks"] = [r for r in report["risks"] if protocol in r["protocols"] or "all" in r["protocols"]]
    if not report["services"] and not report["risks"]:
        raise click.ClickException(f"nothing known about {query!r} (neither a registered service nor a risk "
                                   "entry)")
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        from portlint.formatters.reference import render_port_text

        click.echo(render_port_text(report), nl=False)
