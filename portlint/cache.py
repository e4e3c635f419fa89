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


class ResultCache:
    """Parse results by group, as JSON files under ``folder``.

    ``base`` is a digest of everything every result depends on (portlint's version,
    the options that reach parsers); each entry adds the group's parser and files.
    An entry also lists every other file its parse read and what that read returned;
    it is used only while they all still read the same (through the same confined
    reader, so a file moved outside the project or made a FIFO is a miss).
    """

    #: the cache of the latest run in this process (its hit and miss counts, for tests and --verbose)
    last: "ResultCache | None" = None

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
        cls.last = cls(target / "results", base)
        return cls.last

    def key(self, parser: str, files: Iterable[tuple[str, str]]) -> str:
        parts = [self.base, parser]
        for shown, text in sorted(files):
            parts += [shown, text]
        return _digest(*parts)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, read: Callable[[Path], str | None],
            environ: Mapping[str, str]) -> list[dict] | None:
        """The stored outcomes (as JSON values) for ``key``; None on any miss or damage."""
        path = self._path(key)
        try:
            with open(path, "rb") as fh:
                raw = fh.read(ENTRY_BYTES + 1)
        except (OSError, ValueError):
            self.misses += 1
            return None
        entry = _decode(raw, key)
        if (entry is None or not _same_environ(entry["env"], environ)
                or any(_listing(folder) != digest for folder, digest in entry["listings"])
                or any(_read_marker(read, p) != marker for p, marker in entry["reads"])):
            self.misses += 1
            return None
        self.hits += 1
        return entry["outcomes"]

    def put(self, key: str, outcomes: list, reads: Mapping[str, str | None], env: list,
            listings: list) -> None:
        """Store an entry (atomically: a concurrent run sees all of it or none)."""
        entry = {"format": FORMAT, "key": key, "reads": sorted([p, m] for p, m in reads.items()),
                 "env": env, "listings": listings, "outcomes": outcomes}
        path = self._path(key)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            data = json.dumps(entry, separators=(",", ":")).encode("utf-8")
            if len(data) > ENTRY_BYTES:
                return
            os.makedirs(path.parent, mode=0o700, exist_ok=True)
            with open(temporary, "wb") as fh:
                fh.write(data)
            os.replace(temporary, path)
        except (OSError, ValueError):
            try:
                os.unlink(temporary)
            except OSError:
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
    env, listings = entry.get("env"), entry.get("listings")
    if not all(isinstance(x, list) for x in (reads, outcomes, env, listings)):
        return None
    for item in reads + listings:
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


class RecordingEnviron(Mapping):
    """The environment as parsers see it, remembering what they looked at: single
    names (looked up or tested), name prefixes listed (``TF_VAR_``), or all of it."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ
        self.used: dict[str, str | None] = {}
        self.prefixes: set[str] = set()
        self.everything = False

    def __getitem__(self, key: str) -> str:
        self.used[key] = self._environ.get(key)
        return self._environ[key]

    def get(self, key, default=None):
        self.used[key] = self._environ.get(key)
        return self._environ.get(key, default)

    def __contains__(self, key) -> bool:
        self.used[key] = self._environ.get(key)
        return key in self._environ

    def __iter__(self):
        self.everything = True
        return iter(self._environ)

    def __len__(self) -> int:
        self.everything = True
        return len(self._environ)

    def with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """The (name, value) pairs whose name starts with ``prefix``, sorted."""
        self.prefixes.add(prefix)
        return with_prefix(self._environ, prefix)

    def record(self) -> list:
        return [["name", k, _digest_or_none(v)] for k, v in sorted(self.used.items())] + \
               [["prefix", p, _digest(json.dumps(with_prefix(self._environ, p)))] for p in sorted(self.prefixes)] + \
               ([["all", "", _digest(json.dumps(sorted(self._environ.items())))]] if self.everything else [])


def with_prefix(environ: Mapping[str, str], prefix: str) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in environ.items() if k.startswith(prefix))


def _digest_or_none(text: str | None) -> str | None:
    return None if text is None else _digest(text)


_ENV_DIGESTS: dict = {}


def _environ_digest(environ: Mapping[str, str], kind: str, name: str) -> str:
    """Digest of the whole environment or of a prefix's names, once per run (the environment
    mapping of a run does not change while it runs)."""
    key = (id(environ), kind, name)
    if key not in _ENV_DIGESTS:
        if len(_ENV_DIGESTS) > 64:
            _ENV_DIGESTS.clear()
        value = sorted(environ.items()) if kind == "all" else with_prefix(environ, name)
        _ENV_DIGESTS[key] = (environ, _digest(json.dumps(value)))
    return _ENV_DIGESTS[key][1]


def _same_environ(record: list, environ: Mapping[str, str]) -> bool:
    for item in record:
        if not (isinstance(item, list) and len(item) == 3 and all(isinstance(x, (str, type(None))) for x in item)):
            return False
        kind, name, digest = item
        if kind == "name":
            now = _digest_or_none(environ.get(name))
        elif kind in ("prefix", "all"):
            now = _environ_digest(environ, kind, name)
        else:
            return False
        if now != digest:
            return False
    return True


# --------------------------------------------------------------------------- outcomes as JSON

_CLASSES: dict = {}
_FIELDS: dict = {}


def _model_classes() -> dict:
    if not _CLASSES:
        import dataclasses

        from portlint import model

        for cls in (model.ParseOutcome, model.Exposure, model.InputError, model.Location, model.Step,
                    model.PortRange, model.Notice):
            _FIELDS[cls] = tuple((f.name, str(f.type).replace(" ", "")) for f in dataclasses.fields(cls))
            _CLASSES[cls.__name__] = cls
    return _CLASSES


def model_fingerprint() -> str:
    """The shape of the stored classes: a new or changed field makes every old entry a miss."""
    import dataclasses

    shape = []
    for name, cls in sorted(_model_classes().items()):
        shape.append([name, [[f.name, str(f.type)] for f in dataclasses.fields(cls)]])
    return _digest(json.dumps(shape))


def encode(value: Any) -> Any:
    """A ParseOutcome (and what it holds) as plain JSON values, tagged by class."""
    import dataclasses

    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if dataclasses.is_dataclass(value) and type(value).__name__ in _model_classes():
        return {"@": type(value).__name__,
                **{f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {"@t": [encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"@f": sorted(encode(v) for v in value)}
    raise TypeError(f"cannot cache a {type(value).__name__}")


class _Bad(Exception):
    pass


def decode(value: Any, depth: int = 0) -> Any:
    """The inverse of ``encode``, for the model classes only; raises _Bad on anything else."""
    import dataclasses

    if depth > 32:
        raise _Bad("too deep")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        if "@t" in value and len(value) == 1 and isinstance(value["@t"], list):
            return tuple(decode(v, depth + 1) for v in value["@t"])
        if "@f" in value and len(value) == 1 and isinstance(value["@f"], list):
            items = [decode(v, depth + 1) for v in value["@f"]]
            if not all(isinstance(v, str) for v in items):
                raise _Bad("a set of non-strings")
            return frozenset(items)
        classes = _model_classes()
        cls = classes.get(value.get("@"))
        if cls is not None:
            fields = _FIELDS[cls]
            if len(value) != len(fields) + 1:
                raise _Bad("fields differ")
            arguments = {}
            for name, annotation in fields:
                if name not in value:
                    raise _Bad("fields differ")
                item = decode(value[name], depth + 1)
                if not _fits(item, annotation, classes):
                    raise _Bad(f"{cls.__name__}.{name}")
                arguments[name] = item
            return cls(**arguments)
    raise _Bad(f"unexpected {type(value).__name__}")


def _check_types(obj: Any) -> None:
    """Field values of the types the annotation says (the simple forms the model uses)."""
    import dataclasses

    classes = _model_classes()
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if not _fits(value, str(f.type).replace(" ", ""), classes):
            raise _Bad(f"{type(obj).__name__}.{f.name}")


def _fits(value: Any, annotation: str, classes: dict) -> bool:
    options = annotation.split("|")
    for option in options:
        if option == "None" and value is None:
            return True
        if option == "str" and isinstance(value, str):
            return True
        if option == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if option == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if option == "bool" and isinstance(value, bool):
            return True
        if option in classes and isinstance(value, classes[option]):
            return True
        if option.startswith("tuple[") and option.endswith(",...]") and isinstance(value, tuple):
            inner = option[len("tuple["):-len(",...]")]
            if all(_fits(v, inner, classes) for v in value):
                return True
        if option.startswith("frozenset[") and isinstance(value, frozenset):
            inner = option[len("frozenset["):-1]
            if all(_fits(v, inner, classes) for v in value):
                return True
    return False


def decode_outcomes(stored: list) -> list | None:
    from portlint.model import ParseOutcome

    try:
        outcomes = [decode(item) for item in stored]
    except (_Bad, TypeError, ValueError, RecursionError):
        return None
    if not all(isinstance(o, ParseOutcome) for o in outcomes):
        return None
    return outcomes


# --------------------------------------------------------------------------- parsing through the cache

#: below this many files to parse, worker processes cost more than they save
PARALLEL_MIN_FILES = 24


def source_fingerprint(parsers: Iterable[Any] = ()) -> str:
    """portlint's own code (every module's size and time), the given parsers' modules, and the
    versions of the libraries that parse: a change to any of them makes every old entry a miss."""
    import importlib.util

    parts = [model_fingerprint()]
    package = Path(__file__).resolve().parent
    files = sorted(package.rglob("*.py"))[:5000]
    for name in sorted({type(p).__module__ for p in parsers}):  # sorted: a set's order differs per process
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            files.append(Path(module.__file__))
    for name, inner in (("hcl2", "hcl2.lark"), ("hcl2", "version.py"), ("lark", "__init__.py"),
                        ("yaml", "__init__.py")):
        try:
            spec = importlib.util.find_spec(name)
            if spec and spec.submodule_search_locations:
                files.append(Path(list(spec.submodule_search_locations)[0]) / inner)
        except (ImportError, ValueError):
            pass
    for path in files:
        try:
            info = os.stat(path)
            parts.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:-")
    return _digest(*parts)


def file_digest(path: Path, trusted_read: Callable[[Path], str | None]) -> str:
    """What a file named on the command line (``--env-file``, ``--var-file``) holds, for the key."""
    try:
        text = trusted_read(path)
    except Exception as exc:  # refused: the parse reports it, the key notes it
        return f"!{type(exc).__name__}:{exc}"
    return "-" if text is None else _digest(text)


class _Recording:
    """What one group's parse read: files (through ``read_text``) and environment names."""

    def __init__(self, read: Callable[[Path], str | None], environ: Mapping[str, str]):
        self._read = read
        self.reads: dict[str, str | None] = {}
        self.environ = RecordingEnviron(environ)

    def read_text(self, path: Path) -> str | None:
        key = os.path.abspath(path)
        try:
            text = self._read(path)
        except Exception as exc:
            self.reads[key] = f"!{type(exc).__name__}:{exc}"
            raise
        self.reads[key] = _digest_or_none(text)
        return text


def _read_marker(read: Callable[[Path], str | None], path: str) -> str | None:
    try:
        return _digest_or_none(read(Path(path)))
    except Exception as exc:
        return f"!{type(exc).__name__}:{exc}"


def _listing(folder: str) -> str:
    """The names in a folder (a new file there can change what a parser reads)."""
    from portlint import limits

    try:
        with os.scandir(folder) as entries:
            names = []
            for entry in entries:
                names.append(entry.name)
                if len(names) > limits.FILES:
                    break
    except OSError:
        return "-"
    return _digest(*sorted(names))


def by_folder(files: list) -> list[list]:
    """The default cache unit: the claimed files of one folder (a Compose project, say)."""
    groups: dict[Path, list] = {}
    for source in files:
        groups.setdefault(source.path.parent, []).append(source)
    return list(groups.values())


def parse_cached(parser: Any, files: list, ctx: Any, cache: ResultCache, parse: Callable,
                 jobs: int = 1) -> list:
    """Parse ``files`` one group at a time, each group's outcomes from the cache when
    nothing it read has changed; missed groups are parsed (in ``jobs`` worker processes when
    the parser allows it and there is enough work) and stored."""
    import dataclasses

    grouping = getattr(parser, "cache_groups", None)
    groups = grouping(files) if callable(grouping) else by_folder(files)
    groups = sorted((sorted(g, key=lambda s: s.display) for g in groups if g), key=lambda g: g[0].display)
    results: list[list | None] = [None] * len(groups)
    keys = []
    for index, group in enumerate(groups):
        key = cache.key(parser.name, [(s.display, s.text) for s in group])
        keys.append(key)
        stored = cache.get(key, ctx.read_text, ctx.environ)
        if stored is not None:
            results[index] = decode_outcomes(stored)
            if results[index] is None:
                cache.hits -= 1
                cache.misses += 1
    missed = [i for i, r in enumerate(results) if r is None]

    def work(index: int) -> tuple[list, dict, list, list]:
        recording = _Recording(ctx.read_text, ctx.environ)
        local = dataclasses.replace(ctx, read_text=recording.read_text, environ=recording.environ)
        outcomes = parse(parser, groups[index], local)
        folders = {str(s.path.parent) for s in groups[index]} | {os.path.dirname(p) for p in recording.reads}
        listings = [[folder, _listing(folder)] for folder in sorted(folders)]
        return outcomes, recording.reads, recording.environ.record(), listings

    done = _in_workers(work, missed, groups, jobs) if getattr(parser, "parallel", False) else {}
    for index in missed:
        produced = done.get(index) or work(index)
        outcomes, reads, env, listings = produced
        results[index] = outcomes
        try:
            cache.put(keys[index], [encode(o) for o in outcomes], reads, env, listings)
        except TypeError:  # a plug-in's outcome holding something JSON cannot: not cached
            pass
    return [outcome for group in results for outcome in (group or [])]


_WORK: Any = None


def _worker(index: int):
    return _WORK(index)


def _in_workers(work: Callable, missed: list[int], groups: list, jobs: int) -> dict:
    """Missed groups parsed in forked worker processes; {} when not worth it or impossible
    (the caller then parses whatever is missing here, so a dead worker costs no findings)."""
    global _WORK
    if jobs < 2 or len(missed) < 2 or sum(len(groups[i]) for i in missed) < PARALLEL_MIN_FILES:
        return {}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return {}
    done: dict = {}
    _WORK = work
    try:
        order = sorted(missed, key=lambda i: -len(groups[i]))
        with ProcessPoolExecutor(max_workers=min(jobs, len(missed)),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {i: pool.submit(_worker, i) for i in order}
            for i, future in futures.items():
                try:
                    done[i] = future.result()
                except Exception:  # the worker raised or died: parsed again here
                    pass
    except Exception:
        pass
    finally:
        _WORK = None
    return done
