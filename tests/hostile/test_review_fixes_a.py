"""Regression tests for the attacker review of the hostile-input work (items 1, 2, 3, 4, 7a, 7d, 7f).

Each bad thing sits beside a good risky file whose finding must survive; limits are
monkeypatched small instead of timing anything.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from portlint import limits
from portlint.accept import gitignore_regex
from portlint.checks import compose_rules
from portlint.discovery import Pattern
from portlint.parsers.interpolation import parse_env_file
from tests.conftest import run_tree

REPO = Path(__file__).resolve().parents[2]
GOOD = {"good/compose.yaml": 'services:\n  cache:\n    image: redis:7\n    ports:\n      - "6379:6379"\n'}
GOOD_FINDING = ("good/compose.yaml", 5, "PL101")
REDOS = "*a*a*a*a*a*a*a*a*a*a*a*a*a*ac"
LONG = "a" * 200


def errors_of(report):
    return sorted((e.file, e.line, e.message) for e in report.errors)


def findings_of(report):
    return sorted((f.location.file, f.location.line, f.rule_id) for f in report.findings)


# -- 1. configuration globs are matched in linear time, with gitignore semantics ---------------------------

@pytest.mark.parametrize("config", [
    f'exclude: ["{REDOS}"]\n',
    f'per-file-ignores:\n  "{REDOS}": [PL101]\n',
    f'accept:\n  - file: "{REDOS}"\n    rules: [PL101]\n    reason: x\n',
])
def test_hostile_glob_patterns_end_and_match_nothing(tmp_path, config):
    # as regular expressions these backtracked exponentially on a 200-character folder name
    files = {**GOOD, ".portlint.yaml": config,
             f"bad/{LONG}/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["6380:6379"]\n'}
    report = run_tree(tmp_path, files)
    found = findings_of(report)
    assert GOOD_FINDING in found
    assert (f"bad/{LONG}/compose.yaml", 4, "PL101") in found


def test_glob_matching_is_linear_on_long_paths():
    path = "/".join(["a" * 3000] * 50)
    assert not gitignore_regex(REDOS).fullmatch(path)
    assert not gitignore_regex("**/" * 40 + "x/**/y/**/z").fullmatch(path)
    assert not Pattern(REDOS).matches(path, False)


@pytest.mark.parametrize("pattern, path, expected", [
    ("*.tf", "a/b/main.tf", True),
    ("infra/*.tf", "infra/main.tf", True),
    ("infra/*.tf", "infra/a/main.tf", False),  # `*` never crosses `/`
    ("infra/*.tf", "x/infra/main.tf", False),  # a pattern with `/` is anchored
    ("**/main.tf", "main.tf", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**", "a", False),  # a trailing `/**` matches what is inside only
    ("a/**", "a/x/y", True),
    ("x?y", "x/y", False),
    ("[!a]b", "cb", True),
    ("[!a]b", "ab", False),
    ("[a-c]x", "bx", True),
    ("ab[", "ab[", True),  # no closing bracket: literal
    (r"\*", "*", True),
    (r"\*", "a", False),
])
def test_exclude_patterns_follow_gitignore(pattern, path, expected):
    assert Pattern(pattern).matches(path, False) is expected


def test_accept_file_pattern_covers_a_folder():
    assert gitignore_regex("infra/bastion").fullmatch("infra/bastion/main.tf")
    assert gitignore_regex("bastion/").fullmatch("envs/bastion/main.tf")
    assert not gitignore_regex("infra/bastion").fullmatch("infra/bastions/main.tf")


# -- 2. PL303 duplicate host ports: same findings, no pairwise comparison --------------------------------

def _entry(i, line, protocol, low, high, sources):
    from portlint.model import Exposure, Location, PortRange

    return Exposure(kind="compose", location=Location("f.yaml", line, line), resource=f"services.s{i}",
                    protocol=protocol, port_range=PortRange(low, high), sources=tuple(sources),
                    scope="internet", direction="ingress", action="allow")


def _pairwise(entries):
    for index, later in enumerate(entries):
        for earlier in entries[:index]:
            if earlier.location != later.location and compose_rules._collide(earlier, later):
                yield later, earlier
                break


def test_duplicate_host_ports_match_the_pairwise_definition():
    rng = random.Random(303)
    addresses = ["0.0.0.0", "::", "127.0.0.1", "10.0.0.1", "::1", "fe80::1"]
    for _ in range(500):
        entries, line = [], 1
        for i in range(rng.randint(1, 20)):
            line += rng.random() < 0.7  # some port entries give two exposures
            low = rng.randint(1, 30)
            high = low if rng.random() < 0.6 else low + rng.randint(0, 10)
            entries.append(_entry(i, line, rng.choice(["tcp", "udp"]), low, high,
                                  rng.sample(addresses, rng.randint(1, 2))))
        if rng.random() < 0.1:
            rng.shuffle(entries)
        expected = [(a.resource, b.resource) for a, b in _pairwise(entries)]
        assert [(a.resource, b.resource) for a, b in compose_rules._first_collisions(entries)] == expected


def test_duplicate_host_ports_do_not_compare_every_pair(monkeypatch):
    calls = []
    real = compose_rules._collide
    monkeypatch.setattr(compose_rules, "_collide", lambda a, b: calls.append(1) or real(a, b))
    entries = [_entry(i, i + 1, "tcp", 10000 + i, 10000 + i, ["0.0.0.0", "::"]) for i in range(3000)]
    entries.append(_entry(3000, 3001, "tcp", 10007, 10007, ["127.0.0.1"]))
    found = list(compose_rules._first_collisions(entries))
    assert [(a.resource, b.resource) for a, b in found] == [("services.s3000", "services.s7")]
    assert len(calls) < 100  # comparing pairs took 4.5 million calls here


# -- 3. expanded values are bounded (ENV_VALUE_BYTES), reported at the .env line ----------------------------

def test_env_doubling_bomb_is_refused_at_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "ENV_VALUE_BYTES", 4096)
    env = "A=xxxxxxxxxxxxxxxx\n" + "A=${A}${A}\n" * 40 + "PORT=6379\n"
    files = {**GOOD, "bad/.env": env,
             "bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["${PORT:-8080}:6379"]\n'}
    report = run_tree(tmp_path, files)
    # 16 characters doubled 8 times is 4,096; the 9th doubling (line 10) is over
    assert [(f, line) for f, line, _m in errors_of(report)] == [("bad/.env", 10)]
    assert "PORTLINT_MAX_ENV_VALUE_BYTES" in errors_of(report)[0][2]
    assert GOOD_FINDING in findings_of(report)
    assert ("bad/compose.yaml", 4, "PL101") in findings_of(report)  # the port falls back to its default


def test_env_quoted_doubling_is_refused_too(monkeypatch):
    monkeypatch.setattr(limits, "ENV_VALUE_BYTES", 1000)
    with pytest.raises(limits.LimitExceeded) as caught:
        parse_env_file('A="xxxxxxxx"\n' + 'A="$A$A$A$A"\n' * 10)
    assert caught.value.line == 5 and caught.value.name == "ENV_VALUE_BYTES"  # 8 * 4**4 = 2,048


def test_compose_interpolation_result_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "ENV_VALUE_BYTES", 4096)
    files = {**GOOD, "bad/.env": "BIG=" + "x" * 1000 + "\n",
             "bad/compose.yaml": 'services:\n  web:\n    image: "' + "${BIG}" * 10 + '"\n    ports: ["6380:6379"]\n'
                                 '  db:\n    image: mongo\n    ports: ["27017:27017"]\n'}
    report = run_tree(tmp_path, files)
    errors = errors_of(report)
    assert [(f, line) for f, line, _m in errors] == [("bad/compose.yaml", 3)]
    assert "PORTLINT_MAX_ENV_VALUE_BYTES" in errors[0][2]
    assert GOOD_FINDING in findings_of(report)
    assert ("bad/compose.yaml", 7, "PL101") in findings_of(report)


# -- 4. .env lines end at LF or CRLF only, are counted as split, the limit is at its line -------------------

def test_env_lines_split_as_compose_does():
    assert parse_env_file("A=1\r\nB=2\r\n") == {"A": "1", "B": "2"}
    # a lone CR, U+2028 or NEL does not end a line (compose-go splits on LF, after CRLF -> LF)
    assert "PORT" not in parse_env_file("A=1\rPORT=6379\n")
    assert "PORT" not in parse_env_file("A=1\u2028PORT=6379\n")
    assert "PORT" not in parse_env_file("A=1\x85PORT=6379\n")
    assert parse_env_file('A="x\r\ny"\r\nB=2\r\n') == {"A": "x\ny", "B": "2"}


@pytest.mark.parametrize("separator", ["\n", "\r\n"])
def test_env_line_limit_is_reported_at_the_env_line(tmp_path, monkeypatch, separator):
    monkeypatch.setattr(limits, "ENV_LINES", 50)
    files = {**GOOD, "bad/.env": separator.join(f"K{i}=v" for i in range(80)) + separator,
             "bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["6380:6379"]\n'}
    report = run_tree(tmp_path, files)
    errors = errors_of(report)
    assert [(f, line) for f, line, _m in errors] == [("bad/.env", 51)]
    assert "PORTLINT_MAX_ENV_LINES" in errors[0][2]
    assert GOOD_FINDING in findings_of(report)


def test_lone_cr_lines_cannot_dodge_the_line_limit(monkeypatch):
    monkeypatch.setattr(limits, "ENV_LINES", 50)
    values = parse_env_file("".join(f"K{i}=v\r" for i in range(1000)) + "\n")  # one line, as Compose reads it
    assert list(values) == ["K0"]


# -- 7a. every documented default is the one in limits.py --------------------------------------------------

def test_documented_defaults_match_limits_py():
    doc = (REPO / "docs/security.md").read_text(encoding="utf-8")
    source = (REPO / "portlint/limits.py").read_text(encoding="utf-8")
    defaults = {}
    for name, expression in re.findall(r'^([A-Z][A-Z0-9_]*) = _limit\("[A-Z0-9_]+", (.+)\)$', source, re.M):
        defaults[name] = eval(expression, {})  # noqa: S307 - our own numeric literals, e.g. 10 * 1024 * 1024
    rows = dict(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \| ([0-9,]+)", doc, re.M))
    assert set(defaults) <= set(rows), set(defaults) - set(rows)
    assert {name: int(rows[name].replace(",", "")) for name in defaults} == defaults


# -- 7d. jsondecode nested too deeply is an input error naming the limit ----------------------------------

def test_jsondecode_too_deep_is_an_input_error(tmp_path):
    deep = "[" * 5000 + "]" * 5000
    files = {**GOOD, "bad/main.tf": (
        'resource "aws_security_group" "bad" {\n  ingress {\n    from_port = 80\n    to_port = 80\n'
        f'    protocol = "tcp"\n    cidr_blocks = [jsondecode("{deep}")]\n  }}\n}}\n'),
        "bad/good.tf": ('resource "aws_security_group" "rdp" {\n  ingress {\n    from_port = 3389\n'
                        '    to_port = 3389\n    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n')}
    report = run_tree(tmp_path, files)
    errors = errors_of(report)
    assert [(f, line) for f, line, _m in errors] == [("bad/main.tf", 6)]
    assert "PORTLINT_MAX_YAML_DEPTH" in errors[0][2]
    assert "PL501" not in [rule for _f, _l, rule in findings_of(report)]
    assert ("bad/good.tf", 2, "PL101") in findings_of(report)


# -- 7f. a standard output that cannot be written is named, exit 2 ----------------------------------------

@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_full_standard_output_is_a_clear_error(tmp_path, fmt):
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "compose.yaml").write_text(GOOD["good/compose.yaml"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTLINT_")}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "portlint", "check", "-f", fmt, "--cache-dir",
                               str(tmp_path / "cache"), "."], cwd=tmp_path, stdout=full,
                              stderr=subprocess.PIPE, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == "portlint: cannot write standard output: No space left on device"


def test_other_os_errors_stay_internal_errors(tmp_path, monkeypatch, capsys):
    from portlint import cli, engine

    def broken(*_a, **_k):
        raise OSError(5, "Input/output error")

    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(GOOD["good/compose.yaml"])
    monkeypatch.setattr(engine, "run", broken)
    assert cli.main(["check", "--no-cache", "."]) == 2
    assert "internal error: OSError" in capsys.readouterr().err
