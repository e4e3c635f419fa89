"""Find the files to check: walk directories, take listed files as given.

Only regular files are handed on. Symbolic links are followed only when their
target lies inside the project root; a link that leaves it, a link loop, a
folder nested deeper than ``limits.DEPTH``, more than ``limits.FILES`` files and
a folder that cannot be listed are handed on as a ``Candidate`` with a
``problem``, which the engine reports as an input error: nothing is skipped
silently, nothing hangs.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from fnmatch import fnmatch
from operator import attrgetter
from pathlib import Path, PosixPath
from typing import Iterable, Iterator

from portlint import limits
from portlint.inputs import remember_folder

#: Directories never worth walking into.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".terraform", ".terragrunt-cache",
    ".venv", "venv", "virtualenv", ".tox", ".nox", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".eggs",
})

NOT_REGULAR = "not a regular file (a FIFO, device or socket is never read)"
NAMED_NOT_REGULAR = ("not a regular file or folder, so nothing was checked (a FIFO, device or socket is never "
                     "read); to check a pipe such as <(helm template ...) or standard input, run "
                     "`portlint check - --stdin-filename NAME < FILE`")
NAMED_DESCRIPTOR = ("an open file descriptor (standard input, /dev/fd/N or /proc/self/fd/N), not a file of the "
                    "tree, so nothing was checked; to check standard input, run "
                    "`portlint check - --stdin-filename NAME < FILE`")
#: named paths that are a process's open descriptors, whatever they point at (a redirected regular file too)
_DESCRIPTOR_NAMES = frozenset({"/dev/stdin", "/dev/stdout", "/dev/stderr"})
_DESCRIPTOR_FOLDERS = ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/")


def is_descriptor_path(path: Path | str) -> bool:
    """Whether a named path is, or links through, a process's open descriptor (``/dev/stdin``,
    ``/dev/fd/N``, ``/proc/self/fd/N``, ``/proc/PID/fd/N``). Such a path may point at a regular
    file (``< file``) that is not in the tree and has no name a parser knows."""
    current = os.path.abspath(path)
    for _ in range(40):  # links followed by hand, bounded (a loop is reported elsewhere)
        if current in _DESCRIPTOR_NAMES or current.startswith(_DESCRIPTOR_FOLDERS):
            return True
        parts = current.split("/")
        if len(parts) > 4 and parts[1] == "proc" and parts[3] == "fd" and (parts[2].isdigit() or parts[2] == "self"):
            return True
        try:
            target = os.readlink(current)
        except OSError:
            return False
        current = os.path.normpath(os.path.join(os.path.dirname(current), target))
    return False


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path
    explicit: bool  # named on the command line (pre-commit's file list) rather than found by walking
    #: why this path is not checked; None for a file to check
    problem: str | None = None
    #: report the problem whatever the file's name (else only when a parser would claim the name)
    always: bool = False


class Pattern:
    """One gitignore-style pattern, taken relative to ``base`` (None: the folder being walked).

    As in ``.gitignore``: a pattern with a ``/`` other than at its end is anchored
    to ``base``; one without matches a name at any depth below it; a trailing
    ``/`` matches folders only; ``*`` and ``?`` never cross ``/``; ``**``
    matches any number of folders; ``!`` re-includes; a leading ``./`` is
    dropped. Excluding a folder excludes everything in it.
    """

    __slots__ = ("text", "base", "negate", "dir_only", "regex")

    def __init__(self, text: str, base: Path | None = None):
        from portlint.globmatch import GlobPattern

        self.text = text
        self.base = Path(os.path.realpath(base)) if base is not None else None
        body = text.strip()
        self.negate = body.startswith("!")
        body = body[1:] if self.negate else body
        while body.startswith("./"):
            body = body[2:]
        self.dir_only = body.endswith("/")
        body = body.rstrip("/")
        anchored = "/" in body
        body = body.lstrip("/")
        # matched segment by segment, linear in the path: a regex would backtrack exponentially
        self.regex = GlobPattern(body, anchored)

    def matches(self, relative: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        return self.regex.match(relative)


def patterns_of(exclude: Iterable) -> tuple[Pattern, ...]:
    """Patterns from strings (relative to the walked folder) or ``(text, base)`` pairs."""
    out = []
    for item in exclude:
        if isinstance(item, Pattern):
            out.append(item)
        elif isinstance(item, tuple):
            out.append(Pattern(item[0], item[1]))
        elif str(item).strip():
            out.append(Pattern(str(item)))
    return tuple(out)


def rebase(exclude: Iterable, old_root: Path | None, new_root: Path) -> tuple:
    """The same patterns for a copy of the tree at ``new_root`` (``portlint diff`` checks revisions
    in other folders): a base inside ``old_root`` moves to the same place below ``new_root``."""
    out = []
    for item in exclude:
        if isinstance(item, tuple) and item[1] is not None and old_root is not None:
            text, base = item
            real = Path(os.path.realpath(base))
            try:
                relative = real.relative_to(os.path.realpath(old_root))
            except ValueError:
                out.append(item)
                continue
            out.append((text, Path(new_root) / relative))
        else:
            out.append(item)
    return tuple(out)


def _relative(path: str, base: str) -> str | None:
    if path == base:
        return ""
    prefix = base.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


def _excluded(path: str, is_dir: bool, patterns: tuple[Pattern, ...], top: str) -> bool:
    """Whether ``path`` (absolute, ``/``-separated) is excluded: the last matching pattern decides."""
    verdict = False
    for pattern in patterns:
        base = top if pattern.base is None else pattern.base.as_posix()
        relative = _relative(path, base)
        if not relative:
            continue
        if pattern.negate == verdict and pattern.matches(relative, is_dir):
            verdict = not pattern.negate
    return verdict


def _excluded_with_parents(path: Path, is_dir: bool, patterns: tuple[Pattern, ...]) -> bool:
    """For a path named on the command line: excluded when it or a folder above it is."""
    if not patterns:
        return False
    absolute = Path(os.path.abspath(path))
    real = Path(os.path.realpath(absolute.parent)) / absolute.name
    here = os.path.realpath(os.getcwd())
    chain = list(reversed([real, *real.parents]))[-limits.DEPTH:]
    for index, item in enumerate(chain):
        last = index == len(chain) - 1
        if _excluded(item.as_posix(), is_dir or not last, patterns, here):
            return True
    return False


def _is_virtualenv(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(os.path.join(path, "pyvenv.cfg")).st_mode)
    except OSError:
        return False


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "path longer than the operating system allows; not checked"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; not followed"
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


class _Budget:
    """Regular files met while walking; the walk stops at ``WALK_FACTOR`` times ``limits.FILES``."""

    WALK_FACTOR = 4

    def __init__(self) -> None:
        self.files = 0
        self.exhausted = False


def discover(paths: Iterable[Path], exclude: Iterable = (), root: Path | None = None,
             force_exclude: bool = True, nested=None) -> Iterator[Candidate]:
    """Yield files under ``paths`` in a stable order, skipping tool and vendor folders.

    ``root`` is the project root links must stay in (default: each walked folder).
    A missing path raises FileNotFoundError; the caller reports it as a usage error.
    Every other problem is yielded as a Candidate with a ``problem``.

    At most ``limits.FILES`` files are handed on. When a tree holds more, files
    are taken from every folder in turn, so one folder stuffed with files cannot
    crowd out the others; each folder that lost files is reported.

    ``nested`` ((folder, names listed in it or None) -> patterns), when given, adds the exclude
    patterns of the configurations below the run's own that govern a folder
    (portlint.config.ConfigTree; the listing spares it looking for configuration files).
    """
    found = list(_discover(paths, exclude, root, force_exclude, nested))
    files = [c for c in found if c.problem is None]
    if len(files) <= limits.FILES:
        yield from found
        return
    kept = _fair_share(files, limits.FILES)
    dropped: dict[Path, int] = {}
    for candidate in files:
        if candidate.path not in kept:
            dropped[candidate.path.parent] = dropped.get(candidate.path.parent, 0) + 1
    for candidate in found:
        if candidate.problem is not None or candidate.path in kept:
            yield candidate
    exc = limits.LimitExceeded(f"the number of files to check ({len(files):,} found)", limits.FILES, "FILES")
    for folder, count in sorted(dropped.items()):
        yield Candidate(folder, False, f"{count:,} files in this folder were not checked: {exc}", always=True)


def _fair_share(files: list[Candidate], limit: int) -> set[Path]:
    """``limit`` files, taken one folder at a time in turn (folders in name order)."""
    by_folder: dict[Path, list[Path]] = {}
    for candidate in files:
        by_folder.setdefault(candidate.path.parent, []).append(candidate.path)
    queues = [list(reversed(v)) for _, v in sorted(by_folder.items())]
    kept: set[Path] = set()
    while len(kept) < limit and queues:
        for queue in queues:
            if len(kept) >= limit:
                break
            kept.add(queue.pop())
        queues = [q for q in queues if q]
    return kept


def _discover(paths: Iterable[Path], exclude: Iterable, root: Path | None,
              force_exclude: bool = True, nested=None) -> Iterator[Candidate]:
    patterns = patterns_of(exclude)
    seen: set = set()  # the paths handed on (see _key)
    walked: set[str] = set()
    budget = _Budget()
    for top in paths:
        try:
            info = os.lstat(top)
        except FileNotFoundError:
            raise FileNotFoundError(str(top)) from None
        except OSError as exc:
            yield Candidate(top, True, _os_reason(exc), always=True)
            continue
        if not stat.S_ISDIR(info.st_mode) and is_descriptor_path(top):
            yield Candidate(top, True, NAMED_DESCRIPTOR, always=True)
            continue
        if stat.S_ISLNK(info.st_mode):
            try:
                info = os.stat(top)
            except FileNotFoundError:
                yield Candidate(top, True, "broken symbolic link", always=True)
                continue
            except (OSError, RuntimeError) as exc:
                reason = _os_reason(exc) if isinstance(exc, OSError) else "symbolic link loop; not followed"
                yield Candidate(top, True, reason, always=True)
                continue
        here = patterns + patterns_of(nested(top if stat.S_ISDIR(info.st_mode) else Path(top).parent)) \
            if nested is not None else patterns
        if force_exclude and _excluded_with_parents(top, stat.S_ISDIR(info.st_mode), here):
            continue  # named on the command line (pre-commit's list) but excluded: as ruff's --force-exclude
        if not stat.S_ISDIR(info.st_mode):
            if _key(top) in seen:
                continue
            seen.add(_key(top))
            if not stat.S_ISREG(info.st_mode):
                yield Candidate(top, True, NAMED_NOT_REGULAR, always=True)
                continue
            if not _count(budget):
                yield _too_many(top)
                return
            yield Candidate(top, explicit=True)
            continue
        confine = os.path.realpath(root if root is not None else top)
        for found in _walk(top, patterns, confine, walked, budget, nested):
            key = _key(found.path)
            if key not in seen:
                seen.add(key)
                yield found
            if budget.exhausted:
                return


def _key(path) -> object:
    """What tells paths apart in ``seen`` as Path equality does: a POSIX Path's text (hashing
    text is cheaper than hashing a Path); anything else (a Windows Path, a str) kept apart."""
    return str(path) if type(path) is PosixPath else (path,)


def _count(budget: _Budget) -> bool:
    budget.files += 1
    if budget.files > limits.FILES * budget.WALK_FACTOR:
        budget.exhausted = True
        return False
    return True


def _too_many(path: Path) -> Candidate:
    exc = limits.LimitExceeded("the number of files met while walking the tree",
                               limits.FILES * _Budget.WALK_FACTOR, "FILES")
    return Candidate(path, False, f"{exc}; the walk stopped here", always=True)


def _walk(top: Path, patterns: tuple[Pattern, ...], confine: str, walked: set[str],
          budget: _Budget, nested=None) -> Iterator[Candidate]:
    real_top = os.path.realpath(top)
    shown_top = Path(real_top).as_posix()
    if real_top in walked:
        return
    walked.add(real_top)
    # (folder as text, depth, real paths of the folder and its ancestors (for loop detection),
    # whether it may be a virtual environment: that is learnt from its own listing)
    stack: list[tuple[str | Path, int, tuple[str, ...], bool]] = [(top, 0, (real_top,), False)]
    while stack:
        directory, depth, chain, maybe_venv = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=_name)
        except OSError as exc:
            if maybe_venv and _is_virtualenv(os.fspath(directory)):
                walked.discard(chain[-1])
                continue  # a virtual environment is skipped, listed or not
            yield Candidate(Path(directory), False, f"cannot list folder: {_os_reason(exc)}", always=True)
            continue
        if maybe_venv and _venv_listing(os.fspath(directory), entries):
            walked.discard(chain[-1])  # skipped as a virtual environment: as if never met
            continue
        remember_folder(directory, chain[-1])  # its files are read next: their folder is known
        scoped = nested(directory, [entry.name for entry in entries]) if nested is not None else None
        here = patterns + patterns_of(scoped) if scoped else patterns
        subdirs = []
        for entry in entries:
            if here:
                rel = os.path.relpath(entry.path, top).replace(os.sep, "/")
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if _excluded(f"{shown_top}/{rel}", is_dir, here, shown_top):
                    continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                yield Candidate(Path(entry.path), False, _os_reason(exc), always=True)
                continue
            link = stat.S_ISLNK(info.st_mode)
            real = None
            if link:
                real, info, problem = _follow(entry.path, confine)
                if problem is not None:
                    yield Candidate(Path(entry.path), False, problem, always=problem != "broken symbolic link")
                    continue
            if stat.S_ISDIR(info.st_mode):
                if entry.name in SKIP_DIRS:
                    continue
                real = real or _join(chain[-1], entry.name)  # a plain folder: no need to resolve
                if link and real in chain:
                    if _is_virtualenv(entry.path):
                        continue
                    yield Candidate(Path(entry.path), False, "symbolic link loop: it leads back to a folder "
                                                             "that contains it; not followed", always=True)
                    continue
                if real in walked:
                    continue  # the same folder reached twice through links: checked once
                if depth + 1 > limits.DEPTH:
                    if _is_virtualenv(entry.path):
                        continue
                    exc = limits.LimitExceeded("folder nesting", limits.DEPTH, "DEPTH")
                    yield Candidate(Path(entry.path), False, f"{exc}; this folder was not checked", always=True)
                    continue
                walked.add(real)
                subdirs.append((entry.path, depth + 1, chain + (real,), True))
            elif stat.S_ISREG(info.st_mode):
                if not _count(budget):
                    yield _too_many(Path(entry.path))
                    return
                yield Candidate(Path(entry.path), explicit=False)
            else:
                yield Candidate(Path(entry.path), False, NOT_REGULAR)  # reported only when a parser wants the name
        stack.extend(reversed(subdirs))


#: an entry's name, to sort a listing by
_name = attrgetter("name")


def _venv_listing(folder: str, entries: list[os.DirEntry]) -> bool:
    """``_is_virtualenv`` of a folder, answered from its listing: a ``pyvenv.cfg`` in it that is a
    regular file (not a link). A name that matches only in another case is asked of the disk, which
    decides as ``_is_virtualenv`` would (a case-insensitive disk finds it)."""
    for entry in entries:
        if entry.name == "pyvenv.cfg":
            try:
                return stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode)
            except OSError:
                return False
    if any(entry.name.lower() == "pyvenv.cfg" for entry in entries):
        return _is_virtualenv(folder)
    return False


if os.sep == "/":
    def _join(folder: str, name: str) -> str:
        """``os.path.join`` of a real folder and a name from its listing (no ``/`` in it)."""
        return folder + name if folder.endswith("/") else folder + "/" + name
else:  # pragma: no cover - Windows
    _join = os.path.join


def _follow(path: str, confine: str) -> tuple[str | None, os.stat_result | None, str | None]:
    """(real path, stat, problem) of a symbolic link's target."""
    try:
        real = os.path.realpath(path, strict=True)
        info = os.stat(real)
    except FileNotFoundError:
        return None, None, "broken symbolic link"
    except OSError as exc:
        return None, None, _os_reason(exc)
    except RuntimeError:  # pragma: no cover - realpath loops on some Python versions
        return None, None, "symbolic link loop; not followed"
    if not _inside(real, confine):
        return None, None, (f"symbolic link to {real} (outside the project root {confine}); "
                            "portlint reads nothing outside the checked project, not followed")
    return real, info, None
