"""JSON Schemas of portlint's own documents, shipped with the package."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """A schema by file stem: ``report``, ``inventory``."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def json_path(parts) -> str:
    """``["rules", 0, "ports"]`` -> ``$.rules[0].ports``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def stems() -> list[str]:
    """Every schema shipped, by file stem."""
    return sorted(path.name[:-len(".schema.json")] for path in SCHEMA_DIR.glob("*.schema.json"))


def validator(name: str):
    """A Draft 2020-12 validator that resolves references between portlint's schemas, offline: each
    schema is known by its ``$id`` (a URN) and by its file name (for relative references), and
    nothing is ever fetched (an unknown reference is an error, never a download)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = []
    for stem in stems():
        resource = Resource.from_contents(load_schema(stem))
        resources += [(f"{stem}.schema.json", resource), (load_schema(stem)["$id"], resource)]
    return Draft202012Validator(load_schema(name), registry=Registry().with_resources(resources))
