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
            environ: Mapping[str, str], reads: list | None = None) -> list[dict] | None:
        """The stored outcomes (as JSON values) for ``key``; None on any miss or damage. On a hit,
        the files the entry read are added to ``reads`` when given."""
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
        _note((p for p, _ in entry["reads"]), entry["env"])
        if reads is not None:
            reads.extend(p for p, _ in entry["reads"])
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
                 jobs: int = 1, remember: Callable[[Iterable[str]], Any] | None = None) -> list:
    """Parse ``files`` one group at a time, each group's outcomes from the cache when
    nothing it read has changed; missed groups are parsed (in ``jobs`` worker processes when
    the parser allows it and there is enough work, see ``portlint.workers``) and stored.
    ``remember`` is told the files each parsed group read (a worker's reads are otherwise lost)."""
    import dataclasses

    if getattr(parser, "cache_results", True) is False:
        return parse_recorded(parser, files, ctx, parse, remember)
    grouping = getattr(parser, "cache_groups", None)
    groups = grouping(files) if callable(grouping) else by_folder(files)
    groups = sorted((sorted(g, key=lambda s: s.display) for g in groups if g), key=lambda g: g[0].display)
    results: list[list | None] = [None] * len(groups)
    group_reads: list[list[str]] = [[] for _ in groups]
    keys = []
    for index, group in enumerate(groups):
        key = cache.key(parser.name, [(s.display, s.text) for s in group])
        keys.append(key)
        stored = cache.get(key, ctx.read_text, ctx.environ, group_reads[index])
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

    if getattr(parser, "parallel", False):
        from portlint.workers import run_groups

        produced = dict(zip(missed, run_groups([len(groups[i]) for i in missed], jobs,
                                               lambda n: work(missed[n]))))
    else:
        produced = {index: work(index) for index in missed}
    for index in missed:
        outcomes, reads, env, listings = produced[index]
        results[index] = outcomes
        group_reads[index] = list(reads)
        if remember is not None:
            remember(reads)
        _note(reads, env)
        try:
            cache.put(keys[index], [encode(o) for o in outcomes], reads, env, listings)
        except TypeError:  # a plug-in's outcome holding something JSON cannot: not cached
            pass
    from portlint.workers import crossed

    if len(groups) > 1 and crossed(groups, group_reads):
        # the groups were not independent (see workers.crossed): every file is parsed at once,
        # as without the cache, and what that read is recorded for the run cache
        return _parse_at_once(parser, files, ctx, parse, _noter(remember))
    return [outcome for group in results for outcome in (group or [])]


def parse_recorded(parser: Any, files: list, ctx: Any, parse: Callable,
                   remember: Callable[[Iterable[str]], Any] | None = None) -> list:
    """Parse without result-cache entries, for a parser whose results cost less to make than to
    keep (``cache_results = False``: a Compose file parses in about 0.25 ms, while writing its
    entry costs about 0.6 ms and checking it on a later run 0.3 ms); what the parse read and which
    environment names it looked at are still noted for the run cache."""
    from portlint.workers import parse_in_workers

    noted = _noter(remember)
    parsed = parse_in_workers(parser, files, ctx, parse, noted, recorder=_Recording)
    return parsed if parsed is not None else _parse_at_once(parser, files, ctx, parse, noted)


def _noter(remember: Callable[[Iterable[str]], Any] | None) -> Callable[[tuple], None]:
    """What to do with a recording's (reads, environment record): tell ``remember`` the files read,
    and note both for the run cache."""
    def noted(record: tuple) -> None:
        reads, env = record
        if remember is not None:
            remember([path for path, marker in reads.items() if marker is not None])
        _note(reads, env)

    return noted


def _parse_at_once(parser: Any, files: list, ctx: Any, parse: Callable, noted: Callable[[tuple], None]) -> list:
    """Every file parsed in one call here, recording what the parse read and looked at."""
    import dataclasses

    recording = _Recording(ctx.read_text, ctx.environ)
    outcomes = parse(parser, list(files), dataclasses.replace(ctx, read_text=recording.read_text,
                                                              environ=recording.environ))
    noted((recording.reads, recording.environ.record()))
    return outcomes


# --------------------------------------------------------------------------- the run cache

#: bump when a run entry's shape changes
RUN_FORMAT = 1


class RunRecord:
    """What the parsers of one run read and looked at, whether their group came from the result
    cache or was parsed: every file read through ``ParseContext.read_text`` and every environment
    record (see ``RecordingEnviron.record``). The run cache keys a whole run on it."""

    current: "RunRecord | None" = None

    def __init__(self) -> None:
        self.reads: set[str] = set()
        #: a read file's content digest (None: absent) as the parse saw it, when a recording knew it
        self.digests: dict[str, str | None] = {}
        self.env: dict[tuple, list] = {}

    def add(self, reads: Iterable[str], env: Iterable[list]) -> None:
        self.reads.update(p for p in reads if isinstance(p, str))
        if isinstance(reads, Mapping):  # a _Recording's reads: path -> digest, None, or "!refusal"
            self.digests.update((p, m) for p, m in reads.items()
                                if isinstance(p, str) and (m is None or (isinstance(m, str) and m[:1] != "!")))
        for item in env:
            if isinstance(item, list) and len(item) == 3:
                self.env[(item[0], item[1])] = item


def _note(reads: Iterable[str], env: Iterable[list]) -> None:
    if RunRecord.current is not None:
        RunRecord.current.add(reads, env)


def _stat_key(info: os.stat_result) -> list:
    """What the run cache compares before it ever reads a file (as ruff's cache does, plus the
    inode change time: writing a file always moves it, so an edit that restores size and
    modification time is still seen)."""
    return [info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev, info.st_ctime_ns]


def _secret(base: Path) -> bytes | None:
    """A random key private to this user (``keys/run`` in the user cache folder), with which run
    entries are signed: an entry planted in a shared or checked-in ``--cache-dir`` cannot be signed
    by anyone else, so it is never replayed. None when no private folder can be used."""
    folder = private_folder("keys", base)
    if folder is None:
        return None
    path = os.path.join(folder, "run")
    flags = getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, os.O_RDONLY | flags)
        with os.fdopen(fd, "rb") as fh:
            key = fh.read(65)
        if len(key) == 32:
            return key
    except OSError:
        pass
    key = os.urandom(32)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | flags, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        os.replace(temporary, path)
    except OSError:
        return None
    return key


def _mac(secret: bytes, payload: bytes) -> str:
    import hmac

    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


class RunCache:
    """A whole ``portlint check`` run (its output, written reports and exit status), replayed while
    nothing it depended on changed: the command's options, the configuration, portlint's code, its
    data (risk list, port registry), its limits, the environment names the parsers looked at, every
    file the run read, and the folders it walked (a folder's modification time changes when an entry
    is added, removed or renamed in it). Files are compared by (size, modification time, inode,
    device, inode change time) first; only a file whose stat changed is read again and compared by
    content. A run whose result depends on the date (an expiry) is replayed only on the same day.

    Only a run that walks no symbolic link, reads no standard input, and writes no baseline is kept.
    """

    def __init__(self, path: Path, key: str, secret: bytes, root: Path, walk_roots: list[Path]):
        self.path, self.key, self.secret, self.root, self.walk_roots = path, key, secret, root, walk_roots

    @classmethod
    def open(cls, options: Any, paths: Iterable[Path], command: Mapping[str, Any]) -> "RunCache | None":
        """The run cache for ``command`` (every option of the command line, as resolved) over
        ``paths``; None when this run cannot be cached."""
        if not options.cache or options.stdin is not None or options.project_root is None:
            return None
        from portlint import __version__, limits

        base = user_cache_dir()
        secret = _secret(base)
        if secret is None:
            return None
        target = Path(options.cache_dir) if options.cache_dir is not None else base
        named = [Path(os.path.abspath(options.cwd / p)) for p in paths] or [Path(os.path.abspath(options.cwd))]
        settings = {
            "version": __version__, "format": RUN_FORMAT, "code": source_fingerprint(), "data": _data_digest(),
            "plugins": _plugins_digest(),
            "limits": sorted((k, v) for k, v in vars(limits).items() if k.isupper() and isinstance(v, int)),
            "command": command, "paths": [str(p) for p in named], "cwd": str(options.cwd),
            "root": str(options.project_root), "options": _options_digest(options),
        }
        key = _digest(json.dumps(settings, sort_keys=True, default=str))
        return cls(target / "runs" / f"{key}.json", key, secret, Path(options.project_root), named)

    # ------------------------------------------------------------------ lookup

    def lookup(self, environ: Mapping[str, str], today: str) -> dict | None:
        """The stored run ({"stdout", "stderr", "files", "exit", "read"}) when still valid; else None."""
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read(ENTRY_BYTES + 1)
        except (OSError, ValueError):
            return None
        entry = self._verified(raw)
        if entry is None:
            return None
        if entry["date"] is not None and entry["date"] != today:
            return None
        if not _same_environ(entry["env"], environ):
            return None
        walked = self._walk()
        if walked is None or walked != {f: tuple(k) for f, k in entry["folders"]}:
            return None
        for path, stat_key, digest in entry["files"]:
            if not self._unchanged(path, stat_key, digest, self._content):
                return None
        for path, stat_key, digest in entry["heads"]:
            if not self._unchanged(path, stat_key, digest, _head_digest):
                return None
        return entry

    def _verified(self, raw: bytes) -> dict | None:
        if len(raw) > ENTRY_BYTES or len(raw) < 64 or raw[64:65] != b"\n":
            return None
        mac, payload = raw[:64].decode("ascii", "replace"), raw[65:]
        import hmac

        if not hmac.compare_digest(mac, _mac(self.secret, payload)):
            return None
        try:
            entry = json.loads(payload.decode("utf-8"))
        except (ValueError, RecursionError):
            return None
        shape = {"key": str, "stdout": str, "stderr": list, "files": list, "heads": list, "folders": list, "env": list,
                 "exit": int, "read": list, "written": list}
        if not isinstance(entry, dict) or any(not isinstance(entry.get(k), t) for k, t in shape.items()):
            return None
        if entry["key"] != self.key or not (entry.get("date") is None or isinstance(entry.get("date"), str)):
            return None
        if not all(isinstance(line, str) for line in entry["stderr"]):
            return None
        for item in entry["files"] + entry["heads"]:
            if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
                    and isinstance(item[1], list) and (item[2] is None or isinstance(item[2], str))):
                return None
        for item in entry["written"]:
            if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
                return None
        for item in entry["folders"] + entry["read"]:
            if not (isinstance(item, list) and len(item) == 2):
                return None
        return entry

    @staticmethod
    def _unchanged(path: str, stat_key: list, digest: str | None, content: Callable[[str], str | None]) -> bool:
        try:
            info = os.stat(path)
        except OSError:
            return not stat_key
        if _stat_key(info) == stat_key:
            return True
        return content(path) == digest  # stat moved (touched, copied back): compare the content

    def _content(self, path: str) -> str | None:
        text = self._text(path)
        return text if text is None or text.startswith("!") else _digest(text)

    def _text(self, path: str) -> str | None:
        """A file's text, read as parsers read it (confined to the project root, regular files only);
        ``!reason`` when refused."""
        from portlint.inputs import ReadRefused, read_input

        try:
            return read_input(Path(path), self.root)
        except ReadRefused as exc:
            return f"!{exc}"

    def _walk(self) -> dict[str, tuple] | None:
        """Every folder under the checked paths that discovery may walk, with its stat key (and the
        parent folders of named files); None when there is a symbolic link (not cached) or too much."""
        import stat

        from portlint import limits
        from portlint.discovery import SKIP_DIRS, _is_virtualenv

        found: dict[str, tuple] = {}
        stack = []
        skip = os.path.abspath(self.path.parent.parent)  # the cache folder itself, when inside the tree
        for path in self.walk_roots:
            try:
                info = os.lstat(path)
            except OSError:
                return None
            if stat.S_ISLNK(info.st_mode):
                return None
            folder = str(path) if stat.S_ISDIR(info.st_mode) else os.path.dirname(str(path))
            if stat.S_ISDIR(info.st_mode):
                stack.append(folder)
            try:
                found[folder] = tuple(_stat_key(os.stat(folder)))
            except OSError:
                return None
        count = 0
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        count += 1
                        if count > limits.FILES:
                            return None
                        if entry.is_symlink():
                            return None
                        if entry.is_dir(follow_symlinks=False):
                            if entry.name in SKIP_DIRS or entry.path == skip or _is_virtualenv(entry.path):
                                continue
                            found[entry.path] = tuple(_stat_key(entry.stat(follow_symlinks=False)))
                            stack.append(entry.path)
            except OSError:
                return None
        return found

    # ------------------------------------------------------------------ store

    def store(self, record: "RunRecord", options: Any, stdout: str, stderr: list[str],
              written: list[tuple[str, str]], exit_code: int, dated: bool, today: str) -> None:
        """Keep this run (atomically), with the stat key and content digest of every file it read."""
        from portlint.engine import SNIFF_SUFFIXES

        walked = self._walk()
        if walked is None:
            return
        files: dict[str, tuple[list, str | None]] = {}
        heads: dict[str, tuple[list, str | None]] = {}

        def add(path: str, digest: str | None) -> None:
            try:
                files[path] = (_stat_key(os.stat(path)), digest)
            except OSError:
                files[path] = ([], None)

        for shown, text in options.texts.items():
            add(str(options.absolute(shown)), _digest(text))
            dated = dated or "until" in text  # a suppression's expiry
        for path in sorted(record.reads):
            if path not in files:
                if path in record.digests and record.digests[path] is None:
                    add(path, None)  # absent when the parse looked (its neighbours' names: .env, overrides)
                else:
                    text = self._text(path)
                    add(path, text if text is None or text.startswith("!") else _digest(text))
                    dated = dated or (text is not None and "until" in text)  # a suppression's expiry
            folder = os.path.dirname(path)
            if folder not in walked:
                try:
                    walked[folder] = tuple(_stat_key(os.stat(folder)))
                except OSError:
                    return
        for extra in _configuration_files(options):
            if extra not in files:
                add(extra, self._content(extra))
        # files no parser claimed whose text could make one claim them (a YAML file that becomes a
        # Kubernetes manifest): compared by what discovery sniffs (the whole file, up to FILE_BYTES)
        for folder in sorted(walked):
            if not any(_under(folder, r) for r in self.walk_roots):
                continue
            try:
                with os.scandir(folder) as entries:
                    for item in entries:
                        if item.path in files or os.path.splitext(item.name)[1].lower() not in SNIFF_SUFFIXES \
                                or not item.is_file(follow_symlinks=False):
                            continue
                        heads[item.path] = (_stat_key(item.stat(follow_symlinks=False)), _head_digest(item.path))
            except OSError:
                return
        for path in self.walk_roots:
            if str(path) not in files and os.path.isfile(path):
                heads[str(path)] = (_stat_key(os.stat(path)), _head_digest(str(path)))
        entry = {"key": self.key, "date": today if dated else None, "stdout": stdout, "stderr": stderr,
                 "written": [list(w) for w in written], "exit": exit_code,
                 "env": sorted(record.env.values()), "folders": sorted([f, list(k)] for f, k in walked.items()),
                 "files": sorted([p, k, d] for p, (k, d) in files.items()),
                 "heads": sorted([p, k, d] for p, (k, d) in heads.items()),
                 "read": sorted([int(d), int(i)] for d, i in options.read)}
        payload = json.dumps(entry, separators=(",", ":")).encode("utf-8")
        if len(payload) > ENTRY_BYTES:
            return
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            os.makedirs(self.path.parent, mode=0o700, exist_ok=True)
            with open(temporary, "wb") as fh:
                fh.write(_mac(self.secret, payload).encode("ascii") + b"\n" + payload)
            os.replace(temporary, self.path)
        except (OSError, ValueError):
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _head_digest(path: str) -> str | None:
    from portlint.engine import _head

    head = _head(Path(path))
    return None if head is None else _digest(head)


def _under(path: str, root: Path) -> bool:
    root_text = str(root)
    return path == root_text or path.startswith(root_text.rstrip(os.sep) + os.sep)


def _data_digest() -> str:
    """The content of portlint's data (risk list, port registry, image table ...)."""
    from portlint.reference import data_dir

    parts = []
    folder = data_dir()
    try:
        names = sorted(os.listdir(folder))[:1000]
    except OSError:
        return "-"
    for name in names:
        try:
            with open(folder / name, "rb") as fh:
                parts += [name, hashlib.sha256(fh.read(64 * 1024 * 1024)).hexdigest()]
        except OSError:
            parts += [name, "-"]
    return _digest(*parts)


def _plugins_digest() -> str:
    """Every installed ``portlint.*`` entry point, and the code of the modules they name."""
    import importlib.util

    from portlint.plugins import _all_entry_points

    parts = []
    for group, name, value, dist in _all_entry_points():
        parts += [group, name, value, dist]
        module = value.split(":", 1)[0].strip()
        if module.split(".")[0] == "portlint":
            continue  # portlint's own code is in source_fingerprint
        try:
            spec = importlib.util.find_spec(module)
            origin = spec.origin if spec else None
            info = os.stat(origin) if origin else None
            parts.append(f"{origin}:{info.st_size}:{info.st_mtime_ns}" if info else "-")
        except (ImportError, ValueError, OSError):
            parts.append("-")
    return _digest(*parts)


def _options_digest(options: Any) -> str:
    """The engine options a run's result depends on (files they name are compared by content)."""
    fields = {
        "exclude": options.exclude, "env_files": [[str(p), _file_marker(options, p)] for p in options.env_files],
        "var_files": [[str(p), _file_marker(options, p)] for p in options.var_files],
        "variables": sorted(options.variables.items()), "ignore": sorted(options.ignore),
        "select": sorted(options.select), "rules_dirs": [str(p) for p in options.rules_dirs],
        "severity": sorted(options.severity.items()), "require_reason": options.require_reason,
        "accept": options.accept, "config_file": str(options.config_file),
        "config": _file_marker(options, options.config_file) if options.config_file else None,
        "today": options.today, "compose_projects": options.compose_projects,
        "force_exclude": options.force_exclude, "per_file_ignores": options.per_file_ignores,
        "errors": [repr(e) for e in options.errors], "scoped": options.scopes is not None,
    }
    return _digest(json.dumps(fields, sort_keys=True, default=repr))


def _file_marker(options: Any, path: Path) -> str:
    absolute = Path(os.path.abspath(options.cwd / path))
    try:
        with open(absolute, "rb") as fh:
            return hashlib.sha256(fh.read(ENTRY_BYTES)).hexdigest()
    except OSError as exc:
        return f"!{type(exc).__name__}"


def _configuration_files(options: Any) -> list[str]:
    """Files besides the checked ones that decided this run: the configurations below the run's own
    that applied, and every rule file of every rules folder."""
    found = []
    used = getattr(options.scopes, "used", None) or []
    folders = [Path(os.path.abspath(options.cwd / p)) for p in options.rules_dirs]
    for config in used:
        path = getattr(config, "path", None)
        if path is not None:
            found.append(os.path.abspath(str(path)))
        for named in list(getattr(config, "env_files", ()) or ()) + list(getattr(config, "var_files", ()) or ()):
            found.append(os.path.abspath(str(named)))
        for folder in getattr(config, "rules_dirs", ()) or ():
            folders.append(Path(os.path.abspath(folder)))
    for folder in folders:
        found.append(str(folder))
        try:
            found.extend(str(folder / n) for n in sorted(os.listdir(folder))[:10_000])
        except OSError:
            pass
    return [p for p in found if not os.path.isdir(p)] + [p for p in found if os.path.isdir(p)]
