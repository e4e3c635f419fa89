"""JUnit XML: one test case per finding (a failure) and per input error (an error).

Every value from a checked file passes through ``visible``, which writes out the
characters XML 1.0 forbids (controls, surrogates, U+FFFE/U+FFFF); ElementTree
escapes the markup characters, so the document is always well-formed.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from portlint.formatters.escape import visible as v
from portlint.model import Report


def render_check(report: Report, options: dict) -> str:
    threshold = options.get("fail_on")
    failing = [f for f in report.findings if threshold is None or f.severity >= threshold]
    suite = ET.Element("testsuite", {
        "name": "portlint", "tests": str(max(len(report.findings) + len(report.errors), 1)),
        "failures": str(len(failing)), "errors": str(len(report.errors)), "skipped": "0",
    })
    seen: dict[str, int] = {}

    def unique(name: str) -> str:
        """Test names are unique within the suite (CI systems merge cases of the same name)."""
        seen[name] = seen.get(name, 0) + 1
        return name if seen[name] == 1 else f"{name} #{seen[name]}"

    for f in report.findings:
        loc = f.location
        e = f.exposure
        what = f" {e.protocol}/{e.port_range}" if e.protocol else ""
        case = ET.SubElement(suite, "testcase", {
            "classname": v(loc.file),
            "name": v(unique(f"{f.rule_id} {e.resource}{what} line {loc.line}:{loc.column}")),
            "file": v(loc.file), "line": str(loc.line)})
        if f in failing:
            failure = ET.SubElement(case, "failure", {"message": v(f.message), "type": v(f"{f.rule_id} {f.rule_name}")})
            failure.text = v(f"{loc.file}:{loc.line}:{loc.column}: {f.rule_id} [{f.severity.label}] {f.message}")
        else:
            ET.SubElement(case, "system-out").text = v(f"[{f.severity.label}] below the fail threshold: {f.message}")
    for e in report.errors:
        case = ET.SubElement(suite, "testcase", {"classname": v(e.file), "name": v(unique(f"input {e.file} line {e.line}:{e.column}")),
                                                  "file": v(e.file), "line": str(e.line)})
        error = ET.SubElement(case, "error", {"message": v(e.message), "type": "input-error"})
        error.text = v(f"{e.file}:{e.line}:{e.column}: {e.message}")
    if not report.findings and not report.errors:
        ET.SubElement(suite, "testcase", {"classname": "portlint", "name": f"{report.files_scanned} files checked"})
    root = ET.Element("testsuites", {"name": "portlint", "tests": suite.get("tests"),
                                     "failures": suite.get("failures"), "errors": suite.get("errors")})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
