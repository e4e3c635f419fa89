"""Attacker review, third batch: sniffing dodges.

A risky file was skipped (exit 0, "no file was checked") when its recognising keys lay past the
first 256 KiB, were written in flow style, quoted, or in a ``.json`` Kubernetes manifest, or when
an Ansible play was written in flow style; another parser could also claim a manifest first and
find nothing in it. Each case puts the hostile file beside a good risky Compose file whose finding
must survive, and checks exact lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portlint import limits
from portlint.parsers import line_start_key
from portlint.parsers.ansible import AnsibleParser
from portlint.parsers.cloudformation import CloudFormationParser
from portlint.parsers.kubernetes import KubernetesParser
from portlint.parsers.terraform_plan import TerraformPlanParser
from tests.conftest import run_tree
from tests.hostile.hostile_cases import CFN_HEAD, PLAY_HEAD, cfn_sg, compose_good, k8s_service, ufw_task

GOOD = {"good/compose.yaml": "services:\n" + compose_good()}  # finding at line 5
GOOD_FINDING = ("good/compose.yaml", 5, "PL101")
PAD = "#" + "x" * 300_000 + "\n"  # one line, past the old 256 KiB head
FLOW_SERVICE = ("{apiVersion: v1, kind: Service, metadata: {name: pg}, "
                "spec: {type: LoadBalancer, ports: [{port: 5432}]}}\n")
FLOW_PLAY = '- {hosts: db, tasks: [{name: x, community.general.ufw: {rule: allow, port: "5432"}}]}\n'


def errors_of(report):
    return sorted((e.file, e.line) for e in report.errors)


def findings_of(report):
    return sorted((f.location.file, f.location.line, f.rule_id) for f in report.findings)


def check(tmp_path, files: dict, findings: list, errors: list = ()):
    report = run_tree(tmp_path, {**GOOD, **files})
    assert errors_of(report) == sorted(errors)
    assert findings_of(report) == sorted([GOOD_FINDING, *findings])
    return report


@pytest.mark.parametrize("name, text, line, rule", [
    ("bad/svc.yaml", PAD + k8s_service(), 10, "PL101"),  # (a) padding before a Service
    ("bad/cfn.yaml", PAD + CFN_HEAD + cfn_sg(), 9, "PL101"),  # (a) padding before a template
    ("bad/compose.yaml.yml", PAD + "services:\n" + compose_good(), 6, "PL101"),  # sniffed by its key too
    ("bad/svc.yaml", FLOW_SERVICE, 1, "PL101"),  # (b) flow style
    ("bad/svc.yaml", k8s_service().replace("apiVersion:", '"apiVersion":').replace("kind:", '"kind":'),
     9, "PL101"),  # (c) quoted keys
    ("bad/play.yml", FLOW_PLAY, 1, "PL101"),  # (e) a flow-style play
    ("bad/play.yml", PLAY_HEAD.replace("tasks:", '"tasks":') + ufw_task().replace(
        "community.general.ufw:", "'community.general.ufw':"), 3, "PL101"),  # a quoted module key
])
def test_a_dodged_sniff_is_checked(tmp_path, name, text, line, rule):
    check(tmp_path, {name: text}, [(name, line, rule)])


def test_a_kubernetes_manifest_in_json_is_checked(tmp_path):  # (d)
    manifest = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pg"},
                "spec": {"type": "LoadBalancer", "ports": [{"port": 5432}]}}
    text = json.dumps(manifest, indent=2) + "\n"
    line = text.splitlines().index('        "port": 5432') + 1 - 1  # the port item's opening brace
    report = check(tmp_path, {"bad/svc.json": text}, [("bad/svc.json", line, "PL101")])
    assert {e.location.line for e in report.exposures if e.location.file == "bad/svc.json"} == {line}


def test_kubectl_list_output_in_json_is_checked(tmp_path):
    listing = {"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pg"},
                                              "spec": {"type": "LoadBalancer", "ports": [{"port": 5432}]}}],
               "kind": "List", "metadata": {}}
    text = json.dumps(listing, separators=(",", ":")) + "\n"  # one line, as kubectl -o json | jq -c
    check(tmp_path, {"bad/all.json": text}, [("bad/all.json", 1, "PL101")])


def test_no_other_parser_takes_a_manifest_that_mentions_its_words(tmp_path):
    """A Service whose annotation holds ``- ufw:`` (Ansible's sniff) or a security group type and the
    word Resources (CloudFormation's) was claimed by those parsers, which found nothing: exit 0."""
    ansible_bait = k8s_service().replace("  name: pg\n", "  name: pg\n  annotations:\n    note: |\n      - ufw: x\n")
    cfn_bait = k8s_service().replace(
        "  name: pg\n", "  name: pg\n  annotations:\n    note: 'Resources: AWS::EC2::SecurityGroup'\n")
    check(tmp_path, {"bad/a.yaml": ansible_bait, "bad/c.yaml": cfn_bait},
          [("bad/a.yaml", 12, "PL101"), ("bad/c.yaml", 11, "PL101")])


def test_a_data_file_that_merely_holds_the_words_is_not_an_error(tmp_path):
    """Claimed only by a loose test and not loading as that format: nothing, not an input error."""
    check(tmp_path, {
        "data/broken.yaml": "{kind: fruit, apiVersion: 2, list: [1, 2\n",  # a flow mapping never closed
        "data/broken.json": '{"kind": "fruit", "apiVersion": 2, "x": [1, 2\n',
        "data/words.yaml": "- {kind: fruit, apiVersion: 2}\n- {kind: veg, apiVersion: 3}\n",  # a list, no object
        "data/ufw.yaml": "notes: {ufw: [unclosed\n",
        "data/ufw-map.yaml": "notes: {ufw: {rule: allow, port: 22}}\n",  # no play or task list
        "data/cfn-words.yaml": "- {Resources: none, Type: 'AWS::EC2::SecurityGroup'}\n",  # no template
        "data/cfn-broken.json": '{"Resources": {"x": {"Type": "AWS::EC2::SecurityGroup"\n',
    }, [])


def test_a_strongly_recognised_file_with_a_yaml_error_is_still_an_error(tmp_path):
    """Column-0 kind:/apiVersion:, a module at a line start, or AWSTemplateFormatVersion: the format
    is certain, so a syntax error is named (beside a good unit that still reports)."""
    check(tmp_path, {
        "bad/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: [x\n---\n" + k8s_service(),
        "bad/play.yml": PLAY_HEAD + ufw_task() + "    - name: broken\n      ufw: {rule: [allow\n",
        "bad/cfn.yaml": CFN_HEAD + cfn_sg() + "  Bad: {Type: [\n",
    }, [("bad/svc.yaml", 13, "PL101")],
        errors=[("bad/svc.yaml", 4), ("bad/play.yml", 10), ("bad/cfn.yaml", 13)])  # where the parser stops


def test_a_loosely_claimed_file_that_confirms_keeps_its_errors(tmp_path):
    """Once a document loads as a Kubernetes object, the file is a manifest: a broken document beside
    it is an input error at its line, and the good object still reports."""
    text = FLOW_SERVICE + "---\n{kind: Service, apiVersion: v1, spec: [\n"
    check(tmp_path, {"bad/svc.yaml": text}, [("bad/svc.yaml", 1, "PL101")], errors=[("bad/svc.yaml", 4)])


def test_a_work_limit_hit_in_a_loosely_claimed_file_is_still_named(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "YAML_NODES", 50)
    big = "{apiVersion: v1, kind: Service, metadata: {name: pg, labels: {%s}}, spec: {type: LoadBalancer}}\n" % (
        ", ".join(f"l{i}: v" for i in range(60)))
    report = run_tree(tmp_path, {**GOOD, "bad/svc.yaml": big})
    assert errors_of(report) == [("bad/svc.yaml", 1)] and "YAML_NODES" in report.errors[0].message
    assert GOOD_FINDING in findings_of(report)


def test_a_terraform_plan_holding_a_manifest_stays_the_plans(tmp_path):
    plan = {"format_version": "1.2", "terraform_version": "1.6.0", "planned_values": {"root_module": {
        "resources": [{"address": "kubernetes_manifest.svc", "mode": "managed", "type": "kubernetes_manifest",
                       "values": {"manifest": {"apiVersion": "v1", "kind": "Service"}}}]}}}
    text = json.dumps(plan)
    path = Path("plan.json")
    assert TerraformPlanParser().claims(path, text) and not KubernetesParser().claims(path, text)


def test_claims_on_hostile_sizes_stay_linear():
    """The loose tests run on whole files: 1 MB of near-misses for each is one fast scan."""
    near_misses = ["kind " * 200_000, "apiVersion\t" * 100_000 + "kind:", "\nkind" * 200_000 + "apiVersion",
                   "ufw " * 250_000, "x.ufw:" * 150_000, ("group" + " " * 50) * 20_000, "AWS::" * 200_000 + "Resources",
                   "\n" * 1_000_000, " " * 1_000_000 + ":"]
    for text in near_misses:
        for parser in (KubernetesParser(), AnsibleParser(), CloudFormationParser()):
            parser.claims(Path("x.yaml"), text)
        line_start_key(text, "services")
    assert line_start_key("services :\n", "services") and line_start_key("x: 1\nfirewall:\n", "firewall")
    assert not line_start_key(" services:\n", "services") and not line_start_key("myservices:\n", "services")
