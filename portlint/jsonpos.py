"""JSON loading that keeps positions, into the same located types as ``yamlpos``.

The standard library's decoder does the scalar work; this module only walks
the structure to record where each key and item starts and ends.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right

from portlint.yamlpos import LocatedDict, LocatedList, Span

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = json.JSONDecoder()


class JSONLoadError(Exception):
    def __init__(self, message: str, line: int, column: int = 1):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, index: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def fail(self, message: str, index: int) -> JSONLoadError:
        line, column = self.position(index)
        return JSONLoadError(message, line, column)

    def skip(self, index: int) -> int:
        return _WS.match(self.text, index).end()

    def value(self, index: int):
        """Parse the value at ``index``; returns (value, end index, span)."""
        text = self.text
        index = self.skip(index)
        if index >= len(text):
            raise self.fail("unexpected end of input", index)
        start_line, start_col = self.position(index)
        char = text[index]
        if char == "{":
            value, end = self.object(index)
        elif char == "[":
            value, end = self.array(index)
        else:
            try:
                value, end = _SCALAR.raw_decode(text, index)
            except json.JSONDecodeError as exc:
                raise self.fail(exc.msg, exc.pos) from None
        end_line, _ = self.position(max(end - 1, index))
        span = Span(start_line, start_col, end_line)
        if isinstance(value, (LocatedDict, LocatedList)):
            value.span = span
        return value, end, span

    def object(self, index: int):
        result = LocatedDict()
        result.spans, result.tag = {}, None
        index = self.skip(index + 1)
        if self.text.startswith("}", index):
            return result, index + 1
        while True:
            index = self.skip(index)
            if not self.text.startswith('"', index):
                raise self.fail("expected a property name in double quotes", index)
            key, index = _SCALAR.raw_decode(self.text, index)
            key_line, key_col = self.position(index - 1)
            index = self.skip(index)
            if not self.text.startswith(":", index):
                raise self.fail("expected ':' after a property name", index)
            value, index, span = self.value(index + 1)
            result[key] = value
            result.spans[key] = Span(key_line, key_col - len(json.dumps(key)) + 1, span.end_line)
            index = self.skip(index)
            if self.text.startswith(",", index):
                index += 1
                continue
            if self.text.startswith("}", index):
                return result, index + 1
            raise self.fail("expected ',' or '}' in an object", index)

    def array(self, index: int):
        result = LocatedList()
        result.spans, result.tag = [], None
        index = self.skip(index + 1)
        if self.text.startswith("]", index):
            return result, index + 1
        while True:
            value, index, span = self.value(index)
            result.append(value)
            result.spans.append(span)
            index = self.skip(index)
            if self.text.startswith(",", index):
                index += 1
                continue
            if self.text.startswith("]", index):
                return result, index + 1
            raise self.fail("expected ',' or ']' in an array", index)


def loads_located(text: str):
    """Parse JSON text into LocatedDict/LocatedList values; raises JSONLoadError."""
    reader = _Reader(text.lstrip("\ufeff"))
    try:
        value, end, _ = reader.value(0)
    except RecursionError:
        raise JSONLoadError("nesting too deep", 1) from None
    end = reader.skip(end)
    if end != len(reader.text):
        raise reader.fail("extra data after the JSON value", end)
    return value
