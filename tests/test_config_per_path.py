"""Issue 13, 4: each file is checked with the nearest configuration above it (per-file settings), while
run-wide settings come from the root-most configuration, --config or the command line."""

from __future__ import annotations

import json

import pytest

from tests.conftest import dedent

REDIS = dedent("""
    services:
      cache:
        image: redis:7
        ports:
          - "6379:6379"
""")
BOUND = dedent("""
    services:
      cache:
        image: redis:7
        ports:
          - "${BIND:-127.0.0.1}:6379:6379"
""")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """.portlint.yaml at the root, infra/.portlint.yaml, web/pyproject.toml with [tool.portlint]."""
    root = tmp_path / "repo"
    files = {
        ".portlint.yaml": "fail-on: low\nseverity:\n  PL101: high\nexclude: [vendor]\n",
        "docker-compose.yml": REDIS,
        "vendor/docker-compose.yml": REDIS,
        "infra/.portlint.yaml": "# infra\nseverity:\n  PL101: low\nexclude: [legacy/]\nfail-on: never\n",
        "infra/docker-compose.yml": REDIS,
        "infra/legacy/docker-compose.yml": REDIS,
        "infra/vendor/docker-compose.yml": REDIS,
        "web/pyproject.toml": '[project]\nname = "web"\n\n[tool.portlint]\nignore = ["PL101"]\n',
        "web/docker-compose.yml": REDIS,
        "web/api/docker-compose.yml": REDIS,
    }
    (root / ".git").mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    monkeypatch.chdir(root)
    return root


def found(result) -> list[tuple[str, int, str, str]]:
    return [(f["file"], f["line"], f["rule_id"], f["severity"]) for f in json.loads(result.stdout)["findings"]]


FROM_ROOT = [("docker-compose.yml", 5, "PL101", "high"), ("infra/docker-compose.yml", 5, "PL101", "low")]


def test_each_file_takes_the_nearest_configuration_from_the_root(repo, run_cli):
    result = run_cli("check", "-f", "json", ".")
    # root: high (root severity); infra: low (its own severity); web: PL101 ignored by pyproject.toml;
    # vendor/ excluded by the root, infra/legacy/ by infra, infra/vendor/ by the root's pattern too
    assert found(result) == FROM_ROOT
    assert result.exit_code == 1  # fail-on: low from the root; infra's fail-on: never is not the run's


def test_a_subfolder_run_keeps_the_root_run_wide_settings(repo, run_cli, monkeypatch):
    monkeypatch.chdir(repo / "infra")
    result = run_cli("check", "-f", "json", ".")
    assert found(result) == [("infra/docker-compose.yml", 5, "PL101", "low")]
    assert result.exit_code == 1  # root-most fail-on: low, not infra's never
    monkeypatch.chdir(repo / "web" / "api")
    result = run_cli("check", "-f", "json")
    assert found(result) == [] and result.exit_code == 0  # web/pyproject.toml governs web/api too


def test_pre_commit_style_single_files(repo, run_cli):
    result = run_cli("check", "-f", "json", "infra/legacy/docker-compose.yml", "web/docker-compose.yml",
                     "infra/docker-compose.yml", "docker-compose.yml", "vendor/docker-compose.yml",
                     "infra/vendor/docker-compose.yml")
    assert found(result) == FROM_ROOT and result.exit_code == 1
    alone = run_cli("check", "-f", "json", "infra/docker-compose.yml")
    assert found(alone) == [("infra/docker-compose.yml", 5, "PL101", "low")] and alone.exit_code == 1
    excluded = run_cli("check", "-f", "json", "infra/legacy/docker-compose.yml")
    assert found(excluded) == [] and excluded.exit_code == 0
    assert "no file was checked" in excluded.stderr


def test_without_a_root_configuration_nested_ones_still_apply(repo, run_cli):
    (repo / ".portlint.yaml").unlink()
    result = run_cli("check", "-f", "json", ".")
    assert found(result) == [("docker-compose.yml", 5, "PL101", "critical"),
                             ("infra/docker-compose.yml", 5, "PL101", "low"),
                             ("infra/vendor/docker-compose.yml", 5, "PL101", "low"),
                             ("vendor/docker-compose.yml", 5, "PL101", "critical")]


def test_command_line_wins_in_every_folder(repo, run_cli):
    result = run_cli("check", "-f", "json", "--select", "PL101", "--exclude", "infra", ".")
    # --select replaces every configuration's select (web's ignore still adds), --exclude adds
    assert found(result) == [("docker-compose.yml", 5, "PL101", "high")]
    ignored = run_cli("check", "-f", "json", "--ignore", "PL101", ".")
    assert found(ignored) == [] and ignored.exit_code == 0


def test_config_and_isolated_replace_every_tree_configuration(repo, run_cli, tmp_path):
    trusted = tmp_path / "trusted.yaml"
    trusted.write_text("fail-on: high\n")
    result = run_cli("check", "-f", "json", "--config", trusted, ".")
    files = [f[0] for f in found(result)]
    assert files == ["docker-compose.yml", "infra/docker-compose.yml", "infra/legacy/docker-compose.yml",
                     "infra/vendor/docker-compose.yml", "vendor/docker-compose.yml", "web/api/docker-compose.yml",
                     "web/docker-compose.yml"]
    assert {f[3] for f in found(result)} == {"critical"}
    isolated = run_cli("check", "-f", "json", "--isolated", ".")
    assert found(isolated) == found(result)


def test_a_nested_configuration_error_names_its_file_and_line(repo, run_cli):
    (repo / "web" / "pyproject.toml").write_text('[tool.portlint]\nignore = ["PL1O1"]\n')
    result = run_cli("check", ".")
    assert result.exit_code == 2
    assert "invalid configuration: web/pyproject.toml:2: unknown rule 'PL1O1'; did you mean 'PL101'?" in result.output
    (repo / "infra" / ".portlint.yaml").write_text("severity:\n  PL101: loww\n")
    result = run_cli("check", "infra")
    assert result.exit_code == 2 and "infra/.portlint.yaml:2" in result.output


def test_env_files_accept_and_require_reason_are_per_folder(repo, run_cli):
    (repo / "infra" / "docker-compose.yml").write_text(BOUND)
    (repo / "infra" / "ci.env").write_text("BIND=0.0.0.0\n")
    (repo / "infra" / ".portlint.yaml").write_text(
        "env-file: [ci.env]\nrequire-reason: true\naccept:\n  - file: docker-compose.yml\n    ports: 6379\n"
        "    reason: cache behind the office VPN\n")
    (repo / "web" / "docker-compose.yml").write_text(REDIS.replace('"6379:6379"', '"6379:6379"  # portlint: disable=PL101'))
    (repo / "web" / "pyproject.toml").write_text('[tool.portlint]\nrequire-reason = false\n')
    doc = json.loads(run_cli("check", "-f", "json", ".").stdout)
    accepted = [(f["file"], f["line"]) for f in doc.get("accepted", [])]
    # read with infra's env file and accepted there (legacy/ too: infra no longer excludes it)
    assert accepted == [("infra/docker-compose.yml", 5), ("infra/legacy/docker-compose.yml", 5)]
    suppressed = [(f["file"], f["line"]) for f in doc.get("suppressed", [])]
    assert ("web/docker-compose.yml", 5) in suppressed  # no reason needed under web/
    assert ("web/api/docker-compose.yml", 5, "PL101", "high") in found_doc(doc)


def found_doc(doc) -> list:
    return [(f["file"], f["line"], f["rule_id"], f["severity"]) for f in doc["findings"]]


def test_config_command_shows_the_configuration_of_a_path(repo, run_cli):
    result = run_cli("config", "infra/docker-compose.yml")
    assert result.exit_code == 0, result.output
    assert "# configuration: .portlint.yaml (found walking up from the checked paths)" in result.output
    assert "configurations below it, nearest first: infra/.portlint.yaml" in result.output
    assert 'severity: {"PL101": "low"}  # infra/.portlint.yaml:2' in result.output
    assert 'fail-on: "low"  # .portlint.yaml:1' in result.output  # run-wide: the root's
    assert 'exclude: ["vendor", "legacy/"]  # infra/.portlint.yaml:4, .portlint.yaml:4' in result.output
    doc = json.loads(run_cli("config", "-f", "json", "web/api").output)
    assert doc["nested"] == ["web/pyproject.toml"]
    assert doc["settings"]["ignore"] == {"value": ["PL101"], "from": "web/pyproject.toml:5"}
    assert doc["settings"]["severity"] == {"value": {"PL101": "high"}, "from": ".portlint.yaml:2"}


# -- issue 13, 1: rule ids in baselines name known rules ------------------------------------------------

@pytest.mark.parametrize("rule_id, message", [
    ("PL1O1", "unknown rule 'PL1O1'; did you mean 'PL101'?"),
    ("PL999", "unknown rule 'PL999'"),
    ("", "rule_id is empty"),
])
def test_unknown_rule_in_a_baseline_is_a_usage_error(repo, run_cli, rule_id, message):
    assert run_cli("check", "--write-baseline", "baseline.json", ".").exit_code == 0
    doc = json.loads((repo / "baseline.json").read_text())
    first = sorted(doc["findings"])[0]
    doc["findings"][first]["rule_id"] = rule_id
    (repo / "baseline.json").write_text(json.dumps(doc))
    result = run_cli("check", "--baseline", "baseline.json", ".")
    assert result.exit_code == 2
    assert "baseline.json: finding" in result.output and message in result.output


def test_known_rule_ids_in_a_baseline_in_any_case_are_accepted(repo, run_cli):
    assert run_cli("check", "--write-baseline", "baseline.json", ".").exit_code == 0
    doc = json.loads((repo / "baseline.json").read_text())
    for entry in doc["findings"].values():
        entry["rule_id"] = entry["rule_id"].lower()
    (repo / "baseline.json").write_text(json.dumps(doc))
    result = run_cli("check", "-f", "json", "--baseline", "baseline.json", ".")
    assert result.exit_code == 0 and found(result) == []


@pytest.mark.parametrize("cache", ["--no-cache", "--cache-dir=.c"])
def test_two_folders_with_their_own_env_files_each_read_their_own(tmp_path, monkeypatch, run_cli, cache):
    """Each folder's env-file is read for its own files (the parser once shared the first one read)."""
    for folder, bind in (("a", "127.0.0.1"), ("b", "0.0.0.0")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / ".portlint.yaml").write_text(f"env-file: [{folder}.env]\n")
        (tmp_path / folder / f"{folder}.env").write_text(f"BIND={bind}\n")
        (tmp_path / folder / "docker-compose.yml").write_text(BOUND.replace("${BIND:-127.0.0.1}", "${BIND}"))
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for order in (["a", "b"], ["b", "a"]):
        doc = json.loads(run_cli("check", "-f", "json", "--fail-on", "never", cache, *order).stdout)
        assert [(f[0], f[2]) for f in found_doc(doc)] == [("b/docker-compose.yml", "PL101")]
