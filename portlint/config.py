"""Project settings: ``.portlint.yaml`` or ``[tool.portlint]`` in ``pyproject.toml``.

The file is found by walking up from the checked paths to the repository's top
level (the folder holding ``.git``), nearest first; in one folder
``.portlint.yaml`` wins over ``.portlint.yml``, which wins over
``pyproject.toml`` (which counts only when it has a ``[tool.portlint]`` table).
``--config FILE`` replaces that search, ``--isolated`` skips it.

Every key mirrors a command-line option, and the command line wins. Paths in
the file are relative to the file's folder. The content is validated against
``portlint/schemas/config.schema.json``; errors name the file and line.
Configuration is data only: it can never load code.
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from portlint import inputs

CONFIG_NAMES = (".portlint.yaml", ".portlint.yml")
PYPROJECT = "pyproject.toml"
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "config.schema.json"


class ConfigError(Exception):
    def __init__(self, file: str, line: int, message: str):
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


class CodeError(Exception):
    """A rule code or name that names no rule; the message carries a suggestion."""


@dataclass
class Config:
    """Settings as written in one configuration file (paths made absolute against its folder).

    ``accept`` holds one dict per accepted exposure, keys as in the file:
    ``file`` (gitignore-style pattern, relative to ``base``), ``resource``
    (shell-style pattern), ``rules`` (canonical codes), ``ports`` (a list of
    ``(low, high)`` pairs), ``protocol``, ``sources`` (list of strings),
    ``reason`` (str), ``expires`` (``datetime.date`` or None), plus ``line``
    (its line in the file) and ``origin`` (``file:line`` as shown). Absent keys
    are absent (or None for ``expires``).
    """

    fail_on: str | None = None
    fail_on_empty: bool | None = None
    exclude: list[str] = field(default_factory=list)
    force_exclude: bool | None = None
    ignore: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    rules_dirs: list[Path] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    env_files: list[Path] = field(default_factory=list)
    var_files: list[Path] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    #: Compose projects declared with ``compose-projects``: dicts of ``files`` and ``env_files``
    #: (absolute paths inside the project) and ``line``
    compose_projects: list[dict] = field(default_factory=list)
    baseline: Path | None = None
    reports: list[str] = field(default_factory=list)
    #: base URL of the rule pages, for SARIF helpUri (else PORTLINT_DOCS_URL; none: no helpUri)
    docs_url: str | None = None
    #: a suppression comment without a reason does not suppress
    require_reason: bool = False
    #: accepted exposures (see the class docstring)
    accept: list[dict] = field(default_factory=list)
    path: Path | None = None
    #: the folder relative paths and patterns in the file are taken from
    base: Path | None = None
    #: the file as shown to the user
    shown: str | None = None
    #: key -> line where it is set
    lines: dict[str, int] = field(default_factory=dict)
    #: (line, message) of settings refused without stopping the run (a rules-dir outside the project)
    problems: list[tuple[int, str]] = field(default_factory=list)
    #: the validated document, for positions of individual entries
    document: object = None

    def where(self, *keys) -> str:
        """``file:line`` of a key (or an entry inside it)."""
        if self.is_toml or self.document is None:
            line = self.lines.get(str(keys[0]), self.lines.get("", 1)) if keys else self.lines.get("", 1)
            return f"{self.shown}:{line}"
        from portlint.yamlpos import span_at

        try:
            line = span_at(self.document, list(keys)).line
        except Exception:  # noqa: BLE001 - a position is a courtesy
            line = self.lines.get(str(keys[0]), 1) if keys else 1
        return f"{self.shown}:{line}"

    @property
    def is_toml(self) -> bool:
        return self.path is not None and self.path.name == PYPROJECT


# -- finding the file ---------------------------------------------------------------------------------


def find_config(start: Path, stop: Path | None = None) -> Path | None:
    """The nearest configuration at or above ``start`` (a file or folder), up to ``stop``.

    ``stop`` defaults to the git top level above ``start`` (the repository root);
    outside a repository the walk goes up to the filesystem root. An entry named
    ``.portlint.yaml`` counts whatever its kind, so that a FIFO or a link out of
    the project is refused when read rather than silently passed over.
    """
    from portlint.inputs import git_top_level

    try:
        folder = Path(os.path.abspath(start))
    except (OSError, ValueError):
        return None
    if not folder.is_dir():
        folder = folder.parent
    if stop is None:
        stop = git_top_level(folder)
    real_stop = os.path.realpath(stop) if stop is not None else None
    for _ in range(256):  # bounded: a path has far fewer levels
        for name in CONFIG_NAMES:
            if os.path.lexists(folder / name):
                return folder / name
        if _has_tool_table(folder / PYPROJECT):
            return folder / PYPROJECT
        if real_stop is not None and os.path.realpath(folder) == real_stop:
            return None
        if folder.parent == folder:
            return None
        folder = folder.parent
    return None


def _has_tool_table(path: Path) -> bool:
    """True when ``pyproject.toml`` mentions a ``tool.portlint`` table (read within the input limits)."""
    if not os.path.lexists(path):
        return False
    from portlint.inputs import ReadRefused, read_input

    try:
        text = read_input(path)
    except ReadRefused:
        return True  # an unreadable pyproject that may configure portlint: refused when loaded, not skipped
    return text is not None and _TOOL_TABLE.search(text) is not None


_TOOL_TABLE = re.compile(r"^[ \t]*\[+[ \t]*tool[ \t]*\.[ \t]*portlint\b|^[ \t]*tool[ \t]*\.[ \t]*portlint\b",
                         re.MULTILINE)


# -- reading it ---------------------------------------------------------------------------------------


def load_config(path: Path | None, shown: str | None = None, root: Path | None = None) -> Config:
    """The settings in ``path`` (an empty Config when there is no file).

    The file is read as data only (YAML or TOML, never Python), within the input
    limits, and not at all when it lies outside ``root``; with a ``root``,
    every path it names (rules folders, env and var files, the baseline,
    reports) must lie inside it too, else that setting is refused as a problem.
    """
    if path is None:
        return Config()
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from portlint.inputs import ReadRefused, is_inside, read_input
    from portlint.limits import LimitExceeded
    from portlint.schemas import json_path, load_schema
    from portlint.yamlpos import YAMLLoadError, load_one, span_at

    shown = shown or str(path)
    lines: dict[str, int] = {}
    try:
        text = read_input(path, root)
        if text is None:
            raise ConfigError(shown, 1, "cannot read configuration: the file does not exist")
        if path.name == PYPROJECT:
            doc, lines = _load_pyproject(text, shown)
        else:
            doc = load_one(text)
    except YAMLLoadError as exc:
        raise ConfigError(shown, exc.line, exc.message) from None
    except ReadRefused as exc:
        raise ConfigError(shown, exc.line, f"cannot read configuration: {exc.reason}") from None
    except LimitExceeded as exc:
        raise ConfigError(shown, exc.line or 1, exc.message) from None
    except RecursionError:
        raise ConfigError(shown, 1, "configuration nested too deeply") from None
    doc = {} if doc is None else doc
    is_toml = path.name == PYPROJECT

    def line_of(where: list) -> int:
        if is_toml:
            return lines.get(str(where[0]), lines.get("", 1)) if where else lines.get("", 1)
        return span_at(doc, where).line

    if isinstance(doc, dict):
        for index, entry in enumerate(doc.get("accept") or []):
            if isinstance(entry, dict) and isinstance(entry.get("expires"), (datetime.date, datetime.datetime)):
                value = entry["expires"]
                entry["expires"] = (value.date() if isinstance(value, datetime.datetime) else value).isoformat()
    error = best_match(Draft202012Validator(load_schema("config")).iter_errors(doc))
    if error is not None:
        where = list(error.absolute_path)
        message = error.message
        if error.validator == "additionalProperties" and where == [] and isinstance(doc, dict):
            key, message = _unknown_key(doc, error.message)
            if key is not None:
                where = [key]
            raise ConfigError(shown, line_of(where), message)
        raise ConfigError(shown, line_of(where), f"{json_path(where)}: {message}")
    base = Path(os.path.abspath(path.parent))
    config = Config(path=path, base=base, shown=shown, document=None if is_toml else doc)
    config.lines = lines if is_toml else {key: span_at(doc, [key]).line for key in doc}

    def inside(key: str, index: int | None, value: str) -> Path | None:
        target = base / value
        if root is not None and not is_inside(target, root):
            at = line_of([key] if index is None else [key, index])
            config.problems.append((at, f"{key} {value!r} is outside the project root {root.as_posix()}; "
                                        "not used (a configuration in the checked tree may only name files "
                                        "inside it)"))
            return None
        return target

    def paths(key: str) -> list[Path]:
        kept = []
        for index, value in enumerate(doc.get(key, [])):
            target = inside(key, index, value)
            if target is not None:
                kept.append(target)
        return kept

    config.fail_on = doc.get("fail-on")
    config.fail_on_empty = doc.get("fail-on-empty")
    config.exclude = [str(p) for p in doc.get("exclude", [])]
    config.force_exclude = doc.get("force-exclude")
    config.ignore = [str(c) for c in doc.get("ignore", [])]
    config.select = [str(c) for c in doc.get("select", [])]
    config.per_file_ignores = {str(k): [str(c) for c in v] for k, v in doc.get("per-file-ignores", {}).items()}
    config.severity = {str(k): str(v) for k, v in doc.get("severity", {}).items()}
    config.rules_dirs = paths("rules-dir")
    config.env_files = paths("env-file")
    config.var_files = paths("var-file")
    for index, entry in enumerate(doc.get("compose-projects", [])):
        env = entry.get("env-file", [])
        env = [env] if isinstance(env, str) else list(env)
        named = [inside("compose-projects", index, value) for value in [*entry["files"], *env]]
        if all(target is not None for target in named):  # a project naming a file outside is not used
            count = len(entry["files"])
            config.compose_projects.append({"files": named[:count], "env_files": named[count:],
                                            "line": line_of(["compose-projects", index])})
    config.variables = {str(k): _scalar_text(v) for k, v in doc.get("vars", {}).items()}
    if "baseline" in doc:
        config.baseline = inside("baseline", None, doc["baseline"])
    for index, value in enumerate(doc.get("reports", [])):
        fmt, _, target = str(value).partition(":")
        if inside("reports", index, target) is not None:
            config.reports.append(f"{fmt}:{(base / target).as_posix()}")
    config.require_reason = bool(doc.get("require-reason", False))
    config.docs_url = doc.get("docs-url")
    for index, entry in enumerate(doc.get("accept", [])):
        config.accept.append(_acceptance(entry, line_of(["accept", index]), shown))
    return config


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unknown_key(doc: dict, message: str) -> tuple[str | None, str]:
    known = list(_schema_keys())
    for key in doc:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
            return key, f"unknown key {str(key)!r}{hint}"
    return None, message


def _schema_keys() -> tuple[str, ...]:
    from portlint.schemas import load_schema

    return tuple(load_schema("config")["properties"])


def _acceptance(entry: dict, line: int, shown: str) -> dict:
    out: dict = {key: entry[key] for key in ("file", "resource", "protocol", "reason") if key in entry}
    if "sources" in entry:
        out["sources"] = [str(s) for s in entry["sources"]]
    if "rules" in entry:
        out["rules"] = [str(c) for c in entry["rules"]]
    if "ports" in entry:
        values = entry["ports"] if isinstance(entry["ports"], list) else [entry["ports"]]
        pairs = []
        for value in values:
            low, _, high = str(value).partition("-")
            low_n, high_n = int(low), int(high or low)
            if not 0 <= low_n <= high_n <= 65535:
                raise ConfigError(shown, line, f"accept: port range {value!r} is not within 0-65535 "
                                               "with the low end first")
            pairs.append((low_n, high_n))
        out["ports"] = pairs
    out["expires"] = None
    if "expires" in entry:
        try:
            out["expires"] = datetime.date.fromisoformat(str(entry["expires"]))
        except ValueError:
            raise ConfigError(shown, line, f"accept: expires {entry['expires']!r} is not a date "
                                           "(YYYY-MM-DD)") from None
    out["line"] = line
    out["origin"] = f"{shown}:{line}"
    return out


def _load_pyproject(text: str, shown: str) -> tuple[dict, dict[str, int]]:
    """The ``[tool.portlint]`` table and the line of each of its keys ("" : the table's own line)."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        raise ConfigError(shown, _table_line(text), "[tool.portlint] in pyproject.toml needs Python 3.11 or "
                                                    "later (tomllib); use .portlint.yaml instead") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(shown, int(match.group(1)) if match else 1, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(shown, 1, "TOML nested too deeply") from None
    table = data.get("tool", {}).get("portlint", {}) if isinstance(data.get("tool"), dict) else {}
    lines = {"": _table_line(text)}
    for key in table if isinstance(table, dict) else ():
        lines[key] = _key_line(text, key, lines[""])
    return table, lines


def _table_line(text: str) -> int:
    match = _TOOL_TABLE.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _key_line(text: str, key: str, after: int) -> int:
    """The first line at or after ``after`` that sets ``key`` (bare, quoted or as a sub-table)."""
    pattern = re.compile(r'^[ \t]*(?:\[+[ \t]*tool[ \t]*\.[ \t]*portlint[ \t]*\.[ \t]*)?["\']?'
                         + re.escape(key) + r'["\']?[ \t]*[=\].]')
    for number, line in enumerate(text.splitlines()[after - 1:], start=after):
        if pattern.match(line):
            return number
    return after


# -- rule codes ---------------------------------------------------------------------------------------


def resolve_codes(tokens: Iterable[str], rules: Iterable, allow_prefix: bool = True) -> frozenset[str]:
    """Canonical codes for rule codes, names or code prefixes (``PL1``), case-insensitively.

    ``rules`` are rule classes (``code``, ``name``). A token that names no rule
    raises CodeError with the closest known codes and names as a suggestion.
    """
    by_key: dict[str, str] = {}
    codes = []
    for cls in rules:
        by_key[cls.code.upper()] = cls.code
        by_key[cls.name.upper()] = cls.code
        codes.append(cls.code)
    out: set[str] = set()
    for token in tokens:
        key = token.strip().upper()
        if not key:
            continue
        if key == "ALL":
            out.update(codes)
            continue
        if key in by_key:
            out.add(by_key[key])
            continue
        prefixed = [code for code in codes if code.upper().startswith(key)] if allow_prefix and len(key) >= 2 \
            and key[-1].isdigit() else []
        if prefixed:
            out.update(prefixed)
            continue
        raise CodeError(unknown_code_message(token.strip(), rules_keys(rules)))
    return frozenset(out)


def rules_keys(rules: Iterable) -> list[str]:
    keys = []
    for cls in rules:
        keys.extend((cls.code, cls.name))
    return keys


def unknown_code_message(token: str, keys: list[str]) -> str:
    upper = {key.upper(): key for key in keys}
    # letter O for digit 0 and lower-case l for 1 are the usual typos in codes
    folded = token.upper().replace("O", "0") if token[:2].upper() == "PL" else token.upper()
    folded = folded[:2] + folded[2:].replace("I", "1").replace("L", "1") if folded[:2] == "PL" else folded
    if folded in upper:
        return f"unknown rule {token!r}; did you mean {upper[folded]!r}?"
    close = difflib.get_close_matches(token.upper(), list(upper), n=3, cutoff=0.6)
    if close:
        return f"unknown rule {token!r}; did you mean {' or '.join(repr(upper[c]) for c in close)}?"
    return f"unknown rule {token!r}; `portlint rules` lists the codes and names"


# -- one configuration per folder ---------------------------------------------------------------------

#: settings each file takes from the nearest configuration above it that sets them
PER_FILE_KEYS = ("select", "ignore", "per-file-ignores", "severity", "exclude", "accept", "require-reason",
                 "env-file", "var-file", "vars", "rules-dir")
#: settings of the whole run: from --config, else the root-most configuration (the command line wins)
RUN_WIDE_KEYS = ("fail-on", "fail-on-empty", "force-exclude", "baseline", "reports", "docs-url")


def config_in(folder: Path | str, names: Iterable[str] | None = None) -> Path | None:
    """The configuration file of one folder (``.portlint.yaml``, ``.portlint.yml``, then a
    ``pyproject.toml`` with ``[tool.portlint]``), or None.

    ``names``, when given, are the names the folder was just listed with: when none of them is a
    configuration's name in any case (a folder on a case-insensitive disk answers to any), there
    is none to look for and no name is looked up."""
    if names is not None and not any(len(name) in _CONFIG_LENGTHS and name.lower() in _CONFIG_LOWER
                                     for name in names):
        return None
    where = os.fspath(folder)  # names joined as text: a Path is built only for a file found
    for name in CONFIG_NAMES:
        if os.path.lexists(os.path.join(where, name)):
            return Path(folder) / name
    if os.path.lexists(os.path.join(where, PYPROJECT)) and _has_tool_table(Path(folder) / PYPROJECT):
        return Path(folder) / PYPROJECT
    return None


_CONFIG_LOWER = frozenset(name.lower() for name in (*CONFIG_NAMES, PYPROJECT))
_CONFIG_LENGTHS = frozenset(len(name) for name in _CONFIG_LOWER)


def root_most_config(start: Path, stop: Path | None) -> Path | None:
    """The configuration a run takes its run-wide settings from: the one nearest the repository
    root among those at or above ``start`` (up to ``stop``, the git top level or --project-root).
    Outside a repository (``stop`` None) it is the nearest one, as the walk has no end to trust."""
    if stop is None:
        return find_config(start)
    try:
        folder = Path(os.path.abspath(start))
    except (OSError, ValueError):
        return None
    if not folder.is_dir():
        folder = folder.parent
    real_stop = os.path.realpath(stop)
    if not _within(os.path.realpath(folder), real_stop):
        return find_config(start)
    chosen = None
    for _ in range(4096):  # bounded: a path has far fewer levels
        found = config_in(folder)
        if found is not None:
            chosen = found
        if os.path.realpath(folder) == real_stop or folder.parent == folder:
            break
        folder = folder.parent
    return chosen


def _within(real: str, top: str) -> bool:
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


class ConfigTree:
    """The configurations below the run's own one, found by walking up from each checked file's
    folder (to the run's configuration's folder, else the project root), loaded once each.

    ``build(config, parent)`` turns one loaded Config and the scope of the folder above it (None:
    the run's own settings) into that folder's scope; ``load(path)`` loads a Config. Both may
    raise ConfigError, which stops the run as a usage error.
    """

    def __init__(self, root: Path, top: Path | None, load, build):
        self.root = Path(os.path.realpath(root))
        #: the folder of the run's own configuration (its settings are the run's); None: none
        self.top = os.path.realpath(top) if top is not None else None
        self._load, self._build = load, build
        self._folders: dict[str, object] = {}
        #: a folder as given -> its real path, resolved once per run (many files share a folder)
        self._reals: dict[str, str] = {}
        #: every configuration below the run's own that applies to some checked file, in load order
        self.used: list[Config] = []

    def for_folder(self, folder: Path | str, names: Iterable[str] | None = None):
        """The scope of the files in ``folder`` (None: the run's own settings); ``names``, when
        given, are the names in ``folder`` as just listed (see ``config_in``)."""
        given = os.fspath(folder)
        real = self._reals.get(given)
        if real is None:
            real = self._reals[given] = inputs.real_path(given)
        if real in self._folders:
            return self._folders[real]
        chain = []  # folders from ``folder`` up, not yet known
        current = real
        parent_scope = None
        root = self.root.as_posix()
        for _ in range(4096):  # bounded: a path has far fewer levels
            if current in self._folders:
                parent_scope = self._folders[current]
                break
            if not _within(current, root) or current == self.top:
                self._folders[current] = None
                break
            chain.append(current)
            if current == root:
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for path in reversed(chain):
            found = config_in(path, names if path == real else None)
            if found is not None:
                config = self._load(found)
                self.used.append(config)
                parent_scope = self._build(config, parent_scope)
            self._folders[path] = parent_scope
        return self._folders[real]
