"""Issue 11, point 5: Alibaba Cloud, Oracle Cloud and the Terraform Kubernetes provider,
evaluated like the other firewall resources (bad values are input errors at their line)."""

from __future__ import annotations

from tests.conftest import run_tree


def rows(report):
    return [(e.location.line, e.resource, e.protocol, str(e.port_range), e.scope, e.sources, e.action)
            for e in report.exposures]


def errors(report):
    return [(e.file, e.line, e.message) for e in report.errors]


def test_alibaba_rule_fields_priorities_and_bad_port_range(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
resource "alicloud_security_group_rule" "v6" {
  type              = "egress"
  ip_protocol       = "udp"
  port_range        = "53/53"
  security_group_id = alicloud_security_group.web.id
  ipv6_cidr_ip      = "::/0"
}
resource "alicloud_security_group_rule" "from_group" {
  type                     = "ingress"
  ip_protocol              = "tcp"
  port_range               = "6379/6379"
  security_group_id        = alicloud_security_group.web.id
  source_security_group_id = alicloud_security_group.app.id
}
resource "alicloud_security_group_rule" "bad" {
  type              = "ingress"
  ip_protocol       = "tcp"
  port_range        = "22"
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "0.0.0.0/0"
}
resource "alicloud_security_group_rule" "reversed" {
  type              = "ingress"
  ip_protocol       = "tcp"
  port_range        = "200/1"
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "0.0.0.0/0"
}
"""})
    assert rows(report) == [
        (1, "alicloud_security_group_rule.v6", "udp", "53", "internet", ("::/0",), "allow"),
        (8, "alicloud_security_group_rule.from_group", "tcp", "6379", "private",
         ("sg:alicloud_security_group",), "allow"),
    ]
    assert errors(report) == [
        ("main.tf", 18, "port_range '22' must be written start/end (22/22, -1/-1)"),
        ("main.tf", 25, "port_range start 200 is greater than port_range end 1"),
    ]


def test_oracle_protocol_numbers_service_sources_and_bad_ranges(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
resource "oci_core_security_list" "sl" {
  compartment_id = "c"
  vcn_id         = "v"
  ingress_security_rules {
    protocol    = "all"
    source      = "oci-iad-objectstorage"
    source_type = "SERVICE_CIDR_BLOCK"
  }
  ingress_security_rules {
    protocol = "17"
    source   = "0.0.0.0/0"
    udp_options {
      min = 161
      max = 161
    }
  }
  ingress_security_rules {
    protocol = "6"
    source   = "0.0.0.0/0"
    tcp_options {
      min = 90
      max = 80
    }
  }
  egress_security_rules {
    protocol    = "6"
    destination = "0.0.0.0/0"
  }
}
resource "oci_core_network_security_group_security_rule" "e" {
  network_security_group_id = "nsg"
  direction                 = "EGRESS"
  protocol                  = "6"
  destination               = "192.0.2.0/24"
  destination_type          = "CIDR_BLOCK"
}
"""})
    assert rows(report) == [
        (4, "oci_core_security_list.sl", "all", "0-65535", "restricted-public",
         ("service-tag:oci-iad-objectstorage",), "allow"),
        (9, "oci_core_security_list.sl", "udp", "161", "internet", ("0.0.0.0/0",), "allow"),
        (25, "oci_core_security_list.sl", "tcp", "0-65535", "internet", ("0.0.0.0/0",), "allow"),
        (30, "oci_core_network_security_group_security_rule.e", "tcp", "0-65535", "restricted-public",
         ("192.0.2.0/24",), "allow"),
    ]
    assert [e.direction for e in report.exposures] == ["ingress", "ingress", "egress", "egress"]
    assert errors(report) == [("main.tf", 22, "min 90 is greater than max 80")]
    assert [(f.rule_id, f.location.line) for f in report.findings if f.rule_id.startswith("PL1")] == [("PL105", 9)]


def test_kubernetes_services_node_ports_external_ips_and_counts(tmp_path):
    report = run_tree(tmp_path, {"main.tf": """
resource "kubernetes_service" "np" {
  count = 1
  metadata {
    name = "np"
  }
  spec {
    type = "NodePort"
    port {
      port      = 6379
      node_port = 30079
    }
  }
}
resource "kubernetes_service_v1" "ext" {
  metadata {
    name        = "ext"
    annotations = var.annotations
  }
  spec {
    type         = "LoadBalancer"
    external_ips = ["203.0.113.10"]
    port {
      port     = 53
      protocol = "UDP"
    }
  }
}
resource "kubernetes_service" "maybe_internal" {
  metadata {
    name        = "maybe"
    annotations = { "networking.gke.io/load-balancer-type" = var.lb_type, team = "a" }
  }
  spec {
    type = "LoadBalancer"
    port {
      port = 5432
    }
  }
}
resource "kubernetes_service" "bad" {
  metadata {
    name = "bad"
  }
  spec {
    port {
      port = 70000
    }
  }
}
"""})
    assert rows(report)[:4] == [
        (8, "kubernetes_service.np[0]", "tcp", "30079", "unknown", ("node-addresses",), "allow"),
        (22, "kubernetes_service_v1.ext", "udp", "53", "unknown", ("var.annotations",), "allow"),
        (22, "kubernetes_service_v1.ext", "udp", "30000-32767", "unknown", ("node-addresses",), "allow"),
        (22, "kubernetes_service_v1.ext", "udp", "53", "internet", ("203.0.113.10",), "allow"),
    ]
    assert rows(report)[4:] == [
        (35, "kubernetes_service.maybe_internal", "tcp", "5432", "unknown", ("var.lb_type",), "allow"),
        (35, "kubernetes_service.maybe_internal", "tcp", "30000-32767", "unknown", ("node-addresses",), "allow"),
    ]
    assert errors(report) == [("main.tf", 46, "port 70000 is outside 1-65535")]


def test_kubernetes_workloads_read_their_pod_spec(tmp_path):
    container = """container {
          name  = "db"
          image = "postgres:16"
          port {
            container_port = 5432
            host_port      = 15432
            host_ip        = "127.0.0.1"
          }
          port {
            container_port = 8080
            host_port      = 8080
          }
        }"""
    report = run_tree(tmp_path, {"main.tf": f"""
resource "kubernetes_replication_controller" "rc" {{
  metadata {{
    name = "rc"
  }}
  spec {{
    selector = {{ app = "rc" }}
    template {{
      metadata {{
        labels = {{ app = "rc" }}
      }}
      spec {{
        {container}
      }}
    }}
  }}
}}
resource "kubernetes_job_v1" "job" {{
  metadata {{
    name = "job"
  }}
  spec {{
    template {{
      metadata {{}}
      spec {{
        {container}
      }}
    }}
  }}
}}
"""})
    assert not report.errors, report.errors
    got = [(e.resource, str(e.port_range), str(e.target_port_range), e.scope, e.image) for e in report.exposures]
    assert got == [
        ("kubernetes_replication_controller.rc", "15432", "5432", "local", "postgres:16"),
        ("kubernetes_replication_controller.rc", "8080", "8080", "internet", "postgres:16"),
        ("kubernetes_job_v1.job", "15432", "5432", "local", "postgres:16"),
        ("kubernetes_job_v1.job", "8080", "8080", "internet", "postgres:16"),
    ]


def test_types_with_adapters_are_no_longer_reported_as_unevaluated(tmp_path):
    from portlint.parsers.terraform import UNEVALUATED_TYPES
    from portlint.parsers.terraform.resources import ADAPTERS

    assert not set(UNEVALUATED_TYPES) & set(ADAPTERS)
    for name in ("alicloud_security_group_rule", "oci_core_security_list",
                 "oci_core_network_security_group_security_rule", "kubernetes_service", "kubernetes_service_v1",
                 "kubernetes_pod_v1", "kubernetes_daemonset", "kubernetes_daemon_set_v1", "kubernetes_cron_job_v1",
                 "kubernetes_stateful_set_v1", "kubernetes_replication_controller_v1"):
        assert name in ADAPTERS
