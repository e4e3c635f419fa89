"""Compose-style variable interpolation and ``.env`` files.

Supported, as Compose reads them: ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
``${VAR-default}``, ``${VAR:?message}``, ``${VAR?message}``, ``${VAR:+alt}``,
``${VAR+alt}``, nested defaults (``${A:-${B}}``) and ``$$`` for a literal ``$``.

A variable that is unset and has no default is *not* guessed: it is replaced by
``UNRESOLVED`` markers so callers can tell which part of a value it touched.
"""

from __future__ import annotations

import re
from collections import ChainMap
from dataclasses import dataclass, field
from typing import Mapping

from portlint import limits

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Stands in for an unresolved variable inside an interpolated value.
UNRESOLVED_MARK = "\x00"


class InterpolationError(ValueError):
    """A value whose ``$`` syntax Compose itself would reject."""


class ValueTooLarge(InterpolationError):
    """An expanded value over ``limits.ENV_VALUE_BYTES`` (``${A}${A}`` doubling): refused, not built."""

    def __init__(self):
        self.limit = limits.LimitExceeded("an expanded variable value", limits.ENV_VALUE_BYTES, "ENV_VALUE_BYTES")
        super().__init__(self.limit.message)


@dataclass
class Interpolated:
    value: str
    unresolved: list[str] = field(default_factory=list)


def interpolate(text: str, env: Mapping[str, str]) -> Interpolated:
    """Expand ``text`` with ``env``; unset variables without default become markers.

    Linear in the length of ``text``: defaults may nest ``${A:-${B}}`` at most
    ``limits.INTERPOLATION_DEPTH`` deep, and each level scans only its own part.
    A result over ``limits.ENV_VALUE_BYTES`` characters raises ``ValueTooLarge``.
    """
    out = Interpolated("")
    out.value = _expand(text, env, out.unresolved, 0)
    return out


def _expand(text: str, env: Mapping[str, str], unresolved: list[str], depth: int) -> str:
    parts: list[str] = []
    size = counted = 0  # characters in parts: the result is refused before it outgrows ENV_VALUE_BYTES
    i, n = 0, len(text)
    while i < n:
        while counted < len(parts):
            size += len(parts[counted])
            counted += 1
        if size > limits.ENV_VALUE_BYTES:
            raise ValueTooLarge()
        dollar = text.find("$", i)
        if dollar < 0:
            parts.append(text[i:])
            break
        parts.append(text[i:dollar])
        i = dollar
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "$":
            parts.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise InterpolationError(f"unterminated variable reference in {_short(text)}")
            parts.append(_expand_braced(text[i + 2:end], env, unresolved, depth))
            i = end + 1
        else:
            m = _NAME.match(text, i + 1)
            if not m:
                parts.append("$")  # a lone `$` is kept literally
                i += 1
                continue
            parts.append(_lookup(m.group(0), env, unresolved))
            i = m.end()
    if size + sum(len(part) for part in parts[counted:]) > limits.ENV_VALUE_BYTES:
        raise ValueTooLarge()
    return "".join(parts)


def _short(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...")


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the reference opened just before ``start``, or -1 (linear)."""
    depth = 1
    i = start
    while True:
        close = text.find("}", i)
        if close < 0:
            return -1
        depth += text.count("${", i, close) - 1
        if depth == 0:
            return close
        i = close + 1


def _lookup(name: str, env: Mapping[str, str], unresolved: list[str]) -> str:
    if name in env:
        return env[name]
    unresolved.append(name)
    return UNRESOLVED_MARK


def _expand_braced(body: str, env: Mapping[str, str], unresolved: list[str], depth: int) -> str:
    m = _NAME.match(body)
    if not m:
        raise InterpolationError(f"invalid variable name in ${{{_short(body)[1:-1]}}}")
    name, rest = m.group(0), body[m.end():]
    if not rest:
        return _lookup(name, env, unresolved)
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op):]
            break
    else:
        raise InterpolationError(f"invalid variable reference ${{{_short(body)[1:-1]}}}")
    if depth >= limits.INTERPOLATION_DEPTH:
        exc = limits.LimitExceeded("nesting of variable defaults", limits.INTERPOLATION_DEPTH,
                                   "INTERPOLATION_DEPTH")
        raise InterpolationError(exc.message)
    value = env.get(name)
    is_set = value is not None
    is_filled = is_set and value != ""
    present = is_filled if op.startswith(":") else is_set
    if op in (":-", "-"):
        return value if present else _expand(arg, env, unresolved, depth + 1)  # type: ignore[return-value]
    if op in (":+", "+"):
        return _expand(arg, env, unresolved, depth + 1) if present else ""
    # `?` forms: Compose refuses to run without the variable; we record it as unresolved.
    if present:
        return value  # type: ignore[return-value]
    unresolved.append(name)
    return UNRESOLVED_MARK


_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_CHARS = _NAME_START | frozenset("0123456789.-")


def _env_assignment(line: str) -> tuple[str, str | None] | None:
    """``KEY=value`` (also ``export KEY = value``, ``KEY``) split without regexes; None if not one."""
    text = line.strip()
    if text.startswith("export") and text[6:7] in (" ", "\t"):
        text = text[6:].lstrip()
    if not text or text[0] not in _NAME_START:
        return None
    end = 1
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    key, rest = text[:end], text[end:].lstrip()
    if not rest:
        return key, None
    if rest[0] != "=":
        return None
    return key, rest[1:].lstrip()


def _strip_comment(raw: str) -> str:
    """An unquoted value up to the first ``#`` that follows whitespace."""
    mark = raw.find("#")
    while mark > 0:
        if raw[mark - 1].isspace():
            return raw[:mark]
        mark = raw.find("#", mark + 1)
    return raw


def parse_env_file(text: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Read a ``.env`` file the way Compose does (quotes, ``export``, comments).

    Unquoted and double-quoted values may refer to variables defined earlier in
    the file or in ``base``; single-quoted values are taken literally. Plain
    string scanning, linear in the size of the file. Lines end at LF or CRLF only, as
    Compose's dotenv reader splits them: a lone CR (or U+2028, NEL) is a character of the
    line. More than ``limits.ENV_LINES`` lines, or a value that expands beyond
    ``limits.ENV_VALUE_BYTES``, raise ``limits.LimitExceeded`` with the line.
    """
    lines_count = text.count("\n") + 1
    if lines_count > limits.ENV_LINES:
        raise limits.LimitExceeded("the number of lines in an env file", limits.ENV_LINES, "ENV_LINES",
                                   limits.ENV_LINES + 1)
    result: dict[str, str] = {}
    env = ChainMap(result, base if base is not None else {})  # looked up, never copied: see compose._environment
    lines = text.split("\n")  # what was counted; a CR before the LF is trimmed with the line's spaces
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i].removesuffix("\r")
        i += 1
        number = i
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        parsed = _env_assignment(line)
        if parsed is None:
            continue
        key, raw = parsed
        if raw is None:
            continue  # `KEY` alone takes the value from the environment; nothing to add here
        if raw[:1] in ("'", '"'):
            quote = raw[0]
            body = raw[1:]
            if quote not in body:  # multi-line quoted value: read on to the closing quote
                parts = [body]
                while i < len(lines):
                    parts.append(lines[i].removesuffix("\r"))
                    i += 1
                    if quote in parts[-1]:
                        break
                body = "\n".join(parts)
            value = body[: body.index(quote)] if quote in body else body
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
                value = _expand_env_value(value, env, number)
        else:
            value = _expand_env_value(_strip_comment(raw).strip(), env, number)
        result[key] = value
    return result


def _expand_env_value(value: str, env: Mapping[str, str], line: int = 0) -> str:
    if "$" not in value:
        return value
    try:
        expanded = _expand(value, env, [], 0)
    except ValueTooLarge as exc:
        raise limits.LimitExceeded(exc.limit.what, exc.limit.limit, exc.limit.name, line) from None
    except InterpolationError:
        return value
    return expanded.replace(UNRESOLVED_MARK, "")
