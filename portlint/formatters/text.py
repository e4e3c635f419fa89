"""Text for people: one line per finding, a summary, colour only when asked."""

from __future__ import annotations

import click

from portlint.formatters.escape import visible
from portlint.model import Report, Severity

SEVERITY_COLOURS = {
    Severity.CRITICAL: "magenta", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan", Severity.INFO: "blue",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_check(report: Report, options: dict) -> str:
    colour = options.get("color", False)

    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if colour else text

    rows: list[tuple[tuple, str]] = []
    for f in report.findings:
        loc = f.location
        sev = style(f"[{f.severity.label}]", fg=SEVERITY_COLOURS[f.severity], bold=f.severity >= Severity.HIGH)
        where = style(f"{visible(loc.file)}:{loc.line}:{loc.column}:", bold=True)
        rows.append(((loc.file, loc.line, loc.column, 1, f.exposure.root),
                     f"{where} {visible(f.rule_id)} {sev} {visible(f.message)} ({visible(f.rule_name)})"
                     + visible(reached(f.exposure))))
    for e in report.errors:
        where = style(f"{visible(e.file)}:{e.line}:{e.column}:", bold=True)
        rows.append(((e.file, e.line, e.column, 0, ""),
                     f"{where} PL001 {style('[error]', fg='red', bold=True)} {visible(e.message)} (input-error)"))
    lines = [text for _, text in sorted(rows, key=lambda r: r[0])]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def reached(e) -> str:
    """`` [root envs/staging: module.sgs at envs/staging/main.tf:5; value var.x at ...:2]`` for an
    exposure reached through module calls; `` [value from group_vars/web at group_vars/web.yml:1]`` for
    one whose deciding value was set elsewhere (an Ansible host or vars file); empty otherwise."""
    if not e.via:
        return f" [value from {'; '.join(str(step) for step in e.origins[:2])}]" if e.origins else ""
    calls = " > ".join(f"{step.label} at {step.file}:{step.line}" for step in e.via)
    values = "; ".join(f"value {step}" for step in e.origins[:2])
    return f" [root {e.root}: {calls}" + (f"; {values}" if values else "") + "]"


def summary_line(report: Report) -> str:
    counts = report.count_by_severity()
    parts = ", ".join(f"{n} {label}" for label, n in counts.items() if n)
    found = _plural(len(report.findings), "finding") + (f" ({parts})" if parts else "")
    errors = f" and {_plural(len(report.errors), 'input error')}" if report.errors else ""
    quiet = [f"{len(report.suppressed)} suppressed"] if report.suppressed else []
    quiet += [f"{len(report.baselined)} in the baseline"] if report.baselined else []
    quiet += [f"{len(report.accepted)} accepted"] if report.accepted else []
    extra = f" ({', '.join(quiet)})" if quiet else ""
    return f"{found}{errors} in {_plural(report.files_scanned, 'file')}{extra}."


def render_inventory(report: Report, options: dict) -> str:
    from portlint.checks.verdict import service_label
    from portlint.reference import load_risk_list

    risks = load_risk_list()
    header = ("LOCATION", "RESOURCE", "DIR", "ACTION", "PROTO", "PORTS", "TARGET", "SCOPE", "SOURCES", "SERVICE")
    rows = [header]
    for e in report.exposures:
        rows.append(tuple(visible(cell) for cell in (
            f"{e.location.file}:{e.location.line}" + (f" (root {e.root})" if e.via else ""), e.resource, e.direction, e.action, e.protocol,
            str(e.port_range), str(e.target_port_range) if e.target_port_range else "-", e.scope,
            ",".join(e.sources) or "-", service_label(e, risks) or "-",
        )))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.append(f"{_plural(len(report.exposures), 'exposure')} in {_plural(report.files_scanned, 'file')}"
                 + (f", {_plural(len(report.errors), 'input error')}" if report.errors else "") + ".")
    for e in report.errors:
        lines.append(f"{visible(e.file)}:{e.line}:{e.column}: error: {visible(e.message)}")
    return "\n".join(lines) + "\n"
