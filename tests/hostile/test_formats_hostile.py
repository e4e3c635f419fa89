"""Hostile input for the firewall YAML, Kubernetes, CloudFormation, Ansible and Terraform-plan parsers.

Each case puts a bad unit beside a good risky unit, in the same file and in another file of the
same format: the bad unit is one input error at its exact line, and every good finding survives.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portlint import limits
from portlint.parsers import ParseContext, SourceFile
from portlint.parsers.ansible import AnsibleParser, _ITEM, sniff
from portlint.parsers.cloudformation import CloudFormationParser, _substitute
from portlint.parsers.firewall import FirewallParser
from portlint.parsers.kubernetes import KubernetesParser
from portlint.parsers.terraform_plan import TerraformPlanParser
from portlint.protocols import normalize_protocol, parse_port_text
from tests.conftest import REPO, run_tree


def errors_of(report):
    return sorted((e.file, e.line) for e in report.errors)


def findings_of(report):
    return sorted((f.location.file, f.location.line, f.rule_id) for f in report.findings)


def messages(report):
    return " | ".join(e.message for e in report.errors)


# -- Kubernetes -------------------------------------------------------------------------------

K8S_GOOD = """
    apiVersion: v1
    kind: Service
    metadata: {name: redis}
    spec:
      type: LoadBalancer
      ports:
        - port: 6379
    """


def test_kubernetes_bad_port_costs_only_its_entry(tmp_path):
    report = run_tree(tmp_path, {"bad.yaml": """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          type: LoadBalancer
          ports:
            - port: "²"
            - port: 3389
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: odd}
        spec:
          type: LoadBalancer
          ports: "6379"
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: agent}
        spec:
          template:
            spec:
              containers:
                - name: a
                  ports:
                    - containerPort: 9100
                      hostPort: 9100
                      hostIP: 300.1.1.1
                    - containerPort: 27017
                      hostPort: 27017
        """, "good.yaml": K8S_GOOD})
    assert errors_of(report) == [("bad.yaml", 7), ("bad.yaml", 15), ("bad.yaml", 28)]
    assert "port must be a port number" in report.errors[0].message and "'²'" in report.errors[0].message
    assert "spec.ports must be a list, got a string" in report.errors[1].message
    assert "'300.1.1.1' is not a valid IP address or CIDR" in report.errors[2].message
    assert ("bad.yaml", 8, "PL101") in findings_of(report)    # RDP beside the bad port
    assert ("bad.yaml", 29, "PL101") in findings_of(report)   # MongoDB hostPort beside the bad hostIP
    assert ("good.yaml", 7, "PL101") in findings_of(report)


def test_kubernetes_any_exception_is_contained_at_the_entry(tmp_path, monkeypatch):
    import portlint.parsers.kubernetes as k8s

    real = k8s.normalize_protocol

    def exploding(value):
        if value == "BOOM":
            raise TypeError("unexpected")
        return real(value)
    monkeypatch.setattr(k8s, "normalize_protocol", exploding)
    report = run_tree(tmp_path, {"bad.yaml": """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          type: LoadBalancer
          ports:
            - port: 80
              protocol: BOOM
            - port: 6379
        """})
    assert errors_of(report) == [("bad.yaml", 7)]
    assert "TypeError" in report.errors[0].message and "internal error" not in report.errors[0].message
    assert ("bad.yaml", 9, "PL101") in findings_of(report)


# -- firewall YAML ----------------------------------------------------------------------------

FIREWALL_GOOD = """
    firewall:
      rules:
        - name: redis
          action: allow
          ports: [6379]
    """


def test_firewall_bad_rules_cost_only_themselves(tmp_path):
    report = run_tree(tmp_path, {"bad.firewall.yaml": """
        firewall:
          groups:
            office: [203.0.113.0/24, 10.0.0.0/40]
          rules:
            - name: reversed
              action: allow
              ports: ["9-1"]
            - name: bad-cidr
              action: allow
              ports: [22]
              sources: [300.1.1.1/33]
            - name: bad-schema
              action: maybe
              ports: [21]
            - name: office
              action: allow
              ports: [3389]
              sources: ["@office"]
            - name: mongo
              action: allow
              ports: [27017]
        """, "good.firewall.yaml": FIREWALL_GOOD})
    assert errors_of(report) == [("bad.firewall.yaml", 3), ("bad.firewall.yaml", 7), ("bad.firewall.yaml", 11),
                                 ("bad.firewall.yaml", 13)]
    text = messages(report)
    assert "group office: '10.0.0.0/40' is not a valid IP address or CIDR" in text
    assert "rule reversed: '9-1' is not a port range from low to high" in text
    assert "rule bad-cidr: '300.1.1.1/33' is not a valid IP address or CIDR" in text
    assert "$.firewall.rules[2].action" in text
    found = findings_of(report)
    assert ("bad.firewall.yaml", 19, "PL101") in found      # mongo, after the bad rules
    assert ("good.firewall.yaml", 3, "PL101") in found
    (office,) = [e for e in report.exposures if e.resource.endswith("rule office")]
    assert office.unresolved == ("10.0.0.0/40",) and office.scope == "unknown"   # never silently private


def test_exposure_budget_keeps_what_came_before(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "EXPOSURES_PER_FILE", 5)
    report = run_tree(tmp_path, {"many.firewall.yaml": """
        firewall:
          rules:
            - name: redis
              action: allow
              ports: [6379]
            - name: many
              action: allow
              ports: [1001, 1002, 1003, 1004, 1005, 1006, 1007]
            - name: mongo
              action: allow
              ports: [27017]
        """, "good.firewall.yaml": FIREWALL_GOOD})
    assert errors_of(report) == [("many.firewall.yaml", 6)]
    assert "more than 5 exposures in one file" in report.errors[0].message
    assert "PORTLINT_MAX_EXPOSURES_PER_FILE" in report.errors[0].message
    assert len([e for e in report.exposures if e.location.file == "many.firewall.yaml"]) == 5
    assert ("many.firewall.yaml", 3, "PL101") in findings_of(report)
    assert ("good.firewall.yaml", 3, "PL101") in findings_of(report)


def test_exposure_budget_stops_an_ansible_loop(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "EXPOSURES_PER_FILE", 3)
    items = "\n".join(f"                - {port}" for port in range(2000, 2010))
    report = run_tree(tmp_path, {"site.yml": f"""
        - hosts: all
          tasks:
            - name: redis
              community.general.ufw: {{rule: allow, port: "6379"}}
            - name: loop
              community.general.ufw: {{rule: allow, port: "{{{{ item }}}}"}}
              loop:
{items}
        """})
    assert [(e.line, "more than 3 exposures" in e.message) for e in report.errors] == [(5, True)]
    assert len(report.exposures) == 3
    assert ("site.yml", 3, "PL101") in findings_of(report)


# -- CloudFormation ---------------------------------------------------------------------------

CFN_GOOD = """
    AWSTemplateFormatVersion: "2010-09-09"
    Resources:
      Redis:
        Type: AWS::EC2::SecurityGroupIngress
        Properties: {IpProtocol: tcp, FromPort: 6379, ToPort: 6379, CidrIp: 0.0.0.0/0}
    """


def test_cloudformation_bad_entries_cost_only_themselves(tmp_path):
    report = run_tree(tmp_path, {
        "truncated.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"',
        "bad.yaml": """
            AWSTemplateFormatVersion: "2010-09-09"
            Resources:
              Text:
                Type: AWS::EC2::SecurityGroup
                Properties:
                  SecurityGroupIngress: "0.0.0.0/0"
              Mixed:
                Type: AWS::EC2::SecurityGroup
                Properties:
                  SecurityGroupIngress:
                    - not a rule
                    - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 300.1.1.1/33}
                    - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: 0.0.0.0/0}
              Props:
                Type: AWS::EC2::SecurityGroupIngress
                Properties: [1, 2]
              Select:
                Type: AWS::EC2::SecurityGroupIngress
                Properties:
                  IpProtocol: tcp
                  FromPort: !Select ["²", [23, 24]]
                  ToPort: 23
                  CidrIp: 0.0.0.0/0
            """,
        "good.yaml": CFN_GOOD})
    assert errors_of(report) == [("bad.yaml", 6), ("bad.yaml", 11), ("bad.yaml", 12), ("bad.yaml", 16),
                                 ("truncated.json", 1)]
    text = messages(report)
    assert "resource Text: SecurityGroupIngress must be a list, got a string" in text
    assert "resource Mixed: SecurityGroupIngress[0] must be a mapping, got a string" in text
    assert "CidrIp: '300.1.1.1/33' is not a valid IP address or CIDR" in text
    assert "resource Props: Properties must be a mapping, got a list" in text
    assert "invalid JSON" in text
    found = findings_of(report)
    assert ("bad.yaml", 13, "PL101") in found     # RDP beside the bad entries
    assert ("good.yaml", 3, "PL101") in found
    assert ("bad.yaml", 17, "PL501") in found     # Select with index "²": unresolved, not a crash


def test_cloudformation_conditions_are_computed_once(tmp_path):
    # 9 levels of conditions that each use the one below ten times: 10**9 evaluations unless memoised
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Conditions:", "  C0: !Equals [a, b]"]
    lines += [f"  C{i}: !Or [" + ", ".join([f"!Condition C{i - 1}"] * 10) + "]" for i in range(1, 10)]
    lines += ["  Loop: !Not [!Condition Loop]", "Resources:"]
    for name in ("C9", "Loop"):
        lines += [f"  Open{name}:", "    Type: AWS::EC2::SecurityGroupIngress", f"    Condition: {name}",
                  "    Properties: {IpProtocol: tcp, FromPort: 6379, ToPort: 6379, CidrIp: 0.0.0.0/0}"]
    report = run_tree(tmp_path, {"conditions.yaml": "\n".join(lines) + "\n"})
    assert report.errors == []
    # C9 is false (a != b all the way up): skipped; the cycle is undecided, so the rule is kept
    assert [e.resource for e in report.exposures] == ["OpenLoop"]


def test_cloudformation_evaluation_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "CFN_STEPS", 10_000)
    refs = "${Big}" * 200
    report = run_tree(tmp_path, {"big.yaml": f"""
        AWSTemplateFormatVersion: "2010-09-09"
        Parameters:
          Big: {{Type: String, Default: "{'x' * 100}"}}
        Resources:
          Huge:
            Type: AWS::EC2::SecurityGroupIngress
            Properties:
              IpProtocol: tcp
              FromPort: 22
              ToPort: 22
              CidrIp: !Sub "{refs}"
          Redis:
            Type: AWS::EC2::SecurityGroupIngress
            Properties: {{IpProtocol: tcp, FromPort: 6379, ToPort: 6379, CidrIp: 0.0.0.0/0}}
        """})
    assert errors_of(report) == [("big.yaml", 5)]
    assert "PORTLINT_MAX_CFN_STEPS" in report.errors[0].message
    assert ("big.yaml", 12, "PL101") in findings_of(report)


def test_sub_is_linear_and_keeps_literals():
    assert _substitute("a${X}b${!Y}c${", {"X": "1"}.get) == "a1b${!Y}c${"
    hostile = "${" * 50_000   # the former regex rescanned the rest of the text from every "${"
    assert _substitute(hostile, lambda name: "?") == hostile


# -- Ansible ----------------------------------------------------------------------------------

def test_ansible_bad_units_cost_only_themselves(tmp_path):
    report = run_tree(tmp_path, {"site.yml": """
        - hosts: all
          tasks:
            - name: loop
              community.general.ufw:
                rule: allow
                port: "{{ item }}"
              loop:
                - "²"
                - "9-1"
                - 6379
            - name: bad cidr
              community.general.ufw: {rule: allow, port: "22", from_ip: 300.1.1.1/33}
            - name: scalar args
              ansible.posix.firewalld: 5
            - name: gcp
              google.cloud.gcp_compute_firewall:
                name: fw
                allowed:
                  - {ip_protocol: tcp, ports: "80"}
                  - {ip_protocol: tcp, ports: ["3389"]}
                  - nonsense
            - block:
                - block:
                    - name: mongo
                      community.general.ufw: {rule: allow, port: "27017", proto: tcp}
        """, "other.yml": """
        - name: elastic
          ansible.posix.firewalld: {port: 9200/tcp, state: enabled}
        """})
    assert errors_of(report) == [("site.yml", 8), ("site.yml", 9), ("site.yml", 11), ("site.yml", 13),
                                 ("site.yml", 19), ("site.yml", 21)]
    text = messages(report)
    assert "loop (loop item): '²' is not a port or port range" in text
    assert "from_ip: '300.1.1.1/33' is not a valid IP address or CIDR" in text
    assert "scalar args: the module's arguments must be a mapping, got a number" in text
    assert "gcp: ports must be a list, got a string" in text
    assert "gcp: allowed[2] must be a mapping, got a string" in text
    found = findings_of(report)
    assert ("site.yml", 3, "PL101") in found       # the good loop item (6379)
    assert ("site.yml", 20, "PL101") in found      # RDP beside the bad GCP rules
    assert ("site.yml", 24, "PL101") in found      # a task inside nested blocks
    assert ("other.yml", 1, "PL101") in found


def test_ansible_deeply_nested_blocks_do_not_recurse():
    depth = 120
    text = "".join("  " * i + "- block:\n" for i in range(depth))
    text += "  " * depth + "- community.general.ufw: {rule: allow, port: '6379'}\n"
    from portlint.parsers.ansible import parse_tasks

    outcome = parse_tasks(SourceFile(Path("deep.yml"), "deep.yml", text))
    assert outcome.errors == () and [e.location.line for e in outcome.exposures] == [depth + 1]


# -- Terraform plan JSON ----------------------------------------------------------------------

def _plan(*resources) -> str:
    return json.dumps({"format_version": "1.1", "terraform_version": "1.6.0",
                       "planned_values": {"root_module": {"resources": list(resources)}}}, indent=1)


def _sg(name, values):
    return {"address": f"aws_security_group.{name}", "mode": "managed", "type": "aws_security_group",
            "values": values}


REDIS_SG = {"ingress": [{"from_port": 6379, "to_port": 6379, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]}


def test_plan_bad_resources_cost_only_themselves(tmp_path, monkeypatch):
    from portlint.parsers.terraform import resources

    real = resources.ADAPTERS["aws_security_group"]

    def fragile(view):
        if view.address.endswith(".boom"):
            raise KeyError("surprise")
        return real(view)
    monkeypatch.setitem(resources.ADAPTERS, "aws_security_group", fragile)
    text = _plan(_sg("boom", REDIS_SG), _sg("scalar", 5), _sg("redis", REDIS_SG))
    report = run_tree(tmp_path, {"plan.json": text, "other/plan.json": _plan(_sg("redis", REDIS_SG))})
    lines = text.splitlines()
    boom = next(i for i, l in enumerate(lines, 1) if '"aws_security_group.boom"' in l) - 1
    scalar = next(i for i, l in enumerate(lines, 1) if '"aws_security_group.scalar"' in l) - 1
    assert errors_of(report) == [("plan.json", boom), ("plan.json", scalar)]
    assert "aws_security_group.boom: unexpected value (KeyError" in messages(report)
    assert "aws_security_group.scalar: values must be a mapping, got a number" in messages(report)
    assert sorted({(f.location.file, f.rule_id) for f in report.findings}) == [
        ("other/plan.json", "PL101"), ("plan.json", "PL101")]


def test_plan_without_root_module_points_at_its_line(tmp_path):
    text = '{\n "format_version": "1.1",\n "terraform_version": "1.6.0",\n "planned_values": []\n}\n'
    report = run_tree(tmp_path, {"plan.json": text})
    assert errors_of(report) == [("plan.json", 4)]


# -- shared port/protocol text ----------------------------------------------------------------

@pytest.mark.parametrize("value", ["²", "٣", "1_0", "9-1", "-5", "70000", "1-2-3", 10**5000, True, 22.5, None, [22]],
                         ids=lambda v: "huge" if isinstance(v, int) and v > 10**9 else repr(v))
def test_port_text_rejects_with_value_error(value):
    with pytest.raises(ValueError):
        parse_port_text(value)


def test_protocol_numbers_are_ascii():
    assert [normalize_protocol(v) for v in ("6", "-1", "²", "-²", "9" * 5000, 10**5000, 300)] == \
        ["tcp", "all", None, None, None, None, None]


# -- regexes: every one of these parsers' patterns, on 100k-character adversarial input -------

PARSER_MODULES = ("ansible", "ansible_vars", "cloudformation", "firewall", "kubernetes", "terraform_plan")
AUDITED = {
    "firewall._PORT_TEXT": ["1" * 100_000, "1-" * 50_000, "any" * 33_000],
    "kubernetes._KIND_KEY": ["\n" * 100_000, "kind" + " \t" * 50_000, "kind\"" * 20_000, "xkind" * 20_000],
    "kubernetes._API_KEY": ["\n" * 100_000, "apiVersion" + "\t" * 100_000, "apiVersion '" * 10_000],
    "ansible._MODULE_KEY": ["ufw" * 33_000, "ufw" + " " * 100_000, "community.general." * 6_000,
                            "ec2_group\" " * 10_000],
    "cloudformation._STRONG": ["AWSTemplateFormatVersion" + " " * 100_000, "\nResources" * 10_000,
                               "'AWSTemplateFormatVersion'" * 4_000],
    "kubernetes._SEPARATOR": ["-" * 100_000, "---\n" * 25_000, "--\n" * 33_000],
    "ansible_vars._VAR": ["{{" + " " * 100_000, "{{ a" + " |int" * 25_000, "{{ " + "a" * 100_000 + " }}",
                          "{{ a " + "| " * 50_000],
    "cloudformation._SNIFF": ["AWS::EC2::" * 10_000, "AWS" * 33_000],
    "terraform_plan._SNIFF": ['"planned_values"' + " " * 100_000, '"format_version' * 6_000],
    "ansible._ITEM": ["{{" + " " * 100_000, "{{ item." + "a" * 100_000, "{{ item['" + "a" * 100_000,
                      "{{ " * 33_000],
}


def test_every_parser_regex_is_audited():
    import importlib

    found = set()
    for name in PARSER_MODULES:
        module = importlib.import_module(f"portlint.parsers.{name}")
        found |= {f"{name}.{attr}" for attr, value in vars(module).items() if isinstance(value, re.Pattern)}
    assert found == set(AUDITED), "a new regex needs an adversarial input below (and no nested quantifiers)"


@pytest.mark.parametrize("name", sorted(AUDITED))
def test_regex_runs_over_adversarial_input(name):
    import importlib

    module_name, attr = name.split(".")
    pattern = getattr(importlib.import_module(f"portlint.parsers.{module_name}"), attr)
    for text in AUDITED[name]:
        assert len(text) >= 50_000
        list(pattern.finditer(text))   # a cubic or quadratic pattern would not return on these


def test_ansible_sniffing_has_no_regex_to_blow_up():
    assert sniff("\n" * 100_000 + " " * 100_000 + "- " * 50_000) is False
    assert sniff("\n\n  - community.general.ufw:\n") and sniff("- name: x\n  ansible.posix.firewalld :\n")
    assert not sniff("# ufw: commented out\n  ufw_rules: []\n")
    assert _ITEM.sub("x", "{{ item }} {{item.port}} {{ item['p'] }}") == "x x x"


# -- property-based: mutations of the shipped examples never escape a parser ------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

PLAN_EXAMPLE = _plan(_sg("redis", REDIS_SG), {"address": "x", "mode": "managed", "type": "aws_security_group",
                                              "values": {"ingress": {"from_port": "22", "protocol": "6"}}})
EXAMPLES = {
    "firewall": (FirewallParser, "edge.firewall.yaml", (REPO / "examples/firewall/edge.firewall.yaml").read_text()),
    "kubernetes": (KubernetesParser, "app.yaml", (REPO / "examples/kubernetes/app.yaml").read_text()),
    "cloudformation": (CloudFormationParser, "bastion.yaml",
                       (REPO / "examples/cloudformation/bastion.yaml").read_text()),
    "ansible": (AnsibleParser, "main.yml", (REPO / "examples/ansible/site.yml").read_text()
                + (REPO / "examples/ansible/roles/web/tasks/main.yml").read_text()),
    "terraform-plan": (TerraformPlanParser, "plan.json", PLAN_EXAMPLE),
}
HOSTILE_SNIPPETS = ["²", "9-1", "300.1.1.1/33", "{\"", "\"${\"", "[", "{", "-", ": ", "\n- ", "&a", "*a", "!Ref",
                    "~", "null", "65536", "-1", "\x00", "\t", "[[[[", "{{ item }}", "0x1F", "1e999", "?"]


def _parse(parser_type, name: str, text: str):
    source = SourceFile(Path("/project") / name, name, text)
    return list(parser_type().parse([source], ParseContext()))


def _mutate(text: str, data) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if action == "insert":
            text = text[:position] + data.draw(st.sampled_from(HOSTILE_SNIPPETS)) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + data.draw(st.integers(1, 40)):]
        elif action == "replace":
            match = list(re.finditer(r"[\w./:-]+", text))
            if match:
                word = match[data.draw(st.integers(0, len(match) - 1))]
                text = text[:word.start()] + data.draw(st.sampled_from(HOSTILE_SNIPPETS)) + text[word.end():]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                index = data.draw(st.integers(0, len(lines) - 1))
                text = "".join(lines[:index + 1] + lines[index:])
    return text


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_mutated_examples_never_escape_the_parser(kind):
    parser_type, name, good = EXAMPLES[kind]
    (expected,) = _parse(parser_type, name, good)
    assert expected.exposures and not expected.errors

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data):
        mutated = _mutate(good, data)
        outcomes = _parse(parser_type, "bad-" + name, mutated) + _parse(parser_type, name, good)
        assert [o.file for o in outcomes] == ["bad-" + name, name]
        for error in outcomes[0].errors:
            assert error.line >= 1 and "internal error" not in error.message
        assert outcomes[1] == expected
    check()


# -- added with the acceptance cases: groups in a cycle, impossible CloudFormation ports, free-form text --

def test_firewall_group_cycle_is_an_error_at_the_source(tmp_path):
    report = run_tree(tmp_path, {"x.firewall.yaml": """
        firewall:
          groups:
            a: ["@b"]
            b: ["@a", 198.51.100.0/24]
            c: ["@b"]
          rules:
            - name: loop
              action: allow
              ports: [80]
              sources: ["@a"]
            - name: rdp
              action: allow
              ports: [3389]
              sources: [any]
        """})
    assert errors_of(report) == [("x.firewall.yaml", 10)]
    assert "groups refer to each other in a cycle (a -> b -> a)" in report.errors[0].message
    assert ("x.firewall.yaml", 11, "PL101") in findings_of(report)


def test_cloudformation_impossible_ports_are_input_errors(tmp_path):
    report = run_tree(tmp_path, {"t.yaml": """
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          Bad:
            Type: AWS::EC2::SecurityGroupIngress
            Properties: {IpProtocol: tcp, FromPort: 100, ToPort: 1, CidrIp: 0.0.0.0/0}
          Garbage:
            Type: AWS::EC2::SecurityGroup
            Properties:
              SecurityGroupIngress:
                - IpProtocol: tpc
                  FromPort: 22
                  ToPort: 22
                  CidrIp: 0.0.0.0/0
          Redis:
            Type: AWS::EC2::SecurityGroupIngress
            Properties: {IpProtocol: tcp, FromPort: 6379, ToPort: 6379, CidrIp: 0.0.0.0/0}
        """})
    assert errors_of(report) == [("t.yaml", 5), ("t.yaml", 10)]
    assert "tcp needs FromPort and ToPort from low to high within 0-65535, got 100 and 1" in messages(report)
    assert "IpProtocol 'tpc' is not an IP protocol" in messages(report)
    assert findings_of(report) == [("t.yaml", 14, "PL101")]


def test_ansible_free_form_text_without_pairs_is_an_error(tmp_path):
    report = run_tree(tmp_path, {"play.yml": """
        - hosts: all
          tasks:
            - community.general.ufw: allow everything
            - community.general.ufw: rule=allow port=6379
        """})
    assert errors_of(report) == [("play.yml", 3)]
    assert "free-form module arguments must be key=value pairs, got 'allow everything'" in messages(report)
    assert findings_of(report) == [("play.yml", 4, "PL101")]


def test_long_firewall_lists_are_checked_without_jsonschema(tmp_path):
    ports = ", ".join(["22"] * 40 + ['"9-1"', '"x"'] + ["6379"] * 40)
    report = run_tree(tmp_path, {"x.firewall.yaml": f"""
        firewall:
          rules:
            - name: long
              action: allow
              ports: [{ports}]
            - name: rdp
              action: allow
              ports: [3389]
        """})
    # "x" is refused like the schema refuses it; "9-1" passes the pattern and is refused as a reversed range
    assert [(e.line, e.message) for e in report.errors] == [
        (5, "$.firewall.rules[0].ports[41]: 'x' is not valid here")]
    assert ("x.firewall.yaml", 6, "PL101") in findings_of(report)
    assert all(e.resource.endswith("rule rdp") for e in report.exposures)
