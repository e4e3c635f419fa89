"""Rule plug-in interface and the built-in rule set.

A rule only judges: it receives exposures and a ``RuleContext`` and yields
``Hit``s. The engine stamps the rule's code, name and configured severity on
each hit, so a rule cannot misreport its own identity.

A rule's docstring is its documentation, in one template: a one-line summary,
then ``## What it does``, ``## Why is this bad?``, ``## Example`` (fails),
``## Use instead`` (passes) and ``## References``. The two example sections hold
one code block per format family the rule applies to (Compose, Terraform,
Kubernetes, firewall YAML ...), in the same order, each starting with a
``# FILE NAME`` comment; tests run every block. Messages end with the fix from
``portlint.checks.fixes``.

A rule whose ``check`` can only report exposures of one kind says so with
``applies_to``, a function of the exposure (``staticmethod(public_ingress)``):
the engine then hands ``check`` only the exposures it admits, working each
such set out once for every rule that names the same function. A rule that
leaves it ``None`` (every plug-in rule written before it existed) sees every
exposure. ``finish`` always receives every exposure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, Iterator

from portlint.model import Exposure, Severity
from portlint.reference import RiskList


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule's verdict on one exposure; severity None means the rule's default."""

    exposure: Exposure
    message: str
    severity: Severity | None = None


@dataclass
class RuleContext:
    risks: RiskList
    shadowed: list = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


class Rule:
    """Base class for rules (built-in and plug-in)."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.MEDIUM
    summary: ClassVar[str] = ""
    #: None, or a function of an exposure that is true for every exposure ``check`` can report
    #: (``check`` is then called with those only); see the module's documentation
    applies_to: ClassVar[Callable[[Exposure], bool] | None] = None

    def check(self, exposure: Exposure, ctx: RuleContext) -> Iterable[Hit]:
        """Judge one exposure."""
        return ()

    def finish(self, exposures: list[Exposure], ctx: RuleContext) -> Iterable[Hit]:
        """Judge the whole set at once (for cross-exposure rules)."""
        return ()

    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")


def builtin_rules() -> list[type[Rule]]:
    """Entry point of the built-in rules; imports them only when asked."""
    from portlint.checks import compose_rules, hygiene, internet, private, registry_rules, unresolved

    return [
        *internet.RULES,
        *private.RULES,
        *compose_rules.RULES,
        *registry_rules.RULES,
        *unresolved.RULES,
        *hygiene.RULES,
    ]


def iter_rule_classes(factories: Iterable[Any]) -> Iterator[type[Rule]]:
    """Flatten what entry points return (a list of classes, or a callable making one)."""
    for factory in factories:
        produced = factory() if callable(factory) and not isinstance(factory, type) else factory
        if isinstance(produced, type):
            yield produced
        else:
            yield from produced
