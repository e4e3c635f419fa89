""".tf.json with lines, bad Terraform input, and the lazy import of python-hcl2."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO, run_tree

TF_JSON = """{
  "variable": {
    "ssh_cidrs": {
      "default": ["0.0.0.0/0"]
    }
  },
  "resource": {
    "aws_security_group": {
      "bastion": {
        "name": "bastion",
        "ingress": [
          {
            "from_port": 22,
            "to_port": 22,
            "protocol": "tcp",
            "cidr_blocks": "${var.ssh_cidrs}"
          },
          {
            "from_port": 443,
            "to_port": 443,
            "protocol": "tcp",
            "cidr_blocks": ["0.0.0.0/0"]
          }
        ]
      }
    },
    "google_compute_firewall": {
      "rdp": {
        "name": "rdp",
        "network": "default",
        "allow": {"protocol": "tcp", "ports": ["3389"]},
        "source_ranges": ["${var.ssh_cidrs[0]}"]
      }
    }
  }
}
"""


def test_tf_json_resources_with_lines(tmp_path):
    report = run_tree(tmp_path, {"main.tf.json": TF_JSON})
    assert not report.errors
    assert [(e.location.line, e.location.end_line, e.resource, str(e.port_range), e.scope)
            for e in report.exposures] == [
        (12, 17, "aws_security_group.bastion", "22", "internet"),
        (18, 23, "aws_security_group.bastion", "443", "internet"),
        (31, 31, "google_compute_firewall.rdp", "3389", "internet"),
    ]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL101", 12), ("PL101", 31)]


def test_syntax_errors_are_reported_and_the_rest_is_checked(tmp_path):
    report = run_tree(tmp_path, {
        "broken/main.tf": 'resource "aws_security_group" "x" {\n  ingress {\n    from_port = \n  }\n}\n',
        "broken/other.tf": ('resource "aws_security_group_rule" "ok" {\n  type = "ingress"\n  from_port = 23\n'
                            '  to_port = 23\n  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n}\n'),
        "json/main.tf.json": '{"resource": {"aws_security_group": {"x": {"ingress": [{"from_port": 22,}]}}}}\n',
        "vars/main.tf": 'variable "x" {}\n',
        "vars/terraform.tfvars": 'x = [\n',
        "good/main.tf": ('resource "aws_security_group_rule" "rdp" {\n  type = "ingress"\n  from_port = 3389\n'
                         '  to_port = 3389\n  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n}\n'),
        "wrong/main.tf.json": '["not", "an", "object"]\n',
    })
    errors = [(e.file, e.line) for e in report.errors]
    assert errors == [("broken/main.tf", 3), ("json/main.tf.json", 1), ("vars/terraform.tfvars", 2),
                      ("wrong/main.tf.json", 1)]
    assert all("invalid" in e.message or "must hold" in e.message for e in report.errors)
    assert sorted((f.location.file, f.location.line) for f in report.findings) == [
        ("broken/other.tf", 1), ("good/main.tf", 1)]


def test_strange_but_valid_expressions_never_crash(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        locals {
          cycle_a = local.cycle_b
          cycle_b = local.cycle_a
          bad     = 1 + "x"
          tmpl    = "%{ if true }0.0.0.0/0%{ endif }"
          heredoc = <<-EOT
            10.0.0.0/8
          EOT
        }
        resource "aws_security_group_rule" "odd" {
          type        = "ingress"
          from_port   = local.bad
          to_port     = local.cycle_a
          protocol    = provider::aws::arn_parse("x")
          cidr_blocks = [local.tmpl, trimspace(local.heredoc), element([], 0)]
        }
        """})
    assert not report.errors
    (exposure,) = report.exposures
    assert exposure.scope == "unknown" and exposure.unresolved


def test_compose_only_run_imports_neither_hcl2_nor_jsonschema(tmp_path):
    (tmp_path / "compose.yaml").write_text('services:\n  a:\n    ports: ["80:80"]\n')
    code = ("import sys; from portlint.cli import main; main(['check', '.']); "
            "print('hcl2' in sys.modules, 'lark' in sys.modules, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO)}).stdout
    assert out.strip().endswith("False False False")


def test_python_hcl2_still_hides_positions_in_serialized_output():
    """Canary for python-hcl2 issue #291: when with_meta works again, simplify hcl.py."""
    import hcl2

    options = getattr(hcl2, "SerializationOptions", None)
    if options is None:
        return
    data = hcl2.loads('resource "a" "b" {\n  x = 1\n}\n', serialization_options=options(with_meta=True))
    assert "__start_line__" not in json.dumps(data)
