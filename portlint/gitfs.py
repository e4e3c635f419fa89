"""Reading a revision's files from git's objects, for ``portlint diff``.

A revision is listed with ``git ls-tree -r -z -l`` and its blobs are read with
``git cat-file --batch`` into a private temporary folder, which the normal
engine then checks. Nothing else is used on purpose:

- never ``git archive``: ``export-ignore`` and ``export-subst`` attributes in
  the checked repository would let a change hide or rewrite files;
- never a checkout: the user's work tree and index are not touched (git runs
  with ``GIT_OPTIONAL_LOCKS=0`` so not even the index's stat cache is written);
- nothing from the repository is executed: no external diff, no textconv, no
  fsmonitor, no hooks.

The blobs are untrusted input under the same limits as ``check``: regular files
and symbolic links only (submodules are skipped), a symbolic link is recreated
only when it resolves inside the materialised tree, a blob over
``limits.FILE_BYTES`` is not written (reported as an input error), and a whole
tree is bounded by ``limits.FILES`` entries and ``limits.DIFF_TREE_BYTES``.
"""

from __future__ import annotations

import os
import posixpath
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from portlint import limits
from portlint.limits import LimitExceeded
from portlint.model import InputError

#: git options that keep it from running anything configured or planted
_SAFE_CONFIG = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "diff.external=",
                "-c", "core.quotepath=false")


class GitError(Exception):
    """git failed or is missing; the message says what was asked."""


@dataclass
class Tree:
    """A materialised revision: where its files are, and what could not be written."""

    folder: Path
    label: str
    errors: list[InputError] = field(default_factory=list)
    files: int = 0
    #: (device, inode) of every work-tree file copied, so no output is written over one
    read: set[tuple[int, int]] = field(default_factory=set)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in ("GIT_CONFIG_NOSYSTEM",)}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_NO_REPLACE_OBJECTS="1")
    return env


def git(repo: Path, *args: str, check: bool = True) -> bytes:
    """Run a read-only git command in ``repo``; its standard output."""
    try:
        done = subprocess.run(["git", *_SAFE_CONFIG, "-C", str(repo), *args], capture_output=True,
                              env=_env(), stdin=subprocess.DEVNULL, timeout=600)
    except FileNotFoundError:
        raise GitError("git is not installed (portlint diff reads revisions with git)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took more than 10 minutes") from None
    if check and done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {detail[-1] if detail else 'exit ' + str(done.returncode)}")
    return done.stdout


def top_level(start: Path) -> Path:
    """The work tree's top folder; GitError outside a git repository."""
    out = git(start, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape").strip()
    if not out:
        raise GitError(f"{start} is not inside a git work tree")
    return Path(out)


def resolve(repo: Path, revision: str) -> str:
    """The commit id ``revision`` names; GitError when it names none."""
    if not revision or revision.startswith("-") or "\x00" in revision:
        raise GitError(f"{revision!r} is not a revision")
    done = git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}", check=False)
    sha = done.decode("ascii", "replace").strip()
    if len(sha) not in (40, 64):
        raise GitError(f"{revision!r} is not a commit in {repo} (for a shallow clone, fetch it first: "
                       f"git fetch --depth=1 origin {revision})")
    return sha


def _components(raw: bytes) -> list[str] | None:
    """The parts of a path from a tree, or None when it could escape the folder it is written to."""
    parts = raw.split(b"/")
    for part in parts:
        if part in (b"", b".", b"..") or part.lower() == b".git" or b"\\" in part:
            return None
    return [os.fsdecode(p) for p in parts]


def _entries(repo: Path, commit: str) -> list[tuple[str, str, str, int, bytes]]:
    """(mode, type, object, size, path) for every entry of ``commit``'s tree, recursively."""
    out = git(repo, "ls-tree", "-r", "-z", "-l", "--full-tree", commit)
    entries = []
    for record in out.split(b"\x00"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        fields = meta.split()
        if len(fields) != 4:
            continue
        mode, kind, sha, size = (f.decode("ascii", "replace") for f in fields)
        entries.append((mode, kind, sha, int(size) if size.isdigit() else 0, path))
        if len(entries) > limits.FILES:
            raise LimitExceeded(f"revision {commit[:12]} with more than {limits.FILES:,} files", limits.FILES,
                                "FILES")
    return entries


class _Batch:
    """One ``git cat-file --batch`` process, asked for one object at a time."""

    def __init__(self, repo: Path):
        self.proc = subprocess.Popen(["git", *_SAFE_CONFIG, "-C", str(repo), "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=_env())

    def read(self, sha: str) -> bytes:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(sha.encode("ascii") + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise GitError(f"git cat-file could not read object {sha}")
        size = int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the newline after the content
        return data

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _write_file(folder: Path, parts: list[str], data: bytes) -> bool:
    """Write a regular file below ``folder``, never through a link; False when the place is taken."""
    target = folder
    for part in parts[:-1]:
        target = target / part
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            return False
        target.mkdir(exist_ok=True)
    target = target / parts[-1]
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def _link(folder: Path, parts: list[str], target: str) -> str | None:
    """Recreate a symbolic link when it stays inside ``folder``; else the reason it is not."""
    if not target or "\x00" in target or target.startswith("/") or "\\" in target:
        return f"symbolic link to {target!r} leaves the repository; not followed"
    joined = posixpath.normpath(posixpath.join(posixpath.dirname("/".join(parts)), target))
    if joined == ".." or joined.startswith("../") or joined.split("/")[0] == ".git":
        return f"symbolic link to {target!r} leaves the repository; not followed"
    place = folder.joinpath(*parts)
    for parent in place.parents:
        if parent == folder:
            break
        if parent.is_symlink():
            return "symbolic link inside a linked folder; not followed"
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, place)
    except OSError as exc:
        return f"symbolic link could not be recreated ({exc.strerror or exc})"
    return None


class _Budget:
    def __init__(self) -> None:
        self.bytes = 0
        self.files = 0

    def spend(self, size: int, label: str) -> None:
        self.bytes += size
        self.files += 1
        if self.files > limits.FILES:
            raise LimitExceeded(f"{label}: more than {limits.FILES:,} files", limits.FILES, "FILES")
        if self.bytes > limits.DIFF_TREE_BYTES:
            raise LimitExceeded(f"{label}: files totalling more than {limits.DIFF_TREE_BYTES:,} bytes",
                                limits.DIFF_TREE_BYTES, "DIFF_TREE_BYTES")


def _too_big(shown: str, size: int) -> InputError:
    return InputError(shown, 1, f"cannot read file: {size:,} bytes, over portlint's limit of "
                                f"{limits.FILE_BYTES:,} (raise it with PORTLINT_MAX_FILE_BYTES; see docs/security.md)")


def materialise_revision(repo: Path, commit: str, folder: Path, label: str) -> Tree:
    """Write the files of ``commit`` into the empty ``folder``."""
    tree = Tree(folder, label)
    budget = _Budget()
    links: list[tuple[list[str], str, str]] = []
    batch = _Batch(repo)
    try:
        for mode, kind, sha, size, raw in _entries(repo, commit):
            parts = _components(raw)
            shown = os.fsdecode(raw)
            if kind != "blob" or parts is None:
                continue  # submodules (commit entries) and names that could escape the folder
            if mode == "120000":
                links.append((parts, batch.read(sha).decode("utf-8", "replace"), shown))
                continue
            if size > limits.FILE_BYTES:
                tree.errors.append(_too_big(shown, size))
                continue
            budget.spend(size, label)
            if _write_file(folder, parts, batch.read(sha)):
                tree.files += 1
    finally:
        batch.close()
    for parts, target, shown in links:
        problem = _link(folder, parts, target)
        if problem:
            tree.errors.append(InputError(shown, 1, problem))
    return tree


def _read_regular(path: Path, limit: int) -> bytes | str:
    """The bytes of a regular file, or the reason it is not read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            return "cannot read file: not a regular file (a FIFO, device or socket is never read)"
        data = fh.read(limit + 1)
    return data


def materialise_worktree(repo: Path, folder: Path, label: str) -> Tree:
    """Copy the work tree's tracked and untracked-but-not-ignored files into ``folder``."""
    tree = Tree(folder, label)
    budget = _Budget()
    listed = git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    links = []
    for raw in sorted(set(listed.split(b"\x00")) - {b""}):
        parts = _components(raw)
        if parts is None:
            continue
        shown = os.fsdecode(raw)
        source = repo.joinpath(*parts)
        try:
            info = os.lstat(source)
        except OSError:
            continue  # deleted in the work tree, not yet staged
        if stat.S_ISLNK(info.st_mode):
            links.append((parts, os.readlink(source), shown))
            continue
        if stat.S_ISDIR(info.st_mode):
            continue  # a submodule
        if not stat.S_ISREG(info.st_mode):
            tree.errors.append(InputError(shown, 1, "cannot read file: not a regular file "
                                                    "(a FIFO, device or socket is never read)"))
            continue
        if info.st_size > limits.FILE_BYTES:
            tree.errors.append(_too_big(shown, info.st_size))
            continue
        budget.spend(info.st_size, label)
        data = _read_regular(source, limits.FILE_BYTES)
        if isinstance(data, str):
            tree.errors.append(InputError(shown, 1, data))
        elif len(data) > limits.FILE_BYTES:
            tree.errors.append(_too_big(shown, len(data)))
        elif _write_file(folder, parts, data):
            tree.files += 1
            tree.read.add((info.st_dev, info.st_ino))
    for parts, target, shown in links:
        problem = _link(folder, parts, target)
        if problem:
            tree.errors.append(InputError(shown, 1, problem))
    return tree


def renames(repo: Path, base: str, head: str | None) -> dict[str, str]:
    """New path -> old path for every file git reports as renamed between ``base`` and ``head``.

    ``head`` None compares with the work tree (tracked files).
    """
    args = ["diff", "-M", "--name-status", "-z", "--no-ext-diff", "--no-textconv", base]
    if head is not None:
        args.append(head)
    args.append("--")
    out = git(repo, *args).split(b"\x00")
    moved: dict[str, str] = {}
    i = 0
    while i < len(out):
        status = out[i].decode("ascii", "replace")
        if not status:
            i += 1
            continue
        if status[0] in "RC" and i + 2 < len(out):
            if status[0] == "R":
                moved[os.fsdecode(out[i + 2])] = os.fsdecode(out[i + 1])
            i += 3
        else:
            i += 2
    return moved


def changed_files(repo: Path, base: str, head: str | None) -> list[str]:
    """Paths changed between ``base`` and ``head`` (work tree when None), new names for renames."""
    args = ["diff", "-M", "--name-only", "-z", "--no-ext-diff", "--no-textconv", base]
    if head is not None:
        args.append(head)
    args.append("--")
    names = {os.fsdecode(p) for p in git(repo, *args).split(b"\x00") if p}
    if head is None:
        untracked = git(repo, "ls-files", "-z", "--others", "--exclude-standard")
        names |= {os.fsdecode(p) for p in untracked.split(b"\x00") if p}
    return sorted(names)
