"""``portlint diff`` as Markdown for a pull-request comment or the job summary.

A headline a reviewer understands in ten seconds, the opened and widened
exposures (at most ``max_rows``, the rest folded), then collapsible details:
narrowed and closed, new suppressions, configuration changes, input errors.
"""

from __future__ import annotations

from portlint.diff import Change, DiffResult
from portlint.formatters import diff_common as common
from portlint.formatters.escape import markdown_code, markdown_text


def _row(change: Change) -> str:
    e = change.exposure
    before = common.was(change)
    exposure = f"{markdown_text(common.what(e))}{f' ({markdown_text(before)})' if before else ''}"
    if change.via:
        exposure += f"; through {', '.join(markdown_code(v) for v in change.via)}"
    rules = common.rules(change)
    return (f"| **{change.status}** | {exposure} | {markdown_code(common.where(e))} | "
            f"{markdown_code(common.unit(e))} | {markdown_text(common.severity(change))}"
            f"{' ' + markdown_text(rules) if rules else ''} |")


_HEADER = ["| change | exposure | where | resource | severity (before → after) |", "|---|---|---|---|---|"]


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def render(result: DiffResult, options: dict) -> str:
    limit = int(options.get("max_rows") or 10)
    out = ["## portlint diff", "", f"**{markdown_text(common.headline(result))}**", ""]
    for notice in common.notices(result):
        out += [f"> **Warning:** {markdown_text(notice)}", ""]
    opening = [c for c in result.changes if c.opens]
    if opening:
        out += _HEADER + [_row(c) for c in opening[:limit]] + [""]
        if len(opening) > limit:
            out += _details(f"{len(opening) - limit} more opened or widened",
                            _HEADER + [_row(c) for c in opening[limit:]])
    calmer = [c for c in result.changes if not c.opens]
    if calmer:
        counts = result.counts()
        title = ", ".join(f"{counts[s]} {s}" for s in ("narrowed", "closed") if counts[s])
        out += _details(title, _HEADER + [_row(c) for c in calmer])
    quiet = result.newly_suppressed
    if quiet:
        body = [f"- {markdown_code(common.where(f.exposure))} {markdown_text(f.rule_id)} "
                f"{markdown_text(f.message)}" for c in quiet for f in c.newly_suppressed]
        out += _details(f"{len(body)} newly suppressed by inline comments", body)
    if result.config_changes:
        body = [f"- {markdown_code(p)}" for p in result.config_changes]
        body += ["", {"base": f"Both sides were checked with BASE's configuration "
                               f"({markdown_code(result.config_file or '')}).",
                      "option": "Both sides were checked with the configuration given with --config.",
                      "none": "Both sides were checked without a configuration (BASE has none)."}.get(
            result.config_source, "Both sides were checked with the configuration of the current folder.")]
        out += _details("configuration changed", body)
    for label, errors in (("HEAD", result.head.all_errors), ("BASE", result.base.all_errors)):
        if errors:
            body = [f"- {markdown_code(f'{e.file}:{e.line}')}: {markdown_text(e.message)}" for e in errors]
            out += _details(f"{len(errors)} input errors in {label}", body)
    base = result.base
    revision = f" ({base.revision[:12]})" if base.revision else ""
    out.append(f"Compared {markdown_code(base.label)}{revision} with {markdown_code(result.head.label)}: "
               f"{markdown_text(common.summary(result))}")
    return "\n".join(out) + "\n"
