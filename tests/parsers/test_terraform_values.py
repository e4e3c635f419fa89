"""Values resolved as Terraform would: variables, tfvars, locals, functions, dynamic blocks,
count, for_each, local modules and the community security-group module."""

from __future__ import annotations

import json

from portlint.parsers import SourceFile
from tests.conftest import run_tree

SG = """
variable "ssh_cidrs" {
  type    = list(string)
  default = ["10.0.0.0/8"]
}

resource "aws_security_group" "bastion" {
  name = "bastion"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.ssh_cidrs
  }
}
"""


def scopes(report):
    return [(e.location.line, e.scope, e.sources) for e in report.exposures]


def test_variable_default(tmp_path):
    assert scopes(run_tree(tmp_path, {"main.tf": SG})) == [(8, "private", ("10.0.0.0/8",))]


def test_tfvars_files_in_terraform_order(tmp_path):
    report = run_tree(tmp_path, {
        "main.tf": SG,
        "terraform.tfvars": 'ssh_cidrs = ["198.51.100.0/24"]\n',
        "terraform.tfvars.json": json.dumps({"ssh_cidrs": ["203.0.113.0/24"]}),
        "a.auto.tfvars": 'ssh_cidrs = ["192.0.2.0/24"]\n',
        "b.auto.tfvars.json": json.dumps({"ssh_cidrs": ["0.0.0.0/0"]}),
    })
    assert scopes(report) == [(8, "internet", ("0.0.0.0/0",))]
    assert [f.rule_id for f in report.findings] == ["PL101"]


def test_environment_var_file_and_var(tmp_path):
    files = {"main.tf": SG, "prod.tfvars": 'ssh_cidrs = ["0.0.0.0/0"]\n'}
    env = {"TF_VAR_ssh_cidrs": '["198.51.100.0/24"]'}
    assert scopes(run_tree(tmp_path, files, environ=env))[0][2] == ("198.51.100.0/24",)
    report = run_tree(tmp_path, files, environ=env, var_files=(tmp_path / "prod.tfvars",))
    assert scopes(report)[0][1] == "internet"
    report = run_tree(tmp_path, files, var_files=(tmp_path / "prod.tfvars",),
                      variables={"ssh_cidrs": '["10.1.0.0/16"]'})
    assert scopes(report)[0][2] == ("10.1.0.0/16",)


def test_tfvars_override_that_makes_it_private_is_quiet(tmp_path):
    sg = SG.replace('default = ["10.0.0.0/8"]', 'default = ["0.0.0.0/0"]')
    assert run_tree(tmp_path, {"main.tf": sg}).findings
    report = run_tree(tmp_path, {"main.tf": sg, "terraform.tfvars": 'ssh_cidrs = ["10.20.0.0/16"]\n'})
    assert report.findings == []


def test_locals_interpolation_and_functions(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        variable "env" { default = "prod" }
        variable "office" { default = "203.0.113.0/24" }
        variable "extra" { default = [["0.0.0.0/1"], ["128.0.0.0/1"]] }
        locals {
          is_prod  = var.env == "prod"
          ports    = { ssh = 22, rdp = 3389 }
          admin    = local.is_prod ? [var.office] : ["0.0.0.0/0"]
          wide     = flatten(var.extra)
          vpc_cidr = cidrsubnet("10.0.0.0/8", 8, 1)
          name     = "${var.env}-admin"
        }
        resource "aws_security_group_rule" "admin" {
          type        = "ingress"
          from_port   = local.ports["ssh"]
          to_port     = local.ports.ssh
          protocol    = "tcp"
          cidr_blocks = tolist(toset(concat(local.admin, [local.vpc_cidr])))
        }
        resource "aws_security_group_rule" "wide" {
          type        = "ingress"
          from_port   = lookup(local.ports, "rdp", 0)
          to_port     = lookup(local.ports, "rdp", 0)
          protocol    = "tcp"
          cidr_blocks = local.wide
        }
        """})
    assert scopes(report) == [
        (12, "restricted-public", ("10.1.0.0/16", "203.0.113.0/24")),
        (19, "internet", ("0.0.0.0/1", "128.0.0.0/1")),
    ]


def test_dynamic_blocks_over_lists_sets_and_maps(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        variable "public_ports" { default = [80, 443] }
        variable "rules" {
          default = {
            ssh   = { port = 22, cidrs = ["10.0.0.0/8"] }
            redis = { port = 6379, cidrs = ["0.0.0.0/0"] }
          }
        }
        resource "aws_security_group" "app" {
          name = "app"
          dynamic "ingress" {
            for_each = toset(var.public_ports)
            content {
              from_port   = ingress.value
              to_port     = ingress.key
              protocol    = "tcp"
              cidr_blocks = ["0.0.0.0/0"]
            }
          }
          dynamic "ingress" {
            for_each = var.rules
            iterator = rule
            content {
              description = rule.key
              from_port   = rule.value.port
              to_port     = rule.value.port
              protocol    = "tcp"
              cidr_blocks = rule.value.cidrs
            }
          }
        }
        """})
    assert [(e.location.line, e.location.end_line, str(e.port_range), e.scope) for e in report.exposures] == [
        (10, 18, "80", "internet"), (10, 18, "443", "internet"),
        (19, 29, "6379", "internet"), (19, 29, "22", "private")]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL101", 19), ("PL201", 19)]
    assert report.findings[1].severity.label == "low"  # SSH to 10.0.0.0/8


def test_count_and_for_each_on_resources(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        variable "enabled" { default = false }
        resource "aws_security_group_rule" "disabled" {
          count       = var.enabled ? 1 : 0
          type        = "ingress"
          from_port   = 23
          to_port     = 23
          protocol    = "tcp"
          cidr_blocks = ["0.0.0.0/0"]
        }
        resource "aws_security_group_rule" "pair" {
          count       = 2
          type        = "ingress"
          from_port   = 8000 + count.index
          to_port     = 8000 + count.index
          protocol    = "tcp"
          cidr_blocks = ["10.0.0.0/8"]
        }
        resource "aws_security_group_rule" "each" {
          for_each    = { mysql = 3306, pg = 5432 }
          type        = "ingress"
          from_port   = each.value
          to_port     = each.value
          protocol    = "tcp"
          cidr_blocks = ["0.0.0.0/0"]
          description = each.key
        }
        """})
    assert [(e.resource, str(e.port_range)) for e in report.exposures] == [
        ("aws_security_group_rule.pair[0]", "8000"), ("aws_security_group_rule.pair[1]", "8001"),
        ('aws_security_group_rule.each["mysql"]', "3306"), ('aws_security_group_rule.each["pg"]', "5432")]


def test_resource_attribute_references_resolve(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        resource "aws_vpc" "main" {
          cidr_block = "10.10.0.0/16"
        }
        resource "aws_security_group_rule" "db" {
          type        = "ingress"
          from_port   = 5432
          to_port     = 5432
          protocol    = "tcp"
          cidr_blocks = [aws_vpc.main.cidr_block]
        }
        """})
    assert scopes(report) == [(4, "private", ("10.10.0.0/16",))]


def test_local_module_call_points_into_the_module(tmp_path):
    report = run_tree(tmp_path, {
        "live/main.tf": """
            module "db_sg" {
              source        = "../modules/db-sg"
              allowed_cidrs = ["0.0.0.0/0"]
              port          = 3306
            }
            module "internal" {
              source        = "../modules/db-sg"
              allowed_cidrs = ["10.0.0.0/8"]
              port          = 5432
            }
            module "none" {
              source        = "../modules/db-sg"
              count         = 0
              allowed_cidrs = ["0.0.0.0/0"]
              port          = 6379
            }
            """,
        "modules/db-sg/main.tf": """
            variable "allowed_cidrs" { type = list(string) }
            variable "port" { type = number }
            resource "aws_security_group" "this" {
              name = "db"
              ingress {
                from_port   = var.port
                to_port     = var.port
                protocol    = "tcp"
                cidr_blocks = var.allowed_cidrs
              }
            }
            """,
    })
    assert not report.errors
    assert [(e.location.file, e.location.line, e.resource, str(e.port_range), e.scope) for e in report.exposures] == [
        ("modules/db-sg/main.tf", 5, "module.db_sg.aws_security_group.this", "3306", "internet"),
        ("modules/db-sg/main.tf", 5, "module.internal.aws_security_group.this", "5432", "private"),
    ]
    assert [(f.rule_id, f.exposure.resource) for f in report.findings] == [
        ("PL101", "module.db_sg.aws_security_group.this"), ("PL201", "module.internal.aws_security_group.this")]


def test_community_security_group_module(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        module "bastion_sg" {
          source  = "terraform-aws-modules/security-group/aws"
          version = "~> 5.0"

          name                = "bastion"
          ingress_cidr_blocks = ["0.0.0.0/0"]
          ingress_rules       = ["ssh-tcp", "https-443-tcp"]
          ingress_with_cidr_blocks = [
            {
              rule        = "rdp-tcp"
              cidr_blocks = "0.0.0.0/0,10.0.0.0/8"
            },
            {
              from_port   = 5432
              to_port     = 5432
              protocol    = "tcp"
              cidr_blocks = "10.0.0.0/16"
            },
          ]
          ingress_with_ipv6_cidr_blocks = [
            {
              rule             = "redis-tcp"
              ipv6_cidr_blocks = "::/0"
            },
          ]
        }

        module "mysql_sg" {
          source              = "terraform-aws-modules/security-group/aws//modules/mysql"
          name                = "mysql"
          ingress_cidr_blocks = ["0.0.0.0/0"]
        }

        module "unused" {
          source        = "terraform-aws-modules/security-group/aws"
          ingress_rules = ["telnet-tcp-does-not-exist", "ssh-tcp"]
        }
        """})
    assert not report.errors
    ingress = [(e.location.line, e.resource, str(e.port_range), e.scope) for e in report.exposures
               if e.direction == "ingress"]
    assert ingress == [
        (7, 'module.bastion_sg.ingress_rules["ssh-tcp"]', "22", "internet"),
        (7, 'module.bastion_sg.ingress_rules["https-443-tcp"]', "443", "internet"),
        (9, 'module.bastion_sg.ingress_with_cidr_blocks["rdp-tcp"]', "3389", "internet"),
        (13, "module.bastion_sg.ingress_with_cidr_blocks", "5432", "private"),
        (21, 'module.bastion_sg.ingress_with_ipv6_cidr_blocks["redis-tcp"]', "6379", "internet"),
        (29, 'module.mysql_sg.preset["mysql-tcp"]', "3306", "internet"),
    ]
    assert sorted((f.location.line, f.rule_id) for f in report.findings) == [
        (7, "PL101"), (9, "PL101"), (21, "PL101"), (29, "PL101")]


def test_unresolved_values_are_kept_and_reported(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        variable "admin_cidr" {}
        variable "port" {}
        resource "aws_security_group_rule" "admin" {
          type        = "ingress"
          from_port   = 3389
          to_port     = 3389
          protocol    = "tcp"
          cidr_blocks = [var.admin_cidr]
        }
        resource "aws_security_group_rule" "mystery" {
          type        = "ingress"
          from_port   = var.port
          to_port     = var.port
          protocol    = "tcp"
          cidr_blocks = ["0.0.0.0/0"]
        }
        resource "aws_security_group_rule" "known_part" {
          type        = "ingress"
          from_port   = 22
          to_port     = 22
          protocol    = "tcp"
          cidr_blocks = concat(["0.0.0.0/0"], data.aws_ip_ranges.x.cidr_blocks)
        }
        """})
    assert not report.errors
    assert [(e.location.line, e.scope, e.unresolved) for e in report.exposures] == [
        (3, "unknown", ("var.admin_cidr",)), (10, "internet", ("var.port",)),
        (17, "internet", ("data.aws_ip_ranges.x.cidr_blocks",))]
    assert [(f.rule_id, f.location.line, f.severity.label) for f in report.findings] == [
        ("PL501", 3, "medium"), ("PL501", 10, "low"), ("PL101", 17, "high")]
    assert "var.admin_cidr" in report.findings[0].message


def test_worker_processes_give_the_same_result(tmp_path, monkeypatch):
    import portlint.parsers.terraform as terraform

    files = {"modules/sg/main.tf": 'variable "port" {}\nresource "aws_security_group_rule" "r" {\n'
                                   '  type = "ingress"\n  from_port = var.port\n  to_port = var.port\n'
                                   '  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n}\n'}
    for i in range(6):
        files[f"live{i}/main.tf"] = f'module "m" {{\n  source = "../modules/sg"\n  port = {3384 + i}\n}}\n'
        files[f"solo{i}/main.tf"] = SG
    from portlint import workers

    serial = run_tree(tmp_path, files)
    assert len(terraform._groups([SourceFile(tmp_path / n, n, t) for n, t in files.items()])) == 7
    started = []
    real_start = workers._Worker.start
    monkeypatch.setattr(workers._Worker, "start",
                        staticmethod(lambda chunk, work: started.append(chunk) or real_start(chunk, work)))
    monkeypatch.setattr(workers, "can_fork", lambda: True)
    monkeypatch.setattr(workers, "MIN_BYTES", 0)
    monkeypatch.setattr(workers, "MIN_FILES", 2)
    parallel = run_tree(tmp_path, files, jobs=4)
    assert started, "no worker process was started"
    key = lambda f: (f.location.file, f.location.line, f.rule_id, f.message)  # noqa: E731
    assert sorted(map(key, serial.findings)) == sorted(map(key, parallel.findings))
    assert len([f for f in parallel.findings if "RDP" in f.message]) == 1  # module call live5 -> 3389


def test_remote_firewall_modules_are_reported_as_unresolved(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
        module "web_sg" {
          source  = "cloudposse/security-group/aws"
          version = "2.2.0"
          rules   = var.rules
        }
        module "vpc" {
          source = "terraform-aws-modules/vpc/aws"
        }
        """})
    # at the argument that looks like firewall input (the call block is the context)
    assert [(e.location.line, e.resource, e.scope) for e in report.exposures] == [(4, "module.web_sg", "unknown")]
    (finding,) = report.findings
    assert finding.rule_id == "PL501" and "cloudposse/security-group/aws" in finding.message
