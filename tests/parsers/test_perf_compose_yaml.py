"""The positioned-YAML builder's fast loop must build what the reference loop builds.

``yamlpos._Builder.run`` handles the common events inline and keeps caches of plain scalar
values and of spans; ``_reference_run`` below is the one-method-per-event loop. Both are run here on
every kind of input (anchors, merges, tags, duplicates, limits, errors), with the cache cold
and warm, and must give the same documents (values, types, spans, tags) and errors.
"""

from __future__ import annotations

import math

import pytest
import yaml

from portlint import limits, yamlpos
from portlint.yamlpos import LocatedDict, LocatedList, load_documents, load_single

CASES = [
    "",
    "# only a comment\n",
    "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"80:80\"\n      - 8080:80\n"
    "      - 22:22\n      - target: 443\n        published: \"8443\"\n        host_ip: 10.0.0.5\n"
    "    expose: [\"5432\", 3000]\n    environment:\n      A: yes\n      B: ~\n      C: 1.5\n"
    "      D: 0x1F\n      E: .nan\n      F: 2001-12-14\n      G: '123'\n      H: null\n",
    "plain scalar at the root\n",
    "42\n",
    "- a\n- b\n- [c, d, {e: f}]\n- {}\n- []\n",
    "base: &base {a: 1, b: 2}\nother:\n  <<: *base\n  b: 3\n",
    "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
    "a: &a [1, 2]\nc:\n  <<: *a\n",
    "a: &s scalar\nc:\n  <<: [*s, {k: v}]\n",
    "c:\n  <<: 5\n",
    "list: [<<, =, '<<']\nkey: <<\n",
    "a: 1\na: 2\nb: {x: 1, x: 2}\n",
    "? [a, b]\n: 1\n? {k: v}\n: 2\nok: 3\n",
    "ports: !reset []\nexpose: !override [\"1\"]\nimage: !Ref Something\nx: !Sub 'a ${b}'\n",
    "a: !!int '12'\nb: !!str 12\nc: !!float '1.5'\nd: !!bool 'true'\ne: !!null ''\n",
    "a: !!int notanumber\nb: !!binary aGVsbG8=\nc: !!timestamp 2001-12-14t21:59:43.10-05:00\n",
    "a: !!python/object:os.system x\nb: !!set {a, b}\nc: !!omap [{a: 1}]\nd: !!pairs [{a: 1}]\n",
    "a: !!map [1, 2]\nb: !!seq {x: 1}\n",
    "a: ! 12\nb: ! [1]\n",
    "lit: |\n  line one\n  line two\nfold: >-\n  folded\n  text\nafter: 1\n",
    "anchor: &x 1\nuse: *x\nlist: [*x, *x]\n",
    "bad: *missing\nnext: 1\n",
    "a: &r [1, *r]\n",
    "a: [1, 2\n",
    "key: value\n  bad indent: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 'unterminated\n",
    "a: \"\\x00\"\nb: \"tab\\t\"\n",
    "n: 123456789012345678901234567890\nhuge: 1" + "0" * 200 + "\n",
    "sexa: 1:30:00\nfl: 1:30.5\n",
    "empty:\nnested:\n  - \n  - {a: }\n",
    "{flow: mapping, with: [nested, {levels: 1}]}\n",
    "a:\n  b:\n    c:\n      d: [e, f]\n  g: h\n",
    "x: &m {a: 1}\ny: &n {b: 2}\nz: {<<: [*m, *n], c: 3}\n",
    "x: &big [1, 2, 3, 4, 5, 6, 7, 8]\ny: [*big, *big, *big, *big, *big, *big, *big, *big]\n",
]

MULTI = [
    "a: 1\n---\nb: 2\n---\n- c\n",
    "a: *nope\n---\nb: 2\n",
    "a: [1, 2\n---\nb: 2\n",
    "---\n---\n",
    "x: 1\n...\n---\ny: {a: 1, a: 2}\n",
]


def _snapshot(value):
    """Everything a consumer can see of a loaded value: type, contents, spans and tags."""
    if isinstance(value, LocatedDict):
        return ("map", value.tag, value.span, dict(value.spans),
                [(_snapshot(k), _snapshot(v)) for k, v in value.items()])
    if isinstance(value, LocatedList):
        return ("list", value.tag, value.span, list(value.spans), [_snapshot(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, getattr(value, "tag", None), value)


def _reference_run(self) -> None:
    """The plain one-method-per-event loop: the oracle ``_Builder.run`` must agree with."""
    skipping, depth = False, 0
    while self.loader.check_event():
        event = self.loader.get_event()
        kind = type(event)
        if kind is yaml.DocumentStartEvent:
            self.count += 1
            if self.single and self.count > 1:
                raise yamlpos._FileFailed(yamlpos._at(event.start_mark, "expected a single YAML document, "
                                                                        "found another one here"))
            if self.count > limits.YAML_DOCUMENTS:
                raise yamlpos._FileFailed(yamlpos._limit_error(event.start_mark, "the number of YAML documents",
                                                               limits.YAML_DOCUMENTS, "YAML_DOCUMENTS"))
            self._start_document()
            skipping, depth = False, 0
            continue
        if kind is yaml.DocumentEndEvent:
            self.documents.append(None if skipping else self.root)
            continue
        if kind in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
            depth += 1
            if depth > limits.YAML_DEPTH:
                raise yamlpos._FileFailed(yamlpos._limit_error(event.start_mark, "YAML nesting depth",
                                                               limits.YAML_DEPTH, "YAML_DEPTH"))
        elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            depth -= 1
        if skipping or kind in (yaml.StreamStartEvent, yaml.StreamEndEvent):
            continue
        try:
            if kind is yaml.ScalarEvent:
                self._count_node(event.start_mark)
                self._scalar(event)
            elif kind is yaml.AliasEvent:
                self._count_node(event.start_mark)
                self._alias(event)
            elif kind in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
                self._count_node(event.start_mark)
                self._open(event, kind is yaml.MappingStartEvent)
            elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
                self._close(event)
        except yamlpos._DocumentFailed as failed:
            self.errors.append(failed.error)
            self.stack.clear()
            skipping = True


def _errors(errors):
    return [(e.message, e.line, e.column) for e in errors]


def _both(load, text, monkeypatch):
    fast = load(text)
    with monkeypatch.context() as patch:
        patch.setattr(yamlpos._Builder, "run", _reference_run)
        reference = load(text)
    return fast, reference


def _check(load, text, monkeypatch):
    for cold in (True, False):
        if cold:
            monkeypatch.setattr(yamlpos, "_PLAIN", {})
            monkeypatch.setattr(yamlpos, "_SPANS", {})
        (fast_docs, fast_errors), (ref_docs, ref_errors) = _both(load, text, monkeypatch)
        if load is load_single:
            fast_docs, ref_docs = [fast_docs], [ref_docs]
        assert [_snapshot(d) for d in fast_docs] == [_snapshot(d) for d in ref_docs], text
        assert _errors(fast_errors) == _errors(ref_errors), text


@pytest.mark.parametrize("text", CASES)
def test_fast_loop_agrees_with_reference_single(text, monkeypatch):
    _check(load_single, text, monkeypatch)


@pytest.mark.parametrize("text", CASES + MULTI)
def test_fast_loop_agrees_with_reference_documents(text, monkeypatch):
    _check(load_documents, text, monkeypatch)


@pytest.mark.parametrize("name,value,text", [
    ("YAML_NODES", 5, "a: [1, 2, 3, 4]\n---\nb: 1\n"),
    ("YAML_NODES", 3, "[1, 2, 3]\n"),
    ("YAML_NODES", 4, "a: &a x\nb: *a\n"),
    ("YAML_ALIAS_NODES", 10, "x: &big [1, 2, 3, 4]\ny: [*big, *big, *big]\n---\nz: 1\n"),
    ("YAML_DEPTH", 3, "a: {b: {c: {d: 1}}}\n"),
    ("YAML_DEPTH", 2, "a: 1\n---\nb: [[[1]]]\n---\nc: 1\n"),
    ("YAML_DOCUMENTS", 2, "a: 1\n---\nb: 2\n---\nc: 3\n"),
])
def test_limits_hold_alike(name, value, text, monkeypatch):
    monkeypatch.setattr(limits, name, value)
    _check(load_documents, text, monkeypatch)
    fast_docs, fast_errors = load_documents(text)
    assert fast_errors, "the limit must be reported"
    assert any(name in e.message for e in fast_errors)


def test_plain_cache_is_bounded_and_skips_floats_and_merges(monkeypatch):
    monkeypatch.setattr(yamlpos, "_PLAIN", {})
    monkeypatch.setattr(yamlpos, "_PLAIN_MAX", 3)
    load_single("a: .nan\nb: 1.5\n<<: {c: 1}\nd: " + "x" * 65 + "\n")
    assert ".nan" not in yamlpos._PLAIN and "1.5" not in yamlpos._PLAIN and "<<" not in yamlpos._PLAIN
    assert "x" * 65 not in yamlpos._PLAIN
    load_single("k1: v1\nk2: v2\nk3: v3\n")
    assert len(yamlpos._PLAIN) == 3


def test_cached_values_are_the_constructed_ones(monkeypatch):
    monkeypatch.setattr(yamlpos, "_PLAIN", {})
    text = "a: yes\nb: ~\nc: 017\nd: 22:22\ne: text\nf: 12\n"
    first, _ = load_single(text)
    second, _ = load_single(text)  # now from the cache
    assert dict(first) == dict(second) == {"a": True, "b": None, "c": 15, "d": "22:22", "e": "text", "f": 12}
    assert [type(v) for v in second.values()] == [bool, type(None), int, str, str, int]



def test_shared_spans_are_equal_values_and_bounded(monkeypatch):
    monkeypatch.setattr(yamlpos, "_SPANS", {})
    monkeypatch.setattr(yamlpos, "_SPANS_MAX", 2)
    text = "a: 1\nb: [x, y]\nc: {d: e}\n"
    first, _ = load_single(text)
    assert len(yamlpos._SPANS) == 2
    second, _ = load_single(text)
    with monkeypatch.context() as patch:
        patch.setattr(yamlpos._Builder, "run", _reference_run)
        reference, _ = load_single(text)
    assert _snapshot(first) == _snapshot(second) == _snapshot(reference)
    assert second.spans["b"] == yamlpos.Span(2, 1, 2) and second["b"].spans == [yamlpos.Span(2, 5, 2),
                                                                                 yamlpos.Span(2, 8, 2)]
