"""How Compose assembles a project from several files, for the parts that decide exposure.

* ``docker compose up`` without ``-f`` reads the default file of a folder
  (``compose.yaml``, ``compose.yml``, ``docker-compose.yaml``,
  ``docker-compose.yml``, first found) and then its override file
  (``compose.override.yaml`` for ``compose.yaml`` ...), merged over it;
* ``extends`` (same file, or ``file:`` plus ``service:``) puts the named service
  underneath the one that extends it, recursively;
* merging keeps the later file's scalars (``image``, ``network_mode``) and
  appends sequences (``ports``, ``expose``), dropping entries whose canonical
  form is already there; ``!override`` replaces a sequence, ``!reset`` removes
  a value.

A service is therefore a list of *layers*, base first, each holding the
mapping one file wrote for it; the Compose parser reads ports from every layer
with that layer's file and lines, so each finding points at the line that
contributes its port entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from portlint.parsers import SourceFile
from portlint.parsers.units import type_name
from portlint.yamlpos import Span

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass(frozen=True)
class Layer:
    """What one file says about one service."""

    file: str  # as shown in reports
    path: Path | None
    service: dict
    span: Span  # the service's key in that file


def override_names(base: str) -> tuple[str, str]:
    """``compose.override.yaml`` / ``.yml`` for ``compose.yaml`` (Compose looks for both)."""
    stem = base.rsplit(".", 1)[0]
    return f"{stem}.override.yaml", f"{stem}.override.yml"


def group_projects(files: list[SourceFile]) -> list[tuple[SourceFile, tuple[SourceFile, ...]]]:
    """Each file with the override files Compose would merge over it, in the order given.

    An override file whose folder has a default file among ``files`` is merged
    into it and not read on its own; any other file stands alone.
    """
    # by (folder, name): the same lookups as by ``folder / name`` without building a path for each
    places = {(source.path.parent, source.path.name): source for source in files}
    overrides: dict[Path, tuple[SourceFile, ...]] = {}
    merged: set[Path] = set()
    folders = {folder for folder, _name in places}
    for folder in folders:
        base = next((name for name in DEFAULT_FILES if (folder, name) in places), None)
        if base is None:
            continue
        found = tuple(places[folder, name] for name in override_names(base) if (folder, name) in places)
        if found:
            overrides[places[folder, base].path] = found[:1]  # Compose takes the first of the two spellings
            merged.add(found[0].path)
    return [(source, overrides.get(source.path, ())) for source in files if source.path not in merged]


def canonical_port(entry: object) -> str:
    """The form two port entries are de-duplicated by when files are merged."""
    if isinstance(entry, dict):
        return "long:" + repr(sorted((str(k), str(v)) for k, v in entry.items()))
    return "short:" + str(entry).strip()


def merged_entries(layers: list[Layer], key: str) -> list[tuple[Layer, object]]:
    """A sequence attribute (``ports``, ``expose``) across layers, as Compose merges it.

    Each item is ``(layer, value)``: a value that is not a list is kept as is,
    for the reader to report at its line.
    """
    result: list[tuple[Layer, object]] = []
    seen: set[str] = set()
    setting = [layer for layer in layers if key in layer.service]
    for position, layer in enumerate(setting, 1):
        value = layer.service[key]
        tag = getattr(value, "tag", None)
        if tag in ("!reset", "!override"):
            result, seen = [], set()
            if tag == "!reset":
                continue
        if not isinstance(value, list):
            result.append((layer, value))
            continue
        if not seen and position == len(setting):
            # nothing before it to drop, nothing after it to compare: every entry is kept
            result.append((layer, (value, list(range(len(value))))))
            continue
        kept, forms = [], []
        for index, item in enumerate(value):
            form = canonical_port(item)
            if form not in seen:  # only what an earlier file already has is dropped
                kept.append(index)
                forms.append(form)
        seen.update(forms)
        result.append((layer, (value, kept)))
    return result


def last_value(layers: list[Layer], key: str) -> tuple[Layer | None, object]:
    """A scalar attribute (``image``, ``network_mode``): the last layer that sets it wins;
    ``!reset`` removes it."""
    found: tuple[Layer | None, object] = (None, None)
    for layer in layers:
        if key in layer.service:
            value = layer.service[key]
            found = (None, None) if getattr(value, "tag", None) == "!reset" else (layer, value)
    return found


# -- include -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncludeEntry:
    """One item of a top-level ``include`` list, as written (before interpolation).

    ``paths`` are the files merged as one project (the first sets the project
    directory, the others are merged over it as ``-f`` files would be);
    ``project_directory`` and ``env_files`` are None when not written.
    """

    paths: tuple[str, ...]
    project_directory: str | None
    env_files: tuple[str, ...] | None
    span: Span  # the entry's line


def include_entries(value: object, key_span: Span) -> tuple[list[IncludeEntry], list[tuple[Span, str]]]:
    """The entries of an ``include`` value (short form: a path; long form: ``path``,
    ``project_directory``, ``env_file``) and the problems met, each at its entry's line.

    A malformed entry costs only itself; ``include`` that is not a list is one problem.
    """
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [(key_span, f"include must be a list, found {type_name(value)}")]
    spans = getattr(value, "spans", None) or [key_span] * len(value)
    entries: list[IncludeEntry] = []
    problems: list[tuple[Span, str]] = []
    for index, (item, span) in enumerate(zip(value, spans)):
        where = f"include[{index}]"
        if isinstance(item, str):
            item = {"path": item}
        if not isinstance(item, dict):
            problems.append((span, f"{where} must be a path or a mapping with 'path', found {type_name(item)}"))
            continue
        unknown = [str(k) for k in item if k not in ("path", "project_directory", "env_file")]
        if unknown:
            problems.append((span, f"{where}: unknown key {unknown[0]!r:.60} (Compose knows path, "
                                   "project_directory, env_file)"))
            continue
        paths = _strings(item.get("path"))
        if not paths:
            problems.append((span, f"{where}.path must be a path or a list of paths"))
            continue
        directory = item.get("project_directory")
        if directory is not None and (not isinstance(directory, str) or not directory.strip()):
            problems.append((span, f"{where}.project_directory must be a path, found {type_name(directory)}"))
            continue
        env_files = None
        if item.get("env_file") is not None:
            env_files = _strings(item["env_file"])
            if not env_files:
                problems.append((span, f"{where}.env_file must be a path or a list of paths"))
                continue
        entries.append(IncludeEntry(paths, directory, env_files, span))
    return entries, problems


def _strings(value: object) -> tuple[str, ...]:
    """A non-empty string or a non-empty list of non-empty strings, as a tuple; () otherwise."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        return ()
    return tuple(items)




def same_service(left: object, right: object) -> bool:
    """Compose accepts a service defined both by the includer and an included file only when
    the two definitions are the same; anything else is a conflict."""
    return left == right
