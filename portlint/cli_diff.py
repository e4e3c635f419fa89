"""``portlint diff BASE [HEAD]``: what a change opens, widens, narrows or closes.

BASE and HEAD are git revisions (HEAD defaults to the work tree) or two
folders. Revisions are read from git's objects into private temporary folders
(``portlint.gitfs``); both sides are checked by the normal engine with the same
options and configuration, and the two exposure models are compared
(``portlint.diff``).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

#: format name -> "module:function"; the function takes (DiffResult, options) and returns text
DIFF_FORMATS = {
    "text": "portlint.formatters.diff_text:render",
    "markdown": "portlint.formatters.diff_markdown:render",
    "json": "portlint.formatters.diff_json:render",
    "sarif": "portlint.formatters.diff_sarif:render",
    "github": "portlint.formatters.diff_github:render",
}
_FAIL_ON = ["critical", "high", "medium", "low", "info", "never"]
#: files whose change alters how portlint judges the tree
CONFIG_NAMES = (".portlint.yaml", ".portlint.yml")


class DiffError(click.ClickException):
    """The diff could not be made (bad revision, not a repository, a limit): exit 2."""

    exit_code = 2


def _renderer(name: str):
    from importlib import import_module

    module_name, _, attr = DIFF_FORMATS[name].partition(":")
    return getattr(import_module(module_name), attr)


def _evaluate(folder: Path, options, label: str, revision: str | None, errors):
    import dataclasses

    from portlint.diff import Side
    from portlint.engine import run

    local = dataclasses.replace(options, cwd=folder, project_root=folder, progress=None)
    report = run([folder], local, with_findings=True)
    return Side(label, report, revision, list(errors))


def _walk(folder: Path) -> dict[str, str]:
    """Relative path -> content hash of every regular file below ``folder`` (two-folder mode)."""
    import hashlib

    from portlint import limits
    from portlint.discovery import SKIP_DIRS

    found: dict[str, str] = {}
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in files:
            path = Path(top) / name
            if path.is_symlink() or not path.is_file():
                continue
            rel = path.relative_to(folder).as_posix()
            try:
                if path.stat().st_size > limits.FILE_BYTES:
                    found[rel] = "too-big"
                    continue
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                found[rel] = "unreadable"
            if len(found) > limits.FILES:
                from portlint.limits import LimitExceeded

                raise LimitExceeded(f"{folder}: more than {limits.FILES:,} files", limits.FILES, "FILES")
    return found


def _folder_changes(base: Path, head: Path) -> tuple[dict[str, str], list[str]]:
    """(renames new -> old by identical content, changed files) between two folders."""
    old, new = _walk(base), _walk(head)
    changed = sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))
    gone = {digest: path for path, digest in sorted(old.items()) if path not in new}
    renamed = {}
    for path, digest in sorted(new.items()):
        if path not in old and digest in gone and len(digest) == 64:
            renamed[path] = gone.pop(digest)
    return renamed, changed


def _config_changes(changed: list[str]) -> list[str]:
    return [p for p in changed if p.rsplit("/", 1)[-1] in CONFIG_NAMES]


def compute(base: str, head: str | None, options, cwd: Path):
    """The DiffResult for BASE and HEAD (revisions, or two folders)."""
    import tempfile

    from portlint import gitfs
    from portlint.diff import compare_reports

    from portlint.inputs import project_root

    base_dir, head_dir = cwd / base, (cwd / head) if head else None
    if head_dir is not None and base_dir.is_dir() and head_dir.is_dir():
        options.project_root = project_root([base_dir, head_dir], cwd)
        renamed, changed = _folder_changes(base_dir, head_dir)
        base_side = _evaluate(base_dir.resolve(), options, base, None, ())
        head_side = _evaluate(head_dir.resolve(), options, head, None, ())
        return compare_reports(base_side, head_side, renamed, changed, _config_changes(changed))
    repo = gitfs.top_level(cwd)
    options.project_root = Path(os.path.realpath(repo))
    base_sha = gitfs.resolve(repo, base)
    head_sha = gitfs.resolve(repo, head) if head else None
    with tempfile.TemporaryDirectory(prefix="portlint-diff-") as scratch:
        base_tree_dir, head_tree_dir = Path(scratch) / "base", Path(scratch) / "head"
        base_tree_dir.mkdir()
        head_tree_dir.mkdir()
        base_tree = gitfs.materialise_revision(repo, base_sha, base_tree_dir, base)
        if head_sha is None:
            head_tree = gitfs.materialise_worktree(repo, head_tree_dir, "work tree")
            getattr(options, "read", set()).update(head_tree.read)
        else:
            head_tree = gitfs.materialise_revision(repo, head_sha, head_tree_dir, head or "")
        renamed = gitfs.renames(repo, base_sha, head_sha)
        changed = gitfs.changed_files(repo, base_sha, head_sha)
        base_side = _evaluate(base_tree_dir, options, base, base_sha, base_tree.errors)
        head_side = _evaluate(head_tree_dir, options, head or "work tree", head_sha, head_tree.errors)
    return compare_reports(base_side, head_side, renamed, changed, _config_changes(changed))


@click.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option("--format", "-f", "fmt", type=click.Choice(list(DIFF_FORMATS)), default=None,
              help="Output format (default: text; github when run in GitHub Actions).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the output to FILE instead of standard output.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT:FILE",
              help="Also write FORMAT to FILE, e.g. markdown:diff.md (repeatable).")
@click.option("--fail-on", type=click.Choice(_FAIL_ON), default=None,
              help="Exit 1 when an opened or widened exposure has a finding at or above this severity "
                   "(default: the configured one, else medium).")
@click.option("--max-rows", type=click.IntRange(min=1), default=10, show_default=True,
              help="Markdown: opened and widened exposures listed before the rest is folded away.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files and folders matching GLOB (repeatable).")
@click.option("--var", multiple=True, metavar="NAME=VALUE", help="Terraform variable for root modules (repeatable).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rule codes or names to skip (comma-separated).")
@click.option("--select", multiple=True, metavar="CODES", help="Only run these rule codes or names.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Settings file for both sides (default: .portlint.yaml in the current folder, if any).")
@click.option("--rules-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder of declarative YAML rules to add (repeatable).")
@click.pass_context
def diff(ctx, base, head, fmt, output, reports, fail_on, max_rows, exclude, var, ignore, select, color, config,
         rules_dir):
    """Compare the exposure of BASE and HEAD: what the change opens, widens, narrows or closes.

    BASE and HEAD are git revisions (HEAD defaults to the work tree, so
    `portlint diff HEAD` shows what the commit being made changes) or two
    folders. Revisions are read from git's objects; the work tree and index
    are never touched.

    Exit status: 0 when nothing opened or widened reaches --fail-on, 1 when
    something does, 2 when HEAD could not be checked completely or on usage errors.
    """
    from portlint import cli as main_cli
    from portlint.declarative import RuleFileError
    from portlint.diff import exit_code
    from portlint.gitfs import GitError
    from portlint.plugins import PluginError
    from portlint.limits import LimitExceeded
    from portlint.model import Severity

    options, configured_fail_on = main_cli._options(exclude, (), (), var, ignore, select, config, rules_dir)
    extra = []
    for value in reports:
        name, sep, target = value.partition(":")
        if not sep or name not in DIFF_FORMATS or not target:
            raise click.BadParameter(f"{value!r} is not FORMAT:FILE with FORMAT one of {', '.join(DIFF_FORMATS)}",
                                     param_hint="--report")
        extra.append((name, Path(target)))
    try:
        result = compute(base, head, options, Path.cwd())
    except (GitError, LimitExceeded, PluginError, RuleFileError) as exc:
        raise DiffError(str(exc)) from None
    level = fail_on or configured_fail_on or "medium"
    threshold = None if level == "never" else Severity.parse(level)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" and not output else "text"
    colour = main_cli._use_colour(color) and output is None
    render_options = {"color": colour, "fail_on": threshold, "max_rows": max_rows}
    for name, target in extra:
        main_cli._write(target, _renderer(name)(result, {**render_options, "color": False}), options)
    text = _renderer(fmt)(result, render_options)
    if output is not None:
        main_cli._write(output, text, options)
    else:
        click.echo(text, nl=False, color=colour)
    ctx.exit(exit_code(result, threshold))
