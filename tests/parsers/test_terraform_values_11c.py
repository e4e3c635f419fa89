"""Issue 11, point 4 and the sources fixes: ``optional()`` attribute defaults, managed prefix
lists defined in the configuration, ``[0]`` addresses of ``count`` instances, ``self`` rules."""

from __future__ import annotations

from tests.conftest import run_tree


def rows(report):
    return [(e.location.line, e.resource, str(e.port_range), e.scope, e.sources) for e in report.exposures]


OPTIONAL = """
variable "rules" {
  type = list(object({
    port  = number
    cidrs = optional(list(string), ["0.0.0.0/0"])
    extra = optional(object({ cidr = optional(string, "10.0.0.0/8") }), {})
  }))
  default = [{ port = "22" }, { port = 3306, cidrs = null }, { port = 5432, cidrs = ["10.1.0.0/16"] }]
}

resource "aws_security_group" "a" {
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = concat(ingress.value.cidrs, [ingress.value.extra.cidr])
    }
  }
}
"""


def test_optional_defaults_fill_omitted_and_null_attributes_of_a_default(tmp_path):
    report = run_tree(tmp_path, {"main.tf": OPTIONAL})
    assert rows(report) == [
        (11, "aws_security_group.a", "22", "internet", ("0.0.0.0/0", "10.0.0.0/8")),
        (11, "aws_security_group.a", "3306", "internet", ("0.0.0.0/0", "10.0.0.0/8")),
        (11, "aws_security_group.a", "5432", "private", ("10.1.0.0/16", "10.0.0.0/8")),
    ]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL101", 11), ("PL101", 11), ("PL201", 11)]


def test_optional_default_private_is_quiet_and_tfvars_override_it(tmp_path):
    main = """
variable "m" {
  type = map(object({ cidr = optional(string, "10.0.0.0/8"), port = optional(number, 6379) }))
}
resource "aws_security_group_rule" "m" {
  for_each    = var.m
  type        = "ingress"
  from_port   = each.value.port
  to_port     = each.value.port
  protocol    = "tcp"
  cidr_blocks = [each.value.cidr]
}
"""
    report = run_tree(tmp_path, {"main.tf": main,
                                 "terraform.tfvars": 'm = { a = {}, b = { cidr = "0.0.0.0/0", port = 9200 } }\n'})
    assert rows(report) == [
        (4, 'aws_security_group_rule.m["a"]', "6379", "private", ("10.0.0.0/8",)),
        (4, 'aws_security_group_rule.m["b"]', "9200", "internet", ("0.0.0.0/0",)),
    ]
    assert [f.severity.label for f in report.findings if f.rule_id.startswith("PL1")] == ["critical"]
    assert all(f.severity.label == "low" for f in report.findings if f.exposure.resource.endswith('["a"]'))


def test_optional_defaults_in_module_arguments_and_tf_json(tmp_path):
    module = """
variable "allow" {
  type = list(object({ port = number, cidr = optional(string, "10.0.0.0/8") }))
}
resource "aws_security_group_rule" "r" {
  count       = length(var.allow)
  type        = "ingress"
  from_port   = var.allow[count.index].port
  to_port     = var.allow[count.index].port
  protocol    = "tcp"
  cidr_blocks = [var.allow[count.index].cidr]
}
"""
    report = run_tree(tmp_path, {
        "mod/main.tf": module,
        "root/main.tf": 'module "m" {\n  source = "../mod"\n  allow  = [{ port = 5432 }, { port = 22, cidr = "0.0.0.0/0" }]\n}\n',
        "j/main.tf.json": '{"variable": {"v": {"type": "object({cidr = optional(string, \\"0.0.0.0/0\\")})",'
                          ' "default": {}}}, "resource": {"aws_security_group_rule": {"x": {"type": "ingress",'
                          ' "from_port": 23, "to_port": 23, "protocol": "tcp", "cidr_blocks": ["${var.v.cidr}"]}}}}',
    })
    assert not report.errors, report.errors
    got = sorted((e.resource, str(e.port_range), e.sources) for e in report.exposures)
    assert got == [
        ("aws_security_group_rule.x", "23", ("0.0.0.0/0",)),
        ("module.m.aws_security_group_rule.r[0]", "5432", ("10.0.0.0/8",)),
        ("module.m.aws_security_group_rule.r[1]", "22", ("0.0.0.0/0",)),
    ]


def test_count_one_has_its_index_in_the_address(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
resource "aws_security_group_rule" "one" {
  count       = 1
  type        = "ingress"
  from_port   = 22
  to_port     = 22
  protocol    = "tcp"
  cidr_blocks = ["0.0.0.0/0"]
}
resource "aws_security_group_rule" "none" {
  type        = "ingress"
  from_port   = 23
  to_port     = 23
  protocol    = "tcp"
  cidr_blocks = ["0.0.0.0/0"]
}
"""})
    assert [e.resource for e in report.exposures] == ["aws_security_group_rule.one[0]", "aws_security_group_rule.none"]
    assert [f.exposure.resource for f in report.findings] == ["aws_security_group_rule.one[0]", "aws_security_group_rule.none"]


def test_count_one_module_call_is_indexed_too(tmp_path):
    report = run_tree(tmp_path, {
        "mod/main.tf": 'resource "aws_security_group_rule" "r" {\n  type = "ingress"\n  from_port = 22\n'
                       '  to_port = 22\n  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n}\n',
        "root/main.tf": 'module "m" {\n  source = "../mod"\n  count  = 1\n}\n',
    })
    assert [e.resource for e in report.exposures] == ["module.m[0].aws_security_group_rule.r"]


def test_self_only_rule_is_private(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
resource "aws_security_group" "db" {
  ingress {
    from_port = 5432
    to_port   = 5432
    protocol  = "tcp"
    self      = true
  }
}
resource "aws_security_group_rule" "peers" {
  type      = "ingress"
  from_port = 6379
  to_port   = 6379
  protocol  = "tcp"
  self      = true
}
"""})
    assert rows(report) == [(2, "aws_security_group.db", "5432", "private", ("self",)),
                            (9, "aws_security_group_rule.peers", "6379", "private", ("self",))]
    assert [f.rule_id for f in report.findings] == []


def test_managed_prefix_lists_defined_here_become_the_rules_sources(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
resource "aws_ec2_managed_prefix_list" "all" {
  name           = "all"
  address_family = "IPv4"
  max_entries    = 2
  entry {
    cidr = "0.0.0.0/1"
  }
  entry {
    cidr = "128.0.0.0/1"
  }
}
resource "aws_ec2_managed_prefix_list" "office" {
  name           = "office"
  address_family = "IPv4"
  max_entries    = 5
}
resource "aws_ec2_managed_prefix_list_entry" "hq" {
  cidr           = "10.0.0.0/8"
  prefix_list_id = aws_ec2_managed_prefix_list.office.id
}
resource "aws_ec2_managed_prefix_list" "empty" {
  name           = "empty"
  address_family = "IPv4"
  max_entries    = 5
}
data "aws_ec2_managed_prefix_list" "s3" {
  name = "com.amazonaws.eu-west-1.s3"
}
resource "aws_security_group" "a" {
  ingress {
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    prefix_list_ids = [aws_ec2_managed_prefix_list.all.id]
  }
  ingress {
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    prefix_list_ids = [aws_ec2_managed_prefix_list.office.id]
  }
  ingress {
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    prefix_list_ids = [aws_ec2_managed_prefix_list.empty.id]
  }
  egress {
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [data.aws_ec2_managed_prefix_list.s3.id]
  }
}
resource "aws_vpc_security_group_ingress_rule" "v" {
  security_group_id = "sg-1"
  ip_protocol       = "tcp"
  from_port         = 3389
  to_port           = 3389
  prefix_list_id    = aws_ec2_managed_prefix_list.all.id
}
"""})
    assert not report.errors, report.errors
    assert [(e.location.line, str(e.port_range), e.scope, e.sources) for e in report.exposures] == [
        (30, "22", "internet", ("0.0.0.0/1", "128.0.0.0/1")),
        (36, "5432", "private", ("10.0.0.0/8",)),
        (42, "6379", "unknown", ("aws_ec2_managed_prefix_list.empty (no entries in this configuration)",)),
        (48, "443", "restricted-public", ("prefix-list:data.aws_ec2_managed_prefix_list.s3.id",)),
        (55, "3389", "internet", ("0.0.0.0/1", "128.0.0.0/1")),
    ]
    got = [(f.rule_id, f.location.line, f.severity.label) for f in report.findings]
    assert ("PL101", 30, "high") in got and ("PL101", 55, "critical") in got
    assert ("PL201", 36, "low") in got
    assert ("PL501", 42, "medium") in got
