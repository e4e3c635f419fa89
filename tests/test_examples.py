"""The shipped examples: their check output is pinned in examples/expected-check.txt.

Run with PORTLINT_UPDATE_SNAPSHOTS=1 to rewrite the snapshot after a deliberate change.
"""

from __future__ import annotations

import os

from tests.conftest import REPO

SNAPSHOT = REPO / "examples" / "expected-check.txt"


def test_examples_snapshot(run_cli, monkeypatch):
    monkeypatch.chdir(REPO)
    result = run_cli("check", "examples")
    assert result.exit_code == 1
    if os.environ.get("PORTLINT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(result.stdout)
    assert result.stdout == SNAPSHOT.read_text()


import pytest


@pytest.mark.parametrize("folder", ["examples/compose/internal-tools", "examples/terraform/aws-safe"])
def test_safe_examples_are_clean(run_cli, monkeypatch, folder):
    monkeypatch.chdir(REPO)
    result = run_cli("check", folder)
    assert result.exit_code == 0, result.stdout
