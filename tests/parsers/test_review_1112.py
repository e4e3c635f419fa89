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


# -- 2. a Helm template that reads as YAML is checked for what it says ----------------------------

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    "chart/templates/redis.yaml": """\
        apiVersion: v1
        kind: Service
        metadata:
          name: redis
        spec:
          type: LoadBalancer
          ports:
            - port: 6379
              targetPort: "{{ .Values.targetPort }}"
        """,
    "chart/templates/more.yaml": """\
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          type: LoadBalancer
          ports:
            - port: "{{ .Values.port }}"
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: typed
        spec:
          type: "{{ .Values.service.type }}"
          ports:
            - port: 5432
        """,
}


def test_parsed_helm_template_keeps_its_literal_exposure_and_unresolved_values(tmp_path):
    report = run_tree(tmp_path, CHART)
    assert not report.errors, report.errors
    got = [(f.location.file, f.location.line, f.rule_id, f.severity.label) for f in report.findings]
    assert got == [("chart/templates/more.yaml", 8, "PL501", "low"),
                   ("chart/templates/more.yaml", 17, "PL501", "medium"),
                   ("chart/templates/redis.yaml", 8, "PL101", "critical")]
    messages = [f.message for f in report.findings]
    assert messages[0].startswith("Service/web: port {{ .Values.port }} is a Helm value, known only when the "
                                  "chart is rendered, so portlint cannot tell which port is exposed;")
    assert messages[1].startswith("Service/typed: spec.type {{ .Values.service.type }} is a Helm value, known "
                                  "only when the chart is rendered, so portlint cannot tell who can reach "
                                  "PostgreSQL (5432/tcp)")
    assert messages[2].startswith("Redis (6379/tcp) is reachable from the internet")


def test_the_same_template_outside_a_chart_stays_an_input_error(tmp_path):
    report = run_tree(tmp_path, {"redis.yaml": CHART["chart/templates/redis.yaml"]})
    assert [(e.line, e.message) for e in report.errors] == [
        (8, "Service/redis: targetPort must be a port number (1-65535) or a port name, "
            "got '{{ .Values.targetPort }}'")]


# -- 6. wording ---------------------------------------------------------------------------------

NODEPORT = """\
    apiVersion: v1
    kind: Service
    metadata:
      name: np
    spec:
      type: NodePort
      ports:
        - port: 5432
          nodePort: 30432
        - port: 9187
    """


def test_nodeport_pl501_is_worded_for_a_node_port(tmp_path):
    report = run_tree(tmp_path, {"np.yaml": NODEPORT})
    assert [f.message.split(";")[0] for f in report.findings] == [
        "Service/np: node port 30432/tcp is open on every node, and whether the nodes are reachable from "
        "outside is not in the manifest, so portlint cannot tell who can reach PostgreSQL (5432/tcp)",
        "Service/np: a node port the cluster assigns (30000-32767/tcp) is open on every node, and whether "
        "the nodes are reachable from outside is not in the manifest, so portlint cannot tell who can "
        "reach 9187/tcp"]


def test_load_balancer_finding_names_the_service_port_and_the_target_port(tmp_path):
    report = run_tree(tmp_path, {"s.yaml": """\
        apiVersion: v1
        kind: Service
        metadata:
          name: redis-tls
        spec:
          type: LoadBalancer
          ports:
            - port: 443
              targetPort: 6379
        """})
    assert [f.message.split(";")[0] for f in report.findings] == [
        "Redis (6379/tcp) is reachable from the internet (0.0.0.0/0, ::/0) on Service port 443 (targetPort 6379)"]


def test_ansible_text_output_names_where_the_deciding_value_was_set(tmp_path):
    from portlint.formatters.text import render_check

    report = run_tree(tmp_path, {"site.yml": """\
        - hosts: web
          vars:
            rdp_port: 3389
          tasks:
            - name: RDP for admins
              community.general.ufw:
                rule: allow
                port: "{{ rdp_port }}"
                proto: tcp
        """})
    line = render_check(report, {}).splitlines()[0]
    assert line.startswith("site.yml:5:7: PL101 [critical] RDP (3389/tcp)"), line
    assert line.endswith("(risky-service-public) [value from play vars at site.yml:3]"), line


# -- 7. inventory, JSON and diff name the service as check does: the image first ------------------

IMAGES_COMPOSE = """\
    services:
      esphome:
        image: ghcr.io/esphome/esphome:2024.6
        ports: ["6052:6052"]
      transmission:
        image: linuxserver/transmission
        ports: ["9091:9091"]
      grafana:
        image: grafana/grafana
        ports: ["3000:3000"]
      admin:
        image: mongo-express
        ports: ["8081:8081"]
      cache:
        image: example/unknown-thing
        ports: ["6379:6379"]
      plain:
        ports: ["6052:6052"]
    """

ESPHOME_SERVICE = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: esphome
    spec:
      selector:
        matchLabels: {app: esphome}
      template:
        metadata:
          labels: {app: esphome}
        spec:
          containers:
            - name: esphome
              image: esphome/esphome:latest
              ports: [{containerPort: 6052}]
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: esphome
    spec:
      type: LoadBalancer
      selector: {app: esphome}
      ports:
        - port: 6052
    """


def _inventory_services(report):
    from portlint.formatters.json_report import inventory_document
    from portlint.formatters.text import render_inventory

    table = render_inventory(report, {}).splitlines()
    column = table[0].index("SERVICE")
    text = [(row.split()[1], row[column:].strip()) for row in table[1:1 + len(report.exposures)]]
    document = inventory_document(report)
    return text, [(e["resource"], e["service"]) for e in document["exposures"]]


def test_compose_inventory_names_the_image_not_the_port_number(tmp_path):
    from portlint.formatters import diff_common

    report = run_tree(tmp_path, {"compose.yaml": IMAGES_COMPOSE})
    text, json_rows = _inventory_services(report)
    expected = [("esphome", "ESPHome"), ("transmission", "Transmission"), ("grafana", "Grafana"),
                ("admin", "mongo-express"), ("cache", "Redis"), ("plain", "X11")]
    assert [(r.split(".")[-1], s) for r, s in json_rows] == expected, json_rows
    assert [(r.split(".")[-1], s) for r, s in text] == expected, text
    assert [diff_common.service_name(e) for e in report.exposures] == [s for _, s in expected]


def test_kubernetes_inventory_names_the_image_behind_the_service(tmp_path):
    report = run_tree(tmp_path, {"esphome.yaml": ESPHOME_SERVICE})
    text, json_rows = _inventory_services(report)
    assert {s for _, s in json_rows} == {"ESPHome"}, json_rows
    assert {s for _, s in text} == {"ESPHome"}, text


# -- 8. a Compose file used only as an extends base is not a project of its own ------------------

HOSTNET_BASE = """\
    services:
      hostnet:
        network_mode: host
        image: redis
    """


def _extending(base: str) -> str:
    return f"""\
        services:
          a:
            extends: {{file: {base}, service: hostnet}}
          b:
            extends: {{file: {base}, service: hostnet}}
        """


def test_an_extends_base_is_reported_once_per_extending_service_not_as_its_own_project(tmp_path):
    report = run_tree(tmp_path, {"common/base.yaml": HOSTNET_BASE, "compose.yaml": _extending("common/base.yaml")})
    assert not report.errors, report.errors
    assert [(f.rule_id, f.location.file, f.location.line, f.message.split(" uses")[0]) for f in report.findings] == [
        ("PL301", "common/base.yaml", 3, "services.a"), ("PL301", "common/base.yaml", 3, "services.b")]


def test_an_extends_base_that_is_its_folders_default_file_stays_a_project(tmp_path):
    report = run_tree(tmp_path, {"common/compose.yaml": HOSTNET_BASE,
                                 "compose.yaml": _extending("common/compose.yaml")})
    assert not report.errors, report.errors
    assert sorted(f.message.split(" uses")[0] for f in report.findings) == [
        "services.a", "services.b", "services.hostnet"]
