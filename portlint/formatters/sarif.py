"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers, built from plain dicts."""

from __future__ import annotations

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


#: portlint has no public home yet: without a configured documentation base URL (``docs_url`` in the
#: render options, from ``docs-url`` in the configuration, else PORTLINT_DOCS_URL) the SARIF carries
#: no ``helpUri`` and no ``informationUri`` rather than links to a site that does not exist
DOCS_URL_ENV = "PORTLINT_DOCS_URL"


def is_docs_url(value: str) -> bool:
    """An absolute http(s) URL without spaces (what SARIF's ``format: uri`` fields may hold)."""
    head = value.strip().lower()
    return (head.startswith("https://") or head.startswith("http://")) and len(head) > 8 \
        and not any(c.isspace() for c in value.strip())


def docs_url(options: dict) -> str | None:
    """The configured base URL of the rule pages (``.../docs/rules/``), ending in ``/``; None if none."""
    base = (options.get("docs_url") or os.environ.get(DOCS_URL_ENV) or "").strip()
    if not is_docs_url(base):
        return None
    return base if base.endswith("/") else base + "/"


def _rule_descriptor(cls, docs: str | None, entry=None, severity: Severity | None = None) -> dict:
    """The descriptor of a rule, or of one risk entry of a rule (id ``PL101/redis``).

    GitHub code scanning reads ``security-severity`` from the descriptor only, so
    each risk entry gets its own, at the entry's severity (or the configured
    override of the rule): a critical Redis and a low dev server differ, and
    overriding a severity changes no id, so it closes and reopens no alert.
    """
    from portlint.formatters.reference import rule_markdown

    doc = cls.doc()
    what = doc.split("## What it does", 1)[-1].split("##", 1)[0].strip() if "## What it does" in doc else cls.summary
    level = severity or (entry.severity if entry is not None else cls.severity)
    descriptor = {
        "id": f"{cls.code}/{entry.id}" if entry is not None else cls.code,
        "name": cls.name,
        "shortDescription": {"text": f"{cls.summary} ({entry.label()})" if entry is not None else cls.summary},
        "fullDescription": {"text": " ".join(what.split())},
        "help": {"text": doc, "markdown": rule_markdown(cls)},
        "defaultConfiguration": {"level": LEVEL[level]},
        "properties": {"security-severity": SECURITY_SEVERITY[level],
                       "tags": ["security", "network", "port-exposure"],
                       "precision": "high"},
    }
    if docs:
        descriptor["helpUri"] = f"{docs}{cls.code}.md"
    if entry is not None:
        descriptor["fullDescription"]["text"] += f" {entry.service}: {' '.join(entry.reason.split())}"
        descriptor["properties"]["riskEntry"] = entry.id
    return descriptor


def _entry_of(finding, risks):
    """The risk entry a finding reports (the most severe one of its rule the exposure touches), if any."""
    e = finding.exposure
    if not e.protocol or "unresolved-port" in e.traits or e.service_ports.size > 100:
        return None
    entries = risks.matching(e.protocol, e.service_ports, rule=finding.rule_id)
    return entries[0] if entries else None


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


def _suppression(waiver) -> dict:
    """SARIF ``suppressions[]`` entry: in the source for a comment or annotation, external for ``accept``."""
    out = {"kind": "external" if waiver.how == "accepted" else "inSource", "status": "accepted",
           "justification": waiver.reason or "(no reason given)",
           "location": {"physicalLocation": {"artifactLocation": _artifact(waiver.file),
                                             "region": {"startLine": waiver.line}}}}
    if waiver.expires is not None:
        out["properties"] = {"expires": waiver.expires.isoformat()}
    return out


def sarif_document(report: Report, root: Path | None = None, options: dict | None = None) -> dict:
    from portlint.reference import load_risk_list

    options = options or {}
    root = (root or Path.cwd()).resolve()
    docs = docs_url(options)
    overrides = options.get("severity") or {}
    classes = {cls.code: cls for cls in report.rules}
    descriptors: list[dict] = []
    index: dict[str, int] = {}

    def descriptor_of(f) -> str:
        cls = classes.get(f.rule_id)
        if cls is None:
            return f.rule_id
        entry = _entry_of(f, load_risk_list()) if f.exposure.kind != "suppression" else None
        rule_id = f"{cls.code}/{entry.id}" if entry is not None else cls.code
        if rule_id not in index:
            forced = overrides.get(cls.code) or overrides.get(cls.name)
            index[rule_id] = len(descriptors)
            descriptors.append(_rule_descriptor(cls, docs, entry, Severity.parse(forced) if forced else None))
        return rule_id

    results = []
    waived = [(f, None) for f in report.findings] + [(f, report.waivers.get(f)) for f in report.suppressed] \
        + [(f, report.waivers.get(f)) for f in report.accepted]
    for f, waiver in waived:
        loc = f.location
        rule_id = descriptor_of(f)
        result = {
            "ruleId": rule_id,
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
                           "rule": f.rule_id,
                           "protocol": f.exposure.protocol, "portRange": f.exposure.port_range.as_list(),
                           "scope": f.exposure.scope, "sources": list(f.exposure.sources)},
        }
        if rule_id in index:
            result["ruleIndex"] = index[rule_id]
        if waiver is not None or f in report.waivers:
            result["suppressions"] = [_suppression(waiver or report.waivers[f])]
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
    notifications += [{  # skipped on purpose (unrendered Helm templates): a note, never a failure
        "level": "note",
        "message": {"text": f"{n.file}: {n.message}"},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(n.file)}}],
    } for n in report.notices]
    driver = {"name": "portlint", "version": __version__, "semanticVersion": __version__}
    if docs:
        driver["informationUri"] = docs
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {**driver, "rules": descriptors}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "invocations": [{"executionSuccessful": not report.errors,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def render_check(report: Report, options: dict) -> str:
    root = options.get("project_root")
    from portlint.formatters.jsontext import dumps_indented

    return dumps_indented(json_safe(sarif_document(report, Path(root) if root else None, options))) + "\n"
