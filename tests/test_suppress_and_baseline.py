"""Inline suppression comments and baselines."""

from __future__ import annotations

import json

import pytest

from tests.conftest import dedent

COMPOSE = dedent("""
    services:
      db:
        image: postgres:16
        ports:
          - "5432:5432"   # portlint: disable=PL101 -- staging box, firewalled upstream
          - "5433:5432"
          # portlint: disable-next-line=risky-service-public
          - "5434:5432"
          - "6379:6379"   # portlint: disable=PL999
""")
TERRAFORM = dedent("""
    # portlint: disable-file=PL101
    resource "aws_security_group_rule" "rdp" {
      type        = "ingress"
      from_port   = 3389
      to_port     = 3389
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]   // portlint: disable
    }
    resource "aws_security_group_rule" "all" {
      type        = "ingress"
      from_port   = 0
      to_port     = 0
      protocol    = "-1"
      cidr_blocks = ["0.0.0.0/0"]
    }
""")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "main.tf").write_text(TERRAFORM)
    return tmp_path


def test_directives(run_cli, project):
    doc = json.loads(run_cli("check", "-f", "json", ".").stdout)
    left = [(f["file"], f["line"], f["rule_id"]) for f in doc["findings"]]
    assert ("compose.yaml", 9, "PL601") in left  # disable=PL999 names no rule (issue 13): a finding of its own
    left.remove(("compose.yaml", 9, "PL601"))
    # 6379 of a postgres image is PostgreSQL, not Redis: the image names it (PL302)
    assert left == [("compose.yaml", 6, "PL101"), ("compose.yaml", 9, "PL302"), ("main.tf", 9, "PL102")]
    assert doc["summary"]["suppressed"] == 3


def test_summary_line_counts_suppressed(run_cli, project):
    assert run_cli("check", ".").stdout.splitlines()[-1].endswith("(3 suppressed).")


def test_baseline_reports_only_new_findings(run_cli, project):
    assert run_cli("check", "--write-baseline", "portlint-baseline.json", ".").exit_code == 0
    recorded = json.loads((project / "portlint-baseline.json").read_text())
    assert len(recorded["findings"]) == 4  # three exposures and the PL601 finding on disable=PL999
    assert run_cli("check", "--baseline", "portlint-baseline.json", ".").exit_code == 0
    # a new exposure above the old ones moves their lines but not their fingerprints
    (project / "compose.yaml").write_text(COMPOSE.replace("services:\n", "services:\n  rdp:\n    ports: [\"3389:3389\"]\n"))
    result = run_cli("check", "--baseline", "portlint-baseline.json", "-f", "json", ".")
    doc = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [(f["line"], f["rule_id"]) for f in doc["findings"]] == [(3, "PL101")]
    assert doc["summary"]["baselined"] == 4


def test_bad_baseline_file(run_cli, project):
    (project / "b.json").write_text("[]")
    result = run_cli("check", "--baseline", "b.json", ".")
    assert result.exit_code == 2 and "not a portlint baseline" in result.stderr
