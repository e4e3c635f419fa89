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


def validator(name: str):
    """A Draft 2020-12 validator that resolves references between portlint's schemas."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = [(f"{stem}.schema.json", Resource.from_contents(load_schema(stem)))
                 for stem in ("report", "inventory")]
    registry = Registry().with_resources(
        resources + [(load_schema(stem)["$id"], res) for stem, (_, res) in zip(("report", "inventory"), resources)])
    return Draft202012Validator(load_schema(name), registry=registry)
