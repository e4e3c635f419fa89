"""``portlint diff`` for people: opened and widened first, each with before → after."""

from __future__ import annotations

import click

from portlint.diff import DiffResult
from portlint.formatters import diff_common as common
from portlint.formatters.escape import visible

COLOURS = {"opened": "red", "widened": "red", "narrowed": "green", "closed": "green"}


def render(result: DiffResult, options: dict) -> str:
    colour = options.get("color", False)

    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if colour else text

    head = result.head
    lines = [f"portlint diff {visible(result.base.label)} → {visible(head.label)}",
             style(visible(common.headline(result)), bold=True), ""]
    for status in ("opened", "widened", "narrowed", "closed"):
        changes = result.by_status(status)
        if not changes:
            continue
        lines.append(style(f"{status} ({len(changes)})", fg=COLOURS[status], bold=True))
        for change in changes:
            e = change.exposure
            rules = common.rules(change)
            lines.append(f"  {visible(common.where(e))}  {visible(e.resource)}  {visible(common.what(e))}"
                         f"  [{common.severity(change)}{' ' + rules if rules else ''}]")
            for reason in change.reasons:
                lines.append(f"      {visible(reason)}")
            if change.via:
                lines.append(f"      through a change in {visible(', '.join(change.via))}")
        lines.append("")
    for change in result.newly_suppressed:
        for f in change.newly_suppressed:
            lines.append(f"newly suppressed: {visible(common.where(f.exposure))} {f.rule_id} {visible(f.message)}")
    for path in result.config_changes:
        lines.append(f"configuration changed: {visible(path)} (both sides were checked with the current one)")
    for label, errors in (("HEAD", head.all_errors), ("BASE", result.base.all_errors)):
        for e in errors:
            lines.append(f"{visible(e.file)}:{e.line}:{e.column}: {label} PL001 [error] {visible(e.message)}")
    lines.append(common.summary(result))
    return "\n".join(lines) + "\n"
