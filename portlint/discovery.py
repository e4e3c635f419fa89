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
from pathlib import Path
from typing import Iterable, Iterator

from portlint import limits

#: Directories never worth walking into.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".terraform", ".terragrunt-cache",
    ".venv", "venv", "virtualenv", ".tox", ".nox", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".eggs",
})

NOT_REGULAR = "not a regular file (a FIFO, device or socket is never read)"


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path
    explicit: bool  # named on the command line (pre-commit's file list) rather than found by walking
    #: why this path is not checked; None for a file to check
    problem: str | None = None
    #: report the problem whatever the file's name (else only when a parser would claim the name)
    always: bool = False


def _excluded(relative: str, name: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch(relative, pattern) or fnmatch(name, pattern) or fnmatch(relative, f"*/{pattern}"):
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


def discover(paths: Iterable[Path], exclude: Iterable[str] = (), root: Path | None = None) -> Iterator[Candidate]:
    """Yield files under ``paths`` in a stable order, skipping tool and vendor folders.

    ``root`` is the project root links must stay in (default: each walked folder).
    A missing path raises FileNotFoundError; the caller reports it as a usage error.
    Every other problem is yielded as a Candidate with a ``problem``.

    At most ``limits.FILES`` files are handed on. When a tree holds more, files
    are taken from every folder in turn, so one folder stuffed with files cannot
    crowd out the others; each folder that lost files is reported.
    """
    found = list(_discover(paths, exclude, root))
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


def _discover(paths: Iterable[Path], exclude: Iterable[str], root: Path | None) -> Iterator[Candidate]:
    patterns = tuple(exclude)
    seen: set[Path] = set()
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
        if not stat.S_ISDIR(info.st_mode):
            if _excluded(top.as_posix(), top.name, patterns) or top in seen:
                continue
            seen.add(top)
            if not stat.S_ISREG(info.st_mode):
                yield Candidate(top, True, NOT_REGULAR, always=True)
                continue
            if not _count(budget):
                yield _too_many(top)
                return
            yield Candidate(top, explicit=True)
            continue
        confine = os.path.realpath(root if root is not None else top)
        for found in _walk(top, patterns, confine, walked, budget):
            if found.path not in seen:
                seen.add(found.path)
                yield found
            if budget.exhausted:
                return


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


def _walk(top: Path, patterns: tuple[str, ...], confine: str, walked: set[str],
          budget: _Budget) -> Iterator[Candidate]:
    real_top = os.path.realpath(top)
    if real_top in walked:
        return
    walked.add(real_top)
    # (folder, depth, real paths of the folder and its ancestors, for loop detection)
    stack: list[tuple[Path, int, tuple[str, ...]]] = [(top, 0, (real_top,))]
    while stack:
        directory, depth, chain = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Candidate(directory, False, f"cannot list folder: {_os_reason(exc)}", always=True)
            continue
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            rel = os.path.relpath(entry.path, top).replace(os.sep, "/")
            if _excluded(rel, entry.name, patterns):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                yield Candidate(path, False, _os_reason(exc), always=True)
                continue
            link = stat.S_ISLNK(info.st_mode)
            real = None
            if link:
                real, info, problem = _follow(entry.path, confine)
                if problem is not None:
                    yield Candidate(path, False, problem, always=problem != "broken symbolic link")
                    continue
            if stat.S_ISDIR(info.st_mode):
                if entry.name in SKIP_DIRS or _is_virtualenv(entry.path):
                    continue
                real = real or os.path.join(chain[-1], entry.name)  # a plain folder: no need to resolve
                if link and real in chain:
                    yield Candidate(path, False, "symbolic link loop: it leads back to a folder that contains it; "
                                                 "not followed", always=True)
                    continue
                if real in walked:
                    continue  # the same folder reached twice through links: checked once
                if depth + 1 > limits.DEPTH:
                    exc = limits.LimitExceeded("folder nesting", limits.DEPTH, "DEPTH")
                    yield Candidate(path, False, f"{exc}; this folder was not checked", always=True)
                    continue
                walked.add(real)
                subdirs.append((path, depth + 1, chain + (real,)))
            elif stat.S_ISREG(info.st_mode):
                if not _count(budget):
                    yield _too_many(path)
                    return
                yield Candidate(path, explicit=False)
            else:
                yield Candidate(path, False, NOT_REGULAR)  # reported only when a parser wants the name
        stack.extend(reversed(subdirs))


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
