"""Commands that explain portlint itself: ``rules``, ``explain``, ``port``."""

from __future__ import annotations

import json
from pathlib import Path

import click


def _rule_classes(rules_dir):
    """Built-in, plug-in and declarative rules, including the `rules-dir` of .portlint.yaml."""
    from portlint.config import ConfigError, find_config, load_config
    from portlint.declarative import RuleFileError
    from portlint.engine import Options, available_rules
    from portlint.plugins import PluginError

    try:
        configured = load_config(find_config(Path.cwd())).rules_dirs
        return available_rules(Options(environ={}, rules_dirs=tuple(configured) + tuple(rules_dir)))
    except (ConfigError, RuleFileError, PluginError) as exc:
        raise click.UsageError(str(exc)) from None


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--rules-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Also list the declarative rules in this folder.")
def rules(fmt, rules_dir):
    """List every rule: code, name, default severity, summary and where it comes from."""
    from portlint.formatters.reference import render_rules

    click.echo(render_rules(_rule_classes(rules_dir), fmt), nl=False)


@click.command()
@click.argument("rule")
@click.option("--rules-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def explain(rule, rules_dir):
    """Print the documentation of RULE (a code such as PL101, or a name)."""
    from portlint.formatters.reference import rule_markdown

    for cls in _rule_classes(rules_dir):
        if rule in (cls.code, cls.name) or rule.upper() == cls.code:
            click.echo(rule_markdown(cls))
            return
    raise click.BadParameter(f"no rule called {rule!r}; `portlint rules` lists them", param_hint="RULE")


@click.command()
@click.argument("query")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def port(query, fmt):
    """Look up a port (3389, 8000-8100) or a service name (redis): registry and risk entries."""
    from portlint.formatters.reference import port_report

    report = port_report(query)
    if not report["services"] and not report["risks"]:
        raise click.ClickException(f"nothing known about {query!r}")
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        from portlint.formatters.reference import render_port_text

        click.echo(render_port_text(report), nl=False)
