"""Hostile input for the YAML and JSON loaders every YAML/JSON parser shares (yamlpos, jsonpos)."""

from __future__ import annotations

import tracemalloc

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portlint import limits, yamlpos
from portlint.jsonpos import JSONLoadError, loads_located
from portlint.yamlpos import YAMLLoadError, load_documents, load_one, load_single

LOADERS = [pytest.param(getattr(yaml, "CSafeLoader", None), id="libyaml"), pytest.param(yaml.SafeLoader, id="python")]


@pytest.fixture(params=LOADERS)
def event_source(request, monkeypatch):
    """Run each test over libyaml's parser and PyYAML's pure-Python one."""
    base = request.param
    if base is None:
        pytest.skip("libyaml is not installed")
    loader = type("Loader", (base,), {})
    for tag, fn in yamlpos.PositionLoader.yaml_constructors.items():
        loader.add_constructor(tag, fn)
    monkeypatch.setattr(yamlpos, "PositionLoader", loader)
    return base


def laughs(levels: int = 9) -> str:
    out = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        out.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 10) + "]")
    return "\n".join(out) + "\n"


# -- billion laughs and other budgets ----------------------------------------------------------

def test_billion_laughs_fails_fast_at_the_alias_line_with_small_memory(event_source):
    text = laughs()
    assert len(text) < 1024
    tracemalloc.start()
    docs, errors = load_documents(text + "---\ngood: [6379]\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000
    assert [(e.line, "PORTLINT_MAX_YAML_ALIAS_NODES" in e.message) for e in errors] == [(5, True)]
    assert docs == [None, {"good": [6379]}]  # the bad document is dropped, the next one kept


def test_alias_budget_counts_every_use_of_an_anchor(event_source, monkeypatch):
    monkeypatch.setattr(limits, "YAML_ALIAS_NODES", 30)
    text = "base: &b {a: 1, b: 2, c: 3}\n" + "".join(f"s{i}: *b\n" for i in range(5))
    doc, errors = load_single(text)  # 7 nodes per use: the fifth use passes 30
    assert doc is None and [e.line for e in errors] == [6]
    monkeypatch.setattr(limits, "YAML_ALIAS_NODES", 35)
    doc, errors = load_single(text)
    assert errors == [] and doc["s4"] == {"a": 1, "b": 2, "c": 3}


def test_merge_key_laughs_are_counted_too(event_source, monkeypatch):
    monkeypatch.setattr(limits, "YAML_ALIAS_NODES", 1000)
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}"]
    for level in range(1, 8):
        lines.append(f"m{level}: &m{level}")
        lines += [f"  k{n}: {{<<: *m{level - 1}}}" for n in range(10)]
    doc, errors = load_single("\n".join(lines) + "\n")
    assert doc is None and len(errors) == 1 and "YAML_ALIAS_NODES" in errors[0].message
    assert 2 <= errors[0].line <= 80


def test_nodes_per_document(event_source, monkeypatch):
    monkeypatch.setattr(limits, "YAML_NODES", 50)
    text = "big:\n" + "".join(f"  - {i}\n" for i in range(100)) + "---\nsmall: [1]\n"
    docs, errors = load_documents(text)
    assert docs == [None, {"small": [1]}]
    assert [(e.line, "PORTLINT_MAX_YAML_NODES" in e.message) for e in errors] == [(49, True)]  # node 51: the 48th item


@pytest.mark.parametrize("text, line", [
    pytest.param("a: " + "[" * 100_000 + "]" * 100_000 + "\n", 1, id="flow-lists"),
    pytest.param("a:\n" + "".join(" " * (2 + 2 * i) + f"k{i}:\n" for i in range(700)) + "  x: 1\n", 501,
                 id="block-mappings"),
    pytest.param("a: " + "{b: " * 3000 + "1" + "}" * 3000 + "\n", 1, id="flow-mappings"),
])
def test_deep_nesting_stops_at_the_limit_without_recursion(event_source, text, line):
    docs, errors = load_documents(text)
    assert [(e.line, "PORTLINT_MAX_YAML_DEPTH" in e.message) for e in errors] == [(line, True)]


def test_documents_per_file(event_source, monkeypatch):
    monkeypatch.setattr(limits, "YAML_DOCUMENTS", 3)
    docs, errors = load_documents("a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n")
    assert docs == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [(e.line, "PORTLINT_MAX_YAML_DOCUMENTS" in e.message) for e in errors] == [(6, True)]


# -- duplicate keys, merges, tags ---------------------------------------------------------------

def test_duplicate_key_is_an_error_at_the_second_key(event_source):
    text = "services:\n  db:\n    image: pg\n    ports: [\"5432:5432\"]\n    environment: {}\n    ports: []\n"
    doc, errors = load_single(text)
    assert [(e.line, e.column, e.message) for e in errors] == [
        (6, 5, "duplicate key 'ports' (first at line 4); YAML forbids repeated keys")]
    assert doc["services"]["db"]["image"] == "pg"  # the rest of the document is kept
    with pytest.raises(YAMLLoadError, match="duplicate key 'ports'"):
        load_one(text)


def test_merge_keys_follow_the_spec(event_source):
    text = ("a: &a {port: 1, only_a: x}\n"
            "b: &b {port: 2, only_b: y}\n"
            "c:\n  <<: [*a, *b]\n  only_a: explicit\n"
            "d:\n  only_b: explicit\n  <<: *b\n")
    doc = load_one(text)
    assert doc["c"] == {"port": 1, "only_a": "explicit", "only_b": "y"}  # first merged mapping wins
    assert doc["c"].spans["port"].line == 1 and doc["c"].spans["only_a"].line == 5
    assert doc["d"] == {"port": 2, "only_b": "explicit"}


@pytest.mark.parametrize("text, line, message", [
    ("a:\n  <<: just a string\n  b: 1\n", 2, "merge key '<<' takes a mapping or a list of mappings, got a string"),
    ("x: &x {k: 1}\na:\n  <<:\n    - *x\n    - [1]\n  b: 1\n", 5, "item 2 is a list"),
])
def test_merging_a_non_mapping_is_an_error(event_source, text, line, message):
    doc, errors = load_single(text)
    assert [e.line for e in errors] == [line] and message in errors[0].message
    assert doc["a"]["b"] == 1


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/name:os.system",
                                 "tag:evil.example,2024:x"])
def test_code_tags_are_errors_never_calls(event_source, tag):
    text = f"bad: !{tag} ['touch PWNED']\nbad2: !{tag} touch\ngood: 1\n" if not tag.startswith("tag:") \
        else f"bad: !<{tag}> ['x']\nbad2: !<{tag}> x\ngood: 1\n"
    doc, errors = load_single(text)
    assert [e.line for e in errors] == [1, 2] and all("unsupported YAML tag" in e.message for e in errors)
    assert doc == {"bad": None, "bad2": None, "good": 1}


def test_recursive_and_undefined_aliases(event_source):
    docs, errors = load_documents("a: &a [1, *a]\n---\nb: *nope\n---\nc: 1\n")
    assert docs == [None, None, {"c": 1}]
    assert [e.line for e in errors] == [1, 3]


def test_local_tags_positions_and_base60_still_work(event_source):
    doc = load_one("r: !Ref Bucket\nports: [22:22, 8080:80]\nwhen: 2001-13-45\nn: 1" + "1" * 5000 + "\n")
    assert doc["r"] == "Bucket" and doc["r"].tag == "!Ref"
    assert doc["ports"] == ["22:22", "8080:80"] and doc["ports"].spans[1].column == 16
    assert doc["when"] == "2001-13-45" and isinstance(doc["n"], str)


def test_syntax_error_keeps_earlier_documents(event_source):
    docs, errors = load_documents("a: 1\n---\nb: [1\n---\nc: 2\n")
    assert docs == [{"a": 1}] and [e.line for e in errors] == [4]


# -- JSON ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, line, column, message", [
    ('{"', 1, 2, "Unterminated string"),
    ('{"a": 1,\n "b": {"c": [1, 2', 2, 18, "expected ',' or ']'"),
    ('{"a": 1,\n "a": 2}', 2, 2, "duplicate key 'a' (first at line 1)"),
    ("[" * 100_000, 1, 501, "PORTLINT_MAX_YAML_DEPTH"),
    ('{"n": ' + "9" * 5000 + "}", 1, 7, "digits"),
    ('{"a" 1}', 1, 6, "expected ':'"),
    ("", 1, 1, "unexpected end"),
    ('[1] [2]', 1, 5, "extra data"),
])
def test_json_errors_have_positions(text, line, column, message):
    with pytest.raises(JSONLoadError) as info:
        loads_located(text)
    assert (info.value.line, info.value.column) == (line, column) and message in info.value.message


def test_json_values_budget(monkeypatch):
    monkeypatch.setattr(limits, "YAML_NODES", 10)
    with pytest.raises(JSONLoadError, match="PORTLINT_MAX_YAML_NODES"):
        loads_located("[" + ",".join(["1"] * 20) + "]")


def test_json_positions():
    doc = loads_located('{"Resources": {\n  "SG": {"Type": "x",\n    "Ports": [22,\n 80]}}}')
    assert doc["Resources"].spans["SG"] == yamlpos.Span(2, 3, 4)
    assert doc["Resources"]["SG"]["Ports"].spans[1] == yamlpos.Span(4, 2, 4)


# -- property-based: nothing escapes ------------------------------------------------------------

YAML_BITS = st.sampled_from(["a", ":", " ", "\n", "-", "[", "]", "{", "}", ",", "&x", "*x", "<<", "!!", "!t",
                             "'", '"', "#", "---", "...", "?", "|", ">", "${", "\t", "1", "0x", "~", "%"])
JSON_BITS = st.sampled_from(['{', '}', '[', ']', '"', ':', ',', ' ', '\n', '1', '-', 'e', 'true', 'null',
                             '"a"', '\\', 'NaN', '1e999', '0'])


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(YAML_BITS, max_size=60).map("".join))
def test_yaml_loader_never_raises_anything_else(text):
    docs, errors = load_documents(text)
    assert all(isinstance(e, YAMLLoadError) and e.line >= 1 for e in errors)
    try:
        load_one(text)
    except YAMLLoadError:
        pass


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(JSON_BITS, max_size=60).map("".join))
def test_json_loader_never_raises_anything_else(text):
    try:
        loads_located(text)
    except JSONLoadError as exc:
        assert exc.line >= 1
