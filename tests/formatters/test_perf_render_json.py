"""``dumps_indented`` must write exactly ``json.dumps(document, indent=2)``'s text (issue 14)."""

from __future__ import annotations

import enum
import json
import math
import random
from collections import OrderedDict

import pytest

from portlint.formatters.jsontext import dumps_indented

TEXTS = ["", "plain", "caf\u00e9 \u00fc\u00df", "\u4e2d\u6587", "emoji \U0001f600", "quote \" back \\ slash",
         "ctrl \x00\x01\x1f\x7f \n\r\t\b\f", "lone \udcff surrogate", "\ud800", "bidi \u202e x", "\u2028\u2029",
         "\ufeff bom", "/slash/"]
FLOATS = [0.0, -0.0, 1.5, 1e300, 1e-300, 3.141592653589793, 1e16, 123456789.125, math.inf, -math.inf, math.nan]


class Level(enum.IntEnum):
    LOW = 1


class Text(str):
    pass


def _value(rng: random.Random, depth: int):
    kind = rng.randrange(12 if depth < 6 else 7)
    if kind == 0:
        return rng.choice(TEXTS)
    if kind == 1:
        return rng.choice([0, 1, -1, 65535, 2 ** 70, -(2 ** 64)])
    if kind == 2:
        return rng.choice(FLOATS)
    if kind == 3:
        return rng.choice([None, True, False])
    if kind == 4:
        return Level.LOW
    if kind == 5:
        return Text(rng.choice(TEXTS))
    if kind == 6:
        return rng.choice([[], {}, (), OrderedDict()])
    if kind in (7, 8):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    if kind == 9:
        return tuple(_value(rng, depth + 1) for _ in range(rng.randrange(4)))
    keys = [rng.choice(TEXTS), rng.choice(FLOATS), rng.choice([None, True, False]), rng.randrange(-5, 5),
            Text("k"), f"k{rng.random()}"]
    return {rng.choice(keys): _value(rng, depth + 1) for _ in range(rng.randrange(6))}


@pytest.mark.parametrize("seed", range(40))
def test_same_text_as_json_dumps(seed):
    rng = random.Random(seed)
    document = {"findings": [_value(rng, 1) for _ in range(20)], "nested": _value(rng, 0)}
    assert dumps_indented(document) == json.dumps(document, indent=2)


@pytest.mark.parametrize("document", [
    {}, [], (), "", "only text", "\udcff", 0, 1.0, math.nan, None, True, False, Level.LOW,
    [[[[]]]], {"a": {"b": {}}}, [{}], {"": ""}, {1: 2, 1.5: 3, None: 4, True: 5, False: 6},
    OrderedDict([("z", 1), ("a", 2)]), [Text("x")], {Text("x"): Text("y")},
])
def test_edge_documents(document):
    assert dumps_indented(document) == json.dumps(document, indent=2)


def test_deep_documents_are_left_to_json():
    deep: list = []
    for _ in range(200):
        deep = [deep, {"k": deep}] if len(str(deep)) < 10_000 else [deep]
    assert dumps_indented(deep) == json.dumps(deep, indent=2)


@pytest.mark.parametrize("document", [{"a": object()}, [{1, 2}], {(1, 2): "tuple key"}, {"a": b"bytes"}])
def test_what_json_refuses_is_refused_the_same_way(document):
    with pytest.raises(TypeError) as expected:
        json.dumps(document, indent=2)
    with pytest.raises(TypeError) as got:
        dumps_indented(document)
    assert str(got.value) == str(expected.value)


def test_a_list_that_holds_itself_is_refused_as_json_refuses_it():
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps_indented(loop)


def test_a_report_document_is_written_as_json_writes_it():
    from portlint.formatters.json_report import _dumps

    document = {"findings": [{"rule_id": "PL101", "message": "Redis \u2014 caf\u00e9", "line": 3,
                              "port_range": [6379, 6379], "target_port_range": None, "sources": [],
                              "traits": ["published"], "file": "a/\udcffb.yml"}], "summary": {}}
    assert _dumps(document) == json.dumps(json.loads(json.dumps(document).replace("\\udcff", "\\\\udcff")),
                                          indent=2) + "\n"
