"""Compose projects as ``docker compose`` loads them: extends (same file and another file),
the default override file, ``!override`` and ``!reset``, and YAML merge-key order."""

from __future__ import annotations

from pathlib import Path

from portlint import limits
from portlint.engine import Options, run


def check(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return run([tmp_path], Options(cwd=tmp_path))


def found(report) -> list[tuple[str, int, str, str]]:
    return sorted((f.location.file, f.location.line, f.rule_id, f.severity.label) for f in report.findings)


def test_same_file_extends_inherits_image_ports_and_host_network(tmp_path):
    report = check(tmp_path, {"compose.yaml": (
        "services:\n"
        "  pg-template:\n"
        "    image: postgres:16\n"
        "    profiles: [never]\n"
        "  db:\n"
        "    extends: pg-template\n"
        "    ports:\n"
        '      - "5433:5432"\n'
        "  host-template:\n"
        "    image: example/agent\n"
        "    network_mode: host\n"
        "  agent:\n"
        "    extends: {service: host-template}\n")})
    assert not report.errors
    db = [f for f in report.findings if f.exposure.resource == "services.db"]
    assert [(f.location.line, f.rule_id, f.severity.label) for f in db] == [(8, "PL101", "high")]
    assert "PostgreSQL" in db[0].message
    agent = [f for f in report.findings if f.exposure.resource == "services.agent"]
    assert [(f.location.line, f.rule_id) for f in agent] == [(11, "PL301")]


def test_extends_from_another_file_points_at_the_inherited_line(tmp_path):
    report = check(tmp_path, {
        "common/base.yml": "services:\n  redis-base:\n    image: redis:7\n    ports:\n      - \"6379:6379\"\n",
        "compose.yaml": ("services:\n"
                         "  cache:\n"
                         "    extends:\n"
                         "      file: common/base.yml\n"
                         "      service: redis-base\n"
                         "    ports:\n"
                         '      - "127.0.0.1:16379:6379"\n')})
    assert not report.errors
    cache = [f for f in report.findings if f.exposure.resource == "services.cache"]
    # the inherited entry is the base file's line; the loopback entry adds nothing
    assert [(f.location.file, f.location.line, f.rule_id, f.severity.label) for f in cache] == [
        ("common/base.yml", 5, "PL101", "critical")]


def test_extends_of_a_missing_service_in_another_file_is_an_error(tmp_path):
    report = check(tmp_path, {
        "base.yml": "services:\n  other:\n    image: redis:7\n",
        "compose.yaml": "services:\n  cache:\n    extends: {file: base.yml, service: redis-base}\n"
                        "    ports: [\"6379:6379\"]\n"})
    assert [(e.file, e.line) for e in report.errors] == [("compose.yaml", 3)]
    assert "base.yml does not define" in report.errors[0].message
    assert ("compose.yaml", 4, "PL101", "critical") in found(report)


def test_extends_cycle_across_files_is_an_error_and_ends(tmp_path):
    report = check(tmp_path, {
        "a.yml": "services:\n  a:\n    extends: {file: compose.yaml, service: web}\n    image: redis:7\n",
        "compose.yaml": "services:\n  web:\n    extends: {file: a.yml, service: a}\n    ports: [\"6379:6379\"]\n"})
    assert any("cycle" in e.message for e in report.errors)
    assert ("compose.yaml", 4, "PL101", "critical") in found(report)


def test_extends_files_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "COMPOSE_FILES", 2)
    files = {f"f{i}.yml": f"services:\n  s:\n    extends: {{file: f{i + 1}.yml, service: s}}\n" for i in range(5)}
    files["f5.yml"] = "services:\n  s:\n    image: redis:7\n"
    files["compose.yaml"] = "services:\n  web:\n    extends: {file: f0.yml, service: s}\n    ports: [\"6379:6379\"]\n"
    report = check(tmp_path, files)
    assert [e.line for e in report.errors if "PORTLINT_MAX_COMPOSE_FILES" in e.message and e.file == "f1.yml"]
    assert ("compose.yaml", 4, "PL101", "critical") in found(report)  # the good entry is still judged


def test_override_file_is_merged_over_the_default_file(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": "services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n"
                        "    ports:\n      - \"6379:6379\"\n",
        "compose.override.yaml": "services:\n  db:\n    ports:\n      - \"15432:15432\"\n"
                                 "  cache:\n    ports: !override\n      - \"127.0.0.1:6379:6379\"\n"})
    assert not report.errors
    # the rebind to loopback replaces the base entry; the override's port names the base file's image
    assert found(report) == [("compose.override.yaml", 4, "PL302", "high")]
    message = report.findings[0].message
    assert "PostgreSQL (postgres:16)" in message and "image is set at compose.yaml:3" in message


def test_override_without_override_tag_appends_and_deduplicates(tmp_path):
    report = check(tmp_path, {
        "docker-compose.yml": "services:\n  cache:\n    image: redis:7\n    ports:\n      - \"6379:6379\"\n",
        "docker-compose.override.yml": "services:\n  cache:\n    ports:\n      - \"6379:6379\"\n"
                                       "      - \"127.0.0.1:8001:8001\"\n"})
    assert not report.errors
    assert found(report) == [("docker-compose.yml", 5, "PL101", "critical")]


def test_reset_removes_ports_and_network_mode(tmp_path):
    report = check(tmp_path, {
        "compose.yaml": "services:\n  cache:\n    image: redis:7\n    network_mode: host\n"
                        "    ports:\n      - \"6379:6379\"\n",
        "compose.override.yaml": "services:\n  cache:\n    network_mode: !reset null\n    ports: !reset []\n"})
    assert not report.errors
    assert found(report) == []


def test_an_override_alone_is_read_on_its_own(tmp_path):
    report = check(tmp_path, {"compose.override.yaml": "services:\n  cache:\n    image: redis:7\n"
                                                       "    ports: [\"6379:6379\"]\n"})
    assert found(report) == [("compose.override.yaml", 4, "PL101", "critical")]


def test_merge_keys_take_the_first_mapping_whatever_the_pyyaml(tmp_path):
    """YAML merge keys: explicit keys win, then the first mapping of the list (pyyaml#953
    reverses that in 6.0.4); the public bind must not be the one Compose keeps."""
    report = check(tmp_path, {"compose.yaml": (
        "x-local: &local\n"
        "  host_ip: 127.0.0.1\n"
        "x-public: &public\n"
        "  host_ip: 0.0.0.0\n"
        "services:\n"
        "  cache:\n"
        "    image: redis:7\n"
        "    ports:\n"
        "      - <<: [*local, *public]\n"
        "        target: 6379\n"
        "        published: 6379\n"
        "      - <<: [*public, *local]\n"
        "        target: 6380\n"
        "        published: 6380\n")})
    assert not report.errors
    exposures = sorted((e.location.line, e.sources) for e in report.exposures)
    assert exposures == [(9, ("127.0.0.1",)), (12, ("0.0.0.0",))]
