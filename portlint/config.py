"""``.portlint.yaml``: project settings, validated with a JSON Schema.

Command-line options win over the file. Paths in the file are relative to it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_NAMES = (".portlint.yaml", ".portlint.yml")


class ConfigError(Exception):
    def __init__(self, file: str, line: int, message: str):
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


@dataclass
class Config:
    fail_on: str | None = None
    exclude: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    rules_dirs: list[Path] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    #: (line, message) of settings refused without stopping the run (a rules-dir outside the project)
    problems: list[tuple[int, str]] = field(default_factory=list)


def find_config(cwd: Path) -> Path | None:
    """``.portlint.yaml`` in ``cwd`` when there is an entry of that name (of any kind:
    a FIFO or a link out of the project is then refused when read, not ignored)."""
    for name in CONFIG_NAMES:
        if os.path.lexists(cwd / name):
            return cwd / name
    return None


def load_config(path: Path | None, shown: str | None = None, root: Path | None = None) -> Config:
    """The settings in ``path`` (an empty Config when there is no file).

    The file is read as data only (YAML, never Python), within the input limits,
    and not at all when it lies outside ``root``; ``rules-dir`` entries must lie
    inside ``root`` too. Configuration can never load code.
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
    try:
        text = read_input(path, root)
        if text is None:
            raise ConfigError(shown, 1, "cannot read configuration: the file does not exist")
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
    error = best_match(Draft202012Validator(load_schema("config")).iter_errors(doc))
    if error is not None:
        where = list(error.absolute_path)
        raise ConfigError(shown, span_at(doc, where).line, f"{json_path(where)}: {error.message}")
    base = path.parent
    rules_dirs, problems = [], []
    for index, folder in enumerate(doc.get("rules-dir", [])):
        if root is not None and not is_inside(base / folder, root):
            problems.append((span_at(doc, ["rules-dir", index]).line,
                             f"rules-dir {folder!r} is outside the project root {root.as_posix()}; "
                             "not read (rule folders must be inside the checked project)"))
        else:
            rules_dirs.append(base / folder)
    return Config(
        fail_on=doc.get("fail-on"), exclude=list(doc.get("exclude", [])), ignore=list(doc.get("ignore", [])),
        select=list(doc.get("select", [])), rules_dirs=rules_dirs,
        severity=dict(doc.get("severity", {})), path=path, problems=problems,
    )
