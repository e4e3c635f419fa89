"""``portlint diff`` as GitHub workflow commands: annotations on the lines that open or widen."""

from __future__ import annotations

from portlint.diff import DiffResult
from portlint.formatters import diff_common as common
from portlint.formatters.escape import workflow_data, workflow_property
from portlint.formatters.github import COMMAND


def render(result: DiffResult, options: dict) -> str:
    lines = []
    for change in result.changes:
        if not change.opens or change.after is None:
            continue
        e = change.after
        level = change.severity_after
        command = COMMAND[level] if level is not None else "notice"
        before = common.was(change)
        title = f"portlint diff: {change.status} [{common.severity(change)}] {common.rules(change)}".rstrip()
        message = f"{change.status}: {common.what(e)}{f' ({before})' if before else ''} ({e.resource})"
        if change.via:
            message += f"; through a change in {', '.join(change.via)}"
        loc = e.location
        lines.append(f"::{command} file={workflow_property(loc.file)},line={loc.line},"
                     f"endLine={max(loc.end_line, loc.line)},title={workflow_property(title)}::"
                     f"{workflow_data(message)}")
    for err in result.head.all_errors:
        lines.append(f"::error file={workflow_property(err.file)},line={err.line},col={err.column},"
                     f"title=PL001 input error::{workflow_data(err.message)}")
    for notice in common.notices(result):
        lines.append(f"::warning title=portlint diff::{workflow_data(notice)}")
    lines.append(workflow_data(common.headline(result)) + " " + common.summary(result))
    return "\n".join(lines) + "\n"
