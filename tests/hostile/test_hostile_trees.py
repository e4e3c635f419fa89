"""The attacker's suite: each hostile tree is one bad thing beside good risky files.

Every case runs the real command line in a subprocess (cwd = the tree) under a
500 MB address-space limit and a 15 s timeout, and must: end in time, exit with
the expected code (2: the check was incomplete; 1 only where the bad thing is
legitimately ignored), name the bad file at its line, keep every good finding,
print no traceback, read nothing outside the tree and execute nothing from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portlint import limits
from tests.hostile.hostile_cases import CASES, GOOD_FINDINGS, SECRET, SECRET_PORT, Bad

REPO = Path(__file__).resolve().parents[2]


def _param(case):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def _matches(bad: Bad, error: dict) -> bool:
    file = error.get("file", "")
    if bad.file == "*":
        pass
    elif bad.file.endswith("/*"):
        if not file.startswith(bad.file[:-1]):
            return False
    elif file != bad.file:
        return False
    if bad.lines is not None and error.get("line") not in bad.lines:
        return False
    return bad.message.lower() in error.get("message", "").lower()


def _named_on_stderr(bad: Bad, stderr: str) -> bool:
    """A run refused as a whole names the file, and its line as ``file:N`` or ``line N``."""
    if bad.file not in stderr or bad.message.lower() not in stderr.lower():
        return False
    if bad.lines is None:
        return True
    numbers = {int(n) for n in re.findall(re.escape(bad.file) + r":(\d+)", stderr)}
    numbers |= {int(n) for n in re.findall(r"\bline (\d+)", stderr)}
    return bool(numbers & set(bad.lines))


def test_there_are_enough_cases_with_unique_ids():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 80


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_tree(case, hostile_results):
    r = hostile_results[case.id]
    where = f"[{case.id}] exit={r.returncode} in {r.seconds:.1f}s\nstdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert r.returncode is not None, f"did not finish within the time limit {where}"
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, f"traceback {where}"
    assert "MemoryError" not in r.stdout + r.stderr, f"ran out of memory {where}"
    assert SECRET not in r.stdout + r.stderr, f"printed a file from outside the tree {where}"
    assert not (r.tree / "PWNED").exists() and not (r.tree.parent / "PWNED").exists(), f"executed code {where}"
    assert (r.tree.parent / "outside/victim.txt").read_text() == "victim\n", f"wrote outside the tree {where}"
    assert r.returncode in case.exit, f"expected exit {case.exit} {where}"
    if case.json and case.abort_ok and r.returncode == 2 and not r.stdout.strip():
        assert any(_named_on_stderr(b, r.stderr) for b in case.bad), f"none of {case.bad} named on stderr {where}"
    elif case.json:
        try:
            report = json.loads(r.stdout)
        except ValueError:
            pytest.fail(f"no JSON report {where}")
        errors = report["errors"]
        found = {(f["file"], f["line"], f["rule_id"]) for f in report["findings"]}
        for wanted in (GOOD_FINDINGS if case.keep_good else ()) + tuple(case.extra):
            assert wanted in found, f"good finding {wanted} lost {where}"
        assert not any(f.get("port_range") and f["port_range"][0] == SECRET_PORT for f in report["findings"]), \
            f"a finding from outside the tree {where}"
        for error in errors:
            assert error.get("file"), f"an error without a file {where}"
            assert not (error.get("line") == 1 and error.get("column") == 1 and "internal error" in
                        error.get("message", "")), f"an internal error {where}"
        if r.returncode == 2:
            assert errors, f"exit 2 without an input error in the report {where}"
        if r.returncode in (0, 1):
            assert not errors, f"input errors but exit {r.returncode} {where}"
        if case.bad and r.returncode == 2:
            assert any(_matches(b, e) for b in case.bad for e in errors), \
                f"none of {case.bad} among the errors {errors} {where}"
    elif case.named:
        assert case.named in r.stdout + r.stderr, f"{case.named!r} not named {where}"
    if case.check:
        case.check(r, r.tree)


def test_every_limit_is_documented():
    """Each constant in portlint/limits.py appears in docs/security.md with its environment variable."""
    doc = (REPO / "docs/security.md").read_text(encoding="utf-8")
    source = (REPO / "portlint/limits.py").read_text(encoding="utf-8")
    names = re.findall(r"^([A-Z][A-Z0-9_]*) = _limit\(", source, re.MULTILINE)
    assert names, "no limits found"
    for name in names:
        assert f"PORTLINT_MAX_{name}" in doc, f"limit {name} is not documented in docs/security.md"
        default = f"{getattr(limits, name):,}"
        assert default in doc or f"{getattr(limits, name)}" in doc, f"the default of {name} is not documented"
