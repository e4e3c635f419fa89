"""Example organisation rules for portlint."""

from __future__ import annotations


def rules():
    """Entry point: the rule classes this package adds (imported only when portlint asks)."""
    from portlint_example_rules.ci import NoPublicCi

    return [NoPublicCi]
