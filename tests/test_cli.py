"""The command line through click's CliRunner: output, formats, exit codes."""

from __future__ import annotations

import json

import pytest

from portlint import __version__
from portlint.cli import main
from tests.conftest import dedent

RISKY = dedent("""
    services:
      db:
        image: postgres:16
        ports:
          - "5432:5432"
      web:
        image: nginx
        ports: ["80:80"]
""")
SAFE = dedent("""
    services:
      db:
        image: postgres:16
        ports:
          - "127.0.0.1:5432:5432"
""")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_text_output_and_exit_1(run_cli, project):
    (project / "compose.yaml").write_text(RISKY)
    result = run_cli("check", ".")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("compose.yaml:5:9: PL101 [high] PostgreSQL (5432/tcp)")
    assert lines[0].endswith("(risky-service-public)")
    assert lines[-1] == "1 finding (1 high) in 1 file."
    assert "\x1b[" not in result.stdout  # no colour when not a terminal


def test_colour_on_request(run_cli, project):
    (project / "compose.yaml").write_text(RISKY)
    assert "\x1b[" in run_cli("check", "--color", ".").stdout


def test_clean_project_exits_0(run_cli, project):
    (project / "compose.yaml").write_text(SAFE)
    result = run_cli("check")
    assert result.exit_code == 0 and result.stdout == "0 findings in 1 file.\n"


def test_fail_on_threshold(run_cli, project):
    (project / "compose.yaml").write_text(RISKY)
    assert run_cli("check", "--fail-on", "critical", ".").exit_code == 0
    assert run_cli("check", "--fail-on", "high", ".").exit_code == 1
    assert run_cli("check", "--fail-on", "never", ".").exit_code == 0


def test_ignore_and_select(run_cli, project):
    (project / "compose.yaml").write_text(RISKY)
    assert run_cli("check", "--ignore", "risky-service-public", ".").exit_code == 0
    assert run_cli("check", "--ignore", "PL102,PL101", ".").exit_code == 0
    assert run_cli("check", "--select", "PL301", ".").exit_code == 0
    assert run_cli("check", "--select", "PL101", ".").exit_code == 1


def test_json_output(run_cli, project):
    (project / "compose.yaml").write_text(RISKY)
    result = run_cli("check", "--format", "json", ".")
    doc = json.loads(result.stdout)
    assert result.exit_code == 1
    (finding,) = doc["findings"]
    assert finding["rule_id"] == "PL101" and finding["rule_name"] == "risky-service-public"
    assert (finding["file"], finding["line"], finding["end_line"], finding["column"]) == ("compose.yaml", 5, 5, 9)
    assert finding["port_range"] == [5432, 5432] and finding["target_port_range"] == [5432, 5432]
    assert finding["resource"] == "services.db" and finding["scope"] == "internet"
    assert doc["summary"]["by_severity"]["high"] == 1 and doc["summary"]["files_scanned"] == 1


def test_bad_file_is_reported_and_the_rest_still_checked(run_cli, project):
    (project / "a").mkdir()
    (project / "a" / "compose.yaml").write_text("services:\n  db:\n    ports: [\"5432:5432\"\n")
    (project / "b").mkdir()
    (project / "b" / "compose.yaml").write_text(RISKY)
    (project / "c").mkdir()
    (project / "c" / "compose.yaml").write_text("services:\n  db:\n    ports:\n      - \"99999:5432\"\n")
    result = run_cli("check", "--format", "json", ".")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert [(e["file"], e["line"]) for e in doc["errors"]] == [("a/compose.yaml", 4), ("c/compose.yaml", 4)]
    assert [f["file"] for f in doc["findings"]] == ["b/compose.yaml"]


def test_unreadable_claimed_file(run_cli, project):
    (project / "compose.yaml").write_bytes(b"\xff\xfe\x00services")
    result = run_cli("check", ".")
    assert result.exit_code == 2 and "compose.yaml:1:1: PL001 [error] cannot read file" in result.stdout


def test_listed_files_are_taken_as_given(run_cli, project):
    (project / "compose.yaml").write_text(RISKY)
    (project / "README.md").write_text("# hello\n")
    result = run_cli("check", "README.md", "compose.yaml")
    assert result.exit_code == 1 and "compose.yaml:5:9" in result.stdout


def test_unclaimed_files_are_ignored_quietly(run_cli, project):
    (project / "README.md").write_text("services:\n")
    (project / "values.yaml").write_text("replicas: 3\n")
    (project / "broken.yaml").write_text("a: [\n")
    result = run_cli("check", ".")
    assert result.exit_code == 0 and result.stdout == "0 findings in 0 files.\n"


def test_missing_path_is_a_usage_error(run_cli, project):
    result = run_cli("check", "nope")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_env_file_option(run_cli, project):
    (project / "compose.yaml").write_text('services:\n  c:\n    ports: ["${BIND:-127.0.0.1}:6379:6379"]\n')
    (project / "prod.env").write_text("BIND=0.0.0.0\n")
    assert run_cli("check", ".").exit_code == 0
    result = run_cli("check", "--env-file", "prod.env", ".")
    assert result.exit_code == 1 and "Redis" in result.stdout


def test_exclude_option(run_cli, project):
    (project / "legacy").mkdir()
    (project / "legacy" / "compose.yaml").write_text(RISKY)
    assert run_cli("check", "--exclude", "legacy", ".").exit_code == 0


def test_inventory_table_and_json(run_cli, project):
    (project / "compose.yaml").write_text(RISKY)
    table = run_cli("inventory", ".")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split()[:3] == ["LOCATION", "RESOURCE", "DIR"]
    assert "compose.yaml:5" in table.stdout and "PostgreSQL" in table.stdout
    assert table.stdout.splitlines()[-1] == "2 exposures in 1 file."
    doc = json.loads(run_cli("inventory", "--format", "json", ".").stdout)
    assert [(e["resource"], e["port_range"], e["scope"]) for e in doc["exposures"]] == [
        ("services.db", [5432, 5432], "internet"), ("services.web", [80, 80], "internet")]


def test_main_returns_exit_code(project, capsys):
    (project / "compose.yaml").write_text(RISKY)
    assert main(["check", "."]) == 1
    assert main(["check", "--fail-on", "bogus", "."]) == 2
    assert main(["--version"]) == 0


def test_python_dash_m_entry_point(project):
    import subprocess
    import sys

    (project / "compose.yaml").write_text(RISKY)
    result = subprocess.run([sys.executable, "-m", "portlint", "check", "."], capture_output=True, text=True)
    assert result.returncode == 1 and "PL101" in result.stdout and result.stderr == ""


def test_data_files_are_never_errors_but_claimed_ones_are(run_cli, project):
    (project / "blob.json").write_bytes(b"\x00\x01\x02binary")
    (project / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert run_cli("check", ".").stdout == "0 findings in 0 files.\n"
    (project / "stack.yml").write_bytes("services:\n  db:\n    image: caf\xe9\n".encode("latin-1"))
    result = run_cli("check", ".")
    assert result.exit_code == 2 and "stack.yml:3:1: PL001 [error] cannot read file: not UTF-8 text" in result.stdout


def test_the_console_script_flushes_everything_before_it_ends_the_process(tmp_path, run_cli, monkeypatch):
    """``portlint`` and ``python -m portlint`` end with os._exit (no interpreter teardown): a long
    report written to a pipe must still arrive whole, with the exit status of the run."""
    import os
    import subprocess
    import sys

    for i in range(60):
        (tmp_path / f"app{i}").mkdir()
        (tmp_path / f"app{i}" / "docker-compose.yml").write_text(
            f'services:\n  db:\n    image: postgres\n    ports: ["{5000 + i}:5432"]\n')
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    expected = run_cli("check", "--no-cache", "-f", "json", ".")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTLINT_") and k != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-m", "portlint", "check", "--no-cache", "-f", "json", "."],
                          cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == expected.exit_code == 1
    assert done.stdout == expected.stdout and len(done.stdout) > 20_000
