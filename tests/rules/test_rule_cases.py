"""Each rule's cases (tests/rules/cases/<CODE>.yaml): exact lines, codes and severities.

A case is ``{files: {name: text}, expect: [{line, severity?, column?, message?}]}``;
``expect: []`` means the rule must stay quiet. Files are written to a temporary
folder and checked through the whole pipeline.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portlint.engine import Options, run

CASES_DIR = Path(__file__).parent / "cases"


def _cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for name, case in data["cases"].items():
            yield pytest.param(data["rule"], case, id=f"{data['rule']}-{name}")


@pytest.mark.parametrize("code, case", list(_cases()))
def test_rule_case(code, case, tmp_path):
    for name, text in case["files"].items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    report = run([tmp_path], Options(environ=case.get("environ", {}), cwd=tmp_path))
    assert not report.errors, report.errors
    got = [f for f in report.findings if f.rule_id == code]
    expected = case["expect"]
    assert [f.location.line for f in got] == [e["line"] for e in expected], [f.message for f in got]
    for finding, want in zip(got, expected):
        if "severity" in want:
            assert finding.severity.label == want["severity"], finding.message
        if "column" in want:
            assert finding.location.column == want["column"]
        if "end_line" in want:
            assert finding.location.end_line == want["end_line"]
        if "file" in want:
            assert finding.location.file == want["file"]
        for fragment in want.get("message", []):
            assert fragment in finding.message, finding.message
