"""``portlint trust``: the base revision's configuration and what a change does to the gate (for CI)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("trust")
def trust() -> None:
    """Checks of pull requests a change cannot switch off (used by the GitHub Action)."""


def _repo() -> Path:
    from portlint.gitfs import GitError, top_level

    try:
        return top_level(Path.cwd())
    except GitError as exc:
        raise click.UsageError(str(exc)) from None


@trust.command("config")
@click.argument("base")
@click.option("--args", "user_args", default="", metavar="TEXT",
              help="The arguments the check will be given: with --config or --isolated among them, "
                   "nothing is written (the caller chose).")
def trust_config(base, user_args):
    """Write BASE's configuration to a new file at the top of the work tree and print the options
    that check with it, NUL-separated: --config FILE, or --isolated when BASE has none.

    The file is .portlint.yaml (else .portlint.yml, else [tool.portlint] of pyproject.toml) at
    the top of BASE's tree; it replaces every configuration in the checked tree. It is written in
    the work tree, not a temporary folder, because the paths and gitignore-style patterns in it are
    relative to its folder; whoever runs this removes it after the check (the GitHub Action does).
    """
    from portlint.gitfs import GitError
    from portlint.trust import write_trusted

    words = user_args.split()
    if any(w == "--isolated" or w == "--config" or w.startswith("--config=") for w in words):
        click.echo("portlint: note: the arguments name their own configuration; the base branch's is not used",
                   err=True)
        return
    repo = _repo()
    try:
        written = write_trusted(repo, base)
    except (GitError, LookupError) as exc:
        raise click.UsageError(f"cannot read the configuration of {base}: {exc}") from None
    if written is None:
        click.echo(f"portlint: note: {base} has no portlint configuration; checking with --isolated "
                   "(the change's own configuration files are not used)", err=True)
        click.echo("--isolated\0", nl=False)
        return
    click.echo(f"portlint: note: checking with the configuration of {base}, written to {written.name} at the "
               "top of the work tree (its relative paths and patterns mean what they mean there); remove it "
               f"after the check: rm -f -- {written.name}", err=True)
    click.echo(f"--config\0{written}\0", nl=False)


@trust.command("changes")
@click.argument("base")
@click.argument("head", default="HEAD")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format (markdown: for a job summary).")
@click.option("--checked-with-base", is_flag=True,
              help="Say (in markdown) that the check used BASE's configuration, so configuration changes "
                   "take effect only once merged.")
def trust_changes(base, head, fmt, checked_with_base):
    """List what the change from BASE to HEAD does to portlint's gate: configuration files it changes
    (and which keys), and suppression comments, Kubernetes annotations and accept entries it adds."""
    from portlint.gitfs import GitError
    from portlint.trust import gate_changes, markdown, text

    try:
        changes = gate_changes(_repo(), base, head)
    except GitError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        from portlint.formatters.escape import json_safe

        click.echo(json.dumps(json_safe(changes.to_dict()), indent=2))
    else:
        click.echo(markdown(changes, checked_with_base) if fmt == "markdown" else text(changes), nl=False)
