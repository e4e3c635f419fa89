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
    """The fingerprint counts of a baseline; BaselineError, saying what is wrong, for anything else."""
    def refuse(what: str) -> BaselineError:
        return BaselineError(f"{origin} is not a portlint baseline: {what}")

    try:
        data = json.loads(text)
    except RecursionError:
        raise refuse(f"JSON nested too deeply at line {_deep_line(text)}") from None
    except json.JSONDecodeError as exc:
        raise refuse(f"not JSON at line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:
        raise refuse(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise refuse(f"expected a JSON object, got {_kind(data)}")
    findings = data.get("findings")
    if not isinstance(findings, dict):
        raise refuse(f"'findings' must be an object of fingerprints, got {_kind(findings)}")
    known: Counter = Counter()
    for fingerprint, entry in findings.items():
        if not isinstance(entry, dict):
            raise refuse(f"finding {fingerprint[:80]!r} must be an object, got {_kind(entry)}")
        count = entry.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise refuse(f"finding {fingerprint[:80]!r}: count must be a whole number of 0 or more, "
                         f"got {str(count)[:40]!r}")
        known[fingerprint] = count
    return known


def _deep_line(text: str, depth: int = 500) -> int:
    """The line where nesting first goes ``depth`` deep (strings skipped)."""
    level, in_string, escaped = 0, False, False
    for index, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            level += 1
            if level >= depth:
                return text.count("\n", 0, index) + 1
        elif ch in "]}":
            level -= 1
    return 1


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


def read(path: Path) -> Counter:
    """Load a baseline file through the safe reader (a regular file, within the size limit)."""
    from portlint.inputs import ReadRefused, read_input
    from portlint.limits import LimitExceeded

    try:
        text = read_input(path)
    except ReadRefused as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.reason}") from None
    except LimitExceeded as exc:  # pragma: no cover - read_input reports size itself
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    if text is None:
        raise BaselineError(f"baseline {path} does not exist")
    return load(text, str(path))


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


def settle(report: Report, write_to: Path | None = None, compare_with: Path | None = None,
           write=None) -> None:
    """Record the report's findings in ``write_to``, or drop those ``compare_with`` knows.

    ``write(path, text)`` writes the baseline (the CLI hands in its guarded writer).
    """
    if write_to is not None:
        if write is None:
            write_to.parent.mkdir(parents=True, exist_ok=True)
            write_to.write_text(dump(report.findings), encoding="utf-8")
        else:
            write(write_to, dump(report.findings))
        report.baselined, report.findings = report.findings, []
    elif compare_with is not None:
        report.findings, report.baselined = apply(report.findings, read(compare_with))
