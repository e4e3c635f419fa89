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
    #: path (as in the repository) -> git blob id of every regular file written (moves are found by content)
    blobs: dict[str, str] = field(default_factory=dict)


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
        hint = ""
        if is_shallow(repo):
            hint = f" (this is a shallow clone; fetch it first: git fetch --depth=1 origin {revision})"
        raise GitError(f"{revision!r} is not a commit in {repo}{hint}")
    return sha


def is_shallow(repo: Path) -> bool:
    """True in a shallow clone, where a revision may exist upstream but not here."""
    try:
        return git(repo, "rev-parse", "--is-shallow-repository", check=False).strip() == b"true"
    except GitError:
        return False


def blob_id(data: bytes, like: str = "") -> str:
    """git's object id of a blob with ``data`` (SHA-256 when ``like`` is a SHA-256 id)."""
    import hashlib

    algorithm = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return algorithm(b"blob %d\x00" % len(data) + data).hexdigest()


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

    def read_all(self, shas: list[str]):
        """Yield (sha, content) for every object, asking for all of them at once.

        One request and one answer at a time costs a pipe round trip per blob
        (about a millisecond each); the requests are written by a thread
        while the answers are read here.
        """
        import threading

        assert self.proc.stdin and self.proc.stdout
        stdin = self.proc.stdin

        def ask() -> None:
            try:
                for sha in shas:
                    stdin.write(sha.encode("ascii") + b"\n")
                stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass

        writer = threading.Thread(target=ask, daemon=True)
        writer.start()
        try:
            for sha in shas:
                header = self.proc.stdout.readline().split()
                if len(header) != 3 or header[1] != b"blob":
                    raise GitError(f"git cat-file could not read object {sha}")
                data = self.proc.stdout.read(int(header[2]))
                self.proc.stdout.read(1)
                yield sha, data
        finally:
            writer.join(timeout=60)

    def close(self) -> None:
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if self.proc.poll() is None and self.proc.stdout:
            self.proc.stdout.close()
        self.proc.wait(timeout=60)


def _parent_folder(folder: Path, parts: list[str]) -> Path | None:
    """Create the folders of ``parts`` below ``folder``, never through a link; None when one is taken."""
    target = folder
    for part in parts[:-1]:
        target = target / part
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            return None
        target.mkdir(exist_ok=True)
    return target


def _write_file(folder: Path, parts: list[str], data: bytes) -> bool:
    """Write a regular file below ``folder``, never through a link; False when the place is taken."""
    target = _parent_folder(folder, parts)
    if target is None:
        return False
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


def materialise_revision(repo: Path, commit: str, folder: Path, label: str,
                         reuse: "Tree | None" = None) -> Tree:
    """Write the files of ``commit`` into the empty ``folder``.

    With ``reuse`` (the other side, already written), a file whose blob that
    tree holds is hard-linked from it instead of being read from git again.
    """
    tree = Tree(folder, label)
    budget = _Budget()
    links: list[tuple[list[str], str, str]] = []
    wanted: dict[str, list[tuple[list[str], str]]] = {}
    written: dict[str, Path] = {}
    if reuse is not None:
        for path, sha in reuse.blobs.items():
            written.setdefault(sha, reuse.folder.joinpath(*path.split("/")))
    link_shas: list[tuple[list[str], str, str]] = []
    for mode, kind, sha, size, raw in _entries(repo, commit):
        parts = _components(raw)
        shown = os.fsdecode(raw)
        if kind != "blob" or parts is None:
            continue  # submodules (commit entries) and names that could escape the folder
        if mode == "120000":
            link_shas.append((parts, sha, shown))
            continue
        if size > limits.FILE_BYTES:
            tree.errors.append(_too_big(shown, size))
            continue
        budget.spend(size, label)
        source = written.get(sha)
        if source is not None and _hard_link(source, folder, parts):
            tree.files += 1
            tree.blobs[shown] = sha
            continue
        wanted.setdefault(sha, []).append((parts, shown))
    batch = _Batch(repo)
    try:
        shas = list(wanted) + [sha for _, sha, _ in link_shas]
        targets: dict[str, str] = {}
        for sha, data in batch.read_all(shas):
            if sha in wanted:
                places = wanted.pop(sha)
                for parts, shown in places:
                    if _write_file(folder, parts, data):
                        tree.files += 1
                        tree.blobs[shown] = sha
            else:
                targets[sha] = data.decode("utf-8", "replace")
        for parts, sha, shown in link_shas:
            links.append((parts, targets.get(sha, ""), shown))
    finally:
        batch.close()
    for parts, target, shown in links:
        problem = _link(folder, parts, target)
        if problem:
            tree.errors.append(InputError(shown, 1, problem))
    return tree


def _hard_link(source: Path, folder: Path, parts: list[str]) -> bool:
    """Hard-link an already written file to a new place below ``folder``; False when that is not possible."""
    target = _parent_folder(folder, parts)
    if target is None:
        return False
    try:
        os.link(source, target / parts[-1], follow_symlinks=False)
    except (OSError, NotImplementedError):
        return False
    return True


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


def materialise_worktree(repo: Path, folder: Path, label: str, like: str = "") -> Tree:
    """Copy the work tree's tracked and untracked-but-not-ignored files into ``folder``.

    ``like`` is a commit id of the repository (its length tells the hash git uses for blob ids).
    """
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
            tree.blobs[shown] = blob_id(data, like)
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


#: like git's default (-M50%): a file at least this similar to one that vanished was moved there
SIMILARITY = 0.5
#: files larger than this, or more candidate pairs than this, are matched by identical content only
SIMILAR_BYTES = 256 * 1024
SIMILAR_PAIRS = 20_000


def content_renames(base: Tree, head: Tree) -> dict[str, str]:
    """New path -> old path for files that vanished from BASE and appeared in HEAD with the same
    (or, like ``git diff -M``, at least 50% similar) content.

    git only reports renames it can see in the index; an unstaged ``mv`` in the
    work tree is a deleted tracked file plus an untracked one, and two folders
    have no history at all, so the trees' own contents decide.
    """
    gone = {path: sha for path, sha in base.blobs.items() if path not in head.blobs}
    new = {path: sha for path, sha in head.blobs.items() if path not in base.blobs}
    moved: dict[str, str] = {}
    by_blob: dict[str, list[str]] = {}
    for path, sha in sorted(gone.items()):
        by_blob.setdefault(sha, []).append(path)
    for path, sha in sorted(new.items()):
        candidates = by_blob.get(sha)
        if candidates:
            moved[path] = candidates.pop(0)
    left_old = sorted(p for p in gone if p not in moved.values())
    left_new = sorted(p for p in new if p not in moved)
    if not left_old or not left_new or len(left_old) * len(left_new) > SIMILAR_PAIRS:
        return moved
    import difflib

    def lines(folder: Path, path: str) -> list[bytes] | None:
        place = folder.joinpath(*path.split("/"))
        try:
            if place.stat().st_size > SIMILAR_BYTES:
                return None
            return place.read_bytes().splitlines()
        except OSError:
            return None

    olds = {p: lines(base.folder, p) for p in left_old}
    scored = []
    for new_path in left_new:
        new_lines = lines(head.folder, new_path)
        if not new_lines:
            continue
        for old_path, old_lines in olds.items():
            if not old_lines:
                continue
            matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
            if matcher.real_quick_ratio() < SIMILARITY or matcher.quick_ratio() < SIMILARITY:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILARITY:
                scored.append((-ratio, new_path, old_path))
    taken: set[str] = set()
    for _, new_path, old_path in sorted(scored):
        if new_path in moved or old_path in taken:
            continue
        moved[new_path] = old_path
        taken.add(old_path)
    return moved


def tree_of_folder(folder: Path, label: str) -> Tree:
    """A Tree describing an existing folder (two-folder mode): blob ids of its regular files."""
    from portlint.discovery import SKIP_DIRS

    tree = Tree(folder, label)
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in names:
            path = Path(top) / name
            try:
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode):
                    continue
                rel = path.relative_to(folder).as_posix()
                tree.blobs[rel] = "too-big:" + rel if info.st_size > limits.FILE_BYTES \
                    else blob_id(path.read_bytes())
            except OSError:
                continue
            if len(tree.blobs) > limits.FILES:
                raise LimitExceeded(f"{label}: more than {limits.FILES:,} files", limits.FILES, "FILES")
    return tree


def scratch_parent(needed_bytes: int | None = None) -> str | None:
    """Where to make the private temporary folder: ``$TMPDIR`` when set, else a memory-backed
    folder (``/dev/shm``) when it has room, else the system default.

    Writing and deleting thousands of small files and folders costs about a
    millisecond each on a disk; on tmpfs it costs next to nothing.
    """
    if os.environ.get("TMPDIR"):
        return None
    if needed_bytes is None:
        needed_bytes = limits.DIFF_TREE_BYTES
    for candidate in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if not candidate or not os.path.isdir(candidate) or not os.access(candidate, os.W_OK | os.X_OK):
            continue
        try:
            info = os.statvfs(candidate)
        except OSError:
            continue
        if info.f_bavail * info.f_frsize >= 2 * needed_bytes:
            return candidate
    return None
