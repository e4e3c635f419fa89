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


def test_readme_sample_output_is_taken_from_the_snapshot():
    """The README's abridged sample is a selection of the pinned output, line for line, and its count."""
    import re

    readme = (REPO / "README.md").read_text()
    sample = re.search(r"Sample output \(`portlint check examples/`, abridged\):\n\n```text\n(.*?)```", readme, re.S)
    assert sample, "README lost its sample output"
    pinned = SNAPSHOT.read_text().splitlines()
    lines = sample.group(1).splitlines()
    assert lines[-1] == pinned[-1]
    assert [line for line in lines[:-1] if line not in pinned] == []
    risks = len(re.findall(r"(?m)^  - id: ", (REPO / "rules" / "risks.yaml").read_text()))
    assert f"lists {risks} services" in readme
