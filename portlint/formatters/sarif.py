"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers, built from plain dicts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from portlint import __version__
from portlint.formatters.escape import json_safe
from portlint.model import FINGERPRINT_VERSION, Report, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: GitHub reads properties.security-severity: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, below low.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "1.0"}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}


def _rule_descriptor(cls) -> dict:
    from portlint.formatters.reference import rule_markdown

    doc = cls.doc()
    what = doc.split("## What it does", 1)[-1].split("##", 1)[0].strip() if "## What it does" in doc else cls.summary
    return {
        "id": cls.code,
        "name": cls.name,
        "shortDescription": {"text": cls.summary},
        "fullDescription": {"text": " ".join(what.split())},
        "help": {"text": doc, "markdown": rule_markdown(cls)},
        "defaultConfiguration": {"level": LEVEL[cls.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[cls.severity],
                       "tags": ["security", "network", "port-exposure"],
                       "precision": "high"},
    }


def _artifact(file: str) -> dict:
    """A URI reference for a shown path: percent-encoded bytes, so ``#``, ``%``, spaces and
    undecodable names stay one valid URI."""
    uri = quote(os.fsencode(file), safe="/")
    if file.startswith("/"):
        return {"uri": "file://" + uri}
    return {"uri": uri, "uriBaseId": "%SRCROOT%"}


def _chain(e, first_id: int) -> list[dict]:
    """The module calls from the root, then where deciding values were set, as related locations."""
    steps = [(f"called from root {e.root}: {s.label}", s) for s in e.via]
    steps += [(f"value {s.label} set here", s) for s in e.origins if s.line]
    return [{"id": first_id + i, "message": {"text": text},
             "physicalLocation": {"artifactLocation": _artifact(s.file),
                                  "region": {"startLine": s.line, "startColumn": s.column}}}
            for i, (text, s) in enumerate(steps)]


def sarif_document(report: Report, root: Path | None = None) -> dict:
    root = (root or Path.cwd()).resolve()
    classes = sorted({cls.code: cls for cls in report.rules}.values(), key=lambda c: c.code)
    index = {cls.code: i for i, cls in enumerate(classes)}
    results = []
    for f in report.findings:
        loc = f.location
        result = {
            "ruleId": f.rule_id,
            "level": LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": _artifact(loc.file),
                    "region": {"startLine": loc.line, "endLine": max(loc.end_line, loc.line),
                               "startColumn": loc.column},
                },
                "logicalLocations": [{"fullyQualifiedName": f.exposure.resource, "kind": "resource"}],
            }],
            "partialFingerprints": {f"portlintFingerprint/v{FINGERPRINT_VERSION}": f.fingerprint},
            "properties": {"security-severity": SECURITY_SEVERITY[f.severity], "severity": f.severity.label,
                           "protocol": f.exposure.protocol, "portRange": f.exposure.port_range.as_list(),
                           "scope": f.exposure.scope, "sources": list(f.exposure.sources)},
        }
        if f.rule_id in index:
            result["ruleIndex"] = index[f.rule_id]
        context = f.exposure.context
        related = []
        if context is not None and not loc.file.startswith("/"):
            related.append({
                "id": 1,
                "message": {"text": f"enclosing resource {f.exposure.resource}"},
                "physicalLocation": {"artifactLocation": _artifact(context.file),
                                     "region": {"startLine": context.line, "endLine": context.end_line}},
            })
        related += _chain(f.exposure, len(related) + 1)
        if related:
            result["relatedLocations"] = related
        if f.exposure.root:
            result["properties"]["root"] = f.exposure.root
        results.append(result)
    notifications = [{
        "level": "error",
        "message": {"text": e.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(e.file),
            "region": {"startLine": e.line, "startColumn": e.column}}}],
    } for e in report.errors]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "portlint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://pypi.org/project/portlint/",
                                "rules": [_rule_descriptor(c) for c in classes]}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "invocations": [{"executionSuccessful": not report.errors,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def render_check(report: Report, options: dict) -> str:
    return json.dumps(json_safe(sarif_document(report)), indent=2) + "\n"
