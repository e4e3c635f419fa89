"""portlint's caches: the folder they live in, and the result cache.

The user cache folder is ``$PORTLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/portlint``
(``~/.cache/portlint``; ``~/Library/Caches/portlint`` on macOS,
``%LOCALAPPDATA%\\portlint`` on Windows). It is never inside the checked tree
unless ``--cache-dir`` puts the result cache there.

The result cache stores what one parser made of a group of files (``ParseOutcome``
records) as JSON, keyed by a hash of everything the result depends on: portlint's
version, the parser, the options that reach parsers (environment, ``--var``,
``--env-file``, ``--var-file``), the content of every claimed file of the group,
and the content of every other file the parse read through ``ParseContext.read_text``
(``.env``, override and base files, tfvars, module folders), recorded while it ran.
A cache entry is untrusted input: it is only ever read as JSON, checked field by
field, and any surprise makes it a miss. Rules, suppressions, baselines and
expiries are not cached: they run on every run, on the cached exposures.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

#: bump when the stored shape changes (old entries then never match)
FORMAT = 1
#: largest cache entry read back (a larger one is a miss)
ENTRY_BYTES = 64 * 1024 * 1024


def user_cache_dir() -> Path:
    """Where portlint keeps its caches for this user (not created here)."""
    explicit = os.environ.get("PORTLINT_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":  # pragma: no cover - not run in CI here
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return Path(base) / "portlint"
    if sys.platform == "darwin":  # pragma: no cover
        return Path.home() / "Library" / "Caches" / "portlint"
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "portlint"


def private_folder(name: str, base: Path | None = None) -> str | None:
    """A subfolder of the cache folder that only this user can write; None when it
    cannot be made or is not private (owned by someone else, writable by others, a link).

    Files that are executed or unpickled (Lark's grammar cache) are only ever read
    from such a folder.
    """
    folder = (base or user_cache_dir()) / name
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return str(folder) if _private(folder) else None
    except (OSError, ValueError):
        return None


def _private(folder: Path) -> bool:
    import stat

    for path in (folder, folder.parent):
        try:
            info = os.lstat(path)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode):
            return False
        if hasattr(os, "geteuid"):
            if info.st_uid != os.geteuid() or info.st_mode & 0o022:
                return False
    return True


# --------------------------------------------------------------------------- the result cache


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class Recorder:
    """Wraps a ``read_text`` function and remembers what each read returned."""

    def __init__(self, read: Callable[[Path], str | None]):
        self._read = read
        self.reads: dict[str, str | None] = {}

    def __call__(self, path: Path) -> str | None:
        text = self._read(path)  # ReadRefused passes through: the parser reports it
        self.reads[os.path.abspath(path)] = text
        return text


class ResultCache:
    """Parse results by group, as JSON files under ``folder``.

    ``base`` is a digest of everything every result depends on (portlint's version,
    the options that reach parsers); each entry adds the group's parser and files.
    An entry also lists every other file its parse read and what that read returned;
    it is used only while they all still read the same (through the same confined
    reader, so a file moved outside the project or made a FIFO is a miss).
    """

    def __init__(self, folder: Path, base: str):
        self.folder = Path(folder)
        self.base = base
        self.hits = 0
        self.misses = 0

    @classmethod
    def open(cls, folder: Path | None, settings: Mapping[str, Any]) -> "ResultCache | None":
        """The cache in ``folder`` (None: the user cache folder) for these settings;
        None when no folder can be used (then nothing is cached)."""
        from portlint import __version__

        target = Path(folder) if folder is not None else user_cache_dir()
        try:
            os.makedirs(target / "results", mode=0o700, exist_ok=True)
        except OSError:
            return None
        base = _digest(f"portlint {__version__} format {FORMAT}",
                       json.dumps(settings, sort_keys=True, default=str))
        return cls(target / "results", base)

    def key(self, parser: str, files: Iterable[tuple[str, str]]) -> str:
        parts = [self.base, parser]
        for shown, text in sorted(files):
            parts += [shown, text]
        return _digest(*parts)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, read: Callable[[Path], str | None]) -> list[dict] | None:
        """The stored outcomes (as JSON values) for ``key``; None on any miss or damage."""
        path = self._path(key)
        try:
            with open(path, "rb") as fh:
                raw = fh.read(ENTRY_BYTES + 1)
        except (OSError, ValueError):
            self.misses += 1
            return None
        entry = _decode(raw, key)
        if entry is None or not self._same_reads(entry["reads"], read):
            self.misses += 1
            return None
        self.hits += 1
        return entry["outcomes"]

    @staticmethod
    def _same_reads(reads: list, read: Callable[[Path], str | None]) -> bool:
        for path, digest in reads:
            try:
                text = read(Path(path))
            except Exception:  # refused now (moved out, a FIFO, too large): parse again
                return False
            if (None if text is None else _digest(text)) != digest:
                return False
        return True

    def put(self, key: str, outcomes: list[dict], reads: Mapping[str, str | None]) -> None:
        """Store an entry (atomically: a concurrent run sees all of it or none)."""
        entry = {"format": FORMAT, "key": key,
                 "reads": sorted([p, None if t is None else _digest(t)] for p, t in reads.items()),
                 "outcomes": outcomes}
        path = self._path(key)
        try:
            data = json.dumps(entry, separators=(",", ":")).encode("utf-8")
            if len(data) > ENTRY_BYTES:
                return
            os.makedirs(path.parent, mode=0o700, exist_ok=True)
            temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            with open(temporary, "wb") as fh:
                fh.write(data)
            os.replace(temporary, path)
        except (OSError, ValueError, TypeError):
            try:
                os.unlink(temporary)  # type: ignore[possibly-undefined]
            except (OSError, NameError, UnboundLocalError):
                pass


def _decode(raw: bytes, key: str) -> dict | None:
    """A cache entry checked field by field; None when it is not one portlint wrote for ``key``."""
    if len(raw) > ENTRY_BYTES:
        return None
    try:
        entry = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
        return None
    reads, outcomes = entry.get("reads"), entry.get("outcomes")
    if not isinstance(reads, list) or not isinstance(outcomes, list):
        return None
    for item in reads:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                and (item[1] is None or isinstance(item[1], str))):
            return None
    return entry


class locked:
    """An exclusive advisory lock on ``path`` for the ``with`` block (no lock where the
    platform has no ``fcntl``)."""

    def __init__(self, path: str):
        self.path, self.fd = path, None

    def __enter__(self) -> "locked":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        self.fd = os.open(self.path, flags, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None
