"""JSON documents for ``check`` and ``inventory`` (schemas in ``portlint/schemas``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

from portlint import __version__
from portlint.formatters.escape import json_safe
from portlint.formatters.jsontext import dumps_indented
from portlint.model import SCOPES, Exposure, Finding, Report, Severity

SCHEMA_VERSION = 1


def _tool() -> dict:
    return {"name": "portlint", "version": __version__}


def check_document(report: Report) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": _tool(),
        "findings": [f.to_dict() for f in report.findings],
        "errors": [e.to_dict() for e in report.errors],
        "suppressed": [_waived(f, report) for f in report.suppressed],
        "accepted": [_waived(f, report) for f in report.accepted],
        **({"notices": [n.to_dict() for n in report.notices]} if report.notices else {}),
        "summary": {
            "files_scanned": report.files_scanned,
            "findings": len(report.findings),
            "errors": len(report.errors),
            "suppressed": len(report.suppressed),
            "baselined": len(report.baselined),
            "accepted": len(report.accepted),
            "by_severity": report.count_by_severity(),
        },
    }


def _waived(finding: Finding, report: Report) -> dict:
    """A suppressed or accepted finding with the comment, annotation or accept entry that waived it."""
    waiver = report.waivers.get(finding)
    return {**finding.to_dict(), **({"suppression": waiver.to_dict()} if waiver is not None else {})}


def inventory_document(report: Report, reasons: Mapping[Finding, str] | None = None,
                       scan_root: str | None = None) -> dict:
    """The port map as data; the keys after ``errors`` were added for the HTML page (issue 16).

    Each exposure also carries its ``service`` name, its ``findings`` (open,
    ``suppressed`` by an inline comment with its reason, or ``accepted`` by the
    baseline), the highest open ``severity`` and a ``status``. Findings about
    rules that are not in the map (a shadowed allow) are in ``other_findings``.
    ``scan_root`` is the folder the ``file`` values are relative to, relative
    to the folder the document is written to (so ``render`` can link files
    from wherever the page goes).

    A finding is attached to the exposure object it was raised on; only a
    finding whose object is not in the map falls back to an equal exposure
    (all fields), and then to one that has no finding of that rule yet. No
    finding is ever attached twice.
    """
    reasons = reasons or {}
    judged = [(f, "open") for f in report.findings] + [(f, "suppressed") for f in report.suppressed] \
        + [(f, "accepted") for f in report.baselined]
    by_object: dict[int, list] = defaultdict(list)
    for exposure in report.exposures:
        by_object.setdefault(id(exposure), [])
    equal: dict = defaultdict(list)
    for exposure in report.exposures:
        equal[exposure].append(exposure)
    attached_to: dict[int, list] = defaultdict(list)
    other_pairs = []
    for finding, status in judged:
        if id(finding.exposure) in by_object:
            attached_to[id(finding.exposure)].append((finding, status))
            continue
        candidates = equal.get(finding.exposure, [])
        target = next((e for e in candidates
                       if not any(f.rule_id == finding.rule_id for f, _ in attached_to[id(e)])), None)
        if target is None:
            other_pairs.append((finding, status))
        else:
            attached_to[id(target)].append((finding, status))
    exposures = []
    for exposure in report.exposures:
        entries = [_judged(f, status, reasons.get(f)) for f, status in attached_to.get(id(exposure), ())]
        entries.sort(key=lambda d: (d["status"] != "open", -_RANK[d["severity"]], d["rule_id"]))
        exposures.append({**exposure.to_dict(), "service": service_name(exposure), "findings": entries,
                          "severity": _highest(entries), "status": _status(entries)})
    other = [{**f.to_dict(), "status": status, "reason": reasons.get(f)} for f, status in other_pairs]
    by_scope = {scope: 0 for scope in SCOPES}
    for e in report.exposures:
        by_scope[e.scope] = by_scope.get(e.scope, 0) + 1
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": _tool(),
        "exposures": exposures,
        "errors": [e.to_dict() for e in report.errors],
        "other_findings": other,
        "summary": {
            "files_scanned": report.files_scanned,
            "exposures": len(report.exposures),
            "errors": len(report.errors),
            "by_scope": by_scope,
            "by_severity": report.count_by_severity(),
            "suppressed": len(report.suppressed),
            "accepted": len(report.baselined),
        },
    }
    if scan_root is not None:
        document["scan_root"] = scan_root
    return document


def scan_root_for(options: dict) -> str | None:
    """Where the files are, relative to the folder the document is written to (from the page options)."""
    import os
    from pathlib import Path

    root, cwd = options.get("root"), options.get("cwd")
    if root is None or cwd is None:
        return None
    folder = Path(cwd) / (options.get("page_dir") or ".")
    try:
        return Path(os.path.relpath(os.path.realpath(root), os.path.realpath(folder))).as_posix()
    except ValueError:  # pragma: no cover - another drive on Windows
        return None


_RANK = {s.label: int(s) for s in Severity}


def _judged(finding: Finding, status: str, reason: str | None) -> dict:
    return {"rule_id": finding.rule_id, "rule_name": finding.rule_name, "severity": finding.severity.label,
            "message": finding.message, "status": status, "reason": reason}


def _highest(entries: list[dict]) -> str | None:
    open_ = [d["severity"] for d in entries if d["status"] == "open"]
    return max(open_, key=_RANK.__getitem__) if open_ else None


def _status(entries: list[dict]) -> str:
    """``open`` when any finding is open, else ``suppressed``/``accepted``, else ``none``."""
    statuses = {d["status"] for d in entries}
    for status in ("open", "suppressed", "accepted"):
        if status in statuses:
            return status
    return "none"


def service_name(exposure: Exposure) -> str:
    """What runs there, named as ``check`` names it (the image first), else ``""``."""
    from portlint.checks.verdict import service_label

    return service_label(exposure)


def render_check(report: Report, options: dict) -> str:
    return _dumps(check_document(report))


def render_inventory(report: Report, options: dict) -> str:
    document = inventory_document(report, options.get("suppression_reasons"), scan_root_for(options))
    return _dumps(document)


def _dumps(document: dict) -> str:
    """``document`` as indented JSON, lone surrogates written as ``\\udcff`` text (``json_safe``).

    ``json.dumps`` writes every character outside ASCII as a ``\\uXXXX`` escape, so text without
    ``\\ud`` holds no surrogate at all: ``json_safe`` would change nothing in it, and is not run
    over every string of the document (thousands of findings) for nothing."""
    text = dumps_indented(document)
    if "\\ud" in text:
        text = dumps_indented(json_safe(document))
    return text + "\n"
