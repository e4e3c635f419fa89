"""Issue 13, 7: trusted configuration for pull requests. ``portlint trust`` (real git repositories) and
the action's check step (its shell script, run with a stand-in portlint and git)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO, dedent
from tests.diff_helpers import Repo

REDIS = "services:\n  cache:\n    image: redis:7\n    ports:\n      - \"6379:6379\"\n"


@pytest.fixture
def pr(tmp_path, monkeypatch):
    """A repository whose base has a strict .portlint.yaml; the test commits the pull request on top."""
    repo = Repo(tmp_path / "repo")
    repo.commit({".portlint.yaml": "fail-on: low\nexclude: [vendor]\n", "docker-compose.yml": REDIS,
                 "k8s/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: ClusterIP\n"})
    monkeypatch.chdir(repo.root)
    return repo


def changes(run_cli, *args):
    result = run_cli("trust", "changes", "-f", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_lists_configuration_changes_and_new_suppressions(pr, run_cli):
    pr.commit({
        ".portlint.yaml": "fail-on: never\nexclude: [vendor, '*']\naccept:\n  - file: docker-compose.yml\n"
                          "    ports: 6379\n    reason: behind the VPN\n    expires: 2027-06-30\n",
        "docker-compose.yml": REDIS.replace('"6379:6379"', '"6379:6379"  # portlint: disable=PL101 -- until '
                                                          '2027-01-31: firewalled'),
        "k8s/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n"
                        "    portlint.dev/disable: \"PL101: internal only\"\nspec:\n  type: ClusterIP\n",
        "web/pyproject.toml": '[project]\nname = "web"\n\n[tool.portlint]\nignore = ["PL101"]\n',
        "api/pyproject.toml": '[project]\nname = "api"\n',
    })
    doc = changes(run_cli, "HEAD~1")
    assert doc["config_changes"] == [
        {"file": ".portlint.yaml", "status": "changed", "keys": ["accept", "exclude", "fail-on"]},
        {"file": "web/pyproject.toml", "status": "added", "keys": ["ignore"]},
    ]  # api/pyproject.toml does not configure portlint
    assert [(a["how"], a["file"], a["line"], a["codes"], a["reason"], a["expires"]) for a in doc["added"]] == [
        ("accepted", ".portlint.yaml", 4, ["all"], "behind the VPN", "2027-06-30"),
        ("comment", "docker-compose.yml", 5, ["PL101"], "firewalled", "2027-01-31"),
        ("annotation", "k8s/svc.yaml", 6, ["PL101"], "internal only", None),
    ]
    summary = run_cli("trust", "changes", "-f", "markdown", "--checked-with-base", "HEAD~1", "HEAD").stdout
    assert "### Configuration changed" in summary and "base branch's configuration" in summary
    assert "| `docker-compose.yml:5` | comment | `PL101` | firewalled | 2027-01-31 |" in summary


def test_moved_suppressions_and_layout_changes_are_not_new(pr, run_cli):
    pr.commit({"docker-compose.yml": REDIS.replace('"6379:6379"', '"6379:6379"  # portlint: disable=PL101 -- old')})
    pr.commit({"docker-compose.yml": "# a comment on top\n" + REDIS.replace(
        '"6379:6379"', '"6379:6379"  # portlint: disable=PL101 -- old'),
        ".portlint.yaml": "# the gate\nfail-on: low\nexclude:\n  - vendor\n"})
    doc = changes(run_cli, "HEAD~1")
    assert doc["config_changes"] == [] and doc["added"] == []
    text = run_cli("trust", "changes", "HEAD~1").stdout
    assert text == "no configuration change and no suppression or acceptance added\n"
    again = changes(run_cli, "HEAD~2")  # from before the suppression: it is new
    assert [(a["file"], a["line"], a["reason"]) for a in again["added"]] == [("docker-compose.yml", 6, "old")]


def test_untrusted_text_is_neutralised_in_the_summary(pr, run_cli):
    pr.commit({"docker-compose.yml": REDIS.replace(
        '"6379:6379"', '"6379:6379"  # portlint: disable=PL101 -- @admins | <b>ok</b>')})
    summary = run_cli("trust", "changes", "-f", "markdown", "HEAD~1").stdout
    assert "@admins" not in summary and "<b>" not in summary and "\\|" in summary


def test_a_revision_that_is_not_there_is_a_usage_error(pr, run_cli):
    result = run_cli("trust", "changes", "no-such-branch")
    assert result.exit_code == 2 and "'no-such-branch' is not a commit" in result.output


def test_base_configuration_is_written_and_used(pr, run_cli):
    pr.commit({".portlint.yaml": "fail-on: never\nexclude: ['*']\n"})  # the pull request opens its own gate
    assert run_cli("check", ".").exit_code == 0
    result = run_cli("trust", "config", "HEAD~1")
    assert result.exit_code == 0
    words = result.stdout.split("\0")
    assert words[0] == "--config" and words[2] == ""
    written = words[1]
    assert os.path.dirname(written) == str(pr.root) and os.path.basename(written).startswith(".portlint-trusted-")
    assert open(written).read() == "fail-on: low\nexclude: [vendor]\n"
    checked = run_cli("check", "--config", written, "-f", "json", ".")
    assert checked.exit_code == 1 and [f["rule_id"] for f in json.loads(checked.stdout)["findings"]] == ["PL101"]


def test_base_pyproject_table_becomes_the_trusted_configuration(tmp_path, run_cli, monkeypatch):
    repo = Repo(tmp_path / "repo")
    repo.commit({"pyproject.toml": '[project]\nname = "x"\n\n[tool.portlint]\nfail-on = "low"\nignore = ["PL401"]\n',
                 "docker-compose.yml": REDIS})
    repo.commit({"pyproject.toml": '[project]\nname = "x"\n\n[tool.portlint]\nfail-on = "never"\n'})
    monkeypatch.chdir(repo.root)
    written = run_cli("trust", "config", "HEAD~1").stdout.split("\0")[1]
    assert yaml.safe_load(open(written).read()) == {"fail-on": "low", "ignore": ["PL401"]}
    assert run_cli("check", "--config", written, ".").exit_code == 1


def test_base_without_configuration_means_isolated(tmp_path, run_cli, monkeypatch):
    repo = Repo(tmp_path / "repo")
    repo.commit({"docker-compose.yml": REDIS})
    repo.commit({".portlint.yaml": "fail-on: never\n"})
    monkeypatch.chdir(repo.root)
    result = run_cli("trust", "config", "HEAD~1")
    assert result.stdout == "--isolated\0"
    assert not [p for p in os.listdir(repo.root) if p.startswith(".portlint-trusted-")]


def test_arguments_with_their_own_configuration_are_left_alone(pr, run_cli):
    for args in ("--config ci/portlint.yaml", "--isolated", "--config=x.yaml --select PL1"):
        result = run_cli("trust", "config", "--args", args, "HEAD")
        assert result.exit_code == 0 and result.stdout == ""


# -- the action's check step ----------------------------------------------------------------------------

INPUTS = {"format": "github", "fail-on": "medium", "sarif-file": "portlint.sarif", "args": "", "paths": "."}


def _step_script() -> str:
    steps = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]
    script = next(s for s in steps if s.get("id") == "check")["run"]
    return re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: INPUTS[m.group(1)], script)


def _step_inputs() -> dict:
    """The step's environment as GitHub sets it from the inputs (the github.* values come from the test)."""
    steps = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]
    env = next(s for s in steps if s.get("id") == "check").get("env", {})
    pattern = re.compile(r"\$\{\{ inputs\.([a-z-]+) \}\}")
    return {name: pattern.sub(lambda m: INPUTS.get(m.group(1), ""), value)
            for name, value in env.items() if pattern.fullmatch(value)}


FAKE = dedent(r"""
    echo "$*" >> "$LOG"
    if [ "$1 $2" = "trust config" ]; then
      if [ -n "$FAIL_TRUST" ]; then echo "cannot read" >&2; exit 2; fi
      : > "$PWD/.portlint-trusted-x.yaml"
      printf -- '--config\0%s\0' "$PWD/.portlint-trusted-x.yaml"; exit 0
    fi
    if [ "$1 $2" = "trust changes" ]; then printf '## portlint: what this change does to the gate\n'; exit 0; fi
    printf '## portlint\n' > portlint-summary.md
    exit 1
""")


def _run_step(tmp_path, env):
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "portlint").write_text("#!/bin/sh\n" + FAKE)
    (bin_dir / "git").write_text("#!/bin/sh\necho \"git $*\" >> \"$LOG\"\nexit 0\n")
    for tool in ("portlint", "git"):
        (bin_dir / tool).chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    log, summary, output = tmp_path / "log", tmp_path / "summary.md", tmp_path / "output"
    full = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(log), "RUNNER_TEMP": str(tmp_path),
            "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output), **_step_inputs(), **env}
    result = subprocess.run(["bash", "-e", "-c", _step_script()], cwd=work, capture_output=True, text=True, env=full)
    return (result, log.read_text().splitlines() if log.exists() else [],
            summary.read_text() if summary.exists() else "", output.read_text(), work)


def test_pull_request_is_checked_with_the_base_configuration(tmp_path):
    result, log, summary, output, work = _run_step(tmp_path, {"PORTLINT_PR_BASE": "abc123",
                                                              "PORTLINT_TRUSTED_CONFIG": "true"})
    assert result.returncode == 0, result.stderr
    assert log[1] == "trust config --args  -- abc123"
    assert log[2].startswith(f"check --config {work}/.portlint-trusted-x.yaml --format github --fail-on medium")
    assert log[3] == "trust changes --format markdown --checked-with-base -- abc123 HEAD"
    assert "## portlint: what this change does to the gate" in summary and "exit-code=1" in output
    assert not (work / ".portlint-trusted-x.yaml").exists()  # removed after the check


def test_opting_out_or_no_pull_request_uses_the_tree(tmp_path):
    result, log, summary, output, _ = _run_step(tmp_path, {"PORTLINT_PR_BASE": "abc123",
                                                           "PORTLINT_TRUSTED_CONFIG": "false"})
    assert log[0].startswith("check --format github") and "trust config" not in " ".join(log)
    assert log[1] == "trust changes --format markdown -- abc123 HEAD"  # still listed for the reviewer
    (tmp_path / "again").mkdir()
    result, log, summary, output, _ = _run_step(tmp_path / "again", {"PORTLINT_PR_BASE": ""})
    assert log == ["check --format github --fail-on medium --report sarif:portlint.sarif "
                   "--report markdown:portlint-summary.md ."]


def test_unreadable_base_configuration_fails_closed(tmp_path):
    result, log, summary, output, _ = _run_step(tmp_path, {"PORTLINT_PR_BASE": "abc123", "FAIL_TRUST": "1"})
    assert result.returncode == 0 and "exit-code=2" in output
    assert not any(line.startswith("check") for line in log)  # never with the pull request's own configuration
    assert "could not be read, so the pull request was not checked" in summary
    assert "::error title=portlint::" in result.stdout
