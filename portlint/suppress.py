"""Inline suppressions: comments in the checked files that silence findings.

    - "5432:5432"   # portlint: disable=PL101 -- staging only, firewalled upstream
    # portlint: disable-next-line=risky-service-public
    # portlint: disable-file=PL401

``#`` and ``//`` comments both work (YAML, HCL, tfvars). ``disable`` applies to
findings whose element spans the comment's line; ``disable-next-line`` to the
line below; ``disable-file`` to the whole file. Without ``=CODES`` every rule
is silenced. Codes and kebab names are both accepted, separated by commas or
spaces; the text after ``--`` is the reason, kept for the record.

Directives are found with plain string operations, linear in the size of the
file (no regular expression that could backtrack on a hostile line), and a
malformed directive is simply not a directive. Findings are matched against an
index of the directives, so many findings and many directives stay cheap.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from portlint.model import Finding

MARKER = "portlint:"
#: longest first, so ``disable-file`` is not read as ``disable``
KINDS = ("disable-next-line", "disable-file", "disable")
#: how many ``portlint:`` mentions after a comment sign one line may try (keeps hostile lines linear)
TRIES_PER_LINE = 4


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


_CODE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _is_code(token: str) -> bool:
    return not token.strip(_CODE_CHARS)  # nothing left: only letters, digits, _ and -


def parse_directive(text: str) -> tuple[str, frozenset[str], str] | None:
    """(kind, codes, reason) for what follows ``portlint:`` in a comment, or None if malformed."""
    rest = text.lstrip()
    for kind in KINDS:
        if rest.startswith(kind):
            after = rest[len(kind):]
            if not after or not (after[0].isalnum() or after[0] == "_"):  # a whole word
                break
    else:
        return None
    after = after.lstrip()
    codes_text, reason = "", ""
    if after.startswith("="):
        codes_text, _, reason = after[1:].partition("--")
        tokens = codes_text.replace(",", " ").split()
        if not tokens or not _is_code("".join(tokens)):
            return None
        codes = frozenset(tokens)
    elif after.startswith("--"):
        codes, reason = frozenset(), after[2:]
    elif after.strip():
        return None
    else:
        codes = frozenset()
    if "all" in codes:
        codes = frozenset()
    return kind, codes, reason.strip()


def _line_directive(line: str) -> tuple[str, frozenset[str], str] | None:
    """The directive in a line: ``portlint:`` right after ``#`` or ``//`` (spaces between allowed)."""
    low, tries = 0, 0
    while tries < TRIES_PER_LINE:
        at = line.find(MARKER, low)
        if at < 0:
            return None
        head = line[low:at].rstrip()
        if head.endswith("#") or head.endswith("//"):
            tries += 1
            found = parse_directive(line[at + len(MARKER):])
            if found is not None:
                return found
        low = at + len(MARKER)
    return None


def directives(text: str) -> list[Directive]:
    """Every portlint directive in a file's text (cheap: only lines that mention portlint)."""
    found: list[Directive] = []
    if MARKER not in text:
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        if MARKER not in line:
            continue
        parsed = _line_directive(line)
        if parsed is not None:
            kind, codes, reason = parsed
            found.append(Directive(kind, number, codes, reason))
    return found


class DirectiveIndex:
    """The directives of one file, indexed by code so a finding is matched in logarithmic time."""

    ALL = "*"

    def __init__(self, found: list[Directive]):
        self.whole_file: set[str] = set()
        self.next_line: dict[str, set[int]] = {}
        lines: dict[str, list[int]] = {}
        for d in found:
            for key in d.codes or (self.ALL,):
                if d.kind == "disable-file":
                    self.whole_file.add(key)
                elif d.kind == "disable-next-line":
                    self.next_line.setdefault(key, set()).add(d.line + 1)
                else:
                    lines.setdefault(key, []).append(d.line)
        self.same_line = {key: sorted(numbers) for key, numbers in lines.items()}

    def covers(self, finding: Finding) -> bool:
        loc = finding.location
        first, last = loc.line, max(loc.end_line, loc.line)
        for key in (self.ALL, finding.rule_id, finding.rule_name):
            if key in self.whole_file or first in self.next_line.get(key, ()):
                return True
            numbers = self.same_line.get(key)
            if numbers:
                i = bisect_left(numbers, first)
                if i < len(numbers) and numbers[i] <= last:
                    return True
        return False


def apply(findings: list[Finding], texts: dict[str, str]) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed): ``texts`` maps a finding's file to the file's text."""
    cache: dict[str, DirectiveIndex] = {}
    kept, suppressed = [], []
    for finding in findings:
        file = finding.location.file
        if file not in cache:
            cache[file] = DirectiveIndex(directives(texts.get(file, "")))
        if cache[file].covers(finding):
            suppressed.append(finding)
        else:
            kept.append(finding)
    return kept, suppressed
