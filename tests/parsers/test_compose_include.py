"""Compose ``include`` as docker compose loads it: each entry a project of its own (its folder,
its ``.env``), its services joining the including project, and every problem an error at the
line of the ``include`` entry that caused it."""

from __future__ import annotations

from pathlib import Path

from portlint import limits
from portlint.engine import Options, run


def check(tmp_path: Path, files: dict[str, str], environ: dict[str, str] | None = None, paths=None):
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return run(paths or [tmp_path], Options(cwd=tmp_path, environ=environ or {}, project_root=tmp_path))


def found(report) -> list[tuple[str, int, str, str]]:
    return sorted((f.location.file, f.location.line, f.rule_id, f.severity.label) for f in report.findings)


def errors(report) -> list[tuple[str, int]]:
    return sorted((e.file, e.line) for e in report.errors)


REDIS_SUB = "services:\n  cache:\n    image: redis:7\n    ports:\n      - \"${CACHE_PORT:-6379}:6379\"\n"


def test_short_form_include_joins_the_project_and_is_not_reported_twice(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: nginx:1\n",
        "sub/compose.yaml": REDIS_SUB})
    assert not report.errors
    # one finding, at the included file's line, although sub/compose.yaml is also a checked file
    assert found(report) == [("sub/compose.yaml", 5, "PL101", "critical")]


def test_included_file_takes_its_own_dotenv_and_the_includer_environment_wins(tmp_path):
    files = {"compose.yaml": "include:\n  - sub/cache.yaml\n",
             "sub/cache.yaml": REDIS_SUB, "sub/.env": "CACHE_PORT=16379\n"}
    report = check(tmp_path, files)
    assert [(e.location.file, e.location.line, e.port_range.start) for e in report.exposures] == [
        ("sub/cache.yaml", 5, 16379)]
    # the including project's environment (its .env, the process) overrides the included .env
    (tmp_path / ".env").write_text("CACHE_PORT=26379\n")
    report = check(tmp_path, {})
    assert [e.port_range.start for e in report.exposures] == [26379]


def test_long_form_with_path_list_project_directory_and_env_file(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": ("include:\n"
                         "  - path:\n"
                         "      - stack/base.yaml\n"
                         "      - stack/public.yaml\n"
                         "    project_directory: stack\n"
                         "    env_file: stack/prod.env\n"),
        "stack/base.yaml": "services:\n  db:\n    image: postgres:16\n    ports:\n      - \"127.0.0.1:${PG}:5432\"\n",
        "stack/public.yaml": "services:\n  db:\n    ports: !override\n      - \"${PG}:5432\"\n",
        "stack/prod.env": "PG=5433\n"})
    assert not report.errors
    # the second path is merged over the first; the image comes from the first
    assert found(report) == [("stack/public.yaml", 4, "PL101", "high")]
    assert [e.port_range.start for e in report.exposures] == [5433]
    assert report.exposures[0].image == "postgres:16"


def test_nested_include_is_relative_to_the_included_project(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": "include:\n  - a/compose.yaml\n",
        "a/compose.yaml": "include:\n  - b/compose.yaml\n",
        "a/b/compose.yaml": REDIS_SUB})
    assert not report.errors
    assert found(report) == [("a/b/compose.yaml", 5, "PL101", "critical")]


def test_missing_included_file_is_an_error_at_the_entry_and_others_keep_findings(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": ("include:\n"
                         "  - missing.yaml\n"
                         "  - sub/compose.yaml\n"
                         "services:\n  db:\n    image: postgres:16\n    ports: [\"5432:5432\"]\n"),
        "sub/compose.yaml": REDIS_SUB})
    assert errors(report) == [("compose.yaml", 2)]
    assert "missing.yaml does not exist" in report.errors[0].message
    assert found(report) == [("compose.yaml", 7, "PL101", "high"), ("sub/compose.yaml", 5, "PL101", "critical")]


def test_include_outside_the_project_root_is_not_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.yaml").write_text(REDIS_SUB)
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1\ninclude:\n  - ../outside/evil.yaml\n")
    report = run([project], Options(cwd=project, environ={}, project_root=project))
    assert [(e.file, e.line) for e in report.errors] == [("compose.yaml", 5)]
    assert "outside the project root" in report.errors[0].message
    assert report.exposures == []


def test_include_cycle_is_an_error_and_ends(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": "include:\n  - other.yaml\nservices:\n  db:\n    image: postgres:16\n    ports: [\"5432:5432\"]\n",
        "other.yaml": "include:\n  - compose.yaml\nservices:\n  cache:\n    image: redis:7\n    ports: [\"6379:6379\"]\n"})
    cycles = [(e.file, e.line) for e in report.errors if "include cycle" in e.message]
    assert ("other.yaml", 2) in cycles
    assert ("compose.yaml", 6, "PL101", "high") in found(report)
    assert ("other.yaml", 6, "PL101", "critical") in found(report)


def test_service_defined_in_includer_and_included_file_is_a_conflict(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": ("include:\n"
                         "  - sub/compose.yaml\n"
                         "services:\n"
                         "  cache:\n"
                         "    image: redis:7\n"
                         "    ports: [\"127.0.0.1:6379:6379\"]\n"),
        "sub/compose.yaml": REDIS_SUB})
    assert errors(report) == [("compose.yaml", 2)]
    assert "'cache'" in report.errors[0].message and "conflict" in report.errors[0].message
    # the includer's definition stands (loopback): no finding from the included one
    assert found(report) == []


def test_identical_definition_in_two_included_files_is_no_conflict(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": "include:\n  - a.yaml\n  - b.yaml\n",
        "a.yaml": REDIS_SUB, "b.yaml": REDIS_SUB})
    assert not report.errors
    assert found(report) == [("a.yaml", 5, "PL101", "critical")]


def test_malformed_entries_cost_only_themselves(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": ("include:\n"
                         "  - 42\n"
                         "  - path: sub/compose.yaml\n"
                         "    required: false\n"
                         "  - {project_directory: x}\n"
                         "  - sub/compose.yaml\n"),
        "sub/compose.yaml": REDIS_SUB})
    assert errors(report) == [("compose.yaml", 2), ("compose.yaml", 3), ("compose.yaml", 5)]
    assert found(report) == [("sub/compose.yaml", 5, "PL101", "critical")]


def test_include_that_is_not_a_list_is_an_error(tmp_path):
    report = check(tmp_path, {"compose.yaml": "include: sub/compose.yaml\nservices:\n  web:\n    image: nginx:1\n",
                              "sub/compose.yaml": REDIS_SUB})
    assert ("compose.yaml", 1) in errors(report)
    # the include was not followed, so sub/compose.yaml is a project of its own
    assert found(report) == [("sub/compose.yaml", 5, "PL101", "critical")]


def test_included_files_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "COMPOSE_FILES", 3)
    files = {f"f{i}.yml": f"include:\n  - f{i + 1}.yml\n" for i in range(6)}
    files["f6.yml"] = REDIS_SUB
    files["compose.yaml"] = "include:\n  - f0.yml\nservices:\n  db:\n    image: postgres:16\n    ports: [\"5432:5432\"]\n"
    report = check(tmp_path, files, paths=[tmp_path / "compose.yaml"])
    assert [(e.file, e.line) for e in report.errors if "PORTLINT_MAX_COMPOSE_FILES" in e.message] == [("f2.yml", 2)]
    assert found(report) == [("compose.yaml", 6, "PL101", "high")]


def test_include_path_with_unset_variable_is_an_error(tmp_path):
    report = check(tmp_path, {"compose.yaml": "include:\n  - ${STACK}/compose.yaml\n",
                              "prod/compose.yaml": REDIS_SUB}, paths=[tmp_path / "compose.yaml"])
    assert errors(report) == [("compose.yaml", 2)] and "STACK" in report.errors[0].message
    report = check(tmp_path, {}, environ={"STACK": "prod"}, paths=[tmp_path / "compose.yaml"])
    assert not report.errors and found(report) == [("prod/compose.yaml", 5, "PL101", "critical")]


def test_included_default_file_with_its_own_override_stays_a_project_without_duplicates(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": "include:\n  - sub/compose.yaml\n",
        "sub/compose.yaml": REDIS_SUB,
        "sub/compose.override.yaml": "services:\n  cache:\n    ports:\n      - \"8001:8001\"\n"})
    assert not report.errors
    rows = found(report)
    assert rows.count(("sub/compose.yaml", 5, "PL101", "critical")) == 1
    assert [r for r in rows if r[0] == "sub/compose.override.yaml"]  # docker compose up in sub/ merges it
