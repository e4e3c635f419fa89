"""Find the files to check: walk directories, take listed files as given."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterable, Iterator

#: Directories never worth walking into.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".terraform", ".terragrunt-cache",
    ".venv", "venv", "virtualenv", ".tox", ".nox", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".eggs",
})


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path
    explicit: bool  # named on the command line (pre-commit's file list) rather than found by walking


def _excluded(relative: str, name: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch(relative, pattern) or fnmatch(name, pattern) or fnmatch(relative, f"*/{pattern}"):
            return True
    return False


def _is_virtualenv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


def discover(paths: Iterable[Path], exclude: Iterable[str] = ()) -> Iterator[Candidate]:
    """Yield files under ``paths`` in a stable order, skipping tool and vendor folders.

    A missing path raises FileNotFoundError; the caller reports it as a usage error.
    """
    patterns = tuple(exclude)
    seen: set[Path] = set()
    for root in paths:
        if not root.exists():
            raise FileNotFoundError(str(root))
        if root.is_file():
            rel = root.as_posix()
            if not _excluded(rel, root.name, patterns) and root not in seen:
                seen.add(root)
                yield Candidate(root, explicit=True)
            continue
        for found in _walk(root, patterns):
            if found not in seen:
                seen.add(found)
                yield Candidate(found, explicit=False)


def _walk(root: Path, patterns: tuple[str, ...]) -> Iterator[Path]:
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            rel = os.path.relpath(entry.path, root).replace(os.sep, "/")
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIP_DIRS or _excluded(rel, entry.name, patterns):
                    continue
                if _is_virtualenv(entry.path):
                    continue
                subdirs.append(Path(entry.path))
            elif entry.is_file() and not _excluded(rel, entry.name, patterns):
                yield Path(entry.path)
        stack.extend(reversed(subdirs))
