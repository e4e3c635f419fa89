"""Real output validated against the JSON Schemas shipped in the package."""

from __future__ import annotations

import json

from portlint.schemas import validator
from tests.conftest import REPO


def test_check_report_matches_schema(run_cli, tmp_path):
    (tmp_path / "compose.yaml").write_text('services:\n  a:\n    ports: ["3389:3389", "${X}:22:22"]\n')
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "compose.yaml").write_text("services: [\n")
    doc = json.loads(run_cli("check", "-f", "json", tmp_path).stdout)
    assert doc["findings"] and doc["errors"]
    validator("report").validate(doc)


def test_examples_report_and_inventory_match_schema(run_cli):
    check = json.loads(run_cli("check", "-f", "json", REPO / "examples").stdout)
    inventory = json.loads(run_cli("inventory", "-f", "json", REPO / "examples").stdout)
    assert check["findings"] and inventory["exposures"]
    validator("report").validate(check)
    validator("inventory").validate(inventory)


def test_schema_rejects_a_broken_document():
    broken = {"schema_version": 1, "tool": {"name": "portlint", "version": "0"}, "findings": [{"rule_id": "x"}],
              "errors": [], "summary": {}}
    assert list(validator("report").iter_errors(broken))
