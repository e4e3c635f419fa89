"""Inline suppressions: comments in the checked files that silence findings.

    - "5432:5432"   # portlint: disable=PL101 -- staging only, firewalled upstream
    # portlint: disable-next-line=risky-service-public
    # portlint: disable-file=PL401

``#`` and ``//`` comments both work (YAML, HCL, tfvars). ``disable`` applies to
findings whose element spans the comment's line; ``disable-next-line`` to the
line below; ``disable-file`` to the whole file. Without ``=CODES`` every rule
is silenced. Codes and kebab names are both accepted; the text after ``--`` is
the reason, kept for the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from portlint.model import Finding

DIRECTIVE = re.compile(
    r"(?:#|//)\s*portlint:\s*(?P<kind>disable-next-line|disable-file|disable)\b"
    r"(?:\s*=\s*(?P<codes>[A-Za-z0-9_,\- ]+?))?\s*(?:--\s*(?P<reason>.*))?$"
)


@dataclass(frozen=True, slots=True)
class Directive:
    kind: str
    line: int
    codes: frozenset[str]  # empty: every rule
    reason: str

    def covers(self, finding: Finding) -> bool:
        if self.codes and not self.codes & {finding.rule_id, finding.rule_name}:
            return False
        loc = finding.location
        if self.kind == "disable-file":
            return True
        if self.kind == "disable-next-line":
            return loc.line == self.line + 1
        return loc.line <= self.line <= max(loc.end_line, loc.line)


def directives(text: str) -> list[Directive]:
    """Every portlint directive in a file's text (cheap: only lines that mention portlint)."""
    found = []
    if "portlint:" not in text:
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        if "portlint:" not in line:
            continue
        match = DIRECTIVE.search(line)
        if match:
            codes = frozenset(c.strip() for c in (match.group("codes") or "").split(",") if c.strip())
            if "all" in codes:
                codes = frozenset()
            found.append(Directive(match.group("kind"), number, codes, (match.group("reason") or "").strip()))
    return found


def apply(findings: list[Finding], texts: dict[str, str]) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed): ``texts`` maps a finding's file to the file's text."""
    cache: dict[str, list[Directive]] = {}
    kept, suppressed = [], []
    for finding in findings:
        file = finding.location.file
        if file not in cache:
            cache[file] = directives(texts.get(file, ""))
        if any(d.covers(finding) for d in cache[file]):
            suppressed.append(finding)
        else:
            kept.append(finding)
    return kept, suppressed
