"""The Compose parser's shortcuts must agree with the work they save.

* port entries parsed once per text (``compose_ports._PARSED``) give what a fresh parse gives,
  and an entry that fails fails every time;
* ``merged_entries`` skips the de-duplication forms when nothing can be dropped;
* exposures reported twice across projects are dropped by place, and a project's own repeated
  entries are kept, as a set of exposures did;
* a service's context location follows the file each layer is read from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from portlint.engine import Options, run
from portlint.model import Exposure, Location, ParseOutcome, PortRange
from portlint.parsers import compose, compose_ports
from portlint.parsers.compose_ports import PortSpecError, parse_expose, parse_long, parse_short
from portlint.parsers.compose_project import Layer, canonical_port, merged_entries
from portlint.yamlpos import Span, load_single

SHORT = ["80", "80:80", "8080:80/udp", "127.0.0.1:8080:80", "[::1]:6001:6001", "::1:6000:6000",
         "8000-8010:8000-8010", " 53:53/UDP ", "0.0.0.0::80", "\x00:80", "1.2.3.4:\x00:80",
         "70000:80", "a:b", "", "80/xyz", "[::1]:80", "999.1.1.1:80:80", "8000-8001:9000-9003",
         "[::1:80:80"]
EXPOSE = ["3000", "8080-8085/tcp", "\x00", "80:80", "x", "53/udp"]
LONG = [("80", "8080", None, None), ("80", None, "127.0.0.1", "udp"), (None, "80", None, None),
        ("80", "\x00", "\x00", "\x00"), ("80", "8080", "bad ip", None), ("80", "8080", "[::1]", "sctp"),
        ("80", "8080", None, "icmp"), ("80-81", "90-91", None, None)]


def _outcome(call):
    try:
        return ("ok", call())
    except PortSpecError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("cold", [True, False])
def test_cached_port_parses_agree_with_fresh_ones(cold, monkeypatch):
    if cold:
        monkeypatch.setattr(compose_ports, "_PARSED", {})
        monkeypatch.setattr(compose_ports, "_VALID_IPS", set())
    for _round in range(2):  # the second round reads what the first one cached
        for text in SHORT:
            assert _outcome(lambda: parse_short(text)) == _outcome(lambda: compose_ports._parse_short(text))
        for text in EXPOSE:
            assert _outcome(lambda: parse_expose(text)) == _outcome(lambda: compose_ports._parse_expose(text))
        for fields in LONG:
            assert _outcome(lambda: parse_long(*fields)) == _outcome(lambda: compose_ports._parse_long(*fields))


def test_failures_are_not_cached_and_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(compose_ports, "_PARSED", {})
    monkeypatch.setattr(compose_ports, "_PARSED_MAX", 2)
    for _round in range(2):
        with pytest.raises(PortSpecError):
            parse_short("70000:80")
        with pytest.raises(PortSpecError):
            parse_short("999.1.1.1:80:80")
    assert compose_ports._PARSED == {}
    parse_short("1:1")
    parse_short("2:2")
    parse_short("3:3")
    assert len(compose_ports._PARSED) == 2
    long_text = "1" * 70 + ":80"
    with pytest.raises(PortSpecError):
        parse_short(long_text)


def _reference_merged(layers, key):
    """merged_entries as it was: every entry's form computed and compared."""
    result, seen = [], set()
    for layer in layers:
        if key not in layer.service:
            continue
        value = layer.service[key]
        tag = getattr(value, "tag", None)
        if tag in ("!reset", "!override"):
            result, seen = [], set()
            if tag == "!reset":
                continue
        if not isinstance(value, list):
            result.append((layer, value))
            continue
        kept, forms = [], []
        for index, item in enumerate(value):
            form = canonical_port(item)
            if form not in seen:
                kept.append(index)
                forms.append(form)
        seen.update(forms)
        result.append((layer, (value, kept)))
    return result


@pytest.mark.parametrize("texts", [
    ["s: {ports: ['80:80', '80:80', 81]}"],
    ["s: {ports: ['80:80', 81]}", "s: {ports: ['80:80', '82:82', 81]}"],
    ["s: {ports: ['80:80']}", "s: {image: x}", "s: {ports: !override ['80:80', '80:80']}"],
    ["s: {ports: ['80:80']}", "s: {ports: !reset []}", "s: {ports: ['80:80']}"],
    ["s: {ports: '80:80'}", "s: {ports: ['80:80']}"],
    ["s: {ports: [{target: 80, published: 8080}]}", "s: {ports: [{published: 8080, target: 80}, 80]}"],
    ["s: {expose: [1]}"],
])
def test_merged_entries_agree_with_the_full_comparison(texts):
    layers = [Layer(f"f{i}", None, load_single(text)[0]["s"], Span(1, 1, 1)) for i, text in enumerate(texts)]
    for key in ("ports", "expose"):
        assert merged_entries(layers, key) == _reference_merged(layers, key)


def _exposure(file: str, line: int, port: int) -> Exposure:
    return Exposure(kind="compose", location=Location(file, line, line, 7), resource="services.a",
                    protocol="tcp", port_range=PortRange(port, port), sources=("0.0.0.0",), scope="internet")


def test_exposures_repeated_across_outcomes_are_dropped_but_kept_within_one():
    same = _exposure("a.yml", 3, 80)
    twin = _exposure("a.yml", 3, 80)  # equal, another object
    other = _exposure("a.yml", 3, 81)  # same place, not equal
    results = [
        (None, ParseOutcome("a.yml", (same, twin, other)), ()),
        (None, ParseOutcome("b.yml", (twin, _exposure("b.yml", 3, 80), other)), ()),
    ]
    first, second = list(compose._without_included(results, {}))
    assert first.exposures == (same, twin, other)
    assert second.exposures == (_exposure("b.yml", 3, 80),)


def test_included_file_shared_by_two_projects_is_reported_once(tmp_path: Path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "db.yml").write_text("services:\n  db:\n    image: postgres\n    ports: ['5432:5432']\n")
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "compose.yaml").write_text(
            f"include:\n  - ../shared/db.yml\nservices:\n  {name}:\n    image: nginx\n    ports: ['80:80']\n")
    report = run([tmp_path], Options(cwd=tmp_path))
    assert not report.errors
    db = [f for f in report.findings if f.exposure.resource == "services.db"]
    assert len({(f.location.file, f.location.line, f.rule_id) for f in db}) == len(db) >= 1
    assert {f.location.file for f in db} == {"shared/db.yml"}


def test_context_follows_the_file_of_each_layer(tmp_path: Path):
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres\n    ports: ['5432:5432']\n")
    (tmp_path / "compose.override.yaml").write_text("\n\nservices:\n  db:\n    ports: ['5433:5432']\n")
    report = run([tmp_path], Options(cwd=tmp_path))
    assert not report.errors
    contexts = sorted((f.location.file, f.exposure.context.file, f.exposure.context.line)
                      for f in report.findings if f.exposure.context is not None)
    assert ("compose.yaml", "compose.yaml", 2) in contexts
    assert ("compose.override.yaml", "compose.override.yaml", 4) in contexts
