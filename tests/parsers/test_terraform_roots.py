"""Terraform estates: several roots calling shared modules, missing and remote modules
(issue 11, points 1 and 2). Every tree is built in tmp_path and run through the engine or
the CLI; lines are exact."""

from __future__ import annotations

import json

from portlint import baseline
from portlint.model import FINGERPRINT_VERSION, Step
from tests.conftest import dedent, run_tree

MODULE = """\
variable "admin_cidrs" {
  type = list(string)
}

resource "aws_security_group" "admin" {
  name = "admin"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.admin_cidrs
  }
}
"""

ROOT = """\
variable "admin_cidrs" {
  type = list(string)
}

module "sgs" {
  source      = "../../modules/security-groups"
  admin_cidrs = var.admin_cidrs
}
"""


def estate(staging_cidr="0.0.0.0/0", prod_cidr="0.0.0.0/0"):
    return {
        "modules/security-groups/main.tf": MODULE,
        "envs/prod/main.tf": ROOT,
        "envs/prod/terraform.tfvars": f'admin_cidrs = ["{prod_cidr}"]\n',
        "envs/staging/main.tf": ROOT,
        "envs/staging/terraform.tfvars": f'# staging\nadmin_cidrs = ["{staging_cidr}"]\n',
    }


def ssh(report):
    return [f for f in report.findings if f.rule_id == "PL101"]


# ------------------------------------------------------------------ point 1: roots and callers


def test_one_module_reached_from_two_roots_is_one_finding_per_root(tmp_path):
    report = run_tree(tmp_path, estate())
    found = sorted(ssh(report), key=lambda f: f.exposure.root)
    assert [(f.location.file, f.location.line, f.exposure.root) for f in found] == [
        ("modules/security-groups/main.tf", 7, "envs/prod"),
        ("modules/security-groups/main.tf", 7, "envs/staging"),
    ]
    assert found[0].fingerprint != found[1].fingerprint
    assert not report.errors


def test_the_chain_names_the_call_and_the_tfvars_line_that_decided(tmp_path):
    report = run_tree(tmp_path, estate(prod_cidr="10.1.2.0/24"))
    (staging,) = ssh(report)
    e = staging.exposure
    assert e.root == "envs/staging"
    assert e.via == (Step("module.sgs", "envs/staging/main.tf", 5, 1),)
    assert e.origins == (Step("var.admin_cidrs", "envs/staging/terraform.tfvars", 2, 1),
                         Step("argument admin_cidrs of module.sgs", "envs/staging/main.tf", 7, 3))


def test_origins_name_only_values_that_hold_the_exposure(tmp_path):
    files = estate()
    files["modules/security-groups/main.tf"] = MODULE.replace('name = "admin"', 'name = var.name') + \
        'variable "name" {\n  default = "x"\n}\n'
    files["envs/staging/main.tf"] = ROOT.replace("admin_cidrs = var.admin_cidrs",
                                                 'admin_cidrs = var.admin_cidrs\n  name        = "ssh"')
    report = run_tree(tmp_path, files)
    (staging,) = [f for f in ssh(report) if f.exposure.root == "envs/staging"]
    assert [s.label for s in staging.exposure.origins] == ["var.admin_cidrs", "argument admin_cidrs of module.sgs"]


def test_a_literal_argument_is_its_own_origin(tmp_path):
    report = run_tree(tmp_path, {
        "modules/security-groups/main.tf": MODULE,
        "live/main.tf": 'module "db_sg" {\n  source = "../modules/security-groups"\n'
                        '  admin_cidrs = ["0.0.0.0/0"]\n}\n',
    })
    (finding,) = ssh(report)
    assert finding.exposure.via == (Step("module.db_sg", "live/main.tf", 1, 1),)
    assert finding.exposure.origins == (Step("argument admin_cidrs of module.db_sg", "live/main.tf", 3, 3),)


def test_exposures_in_the_root_itself_keep_their_version_1_fingerprint(tmp_path):
    report = run_tree(tmp_path, {"main.tf": MODULE.replace("var.admin_cidrs", '["0.0.0.0/0"]')})
    (finding,) = ssh(report)
    assert finding.exposure.root == "." and finding.exposure.via == ()
    assert finding.fingerprint == finding.fingerprint_of(1)


def test_a_called_folder_with_tfvars_is_a_root_too(tmp_path):
    files = estate()
    files["modules/security-groups/terraform.tfvars"] = 'admin_cidrs = ["0.0.0.0/0"]\n'
    report = run_tree(tmp_path, files)
    assert sorted(f.exposure.root for f in ssh(report)) == ["envs/prod", "envs/staging", "modules/security-groups"]


def test_a_called_folder_with_a_backend_is_a_root_too(tmp_path):
    files = estate()
    files["modules/security-groups/backend.tf"] = 'terraform {\n  backend "s3" {}\n}\n'
    files["modules/security-groups/main.tf"] = MODULE.replace('type = list(string)',
                                                              'type    = list(string)\n  default = ["0.0.0.0/0"]')
    report = run_tree(tmp_path, files)
    assert sorted(f.exposure.root for f in ssh(report)) == ["envs/prod", "envs/staging", "modules/security-groups"]


def test_a_called_folder_without_tfvars_or_backend_is_not_a_root(tmp_path):
    files = estate()
    files["modules/security-groups/main.tf"] = MODULE.replace('type = list(string)',
                                                              'type    = list(string)\n  default = ["0.0.0.0/0"]')
    report = run_tree(tmp_path, files)
    assert sorted(f.exposure.root for f in ssh(report)) == ["envs/prod", "envs/staging"]


def test_ordered_rule_sets_are_kept_per_root(tmp_path):
    """A deny in one root's NACL must not hide the other root's allow of the same module."""
    nacl = """\
    variable "deny_ssh" {
      type = bool
    }

    resource "aws_network_acl" "main" {
      vpc_id = "vpc-1"
      dynamic "ingress" {
        for_each = var.deny_ssh ? [1] : []
        content {
          rule_no    = 50
          action     = "deny"
          protocol   = "tcp"
          from_port  = 22
          to_port    = 22
          cidr_block = "0.0.0.0/0"
        }
      }
      ingress {
        rule_no    = 100
        action     = "allow"
        protocol   = "tcp"
        from_port  = 22
        to_port    = 22
        cidr_block = "0.0.0.0/0"
      }
    }
    """
    call = 'module "net" {\n  source   = "../../modules/nacl"\n  deny_ssh = %s\n}\n'
    report = run_tree(tmp_path, {"modules/nacl/main.tf": nacl, "envs/a/main.tf": call % "true",
                                 "envs/b/main.tf": call % "false"})
    assert [(f.location.line, f.exposure.root) for f in report.findings
            if f.rule_id in ("PL101", "PL108") or "22" in f.message and f.exposure.action == "allow"
            and f.rule_id != "PL503"] == [(18, "envs/b")]


def test_text_json_sarif_and_inventory_carry_the_chain(tmp_path, run_cli, monkeypatch):
    for name, text in estate(prod_cidr="10.1.2.0/24").items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    text = run_cli("check", ".").stdout.splitlines()
    assert text[0] == ("modules/security-groups/main.tf:7:3: PL101 [high] SSH (22/tcp) is reachable from the "
                       "internet (0.0.0.0/0); narrow `cidr_blocks`/`ipv6_cidr_blocks` of the `ingress` block to "
                       "the addresses that need it, use `security_groups` instead or remove the rule "
                       "(risky-service-public) [root envs/staging: module.sgs at "
                       "envs/staging/main.tf:5; value var.admin_cidrs at envs/staging/terraform.tfvars:2; "
                       "value argument admin_cidrs of module.sgs at envs/staging/main.tf:7]")
    doc = json.loads(run_cli("check", "-f", "json", ".").stdout)
    staging = [f for f in doc["findings"] if f["rule_id"] == "PL101"][0]
    assert staging["root"] == "envs/staging"
    assert staging["via"] == [{"label": "module.sgs", "file": "envs/staging/main.tf", "line": 5, "column": 1}]
    assert staging["origins"][0] == {"label": "var.admin_cidrs", "file": "envs/staging/terraform.tfvars",
                                     "line": 2, "column": 1}
    sarif = json.loads(run_cli("check", "-f", "sarif", ".").stdout)
    result = [r for r in sarif["runs"][0]["results"] if r["ruleId"].startswith("PL101")][0]
    related = [(r["message"]["text"], r["physicalLocation"]["artifactLocation"]["uri"],
                r["physicalLocation"]["region"]["startLine"]) for r in result["relatedLocations"]]
    assert ("called from root envs/staging: module.sgs", "envs/staging/main.tf", 5) in related
    assert ("value var.admin_cidrs set here", "envs/staging/terraform.tfvars", 2) in related
    assert result["properties"]["root"] == "envs/staging"
    assert f"portlintFingerprint/v{FINGERPRINT_VERSION}" in result["partialFingerprints"]
    inventory = json.loads(run_cli("inventory", "-f", "json", ".").stdout)
    roots = sorted(e["root"] for e in inventory["exposures"])
    assert roots == ["envs/prod", "envs/staging"]
    lines = run_cli("inventory", ".").stdout.splitlines()
    assert lines[1].startswith("modules/security-groups/main.tf:7 (root envs/prod)")


# ------------------------------------------------------------------ fingerprints and baselines


def test_a_new_root_opening_the_same_module_is_a_new_finding(tmp_path, run_cli, monkeypatch):
    files = estate()
    staging = {k: v for k, v in files.items() if not k.startswith("envs/prod")}
    for name, text in staging.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert run_cli("check", "--write-baseline", "b.json", ".").exit_code == 0
    recorded = json.loads((tmp_path / "b.json").read_text())
    assert recorded["fingerprint_version"] == FINGERPRINT_VERSION
    assert run_cli("check", "--baseline", "b.json", ".").exit_code == 0
    for name in ("envs/prod/main.tf", "envs/prod/terraform.tfvars"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(files[name])
    result = run_cli("check", "--baseline", "b.json", "-f", "json", ".")
    doc = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [(f["rule_id"], f["root"]) for f in doc["findings"]] == [("PL101", "envs/prod")]


def test_a_version_1_baseline_is_migrated(tmp_path):
    report = run_tree(tmp_path, estate())
    findings = ssh(report)
    assert len({f.fingerprint_of(1) for f in findings}) == 1  # version 1 could not tell the roots apart
    old = {"schema_version": 1, "findings": {findings[0].fingerprint_of(1): {"rule_id": "PL101", "count": 2}}}
    known = baseline.load(json.dumps(old), "old.json")
    assert known.version == 1
    new, kept = baseline.apply(findings, known)
    assert new == [] and len(kept) == 2
    # a version 1 baseline that recorded one occurrence keeps one root, the other is new
    old["findings"][findings[0].fingerprint_of(1)]["count"] = 1
    new, kept = baseline.apply(findings, baseline.load(json.dumps(old), "old.json"))
    assert len(new) == 1 and len(kept) == 1


def test_a_baseline_from_a_newer_portlint_is_refused(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(MODULE.replace("var.admin_cidrs", '["0.0.0.0/0"]'))
    (tmp_path / "b.json").write_text(json.dumps({"fingerprint_version": FINGERPRINT_VERSION + 1, "findings": {}}))
    result = run_cli("check", "--baseline", "b.json", ".")
    assert result.exit_code == 2
    assert f"written with fingerprint version {FINGERPRINT_VERSION + 1}, newer than this portlint's" in result.stderr
    (tmp_path / "b.json").write_text(json.dumps({"fingerprint_version": "2", "findings": {}}))
    assert "'fingerprint_version' must be a whole number" in run_cli("check", "--baseline", "b.json", ".").stderr


# ------------------------------------------------------------------ point 2: nothing silently skipped


def test_a_missing_local_module_is_an_input_error(tmp_path, run_cli, monkeypatch):
    (tmp_path / "main.tf").write_text(dedent("""
        module "db_sg" {
          source              = "./modules/mysql-sg"
          ingress_cidr_blocks = ["0.0.0.0/0"]
        }
        """))
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", ".")
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0] == \
        "main.tf:2:3: PL001 [error] module source ./modules/mysql-sg not found (input-error)"


def test_a_module_folder_without_terraform_files_is_an_input_error(tmp_path):
    (tmp_path / "modules" / "mysql-sg").mkdir(parents=True)
    (tmp_path / "modules" / "mysql-sg" / "README.md").write_text("moved\n")
    report = run_tree(tmp_path, {"main.tf": 'module "db_sg" {\n  source = "./modules/mysql-sg"\n}\n'})
    assert [(e.file, e.line, e.message) for e in report.errors] == [
        ("main.tf", 2, "module source ./modules/mysql-sg holds no Terraform files (.tf, .tf.json)")]


def test_a_missing_module_deep_in_a_chain_is_reported_where_it_is_called(tmp_path):
    report = run_tree(tmp_path, {
        "live/main.tf": 'module "app" {\n  source = "../modules/app"\n}\n',
        "modules/app/main.tf": 'module "sg" {\n  source = "./sg"\n}\n',
    })
    assert [(e.file, e.line, e.message) for e in report.errors] == [
        ("modules/app/main.tf", 2, "module source ./sg not found")]


def test_a_module_cycle_is_an_input_error(tmp_path):
    report = run_tree(tmp_path, {
        "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
        "b/main.tf": 'module "a" {\n  source = "../a"\n}\n',
    })
    assert [(e.file, e.line) for e in report.errors] == [("b/main.tf", 2)]
    assert report.errors[0].message == "module cycle: a -> b -> a"


def test_a_remote_module_with_firewall_arguments_is_pl501(tmp_path):
    report = run_tree(tmp_path, {"main.tf": dedent("""
        module "bastion" {
          source        = "git::https://example.com/acme/bastion.git?ref=v1"
          instance_type = "t3.micro"
          allowed_ips   = ["0.0.0.0/0"]
        }
        module "db" {
          source  = "cloudposse/rds/aws"
          subnets = ["subnet-1"]
          extra   = { office = "198.51.100.0/24" }
        }
        module "quiet" {
          source = "hashicorp/consul/aws"
          name   = "consul"
          size   = 22
        }
        """)})
    assert [(f.rule_id, f.location.line, f.exposure.resource, f.severity.label) for f in report.findings] == [
        ("PL501", 4, "module.bastion", "low"), ("PL501", 9, "module.db", "low")]
    assert report.findings[0].message == (
        "module.bastion: remote module git::https://example.com/acme/bastion.git?ref=v1: its rules are not in "
        "this tree; its arguments allowed_ips look like firewall rules. Run terraform init so portlint can read "
        ".terraform/modules, or check the module's rules yourself")
    assert "cannot be resolved" not in report.findings[1].message


def test_a_firewall_resource_portlint_does_not_evaluate_is_pl501(tmp_path):
    report = run_tree(tmp_path, {"main.tf": dedent("""
        resource "azurerm_firewall_network_rule_collection" "edge" {
          count    = 2
          name     = "edge"
          priority = 100
          action   = "Allow"
        }
        resource "aws_s3_bucket" "logs" {
          bucket = "logs"
        }
        """)})
    assert [(f.rule_id, f.location.line, f.exposure.resource) for f in report.findings] == [
        ("PL501", 1, "azurerm_firewall_network_rule_collection.edge[0]"),
        ("PL501", 1, "azurerm_firewall_network_rule_collection.edge[1]")]
    assert report.findings[0].message == (
        "azurerm_firewall_network_rule_collection.edge[0]: azurerm_firewall_network_rule_collection (Azure "
        "Firewall network rules) is not evaluated by portlint, so its rules are not checked")


def test_modules_json_maps_a_remote_call_to_its_downloaded_folder(tmp_path):
    downloaded = MODULE.replace("var.admin_cidrs", '["0.0.0.0/0"]')
    manifest = {"Modules": [{"Key": "", "Source": "", "Dir": "."},
                            {"Key": "sgs", "Source": "registry.terraform.io/acme/sg/aws", "Version": "1.0.0",
                             "Dir": ".terraform/modules/sgs"}]}
    report = run_tree(tmp_path, {
        "envs/prod/main.tf": 'module "sgs" {\n  source  = "acme/sg/aws"\n  version = "1.0.0"\n}\n',
        "envs/prod/.terraform/modules/modules.json": json.dumps(manifest),
        "envs/prod/.terraform/modules/sgs/main.tf": downloaded,
    })
    (finding,) = ssh(report)
    assert (finding.location.file, finding.location.line) == ("envs/prod/.terraform/modules/sgs/main.tf", 7)
    assert finding.exposure.root == "envs/prod"
    assert finding.exposure.via == (Step("module.sgs", "envs/prod/main.tf", 1, 1),)
    assert not report.errors


def test_modules_json_may_not_point_outside_terraform_modules(tmp_path):
    manifest = {"Modules": [{"Key": "sgs", "Source": "acme/sg/aws", "Dir": "../../secrets"}]}
    report = run_tree(tmp_path, {
        "envs/prod/main.tf": 'module "sgs" {\n  source      = "acme/sg/aws"\n  cidr_blocks = ["0.0.0.0/0"]\n}\n',
        "envs/prod/.terraform/modules/modules.json": json.dumps(manifest),
        "secrets/main.tf": MODULE,
    })
    assert [(e.file, e.line) for e in report.errors] == [("envs/prod/main.tf", 2)]
    assert "points outside .terraform/modules" in report.errors[0].message
    # the call stays opaque (secrets/ is checked only as its own root)
    assert [(f.rule_id, f.location.file, f.location.line) for f in report.findings
            if f.exposure.root == "envs/prod"] == [("PL501", "envs/prod/main.tf", 3)]


def test_a_broken_modules_json_is_an_input_error_and_the_call_stays_pl501(tmp_path):
    report = run_tree(tmp_path, {
        "main.tf": 'module "sgs" {\n  source = "acme/sg/aws"\n  ingress_rules = ["ssh"]\n}\n',
        ".terraform/modules/modules.json": '{"Modules": [\n',
    })
    assert [(e.file, e.line) for e in report.errors] == [(".terraform/modules/modules.json", 2)]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL501", 3)]


# ------------------------------------------------------------------ built-in maps of remote modules


def test_google_network_firewall_rules(tmp_path):
    report = run_tree(tmp_path, {"main.tf": dedent("""
        module "vpc" {
          source       = "terraform-google-modules/network/google"
          version      = "~> 9.0"
          network_name = "prod"
          firewall_rules = [
            {
              name   = "ssh"
              ranges = ["0.0.0.0/0"]
              allow  = [{ protocol = "tcp", ports = ["22"] }]
            },
            {
              name   = "web"
              ranges = ["10.0.0.0/8"]
              allow  = [{ protocol = "tcp", ports = ["8080-8081"] }]
            },
          ]
        }
        """)})
    assert [(e.location.line, e.resource, e.protocol, str(e.port_range), e.scope, e.policy)
            for e in report.exposures] == [
        (6, 'module.vpc.firewall_rules["ssh"]', "tcp", "22", "internet", "gcp:prod@."),
        (11, 'module.vpc.firewall_rules["web"]', "tcp", "8080-8081", "private", "gcp:prod@."),
    ]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL101", 6)]


def test_google_firewall_rules_submodule_ingress_rules_and_a_deny(tmp_path):
    report = run_tree(tmp_path, {"main.tf": dedent("""
        module "fw" {
          source       = "terraform-google-modules/network/google//modules/firewall-rules"
          network_name = "prod"
          ingress_rules = [
            {
              name          = "deny-rdp"
              priority      = 100
              source_ranges = ["0.0.0.0/0"]
              deny          = [{ protocol = "tcp", ports = ["3389"] }]
            },
            {
              name          = "rdp"
              source_ranges = ["0.0.0.0/0"]
              allow         = [{ protocol = "tcp", ports = ["3389"] }]
            },
          ]
        }
        """)})
    assert not [f for f in report.findings if f.severity.label in ("medium", "high", "critical")]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL503", 11)]


def test_aws_vpc_dedicated_nacl_rules(tmp_path):
    report = run_tree(tmp_path, {"main.tf": dedent("""
        module "vpc" {
          source                       = "terraform-aws-modules/vpc/aws"
          public_subnets               = ["10.0.1.0/24"]
          public_dedicated_network_acl = true
          public_inbound_acl_rules = [
            { rule_number = 100, rule_action = "allow", from_port = 3389, to_port = 3389,
              protocol = "tcp", cidr_block = "0.0.0.0/0" },
          ]
          private_inbound_acl_rules = [
            { rule_number = 100, rule_action = "allow", from_port = 22, to_port = 22,
              protocol = "tcp", cidr_block = "0.0.0.0/0" },
          ]
        }
        """)})
    ingress = [e for e in report.exposures if e.direction == "ingress"]
    # private rules are unused: no private_dedicated_network_acl
    assert [(e.location.line, e.resource, str(e.port_range), e.policy) for e in ingress] == [
        (6, "module.vpc.public_inbound_acl_rules[0]", "3389", "nacl:module.vpc.aws_network_acl.public@.")]
    assert ("PL101", 6) in [(f.rule_id, f.location.line) for f in report.findings]


def test_aws_vpc_without_acl_arguments_adds_nothing(tmp_path):
    report = run_tree(tmp_path, {"main.tf": 'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n'
                                            '  cidr   = "10.0.0.0/16"\n}\n'})
    assert report.exposures == [] and report.findings == []


def test_azure_nsg_module_predefined_and_custom_rules(tmp_path):
    report = run_tree(tmp_path, {"main.tf": dedent("""
        module "nsg" {
          source              = "Azure/network-security-group/azurerm"
          resource_group_name = "rg"
          security_group_name = "web"
          predefined_rules = [
            { name = "SSH", priority = 500 },
            { name = "HTTPS" },
          ]
          custom_rules = [
            {
              name                   = "redis"
              priority               = 201
              direction              = "Inbound"
              access                 = "Allow"
              protocol               = "Tcp"
              destination_port_range = "6379"
              source_address_prefix  = "10.0.0.0/8"
            },
          ]
        }
        """)})
    assert [(e.location.line, e.resource, e.protocol, str(e.port_range), e.scope) for e in report.exposures] == [
        (6, 'module.nsg.predefined_rules["SSH"]', "tcp", "22", "internet"),
        (7, 'module.nsg.predefined_rules["HTTPS"]', "tcp", "443", "internet"),
        (10, 'module.nsg.custom_rules["redis"]', "tcp", "6379", "private"),
    ]
    assert ("PL101", 6) in [(f.rule_id, f.location.line) for f in report.findings]


def test_azure_nsg_module_unknown_predefined_rule_is_an_input_error(tmp_path):
    report = run_tree(tmp_path, {"main.tf": dedent("""
        module "nsg" {
          source           = "Azure/network-security-group/azurerm"
          predefined_rules = [{ name = "Telnet" }, { name = "RDP" }]
        }
        """)})
    assert [(e.file, e.line, e.message) for e in report.errors] == [
        ("main.tf", 3, "predefined rule 'Telnet' is not one of the module's rules")]
    assert [(f.rule_id, str(f.exposure.port_range)) for f in report.findings] == [("PL101", "3389")]
