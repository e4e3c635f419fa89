"""``.portlint.yaml``: project settings, validated with a JSON Schema.

Command-line options win over the file. Paths in the file are relative to it.
"""

from __future__ import annotations

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


def find_config(cwd: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (cwd / name).is_file():
            return cwd / name
    return None


def load_config(path: Path | None, shown: str | None = None) -> Config:
    """The settings in ``path`` (an empty Config when there is no file)."""
    if path is None:
        return Config()
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from portlint.schemas import json_path, load_schema
    from portlint.yamlpos import YAMLLoadError, load_one, span_at

    shown = shown or str(path)
    try:
        doc = load_one(path.read_text(encoding="utf-8"))
    except YAMLLoadError as exc:
        raise ConfigError(shown, exc.line, exc.message) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(shown, 1, f"cannot read configuration: {exc}") from None
    doc = {} if doc is None else doc
    error = best_match(Draft202012Validator(load_schema("config")).iter_errors(doc))
    if error is not None:
        where = list(error.absolute_path)
        raise ConfigError(shown, span_at(doc, where).line, f"{json_path(where)}: {error.message}")
    base = path.parent
    return Config(
        fail_on=doc.get("fail-on"), exclude=list(doc.get("exclude", [])), ignore=list(doc.get("ignore", [])),
        select=list(doc.get("select", [])), rules_dirs=[base / d for d in doc.get("rules-dir", [])],
        severity=dict(doc.get("severity", {})), path=path,
    )
