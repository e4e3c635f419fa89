"""Terraform values as Python values, plus ``Unknown`` for what cannot be known here.

Numbers are int/float, strings str, bools bool, null None, lists and sets list,
maps and objects dict. ``Unknown`` remembers which references it came from
(``var.cidr``, ``aws_vpc.main.id``) so findings can name them.
"""

from __future__ import annotations

from typing import Any, Iterable


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
    """An expression Terraform itself would reject (type errors, bad indexes)."""


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
    if isinstance(value, Unknown):
        return set(value.refs)
    if isinstance(value, list):
        return set().union(*(refs_in(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(refs_in(v) for v in value.values())) if value else set()
    return set()


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
    items = to_list(value)
    unique: list = []
    for item in items:
        if item not in unique:
            unique.append(item)
    try:
        return sorted(unique, key=lambda v: (not isinstance(v, str), v))
    except TypeError:
        return unique
