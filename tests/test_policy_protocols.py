"""An allow of every protocol after a deny of one protocol: what remains, in every ordered source."""

from __future__ import annotations

from pathlib import Path

from portlint.engine import Options, run
from portlint.model import Exposure, Location, PortRange
from portlint.policy import evaluate_policies

NSG = '''resource "azurerm_network_security_group" "web" {
  name                = "nsg"
  location            = "westeurope"
  resource_group_name = "rg"
  security_rule {
    name                       = "deny-rdp"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "3389"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
  security_rule {
    name                       = "all"
    priority                   = 200
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
'''

FIREWALL = '''firewall:
  name: edge
  default: deny
  rules:
    - name: no-ssh
      action: deny
      protocol: tcp
      ports: [22]
      sources: [any]
    - name: everything
      action: allow
      protocol: any
      sources: [any]
'''


def _exposure(action, protocol, ports, sources=("0.0.0.0/0",), priority=0, line=1):
    return Exposure(kind="firewall", location=Location("f", line, line), resource="r", protocol=protocol,
                    port_range=ports, sources=sources, scope="internet", action=action, policy="p",
                    priority=priority)


def _remaining(exposures):
    return [(e.protocol, str(e.port_range)) for e in exposures if e.action == "allow"]


def test_a_tcp_deny_narrows_an_all_protocol_allow_to_what_remains():
    effective, shadowed = evaluate_policies([_exposure("deny", "tcp", PortRange(22, 22)),
                                             _exposure("allow", "all", PortRange(0, 65535), priority=1, line=2)])
    assert _remaining(effective) == [("tcp", "0-21"), ("tcp", "23-65535"), ("udp", "0-65535"),
                                     ("sctp", "0-65535"), ("other", "0-65535")]
    assert shadowed == []


def test_a_deny_of_other_sources_or_a_later_deny_leaves_the_allow_whole():
    effective, _ = evaluate_policies([_exposure("deny", "tcp", PortRange(22, 22), sources=("10.0.0.0/8",)),
                                      _exposure("allow", "all", PortRange(0, 65535), priority=1, line=2),
                                      _exposure("deny", "udp", PortRange(53, 53), priority=2, line=3)])
    assert _remaining(effective) == [("all", "0-65535")]


def test_a_tcp_deny_from_part_of_the_sources_narrows_only_tcp_sources():
    effective, _ = evaluate_policies([_exposure("deny", "tcp", PortRange(0, 65535), sources=("0.0.0.0/1",)),
                                      _exposure("allow", "all", PortRange(0, 65535), priority=1, line=2)])
    allows = [e for e in effective if e.action == "allow"]
    assert [(e.protocol, e.sources) for e in allows] == [
        ("tcp", ("128.0.0.0/1",)), ("udp", ("0.0.0.0/0",)), ("sctp", ("0.0.0.0/0",)), ("other", ("0.0.0.0/0",))]


def test_azure_and_firewall_yaml_report_what_remains_never_every_protocol(tmp_path: Path):
    (tmp_path / "nsg.tf").write_text(NSG)
    (tmp_path / "edge.firewall.yaml").write_text(FIREWALL)
    report = run([tmp_path], Options(environ={}, cwd=tmp_path))
    assert not report.errors
    got = sorted((f.location.file, f.location.line, f.rule_id, f.exposure.protocol, str(f.exposure.port_range))
                 for f in report.findings)
    assert got == [
        ("edge.firewall.yaml", 10, "PL102", "sctp", "0-65535"),
        ("edge.firewall.yaml", 10, "PL102", "udp", "0-65535"),
        ("edge.firewall.yaml", 10, "PL103", "tcp", "23-65535"),
        ("edge.firewall.yaml", 10, "PL106", "tcp", "0-21"),
        ("nsg.tf", 16, "PL102", "udp", "0-65535"),  # Azure's "*" has no SCTP
        ("nsg.tf", 16, "PL103", "tcp", "0-3388"),
        ("nsg.tf", 16, "PL103", "tcp", "3390-65535"),
    ]
    assert not any("every protocol" in f.message.lower() for f in report.findings)
    assert not any(f.exposure.port_range.contains(PortRange(3389, 3389)) and f.exposure.protocol == "tcp"
                   for f in report.findings if f.location.file == "nsg.tf")
