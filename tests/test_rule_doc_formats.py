"""Each rule page shows one example per format family, every one of them runs, and its finding
says how to fix it in that format's words (portlint.checks.fixes)."""

from __future__ import annotations

import re

import pytest

from portlint.checks import builtin_rules
from portlint.checks.fixes import advice
from portlint.engine import Options, run

_SECTION = re.compile(r"## (Example|Use instead)\n(.*?)(?=\n## )", re.DOTALL)
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)

#: the format families each rule's page must show (where the rule applies)
FAMILIES = {
    "PL101": ["compose", "terraform", "kubernetes", "firewall", "cloudformation", "ansible"],
    "PL102": ["terraform", "compose", "firewall"],
    "PL103": ["compose", "terraform", "firewall"],
    "PL104": ["terraform", "kubernetes", "firewall"],
    "PL105": ["compose", "terraform", "kubernetes", "firewall"],
    "PL106": ["compose", "terraform", "kubernetes", "firewall"],
    "PL107": ["terraform", "cloudformation"],
    "PL201": ["terraform", "kubernetes", "firewall"],
    "PL301": ["compose", "kubernetes"],
    "PL302": ["compose", "kubernetes"],
    "PL303": ["compose"],
    "PL401": ["compose", "terraform", "kubernetes", "firewall"],
    "PL501": ["compose", "terraform", "kubernetes"],
    "PL502": ["terraform"],
    "PL503": ["terraform", "firewall"],
    "PL601": ["compose", "kubernetes", "terraform"],
}
#: what went wrong, as portlint.checks.fixes names it, for the rules whose message ends with a fix
PROBLEM = {"PL101": "reach", "PL102": "ports", "PL103": "ports", "PL104": "reach", "PL105": "reach",
           "PL106": "reach", "PL107": "acl", "PL201": "private", "PL301": "host-network", "PL302": "reach",
           "PL401": "reach", "PL501": "unresolved", "PL503": "shadowed"}

RULES = {r.code: r for r in builtin_rules()}


def _examples(rule) -> dict[str, list[tuple[str, str]]]:
    """Section -> [(file name from the block's first line, text)]."""
    found = {}
    for section, body in _SECTION.findall(rule.doc() + "\n## "):
        blocks = []
        for _, text in _BLOCK.findall(body):
            first = text.splitlines()[0]
            assert first.startswith("# "), f"{rule.code} {section}: a block must start with '# FILE NAME'"
            blocks.append((first[2:].strip(), text))
        found[section] = blocks
    return found


def test_every_builtin_rule_is_listed():
    assert sorted(FAMILIES) == sorted(RULES)


@pytest.mark.parametrize("code", sorted(FAMILIES))
def test_one_example_per_format_family_each_fails_and_its_fix_passes(code, tmp_path):
    rule = RULES[code]
    examples = _examples(rule)
    assert len(examples["Example"]) == len(examples["Use instead"]) == len(FAMILIES[code])
    families = []
    for index, ((fail_name, fail), (pass_name, fixed)) in enumerate(zip(examples["Example"],
                                                                        examples["Use instead"])):
        assert fail_name == pass_name
        for kind, text in (("fail", fail), ("pass", fixed)):
            folder = tmp_path / f"{index}-{kind}"
            folder.mkdir()
            (folder / fail_name).write_text(text)
            report = run([folder], Options(environ={}, cwd=folder))
            assert not report.errors, report.errors
            hits = [f for f in report.findings if f.rule_id == code]
            if kind == "pass":
                assert not hits, f"{code}: its Use-instead example {fail_name} fails: {hits[0].message}"
                continue
            assert hits, f"{code}: its Example {fail_name} does not fail"
            kinds = {f.exposure.kind for f in hits}
            assert len(kinds) == 1, kinds
            families.append(kinds.pop() if code != "PL601" else _family_of(fail_name))
            if code in PROBLEM:
                for finding in hits:
                    how = advice(finding.exposure, PROBLEM[code])
                    assert how and finding.message.endswith(how), finding.message
    assert families == FAMILIES[code]


def _family_of(name: str) -> str:
    """PL601 reports suppressions, not exposures: the family is the file's."""
    if name.endswith(".tf"):
        return "terraform"
    return "compose" if name.startswith(("compose", "docker-compose")) else "kubernetes"


@pytest.mark.parametrize("address, expected", [
    ("aws_security_group.web", "aws_security_group"),
    ("module.web_sg.aws_security_group.this", "aws_security_group"),
    ("module.a.module.b.google_compute_firewall.ssh[0]", "google_compute_firewall"),
    ('aws_security_group_rule.x["10.0.0.0/8.a"]', "aws_security_group_rule"),
    ('module.cache_sg.ingress_rules["redis-tcp"]', ""),
    ("azurerm_network_security_group.web / rule rdp", "azurerm_network_security_group"),
])
def test_terraform_type_skips_module_names(address, expected):
    from portlint.checks.fixes import terraform_type
    from portlint.model import Exposure, Location, PortRange

    e = Exposure(kind="terraform", location=Location("main.tf", 1, 1), resource=address, protocol="tcp",
                 port_range=PortRange.single(22), sources=("0.0.0.0/0",), scope="internet")
    assert terraform_type(e) == expected
