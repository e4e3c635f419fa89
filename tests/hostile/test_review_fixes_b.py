"""Attacker review, second batch: large valid rule sets, sniffing dodges, silently accepted values.

Each case puts the hostile thing beside a good risky unit whose finding must survive, and checks
the exact error line. Work bounds are checked by counting or with limits monkeypatched small,
never by timing.
"""

from __future__ import annotations

from portlint import limits, policy
from tests.conftest import run_tree

FW_HEAD = "firewall:\n  name: big\n  default: deny\n  rules:\n"  # 4 lines


def fw_rule(name: str, action: str, port: int, source: str) -> str:
    """One firewall rule (5 lines)."""
    return (f"    - name: {name}\n      action: {action}\n      protocol: tcp\n      ports: [{port}]\n"
            f"      sources: [{source}]\n")


def errors_of(report):
    return sorted((e.file, e.line) for e in report.errors)


def findings_of(report):
    return sorted((f.location.file, f.location.line, f.rule_id) for f in report.findings)


# -- item 5: policy evaluation of large rule sets ----------------------------------------------

def test_policy_compares_an_allow_only_with_the_denies_that_overlap_it(tmp_path, monkeypatch):
    """16,000 rules on distinct ports took 36 s: every allow was compared with every earlier deny."""
    calls = []
    narrow = policy._narrow
    monkeypatch.setattr(policy, "_narrow", lambda allow, deny: calls.append(1) or narrow(allow, deny))
    rules = "".join(fw_rule(f"r{i}", "allow" if i % 2 else "deny", 10000 + i, "any") for i in range(400))
    rules += fw_rule("deny-pg", "deny", 5432, "10.0.0.0/8") + fw_rule("pg", "allow", 5432, "any")
    report = run_tree(tmp_path, {"big.firewall.yaml": FW_HEAD + rules})
    assert report.errors == []
    assert len(calls) <= 10  # was 40,000 pairwise comparisons
    assert ("big.firewall.yaml", 4 + 5 * 401 + 1, "PL101") in findings_of(report)  # the pg allow still narrowed
    [pg] = [e for e in report.exposures if e.resource.endswith("pg") and e.action == "allow" and e.port_range.start == 5432]
    assert "10.0.0.0/8" not in pg.sources and pg.sources  # narrowed by its deny, as before


def test_overlapping_rule_sets_are_bounded_by_a_limit(tmp_path, monkeypatch):
    """30 denies and 30 allows of one port from disjoint sources: a real quadratic, bounded."""
    monkeypatch.setattr(limits, "POLICY_COMPARISONS", 100)
    rules = "".join(fw_rule(f"d{i}", "deny", 22, f"10.{i}.0.0/24") for i in range(30))
    rules += "".join(fw_rule(f"a{i}", "allow", 22, f"172.16.{i}.1/32") for i in range(30))
    rules += fw_rule("pg", "allow", 5432, "any")
    report = run_tree(tmp_path, {"big.firewall.yaml": FW_HEAD + rules,
                                 "good.firewall.yaml": FW_HEAD + fw_rule("redis", "allow", 6379, "any")})
    # allows 0-2 use 90 comparisons, allow 3 (line 4 + 5 * 33 + 1) passes the limit of 100
    assert errors_of(report) == [("big.firewall.yaml", 170)]
    assert "POLICY_COMPARISONS" in report.errors[0].message
    found = findings_of(report)
    assert ("big.firewall.yaml", 4 + 5 * 60 + 1, "PL101") in found
    assert ("good.firewall.yaml", 5, "PL101") in found


# -- item 7b: Ansible module arguments of the wrong shape ----------------------------------------

UFW_PG = "    - name: pg\n      community.general.ufw:\n        rule: allow\n        port: '5432'\n        proto: tcp\n"


def test_ansible_list_and_mapping_arguments_are_input_errors_at_their_line(tmp_path):
    """``rule: [allow]`` made the task pass over silently, with its ``port: [1, 2]``, ``from_ip: {a: 1}``;
    a firewalld ``port: {a: 1}`` beside ``rich_rule: 5`` was never looked at."""
    play = ("- hosts: db\n  tasks:\n"
            "    - name: bad\n      community.general.ufw:\n        rule: [allow]\n        port: [1, 2]\n"
            "        from_ip: {a: 1}\n"
            "    - name: bad2\n      ansible.posix.firewalld:\n        port: {a: 1}\n        rich_rule: 5\n"
            "    - name: bad3\n      community.general.ufw:\n        rule: allow\n        port: [1, 2]\n"
            + UFW_PG)
    report = run_tree(tmp_path, {"play.yml": play})
    assert errors_of(report) == [("play.yml", 5), ("play.yml", 10), ("play.yml", 15)]
    assert "rule must be a string or a number, got a list" in report.errors[0].message
    assert "port must be a string or a number, got a mapping" in report.errors[1].message
    assert ("play.yml", 16, "PL101") in findings_of(report)


# -- item 7c: Terraform that Terraform itself rejects ---------------------------------------------

TF_OK = ('resource "aws_security_group" "ok" {\n  ingress {\n    from_port = 3389\n    to_port = 3389\n'
         '    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n')  # 8 lines, finding on line 2


def test_terraform_rejected_blocks_are_input_errors_at_their_line(tmp_path):
    """``type = ["ingress"]`` was read as ingress, ``count`` with ``for_each`` made two instances and
    ``iterator = 5`` was ignored; Terraform rejects all three."""
    rule = ('resource "aws_security_group_rule" "bad" {\n  type = ["ingress"]\n  from_port = 22\n  to_port = 22\n'
            '  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n  security_group_id = "x"\n}\n')
    both = ('resource "aws_security_group" "both" {\n  count = 2\n  for_each = {a = 1}\n  ingress {\n'
            '    from_port = 22\n    to_port = 22\n    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n')
    iterator = ('resource "aws_security_group" "it" {\n  dynamic "ingress" {\n    for_each = {a = 1}\n'
                '    iterator = 5\n    content {\n      from_port = 22\n      to_port = 22\n      protocol = "tcp"\n'
                '      cidr_blocks = ["0.0.0.0/0"]\n    }\n  }\n}\n')
    report = run_tree(tmp_path, {"a/main.tf": rule + TF_OK, "b/main.tf": both + TF_OK, "c/main.tf": iterator + TF_OK})
    assert errors_of(report) == [("a/main.tf", 2), ("b/main.tf", 3), ("c/main.tf", 4)]
    messages = [e.message for e in report.errors]
    assert 'type must be "ingress" or "egress", got a list' in messages[0]
    assert '"count" and "for_each" cannot be used together' in messages[1]
    assert 'iterator of dynamic "ingress" must be a name' in messages[2]
    found = findings_of(report)
    assert ("a/main.tf", 10, "PL101") in found and ("b/main.tf", 12, "PL101") in found
    assert ("c/main.tf", 14, "PL101") in found
    assert not any(f[1] < 9 for f in found if f[0] == "a/main.tf") and not any(
        f[1] < 11 for f in found if f[0] == "b/main.tf") and not any(f[1] < 13 for f in found if f[0] == "c/main.tf")
