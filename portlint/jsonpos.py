"""JSON loading that keeps positions, into the same located types as ``yamlpos``.

The standard library's decoder does the scalar work; this module walks the
structure without recursion to record where each key and item starts and ends,
and enforces the same limits as YAML loading: nesting (``limits.YAML_DEPTH``)
and values per file (``limits.YAML_NODES``). Every failure, from a truncated
file to a 5,000-digit number or a repeated key, is a ``JSONLoadError`` with its
line and column; no other exception leaves ``loads_located``.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right

from portlint import limits
from portlint.yamlpos import LocatedDict, LocatedList, Span

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = json.JSONDecoder()


class JSONLoadError(Exception):
    """A JSON text that cannot be loaded, with a 1-based position."""

    def __init__(self, message: str, line: int, column: int = 1):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class _Container:
    __slots__ = ("value", "start", "key", "key_pos", "is_object")

    def __init__(self, value, start: tuple[int, int], is_object: bool):
        self.value, self.start, self.is_object = value, start, is_object
        self.key: str | None = None
        self.key_pos = (0, 0)


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.nodes = 0

    def position(self, index: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def fail(self, message: str, index: int) -> JSONLoadError:
        line, column = self.position(min(index, len(self.text)))
        return JSONLoadError(f"invalid JSON: {message}", line, column)

    def skip(self, index: int) -> int:
        return _WS.match(self.text, index).end()

    def scalar(self, index: int):
        try:
            return _SCALAR.raw_decode(self.text, index)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.msg, exc.pos) from None
        except (ValueError, OverflowError, RecursionError) as exc:  # 5,000-digit integers
            raise self.fail(str(exc).split(";")[0], index) from None

    def count(self, index: int) -> None:
        self.nodes += 1
        if self.nodes > limits.YAML_NODES:
            exc = limits.LimitExceeded("the number of JSON values in this file", limits.YAML_NODES, "YAML_NODES")
            line, column = self.position(index)
            raise JSONLoadError(exc.message, line, column)

    def document(self):
        """Parse the whole text; returns the top value."""
        text, stack = self.text, []
        index = self.skip(0)
        root = None
        while True:
            # -- read one value at ``index`` (or close containers) ----------------------------
            if stack and stack[-1].is_object:
                top = stack[-1]
                if not text.startswith('"', index):
                    raise self.fail("expected a property name in double quotes", index)
                key_start = index
                key, index = self.scalar(index)
                top.key, top.key_pos = key, self.position(key_start)
                index = self.skip(index)
                if not text.startswith(":", index):
                    raise self.fail("expected ':' after a property name", index)
                index = self.skip(index + 1)
            if index >= len(text):
                raise self.fail("unexpected end of input", index)
            self.count(index)
            start = self.position(index)
            char = text[index]
            if char in "{[":
                if len(stack) >= limits.YAML_DEPTH:
                    exc = limits.LimitExceeded("JSON nesting depth", limits.YAML_DEPTH, "YAML_DEPTH")
                    raise JSONLoadError(exc.message, *start)
                is_object = char == "{"
                value = LocatedDict() if is_object else LocatedList()
                value.spans, value.tag = ({} if is_object else []), None
                stack.append(_Container(value, start, is_object))
                index = self.skip(index + 1)
                if text.startswith("}" if is_object else "]", index):
                    stack.pop()
                    value, index, span = self.closed(value, start, index)
                else:
                    continue
            else:
                value, end = self.scalar(index)
                span = Span(start[0], start[1], self.position(max(end - 1, index))[0])
                index = end
            # -- attach the finished value, closing containers as they end --------------------
            while True:
                if not stack:
                    root = value
                    end = self.skip(index)
                    if end != len(text):
                        raise self.fail("extra data after the JSON value", end)
                    return root
                top = stack[-1]
                self.attach(top, value, span)
                index = self.skip(index)
                if text.startswith(",", index):
                    index = self.skip(index + 1)
                    break
                closer = "}" if top.is_object else "]"
                if text.startswith(closer, index):
                    stack.pop()
                    value, index, span = self.closed(top.value, top.start, index)
                    continue
                kind = "an object" if top.is_object else "an array"
                raise self.fail(f"expected ',' or '{closer}' in {kind}", index)

    def closed(self, value, start: tuple[int, int], index: int):
        span = Span(start[0], start[1], self.position(index)[0])
        value.span = span
        return value, index + 1, span

    def attach(self, top: _Container, value, span: Span) -> None:
        if not top.is_object:
            top.value.append(value)
            top.value.spans.append(span)
            return
        key, (line, column) = top.key, top.key_pos
        if key in top.value:
            first = top.value.spans[key].line
            raise JSONLoadError(f"duplicate key {key!r:.60} (first at line {first}); "
                                "the second would silently replace the first", line, column)
        top.value[key] = value
        top.value.spans[key] = Span(line, column, span.end_line)


def loads_located(text: str):
    """Parse JSON text into LocatedDict/LocatedList values; raises JSONLoadError."""
    try:
        reader = _Reader(text.lstrip("\ufeff"))
        return reader.document()
    except JSONLoadError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError, IndexError) as exc:
        raise JSONLoadError(f"invalid JSON: {exc}", 1) from None
