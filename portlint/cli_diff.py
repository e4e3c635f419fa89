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


class _Scratch:
    """Temporary folders and the names users know them by, so no message shows a temporary path."""

    def __init__(self) -> None:
        self.names: list[tuple[str, str, str]] = []  # (folder, name of a file below it, name of the folder)

    def add(self, folder: Path, prefix: str, whole: str) -> None:
        for form in {str(folder), os.path.realpath(folder)}:
            self.names.append((form.rstrip("/"), prefix, whole))
        self.names.sort(key=lambda item: -len(item[0]))

    def clean(self, text: str) -> str:
        for folder, prefix, whole in self.names:
            if folder not in text:
                continue
            text = text.replace(folder + "/", prefix).replace(folder, whole)
        return text

    def error(self, error):
        import dataclasses

        file, message = self.clean(error.file), self.clean(error.message)
        if (file, message) == (error.file, error.message):
            return error
        return dataclasses.replace(error, file=file, message=message)


def _evaluate(folder: Path, options, label: str, revision: str | None, errors, scratch: _Scratch | None = None,
              root: Path | None = None, paths: list[Path] | None = None, mapped: dict | None = None):
    import dataclasses

    from portlint.diff import Side
    from portlint.engine import run

    from portlint.discovery import rebase

    root = root or folder
    mapped = dict(mapped or {})  # excludes anchored in the real project match nothing in another folder: move them
    mapped.setdefault("exclude", rebase(options.exclude, options.project_root, root))
    mapped.setdefault("per_file_ignores", tuple(
        (rebase([pattern], options.project_root, root)[0], codes) for pattern, codes in options.per_file_ignores))
    local = dataclasses.replace(options, cwd=root, project_root=root, progress=None, errors=list(options.errors),
                                read=options.read, texts={}, **mapped)
    fields = {f.name for f in dataclasses.fields(options)}
    for name, value in vars(options).items():  # attributes set after construction (the settings in effect)
        if name not in fields:
            setattr(local, name, value)
    targets = paths if paths is not None else [root]
    report = run(targets, local, with_findings=True) if targets else _empty_report()
    if scratch is not None:
        report.errors = [scratch.error(e) for e in report.errors]
        errors = [scratch.error(e) for e in errors]
    return Side(label, report, revision, list(errors))


def _empty_report():
    from portlint.model import Report

    return Report()


def _config_changes(changed: list[str], sides: tuple[Path, Path] | None = None) -> list[str]:
    """Changed files that alter how portlint judges the tree: .portlint.yaml/.yml, and a
    pyproject.toml with a [tool.portlint] table on either side."""
    out = []
    for path in changed:
        name = path.rsplit("/", 1)[-1]
        if name in CONFIG_NAMES:
            out.append(path)
        elif name == "pyproject.toml" and sides is not None:
            for folder in sides:
                try:
                    if b"tool.portlint" in (folder / path).read_bytes()[:1_000_000]:
                        out.append(path)
                        break
                except OSError:
                    continue
    return out


def _relative_to_repo(path: Path, cwd: Path, repo: Path) -> str | None:
    """``path`` (relative to ``cwd``) as a path inside the repository, or None when it is outside."""
    absolute = Path(os.path.realpath(cwd / path))
    try:
        return absolute.relative_to(os.path.realpath(repo)).as_posix()
    except ValueError:
        return None


def _side_paths(tree_dir: Path, rels: list[str] | None) -> list[Path] | None:
    """The checked paths inside one side: those of ``--path`` that exist there (None: the whole tree)."""
    if rels is None:
        return None
    return [tree_dir / rel if rel != "." else tree_dir for rel in rels if os.path.lexists(tree_dir / rel)]


def _mapped_files(options, tree_dir: Path, cwd: Path, repo: Path, base_dir: Path | None = None) -> dict:
    """Options naming places in the repository, for one side: --env-file and --var-file inside the
    repository are read from the side's own version of the file, and exclude and per-file-ignores
    patterns (anchored to BASE's tree, where the configuration was read) are anchored to the side's."""

    def moved(folder) -> Path | None:
        if folder is None or base_dir is None:
            return folder
        try:
            rel = Path(os.path.realpath(folder)).relative_to(os.path.realpath(base_dir))
        except ValueError:
            return folder
        return tree_dir / rel

    out: dict = {}
    for key in ("env_files", "var_files"):
        values = []
        for value in getattr(options, key, ()):
            value = moved(Path(value))
            rel = _relative_to_repo(Path(value), cwd, repo)
            values.append(tree_dir / rel if rel is not None and (tree_dir / rel).is_file()
                          else Path(os.path.realpath(cwd / value)))
        out[key] = tuple(values)
    out["exclude"] = tuple((item[0], moved(item[1])) if isinstance(item, tuple) and len(item) == 2 else item
                           for item in options.exclude)
    out["per_file_ignores"] = tuple(
        ((pattern[0], moved(pattern[1])) if isinstance(pattern, tuple) else pattern, codes)
        for pattern, codes in getattr(options, "per_file_ignores", ()))
    return out


class Request:
    """What ``portlint diff`` was asked: how to build the engine options, paths, the project root."""

    def __init__(self, build_options, config: Path | None = None, paths=(), project_root: Path | None = None):
        #: (configuration file or None for discovery from the current folder, project root) -> (Options, fail-on)
        self.build_options = build_options
        self.config = config
        self.paths = list(paths)
        self.project_root = project_root
        #: filled by compute: the configured fail-on of the configuration in use
        self.fail_on: str | None = None
        #: filled by compute: (device, inode) of every file read, which no output may overwrite
        self.read: set = set()


def _two_folders(base: str, head: str, request: Request, cwd: Path):
    from portlint import gitfs
    from portlint.diff import compare_reports
    from portlint.inputs import project_root

    base_dir, head_dir = (cwd / base).resolve(), (cwd / head).resolve()
    options, request.fail_on = request.build_options(request.config, request.project_root)
    request.read = options.read
    options.project_root = Path(os.path.realpath(request.project_root)) if request.project_root \
        else project_root([base_dir, head_dir], cwd)
    base_tree, head_tree = gitfs.tree_of_folder(base_dir, base), gitfs.tree_of_folder(head_dir, head)
    renamed = gitfs.content_renames(base_tree, head_tree)
    changed = sorted(p for p in set(base_tree.blobs) | set(head_tree.blobs)
                     if base_tree.blobs.get(p) != head_tree.blobs.get(p))
    rels = [Path(p).as_posix() for p in request.paths] or None
    base_side = _evaluate(base_dir, options, base, None, (), paths=_side_paths(base_dir, rels))
    head_side = _evaluate(head_dir, options, head, None, (), paths=_side_paths(head_dir, rels))
    result = compare_reports(base_side, head_side, renamed, changed,
                             _config_changes(changed, (base_dir, head_dir)))
    config = request.config
    result.config_source = "option" if config else "current folder"
    return result


def _mode(base: str, head: str | None, cwd: Path) -> str:
    """``folders`` or ``git``; a DiffError that says what is missing when neither fits."""
    from portlint.inputs import git_top_level

    base_dir = cwd / base
    head_dir = cwd / head if head else None
    if head_dir is not None and base_dir.is_dir() and head_dir.is_dir():
        return "folders"
    in_repo = git_top_level(cwd) is not None
    if head_dir is not None and (base_dir.is_dir() or head_dir.is_dir()):
        missing = head if base_dir.is_dir() else base
        if not in_repo or os.sep in missing or "/" in missing or missing.startswith("."):
            raise DiffError(f"no such folder: {missing} (to compare two folders, both must exist)")
        return "git"
    if not in_repo:
        names = [n for n in (base, head) if n]
        raise DiffError(f"no such folder: {', '.join(names)}; and {cwd} is not inside a git repository, "
                        "so they are not revisions either")
    return "git"


def compute(base: str, head: str | None, request: Request, cwd: Path):
    """The DiffResult for BASE and HEAD (revisions, or two folders)."""
    import shutil
    import tempfile

    from portlint import gitfs
    from portlint.cli import _clean
    from portlint.declarative import RuleFileError
    from portlint.gitfs import GitError
    from portlint.limits import LimitExceeded
    from portlint.plugins import PluginError

    if _mode(base, head, cwd) == "folders":
        return _two_folders(base, head or "", request, cwd)
    repo = gitfs.top_level(cwd)
    base_sha = gitfs.resolve(repo, base)
    head_sha = gitfs.resolve(repo, head) if head else None
    rels = None
    if request.paths:
        rels = []
        for path in request.paths:
            rel = _relative_to_repo(Path(path), cwd, repo)
            if rel is None:
                raise DiffError(f"--path {path} is outside the repository {repo}")
            rels.append(rel)
    root_rel = "."
    if request.project_root is not None:
        root_rel = _relative_to_repo(request.project_root, cwd, repo)
        if root_rel is None:
            raise DiffError(f"--project-root {request.project_root} is outside the repository {repo}")
    names = _Scratch()
    folder = Path(tempfile.mkdtemp(prefix="portlint-diff-", dir=gitfs.scratch_parent()))
    try:
        base_tree_dir, head_tree_dir = folder / "base", folder / "head"
        base_tree_dir.mkdir()
        head_tree_dir.mkdir()
        head_label = head or "work tree"
        names.add(base_tree_dir, f"{base}:", f"{repo} (at {base})")
        names.add(head_tree_dir, f"{head}:" if head else f"{repo}/", f"{repo} (at {head})" if head else str(repo))
        names.add(folder, "", "a temporary folder")
        try:
            return _revisions(repo, base, head, base_sha, head_sha, base_tree_dir, head_tree_dir, head_label,
                              request, cwd, rels, root_rel, folder, names)
        except click.ClickException as exc:
            exc.message = names.clean(exc.message)
            raise
        except (GitError, LimitExceeded, PluginError, RuleFileError) as exc:  # no temporary path in the message
            raise DiffError(names.clean(_clean(str(exc)))) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _revisions(repo, base, head, base_sha, head_sha, base_tree_dir, head_tree_dir, head_label, request, cwd,
               rels, root_rel, folder, names):
    from portlint import gitfs
    from portlint.config import find_config
    from portlint.diff import compare_reports

    base_tree = gitfs.materialise_revision(repo, base_sha, base_tree_dir, base)
    if head_sha is None:
        head_tree = gitfs.materialise_worktree(repo, head_tree_dir, "work tree", like=base_sha)
    else:
        head_tree = gitfs.materialise_revision(repo, head_sha, head_tree_dir, head or "", reuse=base_tree)
    # BASE's configuration judges both sides, so a change cannot switch off its own gate
    base_root = base_tree_dir / root_rel if root_rel != "." else base_tree_dir
    config, source, shown = request.config, "option", None
    if config is None:
        here = _relative_to_repo(Path("."), cwd, repo) or "."
        start = base_tree_dir / here
        while not start.is_dir() and start != base_tree_dir:
            start = start.parent
        config = find_config(start, stop=base_tree_dir)
        source = "base"
        if config is None:
            config = folder / "none" / ".portlint.yaml"
            config.parent.mkdir()
            config.write_text("{}\n", encoding="utf-8")
            source = "none"
        else:
            shown = f"{base}:{config.relative_to(base_tree_dir).as_posix()}"
    options, request.fail_on = request.build_options(config, base_root)
    options.read = request.read = options.read | request.read
    if head_sha is None:
        options.read.update(head_tree.read)
    renamed = {**gitfs.content_renames(base_tree, head_tree), **gitfs.renames(repo, base_sha, head_sha)}
    changed = gitfs.changed_files(repo, base_sha, head_sha)
    sides = []
    for tree_dir, tree, label, sha in ((base_tree_dir, base_tree, base, base_sha),
                                       (head_tree_dir, head_tree, head_label, head_sha)):
        root = tree_dir / root_rel if root_rel != "." else tree_dir
        if not root.is_dir():
            root = tree_dir
        sides.append(_evaluate(tree_dir, options, label, sha, tree.errors, names, root,
                               _side_paths(tree_dir, rels), _mapped_files(options, tree_dir, cwd, repo, base_tree_dir)))
    result = compare_reports(sides[0], sides[1], renamed, changed,
                             _config_changes(changed, (base_tree_dir, head_tree_dir)))
    result.config_source = source
    result.config_file = shown if source == "base" else (str(request.config) if source == "option" else None)
    return result


def _shared(function):
    """The options ``check`` has for what is read and how (exclude, env and var files, variables, rules
    folders, project root), from the same decorators, so both sides get the model ``check`` would build."""
    from portlint import cli as main_cli

    for decorator in reversed((main_cli._exclude, main_cli._env_file, main_cli._var_file, main_cli._var,
                               main_cli._rules_dir, main_cli._project_root)):
        function = decorator(function)
    return function


@click.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option("--path", "-p", "paths", multiple=True, type=click.Path(path_type=Path),
              help="Compare only these files or folders (relative to the current folder; in two-folder mode, "
                   "to each folder). Repeatable; default: everything.")
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
@_shared
@click.option("--ignore", multiple=True, metavar="CODES", help="Rule codes or names to skip (comma-separated).")
@click.option("--select", multiple=True, metavar="CODES", help="Only run these rule codes or names.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Settings file for both sides (default for revisions: the configuration BASE has, so a "
                   "change cannot relax its own check; for two folders: .portlint.yaml of the current folder).")
@click.pass_context
def diff(ctx, base, head, paths, fmt, output, reports, fail_on, max_rows, exclude, env_file, var_file, var,
         rules_dir, project_root, ignore, select, color, config):
    """Compare the exposure of BASE and HEAD: what the change opens, widens, narrows or closes.

    BASE and HEAD are git revisions (HEAD defaults to the work tree, so
    `portlint diff HEAD` shows what the commit being made changes) or two
    folders. Revisions are read from git's objects; the work tree and index
    are never touched. Both sides are judged with BASE's configuration unless
    --config names one.

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

    extra = []
    for value in reports:
        name, sep, target = value.partition(":")
        if not sep or name not in DIFF_FORMATS or not target:
            raise click.BadParameter(f"{value!r} is not FORMAT:FILE with FORMAT one of {', '.join(DIFF_FORMATS)}",
                                     param_hint="--report")
        extra.append((name, Path(target)))

    def build_options(config_file, root):
        return main_cli._options(exclude, env_file, var_file, var, ignore, select, config=config_file,
                                 rules_dir=rules_dir, project_root=root)

    request = Request(build_options, config, paths, project_root)
    try:
        result = compute(base, head, request, Path.cwd())
    except (GitError, LimitExceeded, PluginError, RuleFileError) as exc:
        raise DiffError(main_cli._clean(str(exc))) from None
    level = fail_on or request.fail_on or "medium"
    threshold = None if level == "never" else Severity.parse(level)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" and not output else "text"
    colour = main_cli._use_colour(color) and output is None
    render_options = {"color": colour, "fail_on": threshold, "max_rows": max_rows}
    writer = _Writer(request.read)
    for name, target in extra:
        main_cli._write(target, _renderer(name)(result, {**render_options, "color": False}), writer)
    text = _renderer(fmt)(result, render_options)
    if output is not None:
        main_cli._write(output, text, writer)
    else:
        click.echo(text, nl=False, color=colour)
    ctx.exit(exit_code(result, threshold))


class _Writer:
    """What ``cli._write`` needs to know: where the user is and which files the run read."""

    def __init__(self, read: set) -> None:
        from portlint.inputs import git_top_level

        self.cwd = Path.cwd()
        self.project_root = git_top_level(self.cwd) or Path(os.path.realpath(self.cwd))
        self.read = read
