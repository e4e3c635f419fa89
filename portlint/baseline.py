"""Baselines: accept today's findings, fail only on new ones.

A baseline file records each finding's fingerprint (rule, file, resource,
ports, sources: never the line number, so edits above a finding do not
matter) and how many times it occurs.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from portlint import __version__
from portlint.model import Finding, Report


class BaselineError(Exception):
    pass


def dump(findings: list[Finding]) -> str:
    counts = Counter(f.fingerprint for f in findings)
    entries = {}
    for f in findings:
        entries.setdefault(f.fingerprint, {"rule_id": f.rule_id, "file": f.location.file,
                                           "resource": f.exposure.resource, "message": f.message,
                                           "count": counts[f.fingerprint]})
    return json.dumps({"schema_version": 1, "tool": {"name": "portlint", "version": __version__},
                       "findings": entries}, indent=2, sort_keys=True) + "\n"


def load(text: str, origin: str) -> Counter:
    try:
        data = json.loads(text)
        return Counter({fingerprint: int(entry.get("count", 1)) for fingerprint, entry in data["findings"].items()})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BaselineError(f"{origin} is not a portlint baseline: {exc}") from None


def apply(findings: list[Finding], known: Counter) -> tuple[list[Finding], list[Finding]]:
    """(new, baselined): up to the recorded count of each fingerprint is baselined."""
    remaining = Counter(known)
    new, old = [], []
    for finding in findings:
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            old.append(finding)
        else:
            new.append(finding)
    return new, old


def settle(report: Report, write_to: Path | None = None, compare_with: Path | None = None) -> None:
    """Record the report's findings in ``write_to``, or drop those ``compare_with`` knows."""
    if write_to is not None:
        write_to.parent.mkdir(parents=True, exist_ok=True)
        write_to.write_text(dump(report.findings), encoding="utf-8")
        report.baselined, report.findings = report.findings, []
    elif compare_with is not None:
        known = load(compare_with.read_text(encoding="utf-8"), str(compare_with))
        report.findings, report.baselined = apply(report.findings, known)
