"""GCP firewalls, Azure NSGs, and the smaller providers, with priorities and deny shadowing."""

from __future__ import annotations

from portlint.model import Severity
from tests.conftest import run_tree, summary


def test_gcp_allow_deny_priority_and_defaults(tmp_path):
    report = run_tree(tmp_path, {"fw.tf": """
        resource "google_compute_firewall" "block_rdp" {
          name     = "block-rdp"
          network  = google_compute_network.vpc.name
          priority = 100
          deny {
            protocol = "tcp"
            ports    = ["3389"]
          }
          source_ranges = ["0.0.0.0/0"]
        }

        resource "google_compute_firewall" "admin" {
          name    = "admin"
          network = google_compute_network.vpc.name
          allow {
            protocol = "tcp"
            ports    = ["22", "3389", "8000-8080"]
          }
          allow {
            protocol = "udp"
          }
        }

        resource "google_compute_firewall" "tagged" {
          name        = "tagged"
          network     = google_compute_network.vpc.name
          source_tags = ["bastion"]
          allow {
            protocol = "tcp"
            ports    = ["5432"]
          }
        }

        resource "google_compute_firewall" "off" {
          name     = "off"
          network  = google_compute_network.vpc.name
          disabled = true
          allow {
            protocol = "all"
          }
          source_ranges = ["0.0.0.0/0"]
        }

        resource "google_compute_firewall" "egress" {
          name               = "egress"
          network            = google_compute_network.vpc.name
          direction          = "EGRESS"
          destination_ranges = ["0.0.0.0/0"]
          allow {
            protocol = "all"
          }
        }
        """})
    assert not report.errors
    assert summary(report.exposures) == [
        ("fw.tf", 5, 8, "google_compute_firewall.block_rdp", "ingress", "deny", "tcp", "3389", "internet"),
        ("fw.tf", 15, 18, "google_compute_firewall.admin", "ingress", "allow", "tcp", "22", "internet"),
        ("fw.tf", 15, 18, "google_compute_firewall.admin", "ingress", "allow", "tcp", "8000-8080", "internet"),
        ("fw.tf", 19, 21, "google_compute_firewall.admin", "ingress", "allow", "udp", "0-65535", "internet"),
        ("fw.tf", 28, 31, "google_compute_firewall.tagged", "ingress", "allow", "tcp", "5432", "private"),
        ("fw.tf", 49, 51, "google_compute_firewall.egress", "egress", "allow", "all", "0-65535", "internet"),
    ]
    assert [(f.rule_id, f.location.line) for f in report.findings if f.severity >= Severity.MEDIUM] == [
        ("PL101", 15), ("PL101", 15), ("PL102", 19)]
    assert "Ports 8000-8080/tcp are reachable from the internet (0.0.0.0/0), including Hadoop HDFS NameNode" \
        in report.findings[1].message


def test_gcp_lower_priority_deny_does_not_shadow(tmp_path):
    report = run_tree(tmp_path, {"fw.tf": """
        resource "google_compute_firewall" "allow_ssh" {
          name          = "allow-ssh"
          network       = "default"
          priority      = 500
          source_ranges = ["0.0.0.0/0"]
          allow {
            protocol = "tcp"
            ports    = ["22"]
          }
        }
        resource "google_compute_firewall" "deny_ssh" {
          name          = "deny-ssh"
          network       = "default"
          priority      = 600
          source_ranges = ["0.0.0.0/0"]
          deny {
            protocol = "tcp"
            ports    = ["22"]
          }
        }
        """})
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("PL101", 6)]


def test_azure_nsg_inline_and_rule_resources(tmp_path):
    report = run_tree(tmp_path, {"nsg.tf": """
        resource "azurerm_network_security_group" "web" {
          name                = "nsg-web"
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
            name                       = "admin"
            priority                   = 200
            direction                  = "Inbound"
            access                     = "Allow"
            protocol                   = "Tcp"
            source_port_range          = "*"
            destination_port_ranges    = ["22", "3389"]
            source_address_prefix      = "Internet"
            destination_address_prefix = "*"
          }

          security_rule {
            name                       = "vnet"
            priority                   = 300
            direction                  = "Inbound"
            access                     = "Allow"
            protocol                   = "*"
            source_port_range          = "*"
            destination_port_range     = "*"
            source_address_prefix      = "VirtualNetwork"
            destination_address_prefix = "*"
          }
        }

        resource "azurerm_network_security_rule" "sql" {
          name                        = "sql"
          priority                    = 150
          direction                   = "Inbound"
          access                      = "Allow"
          protocol                    = "Tcp"
          source_port_range           = "*"
          destination_port_range      = "1433"
          source_address_prefixes     = ["0.0.0.0/0"]
          destination_address_prefix  = "*"
          resource_group_name         = "rg"
          network_security_group_name = azurerm_network_security_group.web.name
        }

        resource "azurerm_network_security_rule" "late_rdp" {
          name                        = "late-rdp"
          priority                    = 4000
          direction                   = "Inbound"
          access                      = "Allow"
          protocol                    = "*"
          source_port_range           = "*"
          destination_port_range      = "3389"
          source_address_prefix       = "*"
          destination_address_prefix  = "*"
          resource_group_name         = "rg"
          network_security_group_name = azurerm_network_security_group.web.name
        }
        """})
    assert not report.errors
    allows = [(e.location.line, e.protocol, str(e.port_range), e.scope) for e in report.exposures
              if e.action == "allow"]
    # the Tcp deny of 3389 (priority 100) narrows the later allows of every protocol: at 30 to what
    # remains (no SCTP in Azure's "*"), at 57 to RDP over UDP and the protocols without ports
    assert allows == [(18, "tcp", "22", "internet"), (30, "tcp", "0-3388", "private"),
                      (30, "tcp", "3390-65535", "private"), (30, "udp", "0-65535", "private"),
                      (30, "other", "0-65535", "private"), (43, "tcp", "1433", "internet"),
                      (57, "udp", "3389", "internet"), (57, "other", "0-65535", "internet")]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [
        ("PL101", 18), ("PL503", 18), ("PL101", 43), ("PL101", 57)]


def test_azure_outbound_is_egress_and_service_tags(tmp_path):
    report = run_tree(tmp_path, {"nsg.tf": """
        resource "azurerm_network_security_rule" "out" {
          name                         = "out"
          priority                     = 100
          direction                    = "Outbound"
          access                       = "Allow"
          protocol                     = "*"
          source_port_range            = "*"
          destination_port_range       = "*"
          source_address_prefix        = "*"
          destination_address_prefix   = "Internet"
          resource_group_name          = "rg"
          network_security_group_name  = "nsg"
        }
        resource "azurerm_network_security_rule" "lb" {
          name                        = "lb"
          priority                    = 110
          direction                   = "Inbound"
          access                      = "Allow"
          protocol                    = "Tcp"
          source_port_range           = "*"
          destination_port_range      = "6379"
          source_address_prefix       = "AzureLoadBalancer"
          destination_address_prefix  = "*"
          resource_group_name         = "rg"
          network_security_group_name = "nsg"
        }
        resource "azurerm_network_security_rule" "gw" {
          name                        = "gw"
          priority                    = 120
          direction                   = "Inbound"
          access                      = "Allow"
          protocol                    = "Tcp"
          source_port_range           = "*"
          destination_port_range      = "65200-65535"
          source_address_prefix       = "GatewayManager"
          destination_address_prefix  = "*"
          resource_group_name         = "rg"
          network_security_group_name = "nsg"
        }
        """})
    assert [(e.direction, e.scope) for e in report.exposures] == [
        ("egress", "internet"), ("ingress", "private"), ("ingress", "restricted-public")]
    assert report.findings == []


def test_digitalocean_hcloud_openstack(tmp_path):
    report = run_tree(tmp_path, {"other.tf": """
        resource "digitalocean_firewall" "web" {
          name = "web"
          inbound_rule {
            protocol         = "tcp"
            port_range       = "22"
            source_addresses = ["0.0.0.0/0", "::/0"]
          }
          inbound_rule {
            protocol    = "tcp"
            port_range  = "5432"
            source_tags = ["app"]
          }
          outbound_rule {
            protocol              = "udp"
            port_range            = "53"
            destination_addresses = ["0.0.0.0/0"]
          }
        }

        resource "hcloud_firewall" "fw" {
          name = "fw"
          rule {
            direction  = "in"
            protocol   = "tcp"
            port       = "3306"
            source_ips = ["0.0.0.0/0"]
          }
          rule {
            direction = "in"
            protocol  = "icmp"
            source_ips = ["0.0.0.0/0"]
          }
        }

        resource "openstack_networking_secgroup_rule_v2" "redis" {
          direction         = "ingress"
          ethertype         = "IPv4"
          protocol          = "tcp"
          port_range_min    = 6379
          port_range_max    = 6379
          security_group_id = openstack_networking_secgroup_v2.sg.id
        }
        """})
    assert summary(report.exposures) == [
        ("other.tf", 3, 7, "digitalocean_firewall.web", "ingress", "allow", "tcp", "22", "internet"),
        ("other.tf", 8, 12, "digitalocean_firewall.web", "ingress", "allow", "tcp", "5432", "private"),
        ("other.tf", 13, 17, "digitalocean_firewall.web", "egress", "allow", "udp", "53", "internet"),
        ("other.tf", 22, 27, "hcloud_firewall.fw", "ingress", "allow", "tcp", "3306", "internet"),
        ("other.tf", 28, 32, "hcloud_firewall.fw", "ingress", "allow", "icmp", "0-65535", "internet"),
        ("other.tf", 35, 42, "openstack_networking_secgroup_rule_v2.redis", "ingress", "allow", "tcp", "6379",
         "internet"),
    ]
    assert [(f.rule_id, f.location.line) for f in report.findings] == [
        ("PL101", 3), ("PL101", 22), ("PL101", 35)]
