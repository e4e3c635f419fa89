"""Review 11/12 follow-ups: each test fails without its fix."""

from __future__ import annotations

from tests.conftest import run_tree


# -- 1. for_each over a whole resource, data source or module ------------------------------------

FOR_EACH_RESOURCE = """
resource "aws_security_group" "x" {
  for_each = toset(["a", "b"])
  name     = each.key
}
resource "aws_security_group_rule" "s" {
  for_each          = aws_security_group.x
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = each.value.id
}
"""


def test_for_each_over_a_whole_resource_is_one_unknown_instance(tmp_path):
    report = run_tree(tmp_path, {"main.tf": FOR_EACH_RESOURCE})
    assert not report.errors, report.errors
    assert [(e.resource, str(e.port_range), e.scope) for e in report.exposures] == [
        ("aws_security_group_rule.s[?]", "22", "internet")]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL101", 5)]  # the rule resource (a leading blank line is not counted)


def test_for_each_over_a_data_source_on_a_module_call(tmp_path):
    report = run_tree(tmp_path, {
        "main.tf": """
            module "fw" {
              source   = "./fw"
              for_each = data.google_compute_network.all
              cidrs    = ["0.0.0.0/0"]
            }
            """,
        "fw/main.tf": """
            variable "cidrs" {}
            resource "aws_security_group" "s" {
              ingress {
                from_port   = 22
                to_port     = 22
                protocol    = "tcp"
                cidr_blocks = var.cidrs
              }
            }
            """})
    assert not report.errors, report.errors
    assert [e.resource for e in report.exposures] == ["module.fw[?].aws_security_group.s"]
    assert [(f.rule_id, f.location.file, f.location.line) for f in report.findings] == [
        ("PL101", "fw/main.tf", 3)]  # the ingress block


def test_for_each_over_a_known_string_stays_an_input_error(tmp_path):
    report = run_tree(tmp_path, {"main.tf": 'resource "aws_security_group" "x" {\n  for_each = "a"\n}\n'})
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "for_each must be a map or a set, got a string")]
