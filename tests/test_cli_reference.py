"""`portlint rules`, `portlint explain`, `portlint port`, and the generated docs."""

from __future__ import annotations

import json
import runpy

import pytest

from portlint.checks import builtin_rules
from portlint.formatters.reference import rule_markdown
from tests.conftest import REPO


def test_rules_table_and_json(run_cli):
    table = run_cli("rules")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == ["CODE", "NAME", "SEVERITY", "SOURCE", "SUMMARY"]
    doc = json.loads(run_cli("rules", "--format", "json").stdout)
    codes = [r["code"] for r in doc["rules"]]
    assert codes == sorted(codes) and len(codes) == len(builtin_rules())
    assert {"code", "name", "severity", "summary", "source"} <= set(doc["rules"][0])


@pytest.mark.parametrize("query", ["PL101", "risky-service-public", "pl101"])
def test_explain(run_cli, query):
    result = run_cli("explain", query)
    assert result.exit_code == 0
    assert result.stdout.startswith("# PL101 risky-service-public")
    assert "## Why is this bad?" in result.stdout and "## Use instead" in result.stdout


def test_explain_unknown_rule(run_cli):
    result = run_cli("explain", "PL999")
    assert result.exit_code == 2 and "portlint rules" in result.stderr


def test_port_by_number_and_name(run_cli):
    by_number = run_cli("port", "3389")
    assert by_number.exit_code == 0 and "ms-wbt-server" in by_number.stdout
    assert "Risk entry rdp: RDP" in by_number.stdout and "cis-aws:5.3" in by_number.stdout
    by_name = run_cli("port", "redis")
    assert "6379/tcp" in by_name.stdout and "Risk entry redis" in by_name.stdout
    doc = json.loads(run_cli("port", "kubelet", "--format", "json").stdout)
    assert doc["services"][0]["ports"] == "10250" and doc["risks"][0]["id"] == "kubelet"


def test_port_without_risk_and_unknown(run_cli):
    https = run_cli("port", "443")
    assert https.exit_code == 0 and "Not on portlint's risk list." in https.stdout
    assert run_cli("port", "no-such-service-anywhere").exit_code == 1


def test_generated_rule_docs_are_current():
    pages = runpy.run_path(str(REPO / "scripts" / "gen_rule_docs.py"), run_name="docs")["pages"]()
    docs = REPO / "docs" / "rules"
    assert sorted(p.name for p in docs.glob("*.md")) == sorted(pages), "run scripts/gen_rule_docs.py"
    for name, text in pages.items():
        assert (docs / name).read_text() == text, f"docs/rules/{name} is stale: run scripts/gen_rule_docs.py"


def test_rule_markdown_has_metadata():
    page = rule_markdown(builtin_rules()[0])
    assert "- Default severity:" in page and "- Source: built-in" in page


def test_rules_and_explain_see_configured_rule_folders(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "r.yaml").write_text((REPO / "examples" / "rules-dir" / "acme-public-admin.yaml").read_text())
    (tmp_path / ".portlint.yaml").write_text("rules-dir: [policy]\n")
    assert "ACME201" in run_cli("rules").stdout
    page = run_cli("explain", "no-public-grafana").stdout
    assert page.startswith("# ACME201 no-public-grafana") and "## Example" in page
