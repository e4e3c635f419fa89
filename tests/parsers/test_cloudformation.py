"""CloudFormation security groups, ingress resources and NACL entries, with intrinsics."""

from __future__ import annotations

import json

from tests.conftest import run_tree

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AdminCidr:
    Type: String
    Default: 0.0.0.0/0
  Env:
    Type: String
    Default: prod
  VpnCidr:
    Type: String
Mappings:
  Ports:
    db: {pg: 5432}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  WebSG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref AdminCidr
        - IpProtocol: "-1"
          CidrIpv6: ::/0
        - IpProtocol: tcp
          FromPort: !FindInMap [Ports, db, pg]
          ToPort: !FindInMap [Ports, db, pg]
          CidrIp: !If [IsProd, 10.0.0.0/16, 0.0.0.0/0]
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          SourceSecurityGroupId: !GetAtt LB.GroupId
        - IpProtocol: tcp
          FromPort: 3306
          ToPort: 3306
          CidrIp: !Ref VpnCidr
      SecurityGroupEgress:
        - IpProtocol: "-1"
          CidrIp: 0.0.0.0/0
  RdpIngress:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref WebSG
      IpProtocol: 6
      FromPort: 3389
      ToPort: 3389
      CidrIp: !Sub "${AdminCidr}"
  DenyTelnet:
    Type: AWS::EC2::NetworkAclEntry
    Properties:
      NetworkAclId: !Ref Acl
      RuleNumber: 100
      Protocol: 6
      RuleAction: deny
      CidrBlock: 0.0.0.0/0
      PortRange: {From: 23, To: 23}
  AllowLow:
    Type: AWS::EC2::NetworkAclEntry
    Properties:
      NetworkAclId: !Ref Acl
      RuleNumber: 200
      Protocol: 6
      RuleAction: allow
      CidrBlock: 0.0.0.0/0
      PortRange: {From: 20, To: 25}
"""


def test_yaml_template(tmp_path):
    report = run_tree(tmp_path, {"stack.yaml": TEMPLATE})
    assert not report.errors
    rows = [(e.location.line, e.resource, e.direction, e.action, e.protocol, str(e.port_range), e.scope)
            for e in report.exposures]
    assert rows == [
        (22, "WebSG", "ingress", "allow", "tcp", "22", "internet"),
        (26, "WebSG", "ingress", "allow", "all", "0-65535", "internet"),
        (28, "WebSG", "ingress", "allow", "tcp", "5432", "private"),
        (32, "WebSG", "ingress", "allow", "tcp", "443", "private"),
        (36, "WebSG", "ingress", "allow", "tcp", "3306", "unknown"),
        (41, "WebSG", "egress", "allow", "all", "0-65535", "internet"),
        (43, "RdpIngress", "ingress", "allow", "tcp", "3389", "internet"),
        (51, "DenyTelnet", "ingress", "deny", "tcp", "23", "internet"),
        (60, "AllowLow", "ingress", "allow", "tcp", "20-22", "internet"),
        (60, "AllowLow", "ingress", "allow", "tcp", "24-25", "internet"),
    ]
    codes = [(f.location.line, f.rule_id) for f in report.findings if f.severity.label != "low"]
    assert (22, "PL101") in codes and (26, "PL102") in codes and (43, "PL101") in codes
    assert (36, "PL501") in codes


def test_json_template_with_long_form_intrinsics(tmp_path):
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Port": {"Type": "Number", "Default": 6379}},
        "Resources": {
            "Cache": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": "cache",
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": {"Ref": "Port"},
                                          "ToPort": {"Ref": "Port"}, "CidrIp": "0.0.0.0/0"}]}},
        },
    }
    report = run_tree(tmp_path, {"cache.json": json.dumps(template, indent=2)})
    (exposure,) = report.exposures
    assert (exposure.location.line, str(exposure.port_range), exposure.scope) == (15, "6379", "internet")
    assert [f.rule_id for f in report.findings] == ["PL101"]


def test_bad_templates(tmp_path):
    report = run_tree(tmp_path, {
        "broken.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X: [\n",
        "broken.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"A": }}',
        "odd.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: []\n",
    })
    # odd.yaml: at the line of the Resources key that is not a mapping
    assert sorted((e.file, e.line) for e in report.errors) == [("broken.json", 1), ("broken.yaml", 4),
                                                               ("odd.yaml", 2)]
