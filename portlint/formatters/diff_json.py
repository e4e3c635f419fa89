"""``portlint diff`` as JSON (schema: ``portlint/schemas/diff.schema.json``)."""

from __future__ import annotations

import json

from portlint import __version__
from portlint.diff import Change, DiffResult, Side
from portlint.formatters import diff_common as common

SCHEMA_VERSION = 1


def _finding(f) -> dict:
    return {"rule_id": f.rule_id, "rule_name": f.rule_name, "severity": f.severity.label, "message": f.message}


def _change(change: Change) -> dict:
    e = change.exposure
    return {
        "status": change.status,
        "kind": e.kind,
        "resource": e.resource,
        "root": common.root(e) or None,
        "file": e.location.file,
        "line": e.location.line,
        "service": common.service_name(e) or None,
        "reasons": list(change.reasons),
        "severity_before": change.severity_before.label if change.severity_before is not None else None,
        "severity_after": change.severity_after.label if change.severity_after is not None else None,
        "before": change.before.to_dict() if change.before is not None else None,
        "after": change.after.to_dict() if change.after is not None else None,
        "findings_before": [_finding(f) for f in change.findings_before],
        "findings_after": [_finding(f) for f in change.findings_after],
        "suppressed_after": [_finding(f) for f in change.suppressed_after],
        "via": list(change.via),
    }


def _side(side: Side) -> dict:
    return {"label": side.label, "revision": side.revision, "files_scanned": side.report.files_scanned,
            "errors": [e.to_dict() for e in side.all_errors]}


def diff_document(result: DiffResult, fail_on=None) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "portlint", "version": __version__},
        "base": _side(result.base),
        "head": _side(result.head),
        "headline": common.headline(result),
        "summary": {**result.counts(), "failing": len(result.failing(fail_on)),
                    "fail_on": fail_on.label if fail_on is not None else None},
        "changes": [_change(c) for c in result.changes],
        "newly_suppressed": [_change(c) for c in result.newly_suppressed],
        "renamed": [{"from": old, "to": new} for new, old in sorted(result.renamed.items())],
        "changed_files": list(result.changed_files),
        "config_changes": list(result.config_changes),
        "config": {"source": result.config_source, "file": result.config_file},
        "notices": common.notices(result),
    }


def render(result: DiffResult, options: dict) -> str:
    return json.dumps(diff_document(result, options.get("fail_on")), indent=2, ensure_ascii=False) + "\n"
