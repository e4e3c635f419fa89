"""Fault isolation inside a parser: one bad unit (a rule, a document, a resource) costs only itself.

Parsers of the YAML/JSON formats run each unit through ``Units.run``: any
exception becomes an ``InputError`` at that unit's line, and the other units of
the file are still read. ``Units`` also counts the exposures one file produces
against ``limits.EXPOSURES_PER_FILE``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from portlint import limits
from portlint.model import Exposure, InputError, ParseOutcome
from portlint.netscope import parse_network

#: input errors listed per file (a 100,000-item loop of bad items must not make 100,000 messages)
MAX_ERRORS = 1_000
_ADDRESS_CHARS = frozenset("0123456789abcdefABCDEF.:/[]")


class Invalid(ValueError):
    """A unit whose value is not what the format expects; the message says what was expected.

    ``span`` (anything with ``line`` and ``column``) points inside the unit when the bad value is known.
    """

    def __init__(self, message: str, span: Any = None):
        super().__init__(message)
        self.span = span


class TooManyExposures(Exception):
    """The per-file exposure budget is spent; the rest of the file is not read."""

    def __init__(self, line: int):
        limit = limits.EXPOSURES_PER_FILE
        super().__init__(f"more than {limit:,} exposures in one file; the rest of this file is not checked "
                         f"(raise the limit with PORTLINT_MAX_EXPOSURES_PER_FILE; see docs/security.md)")
        self.line = line


def type_name(value: Any) -> str:
    """``a string``, ``a list`` ... for messages such as "ports must be a list, got a string"."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def expect(value: Any, kind: type, what: str, span: Any = None) -> Any:
    """``value`` when it is a ``kind`` (dict or list); otherwise Invalid("<what> must be a list, got ...")."""
    if isinstance(value, kind):
        return value
    wanted = "a mapping" if kind is dict else "a list" if kind is list else f"a {kind.__name__}"
    raise Invalid(f"{what} must be {wanted}, got {type_name(value)}", span)


def invalid_address(text: str) -> bool:
    """True for text written as an address or CIDR (digits, dots, colons, a slash) that is not one.

    ``300.1.1.1/33`` or ``10.0.0.0/40`` must be an error, never an unresolved word or a private network.
    Words (``office``, ``VirtualNetwork``, ``sg-123``) are not addresses and are left to the caller.
    """
    word = text.strip()
    if not word or not set(word) <= _ADDRESS_CHARS or not any(c.isdigit() for c in word):
        return False
    if not any(c in word for c in ".:/"):
        return False
    return parse_network(word) is None


def checked_address(value: Any, what: str, span: Any = None) -> str:
    """An address, CIDR or word from a source list, as text; Invalid for a malformed address."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Invalid(f"{what} must hold addresses or CIDRs as strings, got {type_name(value)}", span)
    text = str(value)
    if invalid_address(text):
        raise Invalid(f"{what}: {short(text)} is not a valid IP address or CIDR", span)
    return text


def short(value: Any, limit: int = 80) -> str:
    """``repr`` of a value for a message, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def failure_message(exc: BaseException) -> str:
    """What to say about an exception raised while reading a unit."""
    if isinstance(exc, (Invalid, limits.LimitExceeded)):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    text = str(exc)
    if len(text) > 200:
        text = text[:197] + "..."
    if isinstance(exc, ValueError):
        return text
    return f"unexpected value ({type(exc).__name__}: {text})"


class Units:
    """The exposures and errors of one file, gathered unit by unit."""

    def __init__(self, file: str):
        self.file = file
        self.exposures: list[Exposure] = []
        self.errors: list[InputError] = []
        self.full = False

    def outcome(self) -> ParseOutcome:
        return ParseOutcome(self.file, tuple(self.exposures), tuple(self.errors))

    def error(self, line: int, message: str, column: int = 1) -> None:
        if len(self.errors) > MAX_ERRORS:
            return
        if len(self.errors) == MAX_ERRORS:
            message = f"more than {MAX_ERRORS:,} input errors in this file; the others are not listed"
        self.errors.append(InputError(self.file, max(int(line), 1), message, max(int(column), 1)))

    def add(self, exposures: Iterable[Exposure]) -> None:
        """Keep exposures until the per-file budget is spent; then raise TooManyExposures."""
        for exposure in exposures:
            if len(self.exposures) >= limits.EXPOSURES_PER_FILE:
                raise TooManyExposures(exposure.location.line)
            self.exposures.append(exposure)

    def run(self, line: int, column: int, label: str, body: Callable[[], Iterable[Exposure] | None]) -> bool:
        """Run one unit; any failure becomes an error at ``line`` saying ``label: what went wrong``.

        Returns False once the file's exposure budget is spent (the caller stops reading the file).
        Exposures a unit yielded before it failed are dropped with it, so a unit counts whole or not at all,
        except when the budget runs out: what was produced before stays.
        """
        if self.full:
            return False
        produced: list[Exposure] = []
        try:
            result = body()
            if result is not None:
                for exposure in result:
                    produced.append(exposure)
                    if len(self.exposures) + len(produced) > limits.EXPOSURES_PER_FILE:
                        raise TooManyExposures(exposure.location.line)
        except TooManyExposures as exc:
            self.exposures.extend(produced[:max(limits.EXPOSURES_PER_FILE - len(self.exposures), 0)])
            self.error(exc.line, str(exc))
            self.full = True
            return False
        except Exception as exc:  # noqa: BLE001 - a bad unit must cost only itself
            prefix = f"{label}: " if label else ""
            at = getattr(exc, "span", None) if isinstance(exc, Invalid) else None
            if at is not None:
                line, column = at.line, at.column
            self.error(line, prefix + failure_message(exc), column)
            return True
        self.exposures.extend(produced)
        return True
