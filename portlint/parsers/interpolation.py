"""Compose-style variable interpolation and ``.env`` files.

Supported, as Compose reads them: ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
``${VAR-default}``, ``${VAR:?message}``, ``${VAR?message}``, ``${VAR:+alt}``,
``${VAR+alt}``, nested defaults (``${A:-${B}}``) and ``$$`` for a literal ``$``.

A variable that is unset and has no default is *not* guessed: it is replaced by
``UNRESOLVED`` markers so callers can tell which part of a value it touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Stands in for an unresolved variable inside an interpolated value.
UNRESOLVED_MARK = "\x00"


class InterpolationError(ValueError):
    """A value whose ``$`` syntax Compose itself would reject."""


@dataclass
class Interpolated:
    value: str
    unresolved: list[str] = field(default_factory=list)


def interpolate(text: str, env: Mapping[str, str]) -> Interpolated:
    """Expand ``text`` with ``env``; unset variables without default become markers."""
    out = Interpolated("")
    out.value = _expand(text, env, out.unresolved)
    return out


def _expand(text: str, env: Mapping[str, str], unresolved: list[str]) -> str:
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "$":
            parts.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "$":
            parts.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise InterpolationError(f"unterminated variable reference in {text!r}")
            parts.append(_expand_braced(text[i + 2:end], env, unresolved))
            i = end + 1
        else:
            m = _NAME.match(text, i + 1)
            if not m:
                parts.append("$")  # a lone `$` is kept literally
                i += 1
                continue
            parts.append(_lookup(m.group(0), env, unresolved))
            i = m.end()
    return "".join(parts)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _lookup(name: str, env: Mapping[str, str], unresolved: list[str]) -> str:
    if name in env:
        return env[name]
    unresolved.append(name)
    return UNRESOLVED_MARK


def _expand_braced(body: str, env: Mapping[str, str], unresolved: list[str]) -> str:
    m = _NAME.match(body)
    if not m:
        raise InterpolationError(f"invalid variable name in ${{{body}}}")
    name, rest = m.group(0), body[m.end():]
    if not rest:
        return _lookup(name, env, unresolved)
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op):]
            break
    else:
        raise InterpolationError(f"invalid variable reference ${{{body}}}")
    value = env.get(name)
    is_set = value is not None
    is_filled = is_set and value != ""
    present = is_filled if op.startswith(":") else is_set
    if op in (":-", "-"):
        return value if present else _expand(arg, env, unresolved)  # type: ignore[return-value]
    if op in (":+", "+"):
        return _expand(arg, env, unresolved) if present else ""
    # `?` forms: Compose refuses to run without the variable; we record it as unresolved.
    if present:
        return value  # type: ignore[return-value]
    unresolved.append(name)
    return UNRESOLVED_MARK


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=\s*(.*?))?\s*$")


def parse_env_file(text: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Read a ``.env`` file the way Compose does (quotes, ``export``, comments).

    Unquoted and double-quoted values may refer to variables defined earlier in
    the file or in ``base``; single-quoted values are taken literally.
    """
    result: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _ENV_LINE.match(line)
        if not m:
            continue
        key, raw = m.group(1), m.group(2)
        if raw is None:
            continue  # `KEY` alone takes the value from the environment; nothing to add here
        if raw[:1] in ("'", '"'):
            quote = raw[0]
            body = raw[1:]
            while quote not in body and i < len(lines):  # multi-line quoted value
                body += "\n" + lines[i]
                i += 1
            value = body[: body.index(quote)] if quote in body else body
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
                value = _expand_env_value(value, {**(base or {}), **result})
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
            value = _expand_env_value(value, {**(base or {}), **result})
        result[key] = value
    return result


def _expand_env_value(value: str, env: Mapping[str, str]) -> str:
    try:
        expanded = _expand(value, env, [])
    except InterpolationError:
        return value
    return expanded.replace(UNRESOLVED_MARK, "")
