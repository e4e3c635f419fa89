"""Issue 13 (1, 4, 5, 7, 8, 11): strict codes, configuration discovery and trust, paths relative to the
project root, gitignore-style excludes, baselines, never green on nothing, colour, reference commands."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from portlint.cli import _use_colour
from tests.conftest import dedent

REDIS = dedent("""
    services:
      cache:
        image: redis:7
        ports:
          - "6379:6379"
""")
SAFE = dedent("""
    services:
      cache:
        image: redis:7
        ports:
          - "127.0.0.1:6379:6379"
""")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git work tree: infra/compose/docker-compose.yml (risky), charts/docker-compose.yml (risky)."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "infra" / "compose").mkdir(parents=True)
    (root / "charts").mkdir()
    (root / "infra" / "compose" / "docker-compose.yml").write_text(REDIS)
    (root / "charts" / "docker-compose.yml").write_text(REDIS)
    monkeypatch.chdir(root)
    return root


def findings(result) -> list[tuple[str, int, str]]:
    return [(f["file"], f["line"], f["rule_id"]) for f in json.loads(result.stdout)["findings"]]


# -- 1. strict, case-insensitive codes -----------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--select", "PL1O1"], "unknown rule 'PL1O1'; did you mean 'PL101'?"),
    (["--ignore", "pl4o1"], "unknown rule 'pl4o1'; did you mean 'PL401'?"),
    (["--select", "risky-service-publik"], "did you mean 'risky-service-public'"),
    (["--select", "PL101,PL999"], "unknown rule 'PL999'"),
])
def test_unknown_code_on_the_command_line_is_a_usage_error(repo, run_cli, args, message):
    result = run_cli("check", *args, ".")
    assert result.exit_code == 2
    assert message in result.output


def test_codes_are_case_insensitive_and_prefixes_select(repo, run_cli):
    lower = run_cli("check", "--select", "pl101", "-f", "json", ".")
    assert lower.exit_code == 1 and findings(lower) == [("charts/docker-compose.yml", 5, "PL101"),
                                                         ("infra/compose/docker-compose.yml", 5, "PL101")]
    prefix = run_cli("check", "--select", "pl1", "-f", "json", "charts")
    assert prefix.exit_code == 1 and findings(prefix) == [("charts/docker-compose.yml", 5, "PL101")]
    ignored = run_cli("check", "--ignore", "RISKY-SERVICE-PUBLIC", "-f", "json", "charts")
    assert ignored.exit_code == 0 and findings(ignored) == []


@pytest.mark.parametrize("text, where, message", [
    ("fail-on: high\nignore: [PL4O1]\n", ".portlint.yaml:2", "unknown rule 'PL4O1'; did you mean 'PL401'?"),
    ("severity:\n  PL101: low\n  PL999: low\n", ".portlint.yaml:3", "unknown rule 'PL999'"),
    ("select:\n  - PL101\n  - pl1o2\n", ".portlint.yaml:3", "did you mean 'PL102'?"),
    ("per-file-ignores:\n  charts/: [PL1OI]\n", ".portlint.yaml:2", "did you mean 'PL101'?"),
    ("accept:\n  - file: charts/*\n    rules: [PL1O1]\n    reason: x\n", ".portlint.yaml:3", "did you mean 'PL101'?"),
    ("fail-on: high\nexclde: [charts]\n", ".portlint.yaml:2", "unknown key 'exclde'; did you mean 'exclude'?"),
])
def test_unknown_code_or_key_in_the_configuration_names_its_line(repo, run_cli, text, where, message):
    (repo / ".portlint.yaml").write_text(text)
    result = run_cli("check", ".")
    assert result.exit_code == 2
    assert f"invalid configuration: {where}: " in result.output and message in result.output


def test_configured_codes_apply_once_valid(repo, run_cli):
    (repo / ".portlint.yaml").write_text("severity:\n  risky-service-PUBLIC: low\nfail-on: medium\n")
    result = run_cli("check", "-f", "json", "charts")
    assert result.exit_code == 0
    assert [f["severity"] for f in json.loads(result.output)["findings"]] == ["low"]


# -- 4. configuration found by walking up, pyproject, portlint config ------------------------------------

def test_configuration_in_a_parent_folder_applies_when_run_from_a_subfolder(repo, run_cli, monkeypatch):
    (repo / "infra" / ".portlint.yaml").write_text("fail-on: never\n")
    monkeypatch.chdir(repo / "infra" / "compose")
    result = run_cli("check", "-f", "json")
    assert result.exit_code == 0  # fail-on: never from infra/.portlint.yaml
    assert findings(result) == [("infra/compose/docker-compose.yml", 5, "PL101")]  # shown from the root


def test_configuration_for_named_files_is_found_from_the_files(repo, run_cli):
    (repo / "infra" / ".portlint.yaml").write_text("ignore: [PL101]\n")
    result = run_cli("check", "-f", "json", "infra/compose/docker-compose.yml")
    assert result.exit_code == 0 and findings(result) == []


def test_pyproject_tool_table_is_read_with_lines(repo, run_cli):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.portlint]\nfail-on = "never"\n'
                                         'select = ["PL1O1"]\n')
    result = run_cli("check", ".")
    assert result.exit_code == 2 and "pyproject.toml:6: unknown rule 'PL1O1'" in result.output
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.portlint]\nfail-on = "never"\n')
    assert run_cli("check", ".").exit_code == 0


def test_pyproject_without_a_portlint_table_is_passed_over(repo, run_cli):
    (repo / "infra" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (repo / ".portlint.yaml").write_text("fail-on: never\n")
    assert run_cli("check", "infra").exit_code == 0


def test_portlint_yaml_wins_over_pyproject_in_one_folder(repo, run_cli):
    (repo / "pyproject.toml").write_text('[tool.portlint]\nfail-on = "never"\n')
    (repo / ".portlint.yaml").write_text("fail-on: low\n")
    assert run_cli("check", ".").exit_code == 1


def test_the_walk_stops_at_the_repository_root(tmp_path, run_cli, monkeypatch):
    (tmp_path / ".portlint.yaml").write_text("fail-on: never\n")  # above the repository: not its configuration
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "docker-compose.yml").write_text(REDIS)
    monkeypatch.chdir(root)
    assert run_cli("check").exit_code == 1


def test_config_command_shows_values_and_their_origin(repo, run_cli):
    (repo / "infra" / ".portlint.yaml").write_text("# settings\nfail-on: high\nexclude: [charts]\n")
    result = run_cli("config", "infra/compose")
    assert result.exit_code == 0
    assert "# configuration: infra/.portlint.yaml (found walking up from the checked paths)" in result.output
    assert 'fail-on: "high"  # infra/.portlint.yaml:2' in result.output
    assert 'exclude: ["charts"]  # infra/.portlint.yaml:3' in result.output
    assert "require-reason: false  # default" in result.output
    doc = json.loads(run_cli("config", "-f", "json", "--isolated", "infra").output)
    assert doc["configuration"] is None and doc["settings"]["fail-on"] == {"value": "medium", "from": "default"}


def test_published_schema_is_the_one_that_validates(run_cli):
    from portlint.schemas import load_schema

    result = run_cli("config", "--schema")
    assert json.loads(result.output) == load_schema("config")
    assert {"require-reason", "accept", "per-file-ignores", "baseline", "reports"} <= set(load_schema("config")["properties"])


def test_config_accept_and_require_reason_are_loaded(tmp_path):
    from datetime import date

    from portlint.config import load_config

    path = tmp_path / ".portlint.yaml"
    path.write_text("require-reason: true\naccept:\n  - file: bastion/*.tf\n    ports: [22, '8000-8100']\n"
                    "    protocol: tcp\n    sources: [203.0.113.0/24]\n    reason: office SSH\n"
                    "    expires: 2027-06-30\n")
    config = load_config(path, ".portlint.yaml")
    assert config.require_reason is True
    assert config.accept == [{"file": "bastion/*.tf", "protocol": "tcp", "reason": "office SSH",
                              "sources": ["203.0.113.0/24"], "ports": [(22, 22), (8000, 8100)],
                              "expires": date(2027, 6, 30), "line": 3, "origin": ".portlint.yaml:3"}]


def test_accept_entry_needs_a_reason(tmp_path):
    from portlint.config import ConfigError, load_config

    path = tmp_path / ".portlint.yaml"
    path.write_text("accept:\n  - file: a.yml\n    ports: 22\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, ".portlint.yaml")
    assert caught.value.line == 2 and "'reason' is a required property" in caught.value.message


# -- 7. trusted configuration ----------------------------------------------------------------------------

def test_trusted_config_replaces_the_trees(repo, run_cli, tmp_path):
    (repo / ".portlint.yaml").write_text("fail-on: never\nexclude: ['*']\n")  # what a pull request could do
    assert run_cli("check", ".").exit_code == 0
    trusted = tmp_path / "trusted.yaml"
    trusted.write_text("fail-on: high\n")
    result = run_cli("check", "--config", trusted, "-f", "json", ".")
    assert result.exit_code == 1 and len(findings(result)) == 2
    isolated = run_cli("check", "--isolated", "-f", "json", ".")
    assert isolated.exit_code == 1 and len(findings(isolated)) == 2


def test_tree_configuration_may_not_name_files_outside_the_project(repo, run_cli, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    (repo / ".portlint.yaml").write_text(f"baseline: {outside}\nreports: ['json:{tmp_path}/out.json']\n")
    result = run_cli("check", "charts")
    assert result.exit_code == 2
    assert ".portlint.yaml:1:1: PL001 [error] baseline" in result.output and "outside the project root" in result.output
    assert not (tmp_path / "out.json").exists()


# -- 5. paths, excludes, baselines --------------------------------------------------------------------

@pytest.mark.parametrize("pattern", ["charts", "charts/", "./charts", "/charts", "**/charts", "charts/**",
                                     "*/docker-compose.yml"])
def test_excludes_are_gitignore_style_and_apply_to_named_files(repo, run_cli, pattern):
    (repo / ".portlint.yaml").write_text(f"exclude: ['{pattern}']\n")
    named = run_cli("check", "-f", "json", "charts/docker-compose.yml", "infra/compose/docker-compose.yml")
    walked = run_cli("check", "-f", "json", ".")
    assert findings(named) == findings(walked)
    assert ("charts/docker-compose.yml", 5, "PL101") not in findings(walked)


def test_anchored_pattern_does_not_match_deeper(repo, run_cli):
    (repo / "infra" / "charts").mkdir()
    (repo / "infra" / "charts" / "docker-compose.yml").write_text(REDIS)
    (repo / ".portlint.yaml").write_text("exclude: [/charts]\n")
    assert [f[0] for f in findings(run_cli("check", "-f", "json", "."))] == [
        "infra/charts/docker-compose.yml", "infra/compose/docker-compose.yml"]


def test_no_force_exclude_checks_named_files(repo, run_cli):
    (repo / ".portlint.yaml").write_text("exclude: [charts]\n")
    result = run_cli("check", "--no-force-exclude", "-f", "json", "charts/docker-compose.yml")
    assert findings(result) == [("charts/docker-compose.yml", 5, "PL101")]


def test_cli_exclude_is_relative_to_the_project_root(repo, run_cli, monkeypatch):
    monkeypatch.chdir(repo / "infra")
    result = run_cli("check", "--exclude", "/infra/compose", "-f", "json", ".")
    assert result.exit_code == 0 and findings(result) == []


def test_baseline_is_stable_from_a_subfolder_and_reports_stale_entries(repo, run_cli, monkeypatch):
    assert run_cli("check", "--write-baseline", "baseline.json", ".").exit_code == 0
    monkeypatch.chdir(repo / "infra")
    result = run_cli("check", "--baseline", "../baseline.json", "compose")
    assert result.exit_code == 0 and "0 findings" in result.output
    (repo / "infra" / "compose" / "docker-compose.yml").write_text(SAFE)
    stale = run_cli("check", "--baseline", "../baseline.json", "compose")
    assert stale.exit_code == 0
    assert "1 finding(s) recorded in ../baseline.json no longer occur" in stale.output
    assert "infra/compose/docker-compose.yml: PL101" in stale.output
    assert "charts" not in stale.output  # not checked in this run: not stale


def test_baseline_from_the_configuration(repo, run_cli):
    run_cli("check", "--write-baseline", "baseline.json", ".")
    (repo / ".portlint.yaml").write_text("baseline: baseline.json\n")
    assert run_cli("check", ".").exit_code == 0


@pytest.mark.parametrize("text, message", [
    ("42", "is not a portlint baseline: expected a JSON object, got a number"),
    ('{"findings": 1}', "'findings' must be an object of fingerprints, got a number"),
    ('{"findings": {"x": {"rule_id": 5}}}', "rule_id must be a string, got a number"),
    ("{\n  \"findings\": {", "not JSON at line 2"),
])
def test_corrupt_baseline_is_refused_clearly(repo, run_cli, text, message):
    (repo / "baseline.json").write_text(text)
    result = run_cli("check", "--baseline", "baseline.json", ".")
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


# -- 8. never green on nothing ----------------------------------------------------------------------

def test_standard_input_with_a_name(repo, run_cli):
    result = run_cli("check", "-", "--stdin-filename", "infra/compose/generated.yml", "-f", "json", input=REDIS)
    assert result.exit_code == 1
    assert findings(result) == [("infra/compose/generated.yml", 5, "PL101")]


def test_standard_input_nobody_claims_is_an_error(repo, run_cli):
    result = run_cli("check", "-", "--stdin-filename", "notes.txt", input="hello\n")
    assert result.exit_code == 2 and "no parser recognises standard input" in result.output


def test_stdin_filename_without_dash_is_a_usage_error(repo, run_cli):
    assert run_cli("check", "--stdin-filename", "x.yml", ".").exit_code == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_named_fifo_is_an_error_that_says_how(repo, run_cli):
    os.mkfifo(repo / "pipe")
    result = run_cli("check", "pipe")
    assert result.exit_code == 2
    assert "pipe:1:1: PL001 [error] not a regular file or folder" in result.output
    assert "--stdin-filename" in result.output


def test_run_that_checked_nothing_says_so(repo, run_cli):
    (repo / "empty").mkdir()
    result = run_cli("check", "empty")
    assert result.exit_code == 0 and "warning: no file was checked in empty" in result.output
    assert run_cli("check", "--fail-on-empty", "empty").exit_code == 2
    (repo / ".portlint.yaml").write_text("fail-on-empty: true\n")
    assert run_cli("check", "empty").exit_code == 2
    assert run_cli("check", "charts").exit_code == 1  # not empty: the usual exit


# -- 11. colour, explain, port --------------------------------------------------------------------------

@pytest.mark.parametrize("env, flag, expected", [
    ({"NO_COLOR": ""}, None, None),          # empty NO_COLOR: as if unset (terminal decides)
    ({"NO_COLOR": "1"}, None, False),
    ({"FORCE_COLOR": "1"}, None, True),
    ({"FORCE_COLOR": ""}, None, None),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, None, False),
    ({"NO_COLOR": "1"}, True, True),          # the flag wins
])
def test_colour_follows_no_color_and_force_color(monkeypatch, env, flag, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert _use_colour(flag) is (False if expected is None else expected)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert _use_colour(flag) is (True if expected is None else expected)


def test_explain_pl001_and_case_insensitive_codes(run_cli):
    result = run_cli("explain", "pl001")
    assert result.exit_code == 0 and result.output.startswith("# PL001 input-error")
    assert run_cli("explain", "pl101").output.startswith("# PL101")
    typo = run_cli("explain", "PL1O1")
    assert typo.exit_code == 2 and "did you mean 'PL101'?" in typo.output


def test_port_with_protocol_and_invalid_ports(run_cli):
    udp = json.loads(run_cli("port", "53/udp", "-f", "json").output)
    assert udp["services"] and all("udp" in s["protocols"] for s in udp["services"])
    for query, message in [("70000", "ports run from 0 to 65535"), ("22/foo", "is not tcp, udp or sctp"),
                           ("90-80", "low end of a range comes first")]:
        result = run_cli("port", query)
        assert result.exit_code == 2 and message in result.output


def test_every_option_has_help(run_cli):
    import click

    from portlint.cli import cli

    missing = []
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and not param.help and not param.hidden and param.name != "help":
                missing.append(f"{name} {param.opts[0]}")
    assert missing == []


def test_rebase_moves_anchored_excludes_to_a_copy_of_the_tree(repo, tmp_path):
    from portlint.discovery import discover, rebase

    copy = tmp_path / "copy"
    (copy / "charts").mkdir(parents=True)
    (copy / "charts" / "docker-compose.yml").write_text(REDIS)
    (copy / "docker-compose.yml").write_text(REDIS)
    patterns = [("/charts", repo), ("charts", repo)]
    assert [c.path.name for c in discover([copy], patterns)] == ["docker-compose.yml", "docker-compose.yml"]
    moved = rebase(patterns, repo, copy)
    assert [c.path.relative_to(copy).as_posix() for c in discover([copy], moved)] == ["docker-compose.yml"]
