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
    by_path = {source.path: source for source in files}
    overrides: dict[Path, tuple[SourceFile, ...]] = {}
    merged: set[Path] = set()
    folders = {source.path.parent for source in files}
    for folder in folders:
        base = next((folder / name for name in DEFAULT_FILES if folder / name in by_path), None)
        if base is None:
            continue
        found = tuple(by_path[folder / name] for name in override_names(base.name) if folder / name in by_path)
        if found:
            overrides[base] = found[:1]  # Compose takes the first of the two spellings
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
    for layer in layers:
        if key not in layer.service:
            continue
        value = layer.service[key]
        tag = getattr(value, "tag", None)
        if tag in ("!reset", "!override"):
            result, seen = [], set()
            if tag == "!reset":
                continue
        if not isinstance(value, list):
            result.append((layer, value))
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
