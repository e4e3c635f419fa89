"""AWS resources: security groups, rules, VPC rules and NACLs, with exact lines."""

from __future__ import annotations

from tests.conftest import run_tree, summary


def test_security_group_inline_blocks(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        resource "aws_security_group" "web" {
          name = "web"

          ingress {
            from_port        = 22
            to_port          = 22
            protocol         = "tcp"
            cidr_blocks      = ["0.0.0.0/0"]
            ipv6_cidr_blocks = ["::/0"]
          }

          ingress {
            from_port       = 5432
            to_port         = 5432
            protocol        = "6"
            security_groups = [aws_security_group.app.id]
          }

          egress {
            from_port   = 0
            to_port     = 0
            protocol    = "-1"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
        """})
    assert not report.errors
    assert summary(report.exposures) == [
        ("main.tf", 4, 10, "aws_security_group.web", "ingress", "allow", "tcp", "22", "internet"),
        ("main.tf", 12, 17, "aws_security_group.web", "ingress", "allow", "tcp", "5432", "private"),
        ("main.tf", 19, 24, "aws_security_group.web", "egress", "allow", "all", "0-65535", "internet"),
    ]
    assert report.exposures[0].sources == ("0.0.0.0/0", "::/0")
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL101", 4)]


def test_protocol_spellings(tmp_path):
    rules = "\n".join(f"""
        resource "aws_security_group_rule" "r{i}" {{
          type        = "ingress"
          from_port   = {low}
          to_port     = {high}
          protocol    = {proto}
          cidr_blocks = ["10.0.0.0/8"]
        }}""" for i, (low, high, proto) in enumerate([
        (0, 0, '"-1"'), (-1, -1, '"all"'), (53, 53, '"17"'), (53, 53, "6"), (8, 0, '"icmp"'),
        (0, 65535, '"tcp"'), (0, 0, "-1"), (47, 47, '"47"')]))
    report = run_tree(tmp_path, {"rules.tf": rules})
    assert [(e.protocol, str(e.port_range)) for e in report.exposures] == [
        ("all", "0-65535"), ("all", "0-65535"), ("udp", "53"), ("tcp", "53"), ("icmp", "0-65535"),
        ("tcp", "0-65535"), ("all", "0-65535"), ("gre", "0-65535")]
    assert [e.location.line for e in report.exposures] == [1 + 8 * i for i in range(8)]


def test_security_group_rule_and_vpc_rules(tmp_path):
    report = run_tree(tmp_path, {"rules.tf": """
        resource "aws_security_group_rule" "rdp" {
          type              = "ingress"
          from_port         = 3389
          to_port           = 3389
          protocol          = "tcp"
          cidr_blocks       = ["0.0.0.0/0"]
          security_group_id = aws_security_group.win.id
        }

        resource "aws_security_group_rule" "out" {
          type        = "egress"
          from_port   = 0
          to_port     = 65535
          protocol    = "tcp"
          cidr_blocks = ["0.0.0.0/0"]
        }

        resource "aws_vpc_security_group_ingress_rule" "all_v6" {
          security_group_id = aws_security_group.win.id
          cidr_ipv6         = "::/0"
          ip_protocol       = "-1"
        }

        resource "aws_vpc_security_group_ingress_rule" "mysql" {
          security_group_id = aws_security_group.db.id
          cidr_ipv4         = "203.0.113.0/24"
          from_port         = 3306
          to_port           = 3306
          ip_protocol       = "tcp"
        }

        resource "aws_vpc_security_group_egress_rule" "dns" {
          security_group_id = aws_security_group.db.id
          cidr_ipv4         = "0.0.0.0/0"
          from_port         = 53
          to_port           = 53
          ip_protocol       = "udp"
        }
        """})
    assert summary(report.exposures) == [
        ("rules.tf", 1, 8, "aws_security_group_rule.rdp", "ingress", "allow", "tcp", "3389", "internet"),
        ("rules.tf", 10, 16, "aws_security_group_rule.out", "egress", "allow", "tcp", "0-65535", "internet"),
        ("rules.tf", 18, 22, "aws_vpc_security_group_ingress_rule.all_v6", "ingress", "allow", "all", "0-65535",
         "internet"),
        ("rules.tf", 24, 30, "aws_vpc_security_group_ingress_rule.mysql", "ingress", "allow", "tcp", "3306",
         "restricted-public"),
        ("rules.tf", 32, 38, "aws_vpc_security_group_egress_rule.dns", "egress", "allow", "udp", "53", "internet"),
    ]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL101", 1), ("PL102", 18)]


def test_default_security_group_and_attribute_blocks(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        resource "aws_default_security_group" "default" {
          vpc_id = aws_vpc.main.id
          ingress = [
            {
              from_port   = 0
              to_port     = 0
              protocol    = "-1"
              cidr_blocks = ["0.0.0.0/0"]
            },
            {
              from_port   = 443
              to_port     = 443
              protocol    = "tcp"
              cidr_blocks = ["0.0.0.0/0"]
            },
          ]
        }
        """})
    assert [(e.location.line, e.location.end_line, e.protocol, str(e.port_range)) for e in report.exposures] == [
        (4, 9, "all", "0-65535"), (10, 15, "tcp", "443")]


def test_network_acl_rules_in_order(tmp_path):
    report = run_tree(tmp_path, {"nacl.tf": """
        resource "aws_network_acl" "public" {
          vpc_id = aws_vpc.main.id

          ingress {
            rule_no    = 100
            action     = "deny"
            protocol   = "tcp"
            from_port  = 3389
            to_port    = 3389
            cidr_block = "0.0.0.0/0"
          }

          ingress {
            rule_no    = 200
            action     = "allow"
            protocol   = "tcp"
            from_port  = 3000
            to_port    = 4000
            cidr_block = "0.0.0.0/0"
          }
        }

        resource "aws_network_acl_rule" "ssh" {
          network_acl_id = aws_network_acl.public.id
          rule_number    = 50
          egress         = false
          protocol       = "tcp"
          rule_action    = "allow"
          cidr_block     = "0.0.0.0/0"
          from_port      = 22
          to_port        = 22
        }

        resource "aws_network_acl_rule" "late_allow" {
          network_acl_id = aws_network_acl.public.id
          rule_number    = 300
          protocol       = "tcp"
          rule_action    = "allow"
          cidr_block     = "0.0.0.0/0"
          from_port      = 3389
          to_port        = 3389
        }
        """})
    allows = [(e.location.line, str(e.port_range)) for e in report.exposures if e.action == "allow"]
    # rule 100 denies RDP first: rule 200 loses 3389 and rule 300 is shadowed completely
    assert allows == [(13, "3000-3388"), (13, "3390-4000"), (23, "22")]
    assert [(s.exposure.location.line, s.by.location.line) for s in report.shadowed] == [(34, 4)]
    assert not any("RDP" in f.message for f in report.findings)
    assert [(f.rule_id, f.location.line) for f in report.findings] == [
        ("PL103", 13), ("PL103", 13), ("PL101", 23), ("PL503", 34)]
    assert "MySQL" in report.findings[0].message
