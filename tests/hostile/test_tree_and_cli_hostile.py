"""Hostile trees and command lines: discovery, outputs, configuration, baselines, entry points.

Each case puts one hostile thing beside a good risky Compose file whose
finding must survive, and asserts the exit status (2: the check could not
complete) and the message naming the bad file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portlint import limits
from portlint.cli import main

RISKY = (
    "services:\n"
    "  db:\n"
    "    image: postgres:16\n"
    "    ports:\n"
    '      - "5432:5432"\n'
)
GOOD = "good/compose.yaml:5:9: PL101"


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """``tmp_path/outside`` (never to be read or written) and the checked ``tmp_path/tree`` (cwd, a git top)."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "compose.yaml").write_text('services:\n  s:\n    ports: ["4444:4444"]\n')
    root = tmp_path / "tree"
    (root / ".git").mkdir(parents=True)
    (root / "good").mkdir()
    (root / "good" / "compose.yaml").write_text(RISKY)
    monkeypatch.chdir(root)
    return root


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def errors_of(out: str) -> list[tuple[str, int, str]]:
    return [(e["file"], e["line"], e["message"]) for e in json.loads(out)["errors"]]


def findings_of(out: str) -> list[tuple[str, int]]:
    return [(f["file"], f["line"]) for f in json.loads(out)["findings"]]


# --- discovery -------------------------------------------------------------------------------------------------

def test_fifo_claimed_by_name_is_reported_never_read(tree, capsys):
    os.mkfifo(tree / "docker-compose.yml")
    os.mkfifo(tree / "notes.txt")  # nobody wants it: skipped quietly
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    assert errors_of(out) == [("docker-compose.yml", 1, "not a regular file (a FIFO, device or socket is never read)")]
    assert findings_of(out) == [("good/compose.yaml", 5)]


def test_fifo_named_on_the_command_line(tree, capsys):
    os.mkfifo(tree / "stack.yml")
    code, out, _ = run(capsys, "check", "stack.yml", "good/compose.yaml")
    assert code == 2
    assert "stack.yml:1:1: PL001 [error] not a regular file" in out and GOOD in out


def test_fifo_with_a_sniffed_suffix_is_never_opened(tree, capsys):
    os.mkfifo(tree / "stack.yml")  # would need its content read to know whether it is Compose
    code, out, _ = run(capsys, "check", ".")
    assert code == 1 and GOOD in out


def test_link_to_dev_zero_is_not_read(tree, capsys):
    os.symlink("/dev/zero", tree / "compose.override.yaml")
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    ((file, line, message),) = errors_of(out)
    assert (file, line) == ("compose.override.yaml", 1)
    assert "outside the project root" in message and "not followed" in message
    assert findings_of(out) == [("good/compose.yaml", 5)]


def test_link_out_of_the_project_is_not_followed(tree, capsys):
    os.symlink(tree.parent / "outside", tree / "vendored")
    os.symlink(tree.parent / "outside" / "compose.yaml", tree / "compose.yaml")
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    assert [(f, line) for f, line, _ in errors_of(out)] == [("compose.yaml", 1), ("vendored", 1)]
    assert "4444" not in out and findings_of(out) == [("good/compose.yaml", 5)]


def test_link_inside_the_project_is_followed(tree, capsys):
    (tree / "alias").symlink_to(tree / "good")
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 1  # the folder is checked once, under the name met first
    assert findings_of(out) == [("alias/compose.yaml", 5)]


def test_link_to_itself_and_a_folder_loop(tree, capsys):
    os.symlink("compose.yaml", tree / "compose.yaml")
    (tree / "deep").mkdir()
    os.symlink("..", tree / "deep" / "up")
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    errors = {file: message for file, _, message in errors_of(out)}
    assert set(errors) == {"compose.yaml", "deep/up"}
    assert "loop" in errors["compose.yaml"] and "loop" in errors["deep/up"]
    assert findings_of(out) == [("good/compose.yaml", 5)]


def test_link_loop_named_on_the_command_line(tree, capsys):
    os.symlink("self.yml", tree / "self.yml")
    code, out, _ = run(capsys, "check", "self.yml", "good")
    assert code == 2 and "self.yml:1:1: PL001 [error] symbolic link loop" in out and GOOD in out


def test_folder_depth_limit(tree, capsys, monkeypatch):
    monkeypatch.setattr(limits, "DEPTH", 3)
    deep = tree / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    (deep / "compose.yaml").write_text(RISKY)
    (tree / "a" / "b" / "compose.yaml").write_text(RISKY)  # depth 2: still checked
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    ((file, line, message),) = errors_of(out)
    assert file == "a/b/c/d" and "PORTLINT_MAX_DEPTH" in message and "3" in message
    assert findings_of(out) == [("a/b/compose.yaml", 5), ("good/compose.yaml", 5)]


def test_file_count_limit_shares_out_the_files(tree, capsys, monkeypatch):
    monkeypatch.setattr(limits, "FILES", 4)
    (tree / "bad").mkdir()
    for i in range(10):
        (tree / "bad" / f"f{i}.tf").write_text("")
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    assert errors_of(out) == [("bad", 1, "7 files in this folder were not checked: the number of files to check "
                                         "(11 found) exceeds portlint's limit of 4 (raise it with "
                                         "PORTLINT_MAX_FILES; see docs/security.md)")]
    assert findings_of(out) == [("good/compose.yaml", 5)]


def test_walk_stops_at_four_times_the_file_limit(tree, capsys, monkeypatch):
    monkeypatch.setattr(limits, "FILES", 2)
    for i in range(12):
        (tree / f"x{i:02}.txt").write_text("")
    code, out, _ = run(capsys, "check", "-f", "json", "good", ".")
    assert code == 2
    assert any("PORTLINT_MAX_FILES" in m and "walk stopped" in m for _, _, m in errors_of(out))
    assert findings_of(out) == [("good/compose.yaml", 5)]


def test_path_longer_than_the_os_allows(tree, capsys):
    name = "d" * 200
    fd = os.open(tree, os.O_RDONLY)
    try:
        for _ in range(25):  # 25 * 201 characters: over PATH_MAX (4096) but each step is legal
            os.mkdir(name, dir_fd=fd)
            new = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
    finally:
        os.close(fd)
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    ((file, line, message),) = errors_of(out)
    assert file.startswith("d" * 200) and "longer than the operating system allows" in message
    assert findings_of(out) == [("good/compose.yaml", 5)]


# --- --project-root ---------------------------------------------------------------------------------------------

def test_project_root_option_confines_links(tree, capsys):
    (tree / "sub").mkdir()
    (tree / "sub" / "compose.yaml").write_text(RISKY)
    os.symlink(tree / "good" / "compose.yaml", tree / "sub" / "docker-compose.yml")
    code, out, _ = run(capsys, "check", "-f", "json", "--project-root", "sub", "sub")
    assert code == 2
    # paths are shown relative to the project root (issue 13, point 5)
    assert [(f, line) for f, line, _ in errors_of(out)] == [("docker-compose.yml", 1)]
    assert findings_of(out) == [("compose.yaml", 5)]
    code, out, _ = run(capsys, "check", "-f", "json", "sub")  # the git top level: the link stays inside
    assert code == 1 and findings_of(out) == [("sub/compose.yaml", 5), ("sub/docker-compose.yml", 5)]


# --- exit codes and internal errors ----------------------------------------------------------------------------

def test_an_internal_error_is_one_line_and_exit_2(tree, capsys, monkeypatch):
    from portlint import engine

    def broken(*args, **kwargs):
        raise RuntimeError("rule blew up\n::error file=x::forged")

    monkeypatch.setattr(engine, "evaluate", broken)
    code = main(["check", "."])
    out, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err
    assert err == ("portlint: internal error: RuntimeError: rule blew up\\x0a::error file=x::forged "
                   "(run with --debug for the traceback)\n")
    code = main(["check", "--debug", "."])
    assert code == 2 and "Traceback" in capsys.readouterr().err


# --- baselines --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content, expected", [
    (b"[]", "expected a JSON object, got a list"),
    (b"5", "expected a JSON object, got a number"),
    (b'{"findings": 3}', "'findings' must be an object of fingerprints, got a number"),
    (b'{"findings": {"abc": 7}}', "finding 'abc' must be an object, got a number"),
    (b'{"findings": {"abc": {"count": "many"}}}', "count must be a whole number"),
    (b"not json", "not JSON at line 1"),
    (b"\x00\x01binary", "binary, not text"),
    (b"[" * 100_000, "nested too deeply at line 1"),
], ids=["list", "number", "findings-number", "entry-number", "count-text", "not-json", "binary", "deep"])
def test_bad_baseline_is_a_usage_error(tree, capsys, content, expected):
    (tree / "baseline.json").write_bytes(content)
    code, _, err = run(capsys, "check", "--baseline", "baseline.json", ".")
    assert code == 2 and "baseline.json" in err and expected in err


def test_baseline_fifo_is_refused(tree, capsys):
    os.mkfifo(tree / "baseline.json")
    code, _, err = run(capsys, "check", "--baseline", "baseline.json", ".")
    assert code == 2 and "not a regular file" in err


# --- output files ----------------------------------------------------------------------------------------------

def test_output_through_a_link_is_refused(tree, capsys):
    victim = tree.parent / "outside" / "victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, tree / "report.txt")
    for args in (["-o", "report.txt"], ["--report", "sarif:report.txt"], ["--write-baseline", "report.txt"]):
        code, _, err = run(capsys, "check", *args, ".")
        assert code == 2 and "report.txt" in err and "symbolic link" in err, args
    assert victim.read_text() == "keep me"


def test_output_through_a_linked_folder_is_refused(tree, capsys):
    os.symlink(tree.parent / "outside", tree / "reports")
    code, _, err = run(capsys, "check", "-o", "reports/out.txt", ".")
    assert code == 2 and "reports is a symbolic link" in err
    assert not (tree.parent / "outside" / "out.txt").exists()


def test_output_over_a_checked_file_is_refused(tree, capsys):
    for args in (["-o", "good/compose.yaml"], ["--report", "json:good/compose.yaml"]):
        code, _, err = run(capsys, "check", *args, ".")
        assert code == 2 and "being checked" in err
    os.link(tree / "good" / "compose.yaml", tree / "hardlink.txt")
    code, _, err = run(capsys, "check", "--write-baseline", "hardlink.txt", "good")
    assert code == 2 and "being checked" in err
    assert (tree / "good" / "compose.yaml").read_text() == RISKY


def test_output_write_failure_exits_2(tree, capsys):
    (tree / "afile").write_text("")
    code, _, err = run(capsys, "check", "-o", "afile/out.txt", ".")
    assert code == 2 and "cannot write afile/out.txt" in err


def test_output_to_a_good_path_still_works(tree, capsys):
    code, out, _ = run(capsys, "check", "-o", "out/report.txt", "--report", "json:out/r.json", ".")
    assert code == 1 and out == "" and GOOD in (tree / "out" / "report.txt").read_text()


# --- configuration ---------------------------------------------------------------------------------------------

def test_config_link_out_of_the_project_is_refused(tree, capsys):
    (tree.parent / "outside" / "cfg.yaml").write_text("fail-on: never\n")
    os.symlink(tree.parent / "outside" / "cfg.yaml", tree / ".portlint.yaml")
    code, _, err = run(capsys, "check", ".")
    assert code == 2 and ".portlint.yaml" in err and "outside the project root" in err


def test_config_fifo_is_refused(tree, capsys):
    os.mkfifo(tree / ".portlint.yaml")
    code, _, err = run(capsys, "check", ".")
    assert code == 2 and "not a regular file" in err


def test_config_rules_dir_outside_the_project(tree, capsys):
    (tree / ".portlint.yaml").write_text("fail-on: high\nrules-dir:\n  - rules\n  - ../outside\n")
    (tree / "rules").mkdir()
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    ((file, line, message),) = errors_of(out)
    assert (file, line) == (".portlint.yaml", 4) and "'../outside' is outside the project root" in message
    assert findings_of(out) == [("good/compose.yaml", 5)]
    code, out, _ = run(capsys, "check", "-f", "json", "--config", ".portlint.yaml", ".")
    assert code == 2 and [f for f, _, _ in errors_of(out)] == [".portlint.yaml"]


def test_config_cannot_run_code(tree, capsys):
    marker = tree.parent / "outside" / "ran"
    (tree / ".portlint.yaml").write_text(f"fail-on: !!python/object/apply:os.system ['touch {marker}']\n")
    code, _, err = run(capsys, "check", ".")
    assert code == 2 and ".portlint.yaml:1" in err
    assert not marker.exists()


# --- python -m portlint -----------------------------------------------------------------------------------------

def test_python_dash_m_does_not_import_from_the_current_folder(tree):
    marker = tree.parent / "outside" / "imported"
    (tree / "evilplug.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\n"
        "from portlint.checks import Rule\n"
        "class Evil(Rule):\n    code = 'EV001'\n    name = 'evil'\n"
        "def rules():\n    return [Evil]\n")
    dist = tree / "evilplug-1.0.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text("[portlint.rules]\nevil = evilplug:rules\n"
                                           "[portlint.parsers]\nevil = evilplug:Evil\n")
    (dist / "METADATA").write_text("Name: evilplug\nVersion: 1.0\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "portlint", "check", "."], capture_output=True, text=True,
                            cwd=tree, env=env, timeout=60)
    assert result.returncode == 1, result.stderr
    assert GOOD in result.stdout and not marker.exists()


# --- rule files ------------------------------------------------------------------------------------------------

RULE = ("rules:\n  - code: ACME901\n    name: acme-redis\n    severity: high\n    summary: Redis open\n"
        "    message: '{resource} opens {ports}'\n    match:\n      ports: [5432]\n")


def test_a_bad_rule_file_costs_only_itself(tree, capsys):
    (tree / "rules").mkdir()
    (tree / "rules" / "a-good.yaml").write_text(RULE)
    (tree / "rules" / "b-broken.yaml").write_text("rules: [\n")
    (tree.parent / "outside" / "secret.yaml").write_text(RULE.replace("ACME901", "ACME902"))
    os.symlink(tree.parent / "outside" / "secret.yaml", tree / "rules" / "c-link.yaml")
    (tree / ".portlint.yaml").write_text("rules-dir: [rules]\n")
    code, out, _ = run(capsys, "check", "-f", "json", ".")
    assert code == 2
    errors = errors_of(out)
    # the link is refused twice: by the walk of the tree and by the rule loader
    assert {(f, line) for f, line, _ in errors} == {("rules/b-broken.yaml", 2), ("rules/c-link.yaml", 1)}
    assert all("outside" in m for f, _, m in errors if f == "rules/c-link.yaml")
    found = [(f["rule_id"], f["file"], f["line"]) for f in json.loads(out)["findings"]]
    assert found == [("ACME901", "good/compose.yaml", 5), ("PL101", "good/compose.yaml", 5)]
