"""``portlint diff`` as SARIF: only the findings of opened and widened exposures.

Uploaded under its own category (``automationDetails.id`` ``portlint-diff/``), so
code scanning annotates just the change and never marks the full scan's alerts
as fixed.
"""

from __future__ import annotations

import json

from portlint.diff import DiffResult
from portlint.model import Report

CATEGORY = "portlint-diff/"


def render(result: DiffResult, options: dict) -> str:
    from portlint.formatters.sarif import sarif_document

    head = result.head.report
    findings = [f for change in result.changes if change.opens for f in change.findings_after]
    report = Report(findings=findings, errors=result.head.all_errors, rules=head.rules,
                    files_scanned=head.files_scanned)
    document = sarif_document(report)
    for run in document["runs"]:
        run["automationDetails"] = {"id": CATEGORY}
        status = {id(f): c.status for c in result.changes for f in c.findings_after}
        for result_dict, finding in zip(run["results"], findings):
            result_dict["properties"]["diffStatus"] = status.get(id(finding), "opened")
    return json.dumps(document, indent=2) + "\n"
