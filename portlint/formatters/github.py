"""GitHub Actions workflow commands (annotations) and a Markdown summary."""

from __future__ import annotations

from portlint.formatters.escape import markdown_code, markdown_text, workflow_data, workflow_property
from portlint.model import Report, Severity

COMMAND = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
           Severity.LOW: "notice", Severity.INFO: "notice"}


def render_check(report: Report, options: dict) -> str:
    """One ``::error``/``::warning``/``::notice`` line per input error and finding.

    GitHub shows at most 10 annotations of each kind per step (50 per job), so
    input errors come first, then findings from the most severe down.
    """
    lines = []
    for e in report.errors:
        props = f"file={workflow_property(e.file)},line={e.line},col={e.column},title=PL001 input error"
        lines.append(f"::error {props}::{workflow_data(e.message)}")
    for f in sorted(report.findings, key=lambda f: (-f.severity, f.location.file, f.location.line,
                                                    f.location.column, f.rule_id)):
        loc = f.location
        props = (f"file={workflow_property(loc.file)},line={loc.line},endLine={max(loc.end_line, loc.line)},"
                 f"col={loc.column},title={workflow_property(f'{f.rule_id} {f.rule_name} [{f.severity.label}]')}")
        lines.append(f"::{COMMAND[f.severity]} {props}::{workflow_data(f.message)}")
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
    waived = [(f, "suppressed") for f in report.suppressed] + [(f, "accepted") for f in report.accepted]
    if waived:
        out += ["<details><summary>Suppressed and accepted findings</summary>", "",
                "| | rule | location | reason |", "|---|---|---|---|"]
        for f, how in waived:
            waiver = report.waivers.get(f)
            reason = waiver.reason if waiver is not None and waiver.reason else "(no reason given)"
            if waiver is not None and waiver.expires is not None:
                reason += f" (until {waiver.expires.isoformat()})"
            out.append(f"| {how} | {markdown_code(f.rule_id)} | {markdown_code(f'{f.location.file}:{f.location.line}')} "
                       f"| {markdown_text(reason)} |")
        out += ["", "</details>", ""]
    if report.errors:
        out += ["### Input errors", ""] + [f"- {markdown_code(f'{e.file}:{e.line}')}: {markdown_text(e.message)}"
                                           for e in report.errors] + [""]
    out.append("Run `portlint explain CODE` for what a rule means and how to fix it.")
    return "\n".join(out) + "\n"
