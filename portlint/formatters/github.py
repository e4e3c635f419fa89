"""GitHub Actions workflow commands (annotations) and a Markdown summary."""

from __future__ import annotations

from portlint.formatters.escape import markdown_code, markdown_text, workflow_data, workflow_property
from portlint.model import Report, Severity

COMMAND = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
           Severity.LOW: "notice", Severity.INFO: "notice"}


def render_check(report: Report, options: dict) -> str:
    """One ``::error``/``::warning``/``::notice`` line per finding and input error."""
    lines = []
    for f in report.findings:
        loc = f.location
        props = (f"file={workflow_property(loc.file)},line={loc.line},endLine={max(loc.end_line, loc.line)},"
                 f"col={loc.column},title={workflow_property(f'{f.rule_id} {f.rule_name} [{f.severity.label}]')}")
        lines.append(f"::{COMMAND[f.severity]} {props}::{workflow_data(f.message)}")
    for e in report.errors:
        props = f"file={workflow_property(e.file)},line={e.line},col={e.column},title=PL001 input error"
        lines.append(f"::error {props}::{workflow_data(e.message)}")
    from portlint.formatters.text import summary_line

    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def render_markdown(report: Report, options: dict) -> str:
    """A summary for ``$GITHUB_STEP_SUMMARY`` or a pull-request comment."""
    from portlint.formatters.text import summary_line

    counts = report.count_by_severity()
    out = ["## portlint", "", summary_line(report), ""]
    if report.findings:
        out += ["| severity | " + " | ".join(counts) + " |", "|---|" + "---|" * len(counts),
                "| findings | " + " | ".join(str(n) for n in counts.values()) + " |", ""]
        out += ["| | rule | location | finding |", "|---|---|---|---|"]
        for f in sorted(report.findings, key=lambda f: (-f.severity, f.location.file, f.location.line)):
            loc = f.location
            out.append(f"| **{f.severity.label}** | {markdown_code(f.rule_id)} {markdown_text(f.rule_name)} "
                       f"| {markdown_code(f'{loc.file}:{loc.line}')} | {markdown_text(f.message)} |")
        out.append("")
    else:
        out += ["No risky port exposure found.", ""]
    if report.errors:
        out += ["### Input errors", ""] + [f"- {markdown_code(f'{e.file}:{e.line}')}: {markdown_text(e.message)}"
                                           for e in report.errors] + [""]
    out.append("Run `portlint explain CODE` for what a rule means and how to fix it.")
    return "\n".join(out) + "\n"
