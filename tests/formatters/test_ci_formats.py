"""Every CI output format, checked against its schema or documented shape."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import dedent

COMPOSE = dedent("""
    services:
      db:
        image: postgres:16
        ports:
          - "5432:5432"
      dev:
        image: example/app
        ports:
          - "3000:3000"
""")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "compose.yaml").write_text("services: [\n")
    return tmp_path


def test_sarif_is_valid_against_the_2_1_0_schema(run_cli, project, shared_dir):
    from jsonschema import Draft4Validator

    result = run_cli("check", "--format", "sarif", ".")
    doc = json.loads(result.stdout)
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    errors = list(Draft4Validator(schema).iter_errors(doc))
    assert not errors, errors[0].message
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    # one descriptor per risk entry (issue 13): code scanning reads security-severity from the descriptor
    assert float(rules["PL101/postgresql"]["properties"]["security-severity"]) >= 7.0
    assert "## Why is this bad?" in rules["PL101/postgresql"]["help"]["markdown"]
    assert "helpUri" not in rules["PL101/postgresql"]  # no made-up site: only with docs-url (test_review_13)
    first = run["results"][0]
    assert first["ruleId"] == "PL101/postgresql" and first["level"] == "error"
    assert first["properties"]["rule"] == "PL101"
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "PL101/postgresql"
    region = first["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 5, "endLine": 5, "startColumn": 9}
    artifact = first["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "app/compose.yaml", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    assert re.fullmatch(r"[0-9a-f]{32}", first["partialFingerprints"]["portlintFingerprint/v2"])
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"] == "bad/compose.yaml"


ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+)(,endLine=\d+)?,col=(\d+),title=([^:]+)::(.+)$")


def test_github_annotations(run_cli, project):
    lines = run_cli("check", "--format", "github", ".").stdout.splitlines()
    annotations = [ANNOTATION.match(line) for line in lines[:-1]]
    assert all(annotations), lines
    kinds = [(m.group(1), m.group(2), m.group(3)) for m in annotations]
    assert ("error", "app/compose.yaml", "5") in kinds            # PostgreSQL, high
    assert ("notice", "app/compose.yaml", "9") in kinds           # dev server, low
    assert ("error", "bad/compose.yaml", "2") in kinds            # input error
    # input errors first, then findings from the most severe (GitHub shows 10 of each kind per step)
    assert annotations[0].group(6) == "PL001 input error"
    assert "PL101 risky-service-public [high]" in annotations[1].group(6)


def test_github_format_is_the_default_in_github_actions(run_cli, project):
    result = run_cli("check", ".", env={"GITHUB_ACTIONS": "true"})
    assert result.stdout.startswith("::")


def test_markdown_summary(run_cli, project):
    text = run_cli("check", "--format", "markdown", ".").stdout
    assert text.startswith("## portlint\n")
    assert "| **high** | `PL101` risky-service-public | `app/compose.yaml:5` |" in text
    assert "### Input errors" in text and "`bad/compose.yaml:2`" in text


def test_gitlab_code_quality(run_cli, project):
    issues = json.loads(run_cli("check", "--format", "gitlab", ".").stdout)
    assert isinstance(issues, list) and len(issues) == 3
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["lines"]["begin"], int) and issue["location"]["path"]
    assert len({i["fingerprint"] for i in issues}) == 3
    db = next(i for i in issues if i["check_name"] == "risky-service-public" and "PostgreSQL" in i["description"])
    assert db["severity"] == "critical" and db["location"] == {"path": "app/compose.yaml",
                                                              "lines": {"begin": 5, "end": 5}}


def test_junit_xml(run_cli, project):
    root = ET.fromstring(run_cli("check", "--format", "junit", ".").stdout)
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = suite.findall("testcase")
    failing = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["PL101 services.db tcp/5432 line 5:9"]
    assert failing[0].get("classname") == "app/compose.yaml"
    assert [c for c in cases if c.find("error") is not None][0].get("line") == "2"


def test_junit_clean_run_has_a_passing_case(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text('services:\n  a:\n    ports: ["127.0.0.1:5432:5432"]\n')
    suite = ET.fromstring(run_cli("check", "-f", "junit", ".").stdout).find("testsuite")
    assert suite.get("failures") == "0" and len(suite.findall("testcase")) == 1


def test_several_outputs_in_one_run(run_cli, project):
    result = run_cli("check", "--report", "sarif:out/portlint.sarif", "--report", "junit:out/junit.xml",
                     "-o", "out/report.json", "--format", "json", ".")
    assert result.exit_code == 2 and result.stdout == "" and result.stderr == ""
    assert json.loads((project / "out" / "portlint.sarif").read_text())["version"] == "2.1.0"
    assert ET.parse(project / "out" / "junit.xml").getroot().tag == "testsuites"
    assert json.loads((project / "out" / "report.json").read_text())["summary"]["findings"] == 2


def test_text_on_terminal_and_sarif_to_file(run_cli, project):
    result = run_cli("check", "--report", "sarif:portlint.sarif", "app")
    assert result.stdout.splitlines()[-1].startswith("2 findings")
    assert (project / "portlint.sarif").is_file()


def test_bad_report_spec_is_a_usage_error(run_cli, project):
    result = run_cli("check", "--report", "pdf:x.pdf", ".")
    assert result.exit_code == 2 and "FORMAT:FILE" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab", "junit"])
def test_machine_readable_runs_keep_stderr_clean(run_cli, project, fmt):
    assert run_cli("check", "--format", fmt, ".").stderr == ""


def test_progress_counter_waits_then_clears(monkeypatch, capsys):
    from portlint import cli

    clock = iter([0.0, 0.1, 0.7, 0.8])
    progress = cli._Progress.__new__(cli._Progress)
    progress.clock = lambda: next(clock)
    progress.start = progress.clock()
    progress.shown = False
    progress(1, 100)                 # 0.1 s: too early, nothing shown
    assert capsys.readouterr().err == ""
    progress(50, 100)                # 0.7 s: a long run, show it
    progress(100, 100)
    progress.close()
    err = capsys.readouterr().err
    assert "portlint: 50/100 files parsed" in err and err.endswith("\r" + " " * 60 + "\r")


def test_action_and_hook_manifests():
    import yaml

    from tests.conftest import REPO

    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"paths", "format", "fail-on", "sarif-file", "upload-sarif"} <= set(action["inputs"])
    scripts = " ".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "portlint check" in scripts and "--report \"sarif:" in scripts
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["portlint"]["entry"] == "portlint check" and hooks["portlint-all"]["pass_filenames"] is False
    for hook in hooks.values():
        assert {"id", "name", "entry", "language"} <= set(hook)


def test_sarif_severity_per_risk_entry_and_suppressions(run_cli, tmp_path, monkeypatch, shared_dir):
    from jsonschema import Draft4Validator

    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(dedent("""
        services:
          cache:
            image: redis:7
            ports:
              - "6379:6379"
          admin:
            image: example/admin
            ports:
              - "22:22"
              - "5432:5432"  # portlint: disable=PL101 -- until 2999-01-01: lab only
    """))
    doc = json.loads(run_cli("check", "--format", "sarif", ".").stdout)
    assert not list(Draft4Validator(json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json")
                                               .read_text())).iter_errors(doc))
    run = doc["runs"][0]
    rules = {r["id"]: r["properties"]["security-severity"] for r in run["tool"]["driver"]["rules"]}
    assert rules["PL101/redis"] == "9.5" and rules["PL101/ssh"] == "8.0"
    results = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in run["results"]}
    assert results[5]["ruleId"] == "PL101/redis" and "suppressions" not in results[5]
    assert results[10]["suppressions"] == [{
        "kind": "inSource", "status": "accepted", "justification": "lab only",
        "location": {"physicalLocation": {"artifactLocation": {"uri": "compose.yaml", "uriBaseId": "%SRCROOT%"},
                                          "region": {"startLine": 10}}},
        "properties": {"expires": "2999-01-01"}}]
    assert "informationUri" not in run["tool"]["driver"]  # no made-up site: only with docs-url
    # a severity override changes no rule id (so no alert is closed and reopened)
    (tmp_path / ".portlint.yaml").write_text("severity:\n  PL101: low\n")
    again = json.loads(run_cli("check", "--format", "sarif", ".").stdout)["runs"][0]
    assert {r["id"] for r in again["tool"]["driver"]["rules"]} == set(rules)


def test_github_annotations_most_severe_first(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(dedent("""
        services:
          dev:
            image: example/app
            ports: ["3000:3000"]
          db:
            image: example/db
            ports: ["5432:5432"]
          cache:
            image: example/cache
            ports: ["6379:6379"]
    """))
    lines = run_cli("check", "--format", "github", ".").stdout.splitlines()[:-1]
    assert [ANNOTATION.match(line).group(3) for line in lines] == ["10", "7", "4"]


def test_junit_names_are_unique(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text('services:\n  a:\n    ports: ["3389:3389/tcp", "3389:3389/udp"]\n')
    root = ET.fromstring(run_cli("check", "--format", "junit", ".").stdout)
    names = [c.get("name") for c in root.iter("testcase")]
    assert len(names) == len(set(names)) == 2, names


def test_markdown_neutralises_mentions_and_lists_suppressions(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(
        'services:\n  "@admins":\n    ports:\n      - "6379:6379"\n'
        '      - "5432:5432"  # portlint: disable=PL101 -- ask @security-team\n')
    out = run_cli("check", "--format", "markdown", ".").stdout
    assert "@admins" not in out and "@security-team" not in out
    assert "@\u2060security-team" in out and "| suppressed | `PL101` | `compose.yaml:5` |" in out
