"""GitLab Code Quality report (the JSON array GitLab shows in merge requests)."""

from __future__ import annotations

import json

from portlint.formatters.escape import json_safe
from portlint.model import Report, Severity

GITLAB_SEVERITY = {Severity.CRITICAL: "blocker", Severity.HIGH: "critical", Severity.MEDIUM: "major",
                   Severity.LOW: "minor", Severity.INFO: "info"}


def render_check(report: Report, options: dict) -> str:
    issues = [{
        "description": f"{f.rule_id} {f.message}",
        "check_name": f.rule_name,
        "fingerprint": f.fingerprint,
        "severity": GITLAB_SEVERITY[f.severity],
        "categories": ["Security"],
        "location": {"path": f.location.file,
                     "lines": {"begin": f.location.line, "end": max(f.location.end_line, f.location.line)}},
    } for f in report.findings]
    issues += [{
        "description": f"PL001 input error: {e.message}",
        "check_name": "input-error",
        "fingerprint": f"input-error:{e.file}:{e.line}",
        "severity": "blocker",
        "categories": ["Bug Risk"],
        "location": {"path": e.file, "lines": {"begin": e.line, "end": e.line}},
    } for e in report.errors]
    return json.dumps(json_safe(issues), indent=2) + "\n"
