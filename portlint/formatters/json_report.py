"""JSON documents for ``check`` and ``inventory`` (schemas in ``portlint/schemas``)."""

from __future__ import annotations

import json

from portlint import __version__
from portlint.model import Report

SCHEMA_VERSION = 1


def _tool() -> dict:
    return {"name": "portlint", "version": __version__}


def check_document(report: Report) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": _tool(),
        "findings": [f.to_dict() for f in report.findings],
        "errors": [e.to_dict() for e in report.errors],
        "summary": {
            "files_scanned": report.files_scanned,
            "findings": len(report.findings),
            "errors": len(report.errors),
            "suppressed": len(report.suppressed),
            "baselined": len(report.baselined),
            "by_severity": report.count_by_severity(),
        },
    }


def inventory_document(report: Report) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": _tool(),
        "exposures": [e.to_dict() for e in report.exposures],
        "errors": [e.to_dict() for e in report.errors],
    }


def render_check(report: Report, options: dict) -> str:
    return json.dumps(check_document(report), indent=2) + "\n"


def render_inventory(report: Report, options: dict) -> str:
    return json.dumps(inventory_document(report), indent=2) + "\n"
