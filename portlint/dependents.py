"""What else to check when a file is named on the command line (as pre-commit names staged files).

A staged file can change findings that are reported on another file:

- ``.env`` (and ``*.env``): Compose interpolates the ``.env`` beside the Compose
  file, so the Compose files of that folder are checked;
- a Compose override file (``compose.override.yaml``): Compose merges it over
  the default file beside it, so that file is checked too (and a named default
  file brings its override);
- a ``*.tfvars`` file: the ``*.tf`` files of its folder (the root module it sets);
- a ``*.tf`` file of a module: the ``*.tf`` files of every folder in the project
  whose ``module`` block has a local ``source`` that leads to it (its callers,
  and theirs, up to ``limits.TF_MODULE_DEPTH`` levels).

Only names are listed here; reading stays with discovery and the parsers. The
search for callers reads at most ``limits.FILES`` ``.tf`` files, each through
``read_input`` (inside the project root, size-limited).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from portlint import limits

COMPOSE_DEFAULTS = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
#: folders never searched for module callers (as in discovery)
SKIP_DIRS = frozenset({".git", "node_modules", ".terraform", ".venv", "venv", "__pycache__", ".tox"})


def is_env_file(name: str) -> bool:
    return name == ".env" or name.endswith(".env") or name.startswith(".env.")


def _overrides(base: str) -> tuple[str, str]:
    stem = base.rsplit(".", 1)[0]
    return f"{stem}.override.yaml", f"{stem}.override.yml"


def _compose_files(folder: Path) -> list[Path]:
    out = []
    for name in COMPOSE_DEFAULTS:
        if (folder / name).is_file():
            out.append(folder / name)
            out += [folder / o for o in _overrides(name) if (folder / o).is_file()]
    return out


def _tf_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".tf" and p.is_file())
    except OSError:
        return []


def expand(paths: Sequence[Path], root: Path) -> list[Path]:
    """``paths`` followed by the files that depend on the named files (each path once)."""
    out: list[Path] = list(paths)
    seen = {os.path.abspath(p) for p in paths}
    modules: list[Path] = []

    def add(items: Iterable[Path]) -> None:
        for item in items:
            key = os.path.abspath(item)
            if key not in seen:
                seen.add(key)
                out.append(item)

    for path in paths:
        if not path.is_file():
            continue
        name, folder = path.name, path.parent
        if is_env_file(name):
            add(_compose_files(folder))
        elif name in COMPOSE_DEFAULTS:
            add(folder / o for o in _overrides(name) if (folder / o).is_file())
        elif ".override." in name:
            base = next((folder / b for b in COMPOSE_DEFAULTS if name in _overrides(b) and (folder / b).is_file()), None)
            if base is not None:
                add([base])
        elif name.endswith(".tfvars") or name.endswith(".tfvars.json"):
            add(_tf_files(folder))
        elif name.endswith(".tf"):
            modules.append(folder)
    if modules:
        add(file for folder in callers(modules, root) for file in _tf_files(folder))
    return out


def callers(modules: list[Path], root: Path) -> list[Path]:
    """Folders under ``root`` whose module blocks call one of ``modules`` (transitively)."""
    from portlint.inputs import ReadRefused, read_input

    calls: dict[str, set[str]] = {}  # module folder -> folders that call it
    files = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not os.path.islink(os.path.join(folder, d)))
        if folder.count(os.sep) - str(root).count(os.sep) > limits.DEPTH:
            dirs[:] = []
            continue
        for name in sorted(names):
            if not name.endswith(".tf"):
                continue
            files += 1
            if files > limits.FILES:
                return _closure(modules, calls)
            try:
                text = read_input(Path(folder) / name, root)
            except (ReadRefused, OSError):
                continue
            for source in _local_sources(text or ""):
                target = os.path.realpath(os.path.join(folder, source))
                calls.setdefault(target, set()).add(os.path.realpath(folder))
    return _closure(modules, calls)


def _closure(modules: list[Path], calls: dict[str, set[str]]) -> list[Path]:
    found: list[Path] = []
    frontier = [os.path.realpath(m) for m in modules]
    done = set(frontier)
    for _ in range(limits.TF_MODULE_DEPTH):
        following = []
        for module in frontier:
            for caller in sorted(calls.get(module, ())):
                if caller not in done:
                    done.add(caller)
                    following.append(caller)
                    found.append(Path(caller))
        frontier = following
        if not frontier:
            break
    return found


def _local_sources(text: str) -> Iterable[str]:
    """The ``source = "./..."`` (or ``../``) values in a Terraform text, found line by line."""
    if "source" not in text:
        return
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("source"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep or key.strip() != "source":
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == '"':
            value = value[1:].split('"', 1)[0]
            if value.startswith("./") or value.startswith("../"):
                yield value
