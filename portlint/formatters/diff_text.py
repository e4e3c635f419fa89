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
    lines.pop()  # the notices come right under the headline
    for notice in common.notices(result):
        lines.append(style(f"warning: {visible(notice)}", fg="yellow", bold=True))
    lines.append("")
    blocks = (("opened or widened", [c for c in result.changes if c.opens]),
              ("narrowed or closed", [c for c in result.changes if not c.opens]))
    for title, changes in blocks:
        if not changes:
            continue
        lines.append(style(f"{title} ({len(changes)}), riskiest first", fg="red" if changes[0].opens else "green",
                           bold=True))
        for change in changes:  # already in risk order (portlint.diff.risk_order)
            e = change.exposure
            rules = common.rules(change)
            status = style(f"{change.status:8s}", fg=COLOURS[change.status])
            lines.append(f"  {status} {visible(common.where(e))}  {visible(common.unit(e))}  "
                         f"{visible(common.what(e))}  [severity {common.severity(change)}{' ' + rules if rules else ''}]")
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
