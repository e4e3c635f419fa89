"""The shipped Compose examples are valid Compose files (official compose-spec schema)."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import REPO

COMPOSE_EXAMPLES = sorted(p for p in (REPO / "examples").rglob("*.y*ml")
                          if p.name.startswith(("compose", "docker-compose")))


@pytest.mark.parametrize("path", COMPOSE_EXAMPLES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_example_is_valid_compose(path, shared_dir):
    from jsonschema import Draft7Validator

    schema = json.loads((shared_dir / "schemas" / "compose-spec.json").read_text())
    errors = [e.message for e in Draft7Validator(schema).iter_errors(yaml.safe_load(path.read_text()))]
    assert not errors, errors
