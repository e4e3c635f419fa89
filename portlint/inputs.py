"""Reading input files safely: regular files only, inside the project root, within budget.

Every file portlint reads because of the checked tree (the checked files, their
``.env``, tfvars, module folders, ``file()`` arguments, configuration and rule
files) goes through ``read_input``. It never blocks on a FIFO or device, never
follows a link out of the project root, and never reads more than
``limits.FILE_BYTES``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

from portlint import limits


class ReadRefused(Exception):
    """A file exists but portlint will not (or cannot) read it; ``reason`` says why."""

    def __init__(self, path: Path, reason: str, line: int = 1):
        self.path, self.reason, self.line = path, reason, line
        super().__init__(reason)


#: during a run (``start_run`` .. ``end_run``): a folder as given -> its real path. Many checked
#: files share a folder, and resolving each file's whole path costs an ``lstat`` per component.
_FOLDERS: dict[str, str] | None = None
#: during a run: the current folder (``os.getcwd()``), learnt the first time a relative path is
#: resolved (nothing in a run changes folder; a new run asks again)
_CWD: str | None = None


def start_run() -> None:
    """Forget every real path learnt so far and remember them until ``end_run`` (the engine calls
    it when a run starts: a folder swapped for a link since the last run is seen as a link)."""
    global _FOLDERS, _CWD
    _FOLDERS, _CWD = {}, None


def end_run() -> None:
    """Stop remembering real paths (outside a run every path is resolved afresh)."""
    global _FOLDERS, _CWD
    _FOLDERS, _CWD = None, None


def _run_cwd() -> str | None:
    """The current folder, remembered for the run (None outside a run, or when it is gone)."""
    global _CWD
    if _FOLDERS is None:
        return None
    if _CWD is None:
        try:
            _CWD = os.getcwd()
        except (OSError, ValueError):
            return None
    return _CWD


def absolute(path: Path | str) -> str:
    """``os.path.abspath(path)``; during a run, a relative path is taken from the current folder
    remembered for the run rather than asked for each time."""
    text = os.fspath(path)
    if text[:1] == "/" or os.sep != "/":
        return os.path.abspath(text)
    cwd = _CWD or _run_cwd()
    if cwd is None:
        return os.path.abspath(text)
    return os.path.normpath(cwd + text if cwd.endswith("/") else cwd + "/" + text)


def _plain(text: str) -> bool:
    """An absolute POSIX path that ``os.path.realpath`` would resolve one name at a time from its
    folder: no ``.``, ``..`` or empty component, no leading ``//``, not the root itself (what
    ``os.path.normpath(text) == text`` says of an absolute path, tested on text)."""
    if os.sep != "/" or text[:1] != "/":
        return False
    padded = text + "/"  # every name is then followed by '/': '/./', '/../' and '//' find them all
    return "//" not in padded and "/./" not in padded and "/../" not in padded


def _resolve(given: str) -> tuple[str, os.stat_result | None]:
    """``os.path.realpath(given)`` and, when one ``lstat`` showed it is not a link, that ``lstat``
    (None otherwise: a link, a missing name, anything unusual).

    During a run, the real path of a plain path whose name is not a link is its folder's real
    path (remembered for the run) joined with the name, which is what ``os.path.realpath`` finds
    (a relative path is taken from the current folder, as ``os.path.realpath`` takes it); anything
    else (a link, ``.`` or ``..``, an error other than a missing name) is resolved by
    ``os.path.realpath`` itself."""
    folders = _FOLDERS
    if folders is None or os.sep != "/":
        return os.path.realpath(given), None
    text = given
    if text[:1] != "/":
        cwd = _CWD or _run_cwd()  # os.getcwd() is a real path: realpath resolves a relative path from it
        if cwd is None:
            return os.path.realpath(given), None
        text = cwd + "/" + text
    real = folders.get(text)
    if real is not None:  # a folder already resolved in this run
        return real, None
    if not _plain(text):
        return os.path.realpath(given), None
    try:
        info = os.lstat(text)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError):
        return os.path.realpath(given), None
    if info is not None and stat.S_ISLNK(info.st_mode):
        return os.path.realpath(given), None
    head, _, name = text.rpartition("/")
    head = head or "/"
    real = folders.get(head)
    if real is None:
        real = folders[head] = _resolve(head)[0]
    real = real + name if real == "/" else real + "/" + name
    if info is not None and stat.S_ISDIR(info.st_mode):
        folders[text] = real  # the folder of the files read next (a checked file's, the root)
    return real, info


def remember_folder(given: Path | str, real: str) -> None:
    """During a run, note that the folder ``given`` has the real path ``real`` (discovery learns
    it as it walks: a listed folder that is not a link is its parent's real path and its name).
    Only a plain path is noted (as ``_resolve`` would learn it); outside a run, nothing."""
    folders = _FOLDERS
    if folders is None or os.sep != "/":
        return
    text = os.fspath(given)
    if text[:1] != "/":
        cwd = _CWD or _run_cwd()
        if cwd is None:
            return
        text = cwd + "/" + text
    if _plain(text):
        folders[text] = real


def real_path(path: Path | str) -> str:
    """``os.path.realpath(path)``, resolved from the run's remembered folders when it can be (see
    ``_resolve``); raises as ``os.path.realpath`` does."""
    return _resolve(os.fspath(path))[0]


def _within(real: str, real_root: str) -> bool:
    """Whether a resolved path lies in a resolved root (both absolute and normalised)."""
    return real == real_root or real.startswith(real_root if real_root.endswith("/") else real_root + "/")


def is_inside(path: Path, root: Path | None) -> bool:
    """True when ``path`` (after resolving links) lies in ``root``; always true without a root."""
    if root is None:
        return True
    try:
        return _resolved_inside(real_path(path), root)
    except (ValueError, OSError):
        return False


def _resolved_inside(resolved: Path | str, root: Path) -> bool:
    """``is_inside`` for a path whose links are already resolved (resolving it again costs a
    system call per component and finds the same path)."""
    try:
        if os.sep == "/":
            return _within(os.fspath(resolved), real_path(root))
        Path(resolved).relative_to(Path(os.path.realpath(root)))
        return True
    except (ValueError, OSError):
        return False


def read_input(path: Path, root: Path | None = None, max_bytes: int | None = None) -> str | None:
    """The UTF-8 text of ``path``; None when it does not exist; ReadRefused when it may not be read."""
    return read_input_stat(path, root, max_bytes)[0]


def read_input_stat(path: Path, root: Path | None = None,
                    max_bytes: int | None = None) -> tuple[str | None, os.stat_result | None]:
    """``read_input`` and the status of the file it read (of the open file; None when absent)."""
    budget = limits.FILE_BYTES if max_bytes is None else max_bytes
    try:
        resolved, info = _resolve(os.fspath(path))
        if info is None or not stat.S_ISREG(info.st_mode):
            info = os.stat(resolved)
    except FileNotFoundError:
        return None, None
    except (OSError, RuntimeError, ValueError) as exc:  # link loops, names too long, NUL bytes
        raise ReadRefused(path, _os_reason(exc)) from None
    if root is not None and not _resolved_inside(resolved, root):
        raise ReadRefused(path, f"it is outside the project root {root.as_posix()}; "
                                "portlint reads nothing outside the checked project")
    if not stat.S_ISREG(info.st_mode):
        raise ReadRefused(path, "not a regular file (a FIFO, device or socket is never read)")
    if info.st_size > budget:
        raise ReadRefused(path, f"{info.st_size:,} bytes, over portlint's limit of {budget:,} "
                                "(raise it with PORTLINT_MAX_FILE_BYTES; see docs/security.md)")
    try:
        fd = os.open(resolved, _OPEN_FLAGS)
    except OSError as exc:
        raise ReadRefused(path, _os_reason(exc)) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped between stat and open
            raise ReadRefused(path, "not a regular file")
        data = _read_all(fd, info.st_size, budget + 1)
    finally:
        os.close(fd)
    if len(data) > budget:
        raise ReadRefused(path, f"over portlint's limit of {budget:,} bytes "
                                "(raise it with PORTLINT_MAX_FILE_BYTES; see docs/security.md)")
    if data.find(b"\x00", 0, 8192) != -1:
        raise ReadRefused(path, "binary, not text")
    try:
        # what ``data.decode("utf-8-sig")`` does (an error's offset is then past the mark too)
        if data[:3] == _BOM:
            return data[3:].decode("utf-8"), opened
        return data.decode("utf-8"), opened
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReadRefused(path, "not UTF-8 text", line) from None


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_BOM = b"\xef\xbb\xbf"


def _read_all(fd: int, size: int, most: int) -> bytes:
    """Up to ``most`` bytes of an open file, to its end: first the size it had when looked at
    (and one more byte), then until a read finds nothing more (it may have grown since)."""
    first = os.read(fd, min(size + 1, most))
    if not first:
        return first
    chunks = [first]
    total = len(first)
    while total < most:
        chunk = os.read(fd, min(most - total, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return first if len(chunks) == 1 else b"".join(chunks)


def list_folder(folder: Path, root: Path | None = None) -> list[tuple[Path, bool]]:
    """The regular files and folders directly in ``folder`` as (path, is a folder), by name; empty
    when it is absent or not a folder. Other entries (FIFOs, devices, sockets, broken links) and links
    that lead out of ``root`` are left out. ReadRefused when ``folder`` itself is outside ``root``;
    ``limits.LimitExceeded`` beyond ``limits.FILES`` entries."""
    try:
        resolved = Path(os.path.realpath(folder))
        info = os.stat(resolved)
    except FileNotFoundError:
        return []
    except (OSError, RuntimeError, ValueError) as exc:
        raise ReadRefused(folder, _os_reason(exc)) from None
    if root is not None and not _resolved_inside(resolved, root):
        raise ReadRefused(folder, f"it is outside the project root {root.as_posix()}; "
                                  "portlint reads nothing outside the checked project")
    if not stat.S_ISDIR(info.st_mode):
        return []
    found: list[tuple[Path, bool]] = []
    seen = 0
    try:
        with os.scandir(resolved) as entries:
            for entry in entries:
                seen += 1
                if seen > limits.FILES:
                    raise limits.LimitExceeded(f"entries in {folder.as_posix()}", limits.FILES, "FILES")
                try:
                    target = os.path.realpath(entry.path)
                    mode = os.stat(target).st_mode
                except (OSError, ValueError):
                    continue
                if root is not None and not is_inside(Path(target), root):
                    continue
                if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                    found.append((folder / entry.name, stat.S_ISDIR(mode)))
    except OSError as exc:
        raise ReadRefused(folder, _os_reason(exc)) from None
    return sorted(found)


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    if isinstance(exc, RuntimeError):
        return "symbolic link loop"
    return str(exc)


def git_top_level(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder or a worktree file)."""
    try:
        current = Path(os.path.realpath(start))
    except (OSError, ValueError):
        return None
    if not current.is_dir():
        current = current.parent
    for folder in (current, *current.parents):
        if (folder / ".git").exists():
            return folder
    return None


def project_root(paths: Iterable[Path], cwd: Path, explicit: Path | None = None,
                 config_file: Path | None = None) -> Path:
    """The folder nothing is read outside of.

    ``--project-root`` when given; else the git top level of the checked paths;
    else the folder of the configuration file; else the current folder when every
    checked path lies in it; else the deepest folder holding every checked path.
    """
    if explicit is not None:
        return Path(os.path.realpath(explicit))
    absolute = [Path(os.path.realpath(cwd / p)) for p in paths] or [Path(os.path.realpath(cwd))]
    tops = {git_top_level(p) for p in absolute}
    if len(tops) == 1 and None not in tops:
        return tops.pop()  # type: ignore[return-value]
    if config_file is not None:
        folder = Path(os.path.realpath(config_file)).parent
        if all(is_inside(p, folder) for p in absolute):
            return folder
    here = Path(os.path.realpath(cwd))
    if all(is_inside(p, here) for p in absolute):
        return here
    folders = [p if p.is_dir() else p.parent for p in absolute]
    return Path(os.path.commonpath([str(f) for f in folders]))
