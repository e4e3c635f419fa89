"""``json.dumps(document, indent=2)``'s text, written faster for the reports' documents.

With ``indent`` set, the standard library encodes in pure Python, through a generator per
nesting level. Reports are large (a finding is about 25 values) and made only of dicts, lists,
strings, numbers, booleans and None: this encoder writes those in one recursive pass, strings
with the same C function ``json`` uses. Anything else (another type, a key ``json`` refuses,
nesting deeper than ``_DEPTH``) is handed to ``json.dumps`` itself, which gives its own answer
or error. ``tests/formatters/test_perf_render_json.py`` compares the two texts.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _string

_INFINITY = float("inf")
#: deeper documents (or a list that contains itself) are left to ``json.dumps``
_DEPTH = 64
_INDENTS = ["\n" + "  " * level for level in range(_DEPTH + 2)]


class _Unusual(Exception):
    """The document holds something this encoder leaves to ``json.dumps``."""


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def dumps_indented(document: object) -> str:
    """Exactly ``json.dumps(document, indent=2)``."""
    try:
        return _encode(document)
    except _Unusual:
        return json.dumps(document, indent=2)


def _encode(document: object) -> str:
    parts: list[str] = []
    append = parts.append

    def value(o: object, level: int) -> None:
        kind = type(o)
        if kind is str:
            append(_string(o))
        elif kind is int:
            append(int.__repr__(o))
        elif o is None:
            append("null")
        elif o is True:
            append("true")
        elif o is False:
            append("false")
        elif kind is dict:
            mapping(o, level)
        elif kind is list:
            sequence(o, level)
        elif isinstance(o, str):  # the order json.dumps tests types in
            append(_string(o))
        elif isinstance(o, int):
            append(int.__repr__(o))
        elif isinstance(o, float):
            append(_float(o))
        elif isinstance(o, (list, tuple)):
            sequence(o, level)
        elif isinstance(o, dict):
            mapping(o, level)
        else:
            raise _Unusual

    def sequence(o, level: int) -> None:
        if not o:
            append("[]")
            return
        level += 1
        if level > _DEPTH:
            raise _Unusual
        inner = _INDENTS[level]
        append("[" + inner)
        between = "," + inner
        first = True
        for item in o:
            if first:
                first = False
            else:
                append(between)
            kind = type(item)
            if kind is str:
                append(_string(item))
            elif kind is int:
                append(int.__repr__(item))
            else:
                value(item, level)
        append(_INDENTS[level - 1] + "]")

    def mapping(o, level: int) -> None:
        if not o:
            append("{}")
            return
        level += 1
        if level > _DEPTH:
            raise _Unusual
        inner = _INDENTS[level]
        append("{" + inner)
        between = "," + inner
        first = True
        for key, item in o.items():
            if isinstance(key, str):
                pass
            elif isinstance(key, float):
                key = _float(key)
            elif key is True:
                key = "true"
            elif key is False:
                key = "false"
            elif key is None:
                key = "null"
            elif isinstance(key, int):
                key = int.__repr__(key)
            else:
                raise _Unusual  # json.dumps raises its TypeError
            if first:
                first = False
            else:
                append(between)
            append(_string(key) + ": ")
            kind = type(item)
            if kind is str:
                append(_string(item))
            elif kind is int:
                append(int.__repr__(item))
            else:
                value(item, level)
        append(_INDENTS[level - 1] + "}")

    if type(document) is str or isinstance(document, str):
        return _string(document)  # what JSONEncoder.encode does for a lone string
    value(document, 0)
    return "".join(parts)
