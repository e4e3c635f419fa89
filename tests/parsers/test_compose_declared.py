"""Compose projects declared in ``.portlint.yaml`` (``compose-projects``): files merged in order as
``docker compose -f a -f b`` merges them, with the project's own env file."""

from __future__ import annotations

import json
from pathlib import Path

from portlint.engine import Options, run

BASE = "services:\n  db:\n    image: postgres:16\n    ports:\n      - \"127.0.0.1:5432:5432\"\n"
PROD = "services:\n  db:\n    ports: !override\n      - \"${DB_PORT}:5432\"\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def engine(root: Path, projects, paths=None):
    return run(paths or [root], Options(cwd=root, environ={}, project_root=root, compose_projects=projects))


def test_declared_project_merges_files_in_order_with_its_env_file(tmp_path):
    write(tmp_path, {"deploy/base.yaml": BASE, "deploy/prod.yaml": PROD, "deploy/prod.env": "DB_PORT=15432\n"})
    project = ((tmp_path / "deploy/base.yaml", tmp_path / "deploy/prod.yaml"), (tmp_path / "deploy/prod.env",),
               ".portlint.yaml", 2)
    report = engine(tmp_path, (project,))
    assert not report.errors
    # prod.yaml's entry replaces the loopback one and takes the image set in base.yaml
    assert [(f.location.file, f.location.line, f.rule_id) for f in report.findings] == [
        ("deploy/prod.yaml", 4, "PL101")]
    assert report.exposures[0].port_range.start == 15432 and report.exposures[0].image == "postgres:16"


def test_without_the_declaration_each_file_stands_alone(tmp_path):
    write(tmp_path, {"deploy/base.yaml": BASE, "deploy/prod.yaml": PROD, "deploy/prod.env": "DB_PORT=15432\n"})
    report = engine(tmp_path, ())
    # prod.yaml alone: no image, no port value; base.yaml alone: loopback
    assert [e.location.file for e in report.exposures] == ["deploy/base.yaml", "deploy/prod.yaml"]
    assert report.exposures[1].image == ""


def test_declared_missing_file_is_an_error_at_the_configuration_line(tmp_path):
    write(tmp_path, {"deploy/base.yaml": BASE})
    project = ((tmp_path / "deploy/base.yaml", tmp_path / "deploy/gone.yaml"), (), ".portlint.yaml", 3)
    report = engine(tmp_path, (project,))
    assert [(e.file, e.line) for e in report.errors] == [(".portlint.yaml", 3)]
    assert "deploy/gone.yaml does not exist" in report.errors[0].message
    assert [e.location.file for e in report.exposures] == ["deploy/base.yaml"]  # read without it


def test_declared_project_is_checked_where_its_first_file_is_checked(tmp_path):
    write(tmp_path, {"deploy/base.yaml": BASE, "deploy/prod.yaml": PROD})
    project = ((tmp_path / "deploy/base.yaml", tmp_path / "deploy/prod.yaml"), (), ".portlint.yaml", 2)
    only_prod = engine(tmp_path, (project,), paths=[tmp_path / "deploy/prod.yaml"])
    assert only_prod.exposures == [] and not only_prod.errors
    only_base = engine(tmp_path, (project,), paths=[tmp_path / "deploy/base.yaml"])
    assert [(e.location.file, e.location.line) for e in only_base.exposures] == [("deploy/prod.yaml", 4)]


def test_configuration_key_reaches_the_parser(tmp_path, run_cli, monkeypatch):
    (tmp_path / ".git").mkdir()
    write(tmp_path, {
        "deploy/base.yaml": BASE, "deploy/prod.yaml": PROD, "deploy/prod.env": "DB_PORT=15432\n",
        ".portlint.yaml": ("compose-projects:\n"
                           "  - files: [deploy/base.yaml, deploy/prod.yaml]\n"
                           "    env-file: deploy/prod.env\n")})
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "--format", "json", ".")
    rows = [(f["file"], f["line"], f["rule_id"]) for f in json.loads(result.stdout)["findings"]]
    assert rows == [("deploy/prod.yaml", 4, "PL101")]


def test_configuration_naming_a_file_outside_the_project_is_refused(tmp_path, run_cli, monkeypatch):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(tmp_path, {"elsewhere.yaml": PROD})
    write(root, {"base.yaml": BASE, ".portlint.yaml": ("fail-on: never\ncompose-projects:\n"
                                                       "  - files: [base.yaml, ../elsewhere.yaml]\n")})
    monkeypatch.chdir(root)
    result = run_cli("check", "--format", "json", ".")
    doc = json.loads(result.stdout)
    assert [(e["file"], e["line"]) for e in doc["errors"]] == [(".portlint.yaml", 3)]
    assert "outside the project root" in doc["errors"][0]["message"]
    assert doc["findings"] == []  # base.yaml alone: loopback


def test_schema_rejects_a_project_without_files(tmp_path, run_cli, monkeypatch):
    (tmp_path / ".git").mkdir()
    write(tmp_path, {"compose.yaml": BASE, ".portlint.yaml": "compose-projects:\n  - env-file: x.env\n"})
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", ".")
    assert result.exit_code == 2 and "files" in result.output
