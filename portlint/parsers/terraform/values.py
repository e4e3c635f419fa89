"""Terraform values as Python values, plus ``Unknown`` for what cannot be known here.

Numbers are int/float, strings str, bools bool, null None, lists and sets list,
maps and objects dict. ``Unknown`` remembers which references it came from
(``var.cidr``, ``aws_vpc.main.id``) so findings can name them.
"""

from __future__ import annotations

from typing import Any, Iterable

from portlint import limits
from portlint.limits import LimitExceeded


class Unknown:
    """A value portlint cannot know before apply (or without a variable's value)."""

    __slots__ = ("refs",)

    def __init__(self, refs: Iterable[str] = ()):
        self.refs = frozenset(refs)

    def __repr__(self) -> str:
        return f"Unknown({', '.join(sorted(self.refs))})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.refs == self.refs

    def __hash__(self) -> int:
        return hash(self.refs)


class EvalError(Exception):
    """An expression Terraform itself would reject (type errors, bad indexes); becomes Unknown."""


class TerraformError(Exception):
    """Input that is wrong, not merely unknown (a string where a block belongs, a bad ``for_each``,
    a function called with the wrong number of arguments): reported as an input error at
    ``line`` of ``file``, filled in by the innermost evaluation that knows them."""

    def __init__(self, message: str, line: int = 0, column: int = 1, file: str | None = None):
        super().__init__(message)
        self.message, self.line, self.column, self.file = message, line, column, file


def kind_of(value: Any) -> str:
    """``a string``, ``a number`` ... for messages saying what was found."""
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    if value is None:
        return "null"
    return "an unknown value"


# --------------------------------------------------------------------------- budgets


class Budget:
    """Work allowed for one unit (a resource block, a module call, a variables file).

    Every evaluation step, every element or character a function builds and
    every node a walk over a value visits costs a step, so no expression can
    loop, blow up a cartesian product or walk a shared structure exponentially.
    A run-wide budget (TF_RUN_STEPS) is charged with what each unit spends
    beyond FREE_STEPS, so many expensive units cannot add up to a long run
    while ordinary trees, however large, never come near it.
    """

    __slots__ = ("steps", "limit", "name", "what")

    def __init__(self, name: str = "TF_STEPS", what: str = "Terraform evaluation steps for one block"):
        self.steps = 0
        self.name, self.what = name, what
        self.limit = getattr(limits, name)

    def exhausted(self) -> None:
        self.steps = self.limit + 1  # stays exhausted
        raise LimitExceeded(self.what, self.limit, self.name)


#: steps of each unit that do not count against the run-wide budget
FREE_STEPS = 20_000

_BUDGETS: list[Budget] = []


class budget:
    """``with budget(run):`` runs its body within a fresh unit Budget whose spending beyond
    FREE_STEPS is charged to the run-wide budget ``run`` (refused upfront once that is spent)."""

    def __init__(self, shared: Budget | None = None):
        self.shared = shared

    def __enter__(self) -> Budget:
        if self.shared is not None and self.shared.steps > self.shared.limit:
            self.shared.exhausted()
        b = Budget()
        _BUDGETS.append(b)
        return b

    def __exit__(self, *exc) -> None:
        b = _BUDGETS.pop()
        if self.shared is not None:
            self.shared.steps += max(0, b.steps - FREE_STEPS)


def charge(n: int = 1) -> None:
    """Spend ``n`` steps of the active budget (``evaluate`` opens one when none is active)."""
    if _BUDGETS:
        b = _BUDGETS[-1]
        b.steps += n
        if b.steps > b.limit:
            b.exhausted()


def has_budget() -> bool:
    return bool(_BUDGETS)


def check_size(value: Any) -> Any:
    """Refuse a list, map or string beyond the documented limits; charge its size."""
    if isinstance(value, str):
        if len(value) > limits.TF_STRING:
            raise LimitExceeded(f"a string of {len(value):,} characters", limits.TF_STRING, "TF_STRING")
        charge(1 + len(value) // 64)
    elif isinstance(value, (list, dict)):
        if len(value) > limits.TF_COLLECTION:
            raise LimitExceeded(f"a collection of {len(value):,} elements", limits.TF_COLLECTION,
                                "TF_COLLECTION")
        charge(1 + len(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        check_number(value)
    return value


def check_number(value: int) -> int:
    """Integers beyond TF_NUMBER_DIGITS decimal digits are refused before they cost time."""
    bits = value.bit_length()
    if bits > limits.TF_NUMBER_DIGITS * 3.33 + 4:
        raise LimitExceeded(f"a number of about {int(bits * 0.30103):,} digits", limits.TF_NUMBER_DIGITS,
                            "TF_NUMBER_DIGITS")
    return value


def unknown_of(*values: Any) -> Unknown | None:
    """Merge the Unknowns among ``values`` (None when all are known)."""
    refs: set[str] = set()
    found = False
    for value in values:
        if isinstance(value, Unknown):
            found = True
            refs |= value.refs
    return Unknown(refs) if found else None


def refs_in(value: Any) -> set[str]:
    """Every reference behind the Unknowns anywhere inside ``value``."""
    found: set[str] = set()
    stack = [value]
    while stack:  # iterative and charged: a value shared many times over is walked at a cost
        item = stack.pop()
        if isinstance(item, Unknown):
            found |= item.refs
        elif isinstance(item, list):
            charge(1 + len(item))
            stack.extend(item)
        elif isinstance(item, dict):
            charge(1 + len(item))
            stack.extend(item.values())
    return found


def to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    if value is None:
        raise EvalError("null cannot be used in a string")
    raise EvalError(f"cannot convert {type(value).__name__} to string")


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise EvalError("a bool is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return float(value.strip())
            except ValueError:
                raise EvalError(f"{value!r} is not a number") from None
    raise EvalError(f"cannot convert {type(value).__name__} to number")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise EvalError(f"cannot convert {value!r} to bool")


def to_list(value: Any) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    if value is None:
        return []
    raise EvalError(f"cannot convert {type(value).__name__} to a list")


def to_set(value: Any) -> list:
    """Terraform sets: unique elements, strings in lexical order."""
    unique = distinct(to_list(value))
    try:
        return sorted(unique, key=lambda v: (not isinstance(v, str), v))
    except TypeError:
        return unique


def freeze(value: Any) -> Any:
    """A hashable stand-in for a value (lists and maps by content), charged by size."""
    if isinstance(value, list):
        charge(1 + len(value))
        return ("list", tuple(freeze(v) for v in value))
    if isinstance(value, dict):
        charge(1 + len(value))
        return ("map", tuple((k, freeze(v)) for k, v in sorted(value.items())))
    if isinstance(value, Unknown):
        return ("unknown", value.refs)
    if isinstance(value, bool):
        return ("bool", value)
    return value


def distinct(items: list) -> list:
    """Elements in first-seen order without repeats, in linear time."""
    seen: set = set()
    out: list = []
    for item in items:
        key = freeze(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
