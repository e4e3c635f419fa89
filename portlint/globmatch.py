"""Gitignore-style patterns matched without regular expressions, in time linear in each input.

Patterns come from ``.portlint.yaml`` (``exclude``, ``per-file-ignores``,
``accept: file:``), which the checked repository controls. Compiled to a
regular expression, ``*a*a*a*a*a*a*a*a*a*ac`` against a long name backtracks
exponentially; here a pattern is split into ``/``-separated segments and
matched with the classic greedy wildcard algorithm (on a mismatch, go back to
the last star and let it take one more unit), within a segment over
characters and across segments over whole segments for ``**``. Each level is
at most O(pattern × text), never exponential.

Semantics, as in ``.gitignore``: ``*`` matches any run of characters other
than ``/``, ``?`` one such character, ``[abc]``, ``[a-z]``, ``[!a]`` / ``[^a]``
one character of a class (a ``[`` without a closing ``]`` is literal), ``\\``
makes the next character literal. ``**`` as a whole segment matches any
number of folders (``**/x``, ``a/**/b``); a trailing ``/**`` matches
everything inside (at least one more segment); ``**`` inside a segment is an
ordinary ``*``.
"""

from __future__ import annotations

from typing import Sequence

_STAR = ("*",)
_ONE = ("?",)
#: a pattern segment that is ``**``: zero or more path segments
ANY_SEGMENTS = None


def _class(text: str, i: int) -> tuple[tuple, int] | None:
    """The class opened by ``[`` at ``text[i]``: (("[", negate, items), next index), or None."""
    j = i + 1
    negate = j < len(text) and text[j] in "!^"
    if negate:
        j += 1
    items: list[tuple[str, str]] = []
    first = True
    while j < len(text):
        c = text[j]
        if c == "]" and not first:
            return ("[", negate, tuple(items)), j + 1
        first = False
        if c == "\\" and j + 1 < len(text):
            j += 1
            c = text[j]
        if j + 2 < len(text) and text[j + 1] == "-" and text[j + 2] != "]":
            high = text[j + 2]
            j += 2
            if high == "\\" and j + 1 < len(text):
                j += 1
                high = text[j]
            items.append((c, high))
        else:
            items.append((c, c))
        j += 1
    return None


def _segment_tokens(text: str) -> tuple:
    """One segment's tokens: a character, ``_STAR``, ``_ONE`` or a class."""
    tokens: list = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "*":
            if not tokens or tokens[-1] is not _STAR:  # ``**`` inside a segment is one ``*``
                tokens.append(_STAR)
            i += 1
        elif c == "?":
            tokens.append(_ONE)
            i += 1
        elif c == "[":
            parsed = _class(text, i)
            if parsed is None:
                tokens.append("[")
                i += 1
            else:
                tokens.append(parsed[0])
                i = parsed[1]
        elif c == "\\" and i + 1 < len(text):
            tokens.append(text[i + 1])
            i += 2
        else:
            tokens.append(c)
            i += 1
    return tuple(tokens)


def _one(token, c: str) -> bool:
    if token is _ONE:
        return True
    if isinstance(token, str):
        return token == c
    inside = any(low <= c <= high for low, high in token[2])
    return inside != token[1]


def _star_match(pattern: Sequence, items: Sequence, star: object, one) -> bool:
    """Whether ``pattern`` matches all of ``items``, where ``star`` matches any run of items and
    ``one(token, item)`` tests a single item: greedy, backtracking only to the last star, so
    O(len(pattern) × len(items)) calls of ``one`` at most (no exponential blow-up)."""
    p = t = 0
    last_star = -1
    resume = 0
    n, m = len(pattern), len(items)
    while t < m:
        if p < n and pattern[p] is star:
            last_star, resume = p, t
            p += 1
        elif p < n and one(pattern[p], items[t]):
            p += 1
            t += 1
        elif last_star >= 0:
            p = last_star + 1
            resume += 1
            t = resume
        else:
            return False
    while p < n and pattern[p] is star:
        p += 1
    return p == n


def segment_matches(tokens: Sequence, text: str) -> bool:
    """Whether one segment's tokens match the whole of ``text``."""
    return _star_match(tokens, text, _STAR, _one)


def _segments_match(pattern: Sequence, parts: Sequence[str]) -> bool:
    """Whether segment patterns (``ANY_SEGMENTS`` for ``**``) match all of ``parts``."""
    return _star_match(pattern, parts, ANY_SEGMENTS, segment_matches)


class GlobPattern:
    """A compiled gitignore-style pattern over ``/``-separated relative paths.

    ``anchored``: match from the base (else at any depth, as a pattern without a
    ``/`` does in ``.gitignore``); ``below``: a match of a folder also matches
    everything under it. ``fullmatch`` and ``match`` (the same here) take the
    whole path and return a truthy value, so the object stands where a compiled
    regular expression stood.
    """

    __slots__ = ("text", "segments")

    def __init__(self, body: str, anchored: bool, below: bool = False):
        self.text = body
        segments: list = [] if anchored else [ANY_SEGMENTS]
        raw = body.split("/") if body else []
        for index, part in enumerate(raw):
            if part == "**":
                if index == len(raw) - 1 and index > 0:  # a trailing ``/**``: everything inside
                    segments.append(_segment_tokens("*"))
                if not segments or segments[-1] is not ANY_SEGMENTS:
                    segments.append(ANY_SEGMENTS)
            elif part:
                segments.append(_segment_tokens(part))
        if below and (not segments or segments[-1] is not ANY_SEGMENTS):
            segments.append(ANY_SEGMENTS)
        self.segments = tuple(segments)

    def fullmatch(self, path: str) -> bool:
        return _segments_match(self.segments, [part for part in path.split("/") if part] if path else [])

    match = fullmatch

    def __repr__(self) -> str:
        return f"GlobPattern({self.text!r})"
