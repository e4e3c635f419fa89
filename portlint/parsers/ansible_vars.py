"""Ansible variables and ``when:`` conditions, as far as a file says them.

Variables come with Ansible's precedence, lowest first: role ``defaults/main.yml``,
inventory ``group_vars/all``, ``group_vars/<group>``, ``host_vars/<host>``, play
``vars``, role ``vars/main.yml``, block ``vars``, task ``vars``. Groups (and hosts)
of one play stand side by side: when they give a variable different values, each
value is a candidate, the task is judged with the most exposed one, and the
exposure names where that value was set (``Exposure.origins``).

``when:`` is evaluated when it is a literal (``false``, ``"no"``) or a simple test
of known variables (``x``, ``not x``, ``x | bool``, ``x is defined``, ``x == 'a'``,
``and``/``or`` of those); anything else may be true, so the task is judged as if it ran.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from portlint.model import InputError, Step

#: ``{{ name }}``, with the harmless filters that keep the value
_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,127})\s*((?:\|\s*(?:int|string|trim|lower|upper)\s*){0,4})\}\}")
#: value combinations tried for one task (each a set of candidate values): a fixed bound, not input-sized
MAX_VARIANTS = 16
#: ``{{ a }}`` whose value is ``{{ b }}`` ...: how deep values are rendered
MAX_DEPTH = 5
#: groups and hosts of one play whose variable files are read
MAX_GROUPS = 16
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0", ""})


@dataclass(frozen=True, slots=True)
class Value:
    value: Any
    origin: Step


#: variable name -> candidate values (one, or one per group/host that sets it differently)
Scope = dict[str, tuple[Value, ...]]


def layer(scope: Scope, mapping: Any, label: str, file: str, spans: dict | None = None) -> Scope:
    """``scope`` with ``mapping``'s variables set on top (a higher precedence level)."""
    if not isinstance(mapping, dict) or not mapping:
        return scope
    spans = spans if spans is not None else getattr(mapping, "spans", {}) or {}
    result = dict(scope)
    for name, value in mapping.items():
        if isinstance(name, str):
            span = spans.get(name)
            result[name] = (Value(value, Step(label, file, span.line if span else 1, span.column if span else 1)),)
    return result


def side_by_side(scope: Scope, layers: list[tuple[Any, str, str]]) -> Scope:
    """``scope`` with several mappings of one precedence level (the groups of a play): values that differ
    are alternatives."""
    found: dict[str, list[Value]] = {}
    for mapping, label, file in layers:
        for name, values in layer({}, mapping, label, file).items():
            known = found.setdefault(name, [])
            if all(v.value != values[0].value for v in known):
                known.append(values[0])
    result = dict(scope)
    result.update({name: tuple(values) for name, values in found.items()})
    return result


def alternatives(base: Scope, scopes: list[Scope], used: set[str], limit: int) -> Scope:
    """``base`` with the variables of several hosts of one play on top: where hosts end with different
    values (a host that does not set a variable keeps ``base``'s), each value is a candidate (at most
    ``limit`` per variable). Only ``used`` names (those the play's tasks may render) are compared."""
    if not scopes:
        return dict(base)
    result = dict(base)
    wanted, frontier = set(used), set(used)
    for _ in range(MAX_DEPTH):  # and the names their values use ({{ office_net }} in a group var)
        more: set[str] = set()
        for scope in scopes:
            for name in frontier:
                for candidate in scope.get(name, ()):
                    _names(candidate.value, more)
        frontier = more - wanted
        wanted |= frontier
        if not frontier:
            break
    names = {name for scope in scopes for name in scope if name in wanted}
    for name in sorted(names):
        found: dict[str, Value] = {}
        for scope in scopes:
            for candidate in scope.get(name) or base.get(name) or ():
                key = repr(candidate.value)
                if key not in found and len(found) < limit:
                    found[key] = candidate
        result[name] = tuple(found.values())
    return result


def names_in(value: Any, out: set[str]) -> None:
    """The variable names ``value`` (a play) may use: in ``{{ }}`` and as words of bare expressions
    (``when:``)."""
    _names(value, out)
    words: set[str] = set()
    stack = [value]
    while stack:  # names in `when:` and other bare expressions: any identifier-like word
        item = stack.pop()
        if isinstance(item, str):
            if len(item) <= 500:
                words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]{0,127}", item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    out.update(words)


def render_known(text: str, known: dict[str, Any]) -> str:
    """``text`` with ``{{ name }}`` filled where ``known`` has the name (a vars_files path)."""
    result = _substitute(text, known)
    return result if isinstance(result, str) else text


def _names(value: Any, out: set[str]) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "{{" in item:
                out.update(m.group(1) for m in _VAR.finditer(item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _first(scope: Scope, name: str) -> Any:
    values = scope.get(name)
    return values[-1].value if values else None


def _substitute(value: Any, env: dict[str, Any], depth: int = 0) -> Any:
    if isinstance(value, str) and "{{" in value:
        whole = _VAR.fullmatch(value.strip())
        if whole and whole.group(1) in env:
            found = env[whole.group(1)]
            if isinstance(found, str) and "{{" in found and depth < MAX_DEPTH:
                return _substitute(found, env, depth + 1)
            return found

        def replace(m: re.Match) -> str:
            if m.group(1) not in env:
                return m.group(0)
            found = env[m.group(1)]
            if isinstance(found, str) and "{{" in found and depth < MAX_DEPTH:
                found = _substitute(found, env, depth + 1)
            return str(found)
        return _VAR.sub(replace, value)
    if isinstance(value, dict):
        return {k: _substitute(v, env, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, env, depth) for v in value]
    return value


def variants(args: Any, scope: Scope) -> Iterator[tuple[Any, tuple[Step, ...]]]:
    """``args`` rendered with each combination of candidate values (at most MAX_VARIANTS), and where they came from."""
    used: set[str] = set()
    _names(args, used)
    names = sorted(n for n in used if n in scope)
    if not names:
        yield args, ()
        return
    # values that use other variables are rendered with those variables' chosen value
    nested: set[str] = set()
    for name in names:
        for candidate in scope[name]:
            _names(candidate.value, nested)
    base = {n: _first(scope, n) for n in nested if n in scope}
    choices = [scope[n] for n in names]
    for combo in itertools.islice(itertools.product(*choices), MAX_VARIANTS):
        env = dict(base)
        env.update({n: v.value for n, v in zip(names, combo)})
        yield _substitute(args, env), tuple(v.origin for v in combo)


def when(condition: Any, scope: Scope) -> bool | None:
    """True or False when ``condition`` can be decided from literals and known variables; None otherwise."""
    if isinstance(condition, list):
        results = [when(c, scope) for c in condition]
        if any(r is False for r in results):
            return False
        return True if all(r is True for r in results) else None
    if isinstance(condition, bool):
        return condition
    if not isinstance(condition, str) or len(condition) > 500:
        return None
    text = condition.strip()
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2].strip()
    if "(" in text or ")" in text:
        return None
    for word, combine in ((" or ", any), (" and ", all)):
        if word in text:
            parts = [_test(p.strip(), scope) for p in text.split(word)]
            if combine is any:
                return True if any(p is True for p in parts) else False if all(p is False for p in parts) else None
            return False if any(p is False for p in parts) else True if all(p is True for p in parts) else None
    return _test(text, scope)


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None
    return None


def _literal(text: str, scope: Scope) -> tuple[bool, Any]:
    """(known, value) of a literal or a variable with one candidate."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return True, text[1:-1]
    if text.lstrip("-").isdigit() and len(text) < 10:
        return True, int(text)
    if text.lower() in ("true", "false"):
        return True, text.lower() == "true"
    values = scope.get(text)
    if values is not None and len(values) == 1:
        return True, values[0].value
    return False, None


def _test(text: str, scope: Scope) -> bool | None:
    if text.startswith("not "):
        inner = _test(text[4:].strip(), scope)
        return None if inner is None else not inner
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]{0,127})\s+is\s+(not\s+)?(defined|undefined)", text)
    if match:
        if match.group(1) not in scope:
            return None  # may come from an inventory or extra vars portlint does not see
        defined = match.group(3) == "defined"
        return defined != bool(match.group(2))
    for op in ("==", "!="):
        if op in text:
            left, right = (p.strip() for p in text.split(op, 1))
            (known_l, a), (known_r, b) = _literal(left, scope), _literal(right, scope)
            if not (known_l and known_r):
                return None
            equal = a == b or str(a) == str(b)
            return equal if op == "==" else not equal
    text = re.sub(r"\s*\|\s*bool\s*$", "", text)
    if text.lower() in ("true", "yes", "false", "no"):
        return text.lower() in ("true", "yes")
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", text):
        values = scope.get(text)
        if values is None or len(values) != 1:
            return None
        return _truth(values[0].value)
    return None


def host_patterns(hosts: Any) -> list[str]:
    """The words of a play's ``hosts:`` (``web:&prod:!db``, ``[web, db]``, ``web*``) without their
    ``&``/``!`` operators and ``[0]`` subscripts, at most MAX_GROUPS; names with ``..`` or ``/`` are left out.
    Intersections and exclusions are read as unions: more hosts, never fewer, are judged."""
    if isinstance(hosts, list):
        words = [str(h) for h in hosts if isinstance(h, (str, int))]
    elif isinstance(hosts, str):
        words = re.split(r"[:,]", hosts)
    else:
        return []
    names = []
    for word in words:
        name = re.sub(r"\[[0-9:-]*\]$", "", word.strip().lstrip("&!"))
        if name and len(name) <= 128 and ".." not in name and "/" not in name and "{{" not in name \
                and name not in names:
            names.append(name)
    return names[:MAX_GROUPS]


def read_vars(ctx: Any, path: Path, display: str, asking: str, line: int) -> tuple[Any, list[InputError]]:
    """A variables file (or None when absent) read through the parse context; problems are errors at ``line``."""
    from portlint.inputs import ReadRefused
    from portlint.yamlpos import load_single

    try:
        text = ctx.read_text(path)
    except ReadRefused as exc:
        return None, [InputError(asking, line, f"{display}: {exc}")]
    if text is None:
        return None, []
    document, problems = load_single(text)
    errors = [InputError(asking, line, f"{display}:{p.line}: {p.message}") for p in problems]
    return (document if isinstance(document, dict) else None), errors
