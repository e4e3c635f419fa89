"""Hostile Compose input: each bad service or file beside a good risky one whose finding must survive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portlint import limits
from portlint.parsers import ParseContext, SourceFile
from portlint.parsers.compose import ComposeParser
from portlint.parsers.interpolation import InterpolationError, interpolate, parse_env_file
from tests.conftest import run_tree

GOOD = '  mongo:\n    image: mongo:7\n    ports:\n      - "27017:27017"\n'  # finding on its 4th line


def errors_of(report):
    return sorted((e.file, e.line) for e in report.errors)


def findings_of(report):
    return sorted((f.location.file, f.location.line, f.rule_id) for f in report.findings)


def messages(report):
    return " | ".join(e.message for e in report.errors)


@pytest.mark.parametrize("bad, line, message", [
    pytest.param('  web:\n    image: "${"\n    ports: ["80:80"]\n', 3, "unterminated variable reference",
                 id="image-unterminated-interpolation"),
    pytest.param('  web:\n    image: [nginx]\n', 3, "image must be a string, got a list", id="image-a-list"),
    pytest.param('  web:\n    image: nginx\n    ports: ["${:-}:80"]\n', 4, "invalid variable name",
                 id="port-bad-interpolation"),
    pytest.param('  web:\n    image: nginx\n    ports:\n      - "99999:80"\n', 5, "outside 1-65535",
                 id="port-out-of-range"),
    pytest.param('  web:\n    image: nginx\n    ports:\n      - "²:80"\n', 5, "is not a port", id="superscript"),
    pytest.param('  web:\n    image: nginx\n    ports:\n      - "١٢:80"\n', 5, "is not a port",
                 id="arabic-digits"),
    pytest.param('  web:\n    image: nginx\n    ports:\n      - "300.1.1.1:80:80"\n', 5, "not an IP address",
                 id="ip-300"),
    pytest.param('  web:\n    image: nginx\n    ports: {a: b}\n', 4, "ports must be a list", id="ports-a-map"),
    pytest.param('  web:\n    image: nginx\n    network_mode: [host]\n', 4, "network_mode: must be a string",
                 id="network-mode-a-list"),
    pytest.param('  web: nginx\n', 2, "must be a mapping, found a string", id="service-a-string"),
    pytest.param('  web:\n    extends: web\n', 3, "extends forms a cycle (web -> web)", id="extends-self"),
    pytest.param('  web:\n    image: !!python/object/apply:os.system ["touch PWNED"]\n', 3,
                 "unsupported YAML tag", id="python-tag"),
    pytest.param('  web:\n    image: "${A:-' + "${A:-" * 100 + "x" + "}" * 101 + '"\n', 3,
                 "PORTLINT_MAX_INTERPOLATION_DEPTH", id="nested-defaults"),
    pytest.param('  db:\n    image: pg\n    ports: ["5432:5432"]\n    ports: []\n', 5,
                 "duplicate key 'ports' (first at line 4)", id="duplicate-key"),
])
def test_a_bad_service_costs_only_itself(tmp_path, bad, line, message):
    report = run_tree(tmp_path, {"compose.yaml": "services:\n" + bad + GOOD, "other/compose.yaml": "services:\n" + GOOD})
    assert errors_of(report) == [("compose.yaml", line)], messages(report)
    assert message in messages(report)
    good_line = 1 + bad.count("\n") + 4
    assert ("compose.yaml", good_line, "PL101") in findings_of(report)
    assert ("other/compose.yaml", 5, "PL101") in findings_of(report)
    assert not (tmp_path / "PWNED").exists()


def test_duplicate_service_keeps_the_last_and_says_so(tmp_path):
    report = run_tree(tmp_path, {"compose.yaml": "services:\n" + GOOD.replace("mongo:\n", "db:\n", 1)
                                 + GOOD.replace("mongo:\n", "db:\n", 1).replace("27017", "6379")})
    assert errors_of(report) == [("compose.yaml", 6)] and "duplicate key 'db' (first at line 2)" in messages(report)
    # the kept service runs mongo on 6379: the image, not the port, names it (PL302, MongoDB's severity)
    assert ("compose.yaml", 9, "PL302") in findings_of(report)


def test_billion_laughs_in_compose_is_refused_at_its_alias(tmp_path):
    bomb = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    bomb += [f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 10)]
    report = run_tree(tmp_path, {"bad/compose.yaml": "x-bomb:\n" + "\n".join(bomb) + "\nservices:\n" + GOOD,
                                 "compose.yaml": "services:\n" + GOOD})
    assert errors_of(report) == [("bad/compose.yaml", 6)] and "YAML_ALIAS_NODES" in messages(report)
    assert ("compose.yaml", 5, "PL101") in findings_of(report)


def test_exposures_per_file_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "EXPOSURES_PER_FILE", 50)
    ports = "".join(f'      - "{p}:80"\n' for p in range(10000, 10100))
    report = run_tree(tmp_path, {"compose.yaml": "services:\n" + GOOD + "  web:\n    image: nginx\n    ports:\n" + ports})
    assert errors_of(report) == [("compose.yaml", 58)]  # the 50th entry of web is the 51st exposure
    assert "PORTLINT_MAX_EXPOSURES_PER_FILE" in messages(report)
    assert ("compose.yaml", 5, "PL101") in findings_of(report)


def test_full_ranges_stay_ranges(tmp_path):
    report = run_tree(tmp_path, {"compose.yaml": "services:\n  web:\n    image: x\n    ports:\n"
                                 + '      - "1-65535:1-65535"\n' * 200})
    exposures = [e for e in report.exposures if e.resource == "services.web"]
    assert len(exposures) == 200 and all(e.port_range.size == 65535 for e in exposures)


@pytest.mark.parametrize("make, message", [
    pytest.param(lambda p: os.mkfifo(p), "not a regular file", id="fifo"),
    pytest.param(lambda p: os.symlink("/dev/zero", p), "outside the project root", id="dev-zero"),
    pytest.param(lambda p: os.symlink(".env", p), "loop", id="self-link"),
    # too many lines: reported in the .env file at the line that hit ENV_LINES (test_review_fixes_a.py)
])
def test_bad_env_file_is_reported_on_the_compose_file(tmp_path, monkeypatch, make, message):
    monkeypatch.setattr(limits, "ENV_LINES", 100)
    make(tmp_path / "bad" / ".env") if (tmp_path / "bad").mkdir() is None else None
    report = run_tree(tmp_path, {"bad/compose.yaml": 'services:\n  web:\n    image: x\n    ports: ["${P:-8080}:80"]\n'
                                 + GOOD, "compose.yaml": "services:\n" + GOOD})
    # discovery may name the link itself too; the Compose file says why its variables are missing
    assert ("bad/compose.yaml", 1) in errors_of(report), messages(report)
    assert {file for file, _ in errors_of(report)} <= {"bad/compose.yaml", "bad/.env"}
    assert "env file bad/.env" in messages(report) and message in messages(report)
    assert ("bad/compose.yaml", 8, "PL101") in findings_of(report)
    assert ("compose.yaml", 5, "PL101") in findings_of(report)


def test_env_file_outside_the_project_is_not_read(tmp_path):
    outside = tmp_path / "outside.env"
    outside.write_text("P=5432\n")
    root = tmp_path / "proj"
    parser = ComposeParser()
    ctx = ParseContext(env_files=(outside,), project_root=root, display_path=lambda p: p.name)
    source = SourceFile(root / "compose.yaml", "compose.yaml",
                        'services:\n  web:\n    image: x\n    ports: ["${P:-8080}:80"]\n'
                        '    env_file: ../../etc/secret.env\n')
    outcome = parser.parse_file(source, ctx)
    assert [(e.line, e.message) for e in outcome.errors] == [
        (1, f"env file outside.env is outside the project root {root}; not read"),
        (5, f"services.web.env_file '../../etc/secret.env' is outside the project root {root}")]
    assert [str(e.port_range) for e in outcome.exposures] == ["8080"]  # P was never read


def test_extends_outside_the_project_is_an_error_not_followed(tmp_path):
    (tmp_path / "secret.yaml").write_text("services:\n  base:\n    image: secret\n")
    report = run_tree(tmp_path / "proj", {"compose.yaml": "services:\n  web:\n    extends:\n"
                                          "      file: ../secret.yaml\n      service: base\n" + GOOD})
    assert errors_of(report) == [("compose.yaml", 4)] and "outside the project root" in messages(report)
    assert ("compose.yaml", 9, "PL101") in findings_of(report)


def test_env_parsing_is_linear_on_hostile_lines():
    # these shapes were quadratic with the old regexes; here they are bounded by plain scanning
    text = ("A=" + " " * 20000 + "x" + " " * 20000 + "y\n") * 5 + ("B" + " " * 20000 + "\n") * 5 \
        + 'Q="never closed\n' + "line\n" * 5000 + "PORT=5432\n"
    values = parse_env_file(text)
    assert values["A"] == "x" + " " * 20000 + "y" and "PORT" not in values  # swallowed by the open quote
    many = "".join(f"K{i}=${{K{i - 1}:-v}}\n" if i else "K0=v\n" for i in range(20000))
    assert parse_env_file(many)["K19999"] == "v"


@pytest.mark.parametrize("text", ["${" * 50000, "$$" * 100000, "${A:-" * 20000 + "}" * 20000,
                                  "${A}" * 50000 + "${"])
def test_interpolation_is_bounded(text):
    try:
        interpolate(text, {"A": "1"})
    except InterpolationError:
        pass


def test_port_entry_parsing_never_raises_anything_else():
    from portlint.parsers.compose_ports import PortSpecError, parse_short
    for text in ["", ":", "::", "[", "[::1]:80", "1-", "-1", "65536", "1-65535:1-65535/xyz", "a:b:c:d", "0x50"]:
        try:
            parse_short(text)
        except PortSpecError:
            pass


BITS = st.sampled_from(["services:", "\n", "  ", "web:", "image:", "ports:", "- ", '"', "80", ":", "-",
                        "${", "}", "$$", "A", "[", "]", "{", "}", "&a", "*a", "<<:", "network_mode: host",
                        "expose:", "extends:", "/udp", "127.0.0.1", "::", "!!python/name:os.system", ","])


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(BITS, max_size=40).map("".join))
def test_compose_parser_never_raises_and_keeps_the_good_service(body):
    parser = ComposeParser()
    good_text = "services:\n" + GOOD
    ctx = ParseContext(read_text=lambda p: None)
    baseline = parser.parse_file(SourceFile(Path("good.yaml"), "good.yaml", good_text), ctx)
    outcome = parser.parse_file(SourceFile(Path("compose.yaml"), "compose.yaml", body), ctx)
    assert all(e.line >= 1 for e in outcome.errors)
    again = parser.parse_file(SourceFile(Path("good.yaml"), "good.yaml", good_text), ctx)
    assert again.exposures == baseline.exposures and not again.errors
