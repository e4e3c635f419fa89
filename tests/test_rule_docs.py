"""Every rule documents itself in one template, and its examples run."""

from __future__ import annotations

import re

import pytest

from portlint.checks import builtin_rules
from portlint.engine import Options, run

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References")
_BLOCK = re.compile(r"## (Example|Use instead)\n```(\w+)\n(.*?)```", re.DOTALL)
FILE_FOR_LANGUAGE = {"yaml": "compose.yaml", "hcl": "main.tf"}

RULES = builtin_rules()


def test_codes_and_names_are_unique_and_well_formed():
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    for rule in RULES:
        assert re.fullmatch(r"PL\d{3}", rule.code) and re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", rule.name)
        assert rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_follows_template(rule):
    doc = rule.doc()
    positions = [doc.find(section) for section in SECTIONS]
    assert all(p > 0 for p in positions), f"{rule.code} lacks a section"
    assert positions == sorted(positions), f"{rule.code} sections out of order"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_examples_fail_and_pass(rule, tmp_path):
    blocks = {kind: (lang, text) for kind, lang, text in _BLOCK.findall(rule.doc())}
    assert set(blocks) == {"Example", "Use instead"}
    for kind, (lang, text) in blocks.items():
        folder = tmp_path / kind.replace(" ", "-")
        folder.mkdir()
        (folder / FILE_FOR_LANGUAGE[lang]).write_text(text)
        report = run([folder], Options(environ={}, cwd=tmp_path))
        assert not report.errors, report.errors
        codes = {f.rule_id for f in report.findings}
        if kind == "Example":
            assert rule.code in codes, f"{rule.code}: its Example does not fail"
        else:
            assert rule.code not in codes, f"{rule.code}: its Use-instead example fails"
