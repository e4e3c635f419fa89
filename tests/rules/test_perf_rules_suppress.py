"""Suppressions are settled without indexing files that hold none (issue 14): what ``settle``
decides must still be what each directive's own ``covers`` says, file by file."""

from __future__ import annotations

import random

import pytest

from portlint import suppress
from portlint.model import Exposure, Finding, Location, PortRange, Severity

KNOWN = {"pl101": "PL101", "risky-service-public": "PL101", "pl106": "PL106", "pl601": "PL601"}
NAMES = {"PL101": "risky-service-public", "PL106": "cleartext-protocol-public"}
COMMENTS = ["", "", "", "  # portlint: disable=PL101", "  # portlint: disable=pl106 -- lab",
            "  # portlint: disable", "  # portlint: disable=NOPE", "  # portlint: disable=PL101,NOPE",
            "  # portlint: disabel=PL101", "  # portlint: disable=risky-service-public"]
HEADS = ["", "", "# portlint: disable-next-line=PL101", "# portlint: disable-file=PL106 -- partner ports"]


def _text(rng: random.Random, lines: int, clean: bool) -> str:
    out = []
    for number in range(1, lines + 1):
        if clean:
            out.append(f"key{number}: value")
        elif rng.random() < 0.2:
            out.append(rng.choice(HEADS))
        else:
            out.append(f"key{number}: value{rng.choice(COMMENTS)}")
    return "\n".join(out) + "\n"


def _finding(rng: random.Random, file: str, lines: int) -> Finding:
    line = rng.randint(1, lines)
    end = min(lines, line + rng.choice([0, 0, 1, 3]))
    code = rng.choice(["PL101", "PL106"])
    e = Exposure(kind="compose", location=Location(file, line, end), resource=f"r{line}", protocol="tcp",
                 port_range=PortRange(line, line), sources=("0.0.0.0",), scope="internet")
    return Finding(code, NAMES[code], Severity.HIGH, f"{code} at {line}", e)


@pytest.mark.parametrize("seed", range(8))
def test_settled_findings_follow_each_directive(seed):
    rng = random.Random(seed)
    texts, findings = {}, []
    for index in range(12):
        file, lines = f"f{index}.yaml", rng.randint(3, 25)
        texts[file] = _text(rng, lines, clean=index % 3 == 0)
        findings += [_finding(rng, file, lines) for _ in range(rng.randint(0, 6))]
    findings.append(_finding(rng, "unread.yaml", 5))  # a finding whose file has no text
    # files whose only directive is misspelled, or names only unknown codes
    texts["typo.yaml"] = "a: 1\nb: 2  # portlint: disabel=PL101\n"
    texts["unknown.yaml"] = "a: 1  # portlint: disable=NOPE\nb: 2\n"
    findings += [_finding(rng, "typo.yaml", 2), _finding(rng, "unknown.yaml", 2)]
    findings.sort(key=lambda f: (f.location.file, f.location.line, f.rule_id))
    out = suppress.settle(findings, texts, KNOWN, ran={"PL101", "PL106"})

    directives = {file: suppress.scan(text, file)[0] for file, text in texts.items()}

    def counts(d) -> bool:  # directives naming only unknown codes silence nothing
        return not d.codes or any(c.lower() in KNOWN for c in d.codes)

    for finding in findings:
        covering = [d for d in directives.get(finding.location.file, ()) if counts(d) and d.covers(finding)]
        assert (finding in out.suppressed) == bool(covering), finding
        if not covering:
            assert finding in out.kept  # untouched: no directive even expired stands in front of it
    assert len(out.kept) + len(out.suppressed) == len(findings)

    unused = {(p.file, p.line) for p in out.problems if p.message.startswith("unused suppression")}
    expected = set()
    for file, found in directives.items():
        for d in found:
            codes = {KNOWN[c.lower()] for c in d.codes if c.lower() in KNOWN}
            if d.codes and not codes:
                continue
            mine = [f for f in findings if f.location.file == file and d.covers(f)]
            if not codes:
                idle = not mine
            else:
                idle = any(not any(f.rule_id == code for f in mine) for code in codes)
            if idle:
                expected.add((file, d.line))
    assert unused == expected
    # problems of files without a single usable directive are still reported (misspelled, unknown codes)
    for file, text in texts.items():
        for number, line in enumerate(text.splitlines(), start=1):
            if "disabel" in line or "NOPE" in line:
                assert any(p.file == file and p.line == number for p in out.problems), (file, number)
