"""Kubernetes Services, hostPort and hostNetwork, with exact lines."""

from __future__ import annotations

import pytest

from tests.conftest import run_tree

MANIFESTS = """
apiVersion: v1
kind: Service
metadata:
  name: redis
spec:
  type: LoadBalancer
  ports:
    - port: 6379
      targetPort: 6379
---
apiVersion: v1
kind: Service
metadata:
  name: internal-db
  annotations:
    networking.gke.io/load-balancer-type: "Internal"
spec:
  type: LoadBalancer
  ports:
    - port: 5432
---
apiVersion: v1
kind: Service
metadata:
  name: rdp
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [203.0.113.0/24]
  ports:
    - port: 3389
---
apiVersion: v1
kind: Service
metadata:
  name: cache
  namespace: prod
spec:
  ports:
    - port: 11211
---
apiVersion: v1
kind: Service
metadata:
  name: node
spec:
  type: NodePort
  ports:
    - port: 80
      targetPort: http
      nodePort: 30080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: db
          image: mysql:8
          ports:
            - containerPort: 3306
              hostPort: 3306
            - containerPort: 8080
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: sync
spec:
  jobTemplate:
    spec:
      template:
        spec:
          hostNetwork: true
          containers:
            - name: sync
              image: example/sync
              ports:
                - containerPort: 2375
"""


def test_services_and_pod_templates(tmp_path):
    report = run_tree(tmp_path, {"k8s/all.yaml": MANIFESTS})
    assert not report.errors
    rows = [(e.location.line, e.resource, str(e.port_range), e.scope, sorted(e.traits)[0])
            for e in report.exposures]
    assert rows == [
        (8, "Service/redis", "6379", "internet", "k8s-service"),
        (8, "Service/redis", "30000-32767", "unknown", "k8s-service"),
        (20, "Service/internal-db", "5432", "private", "k8s-service"),
        (20, "Service/internal-db", "30000-32767", "unknown", "k8s-service"),
        (30, "Service/rdp", "3389", "restricted-public", "k8s-service"),
        (30, "Service/rdp", "30000-32767", "unknown", "k8s-service"),
        (39, "Service/prod/cache", "11211", "private", "cluster-ip"),
        (48, "Service/node", "30080", "unknown", "k8s-service"),
        (63, "Deployment/api", "3306", "internet", "host-port"),
        (76, "CronJob/sync", "0-65535", "internet", "host-network"),
        (81, "CronJob/sync", "2375", "internet", "host-network"),
    ]
    findings = sorted((f.location.line, f.rule_id) for f in report.findings)
    assert findings == [(8, "PL101"), (48, "PL501"), (63, "PL101"), (76, "PL301"), (81, "PL101")]
    nodeport = next(f for f in report.findings if f.location.line == 48)
    assert nodeport.severity.label == "low"
    assert nodeport.message.startswith(
        "Service/node: node port 30080/tcp is open on every node, and whether the nodes are reachable from "
        "outside is not in the manifest, so portlint cannot tell who can reach 80/tcp;"), nodeport.message


def test_bad_manifests(tmp_path):
    report = run_tree(tmp_path, {
        "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports:\n    - port: 99999\n",
        "broken.yaml": "apiVersion: v1\nkind: Service\nspec: [\n",
        "ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
    })
    assert sorted((e.file, e.line) for e in report.errors) == [("broken.yaml", 4), ("svc.yaml", 6)]


WEB = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: prod
spec:
  template:
    metadata:
      labels: {app: shop, tier: web}
    spec:
      containers:
        - name: shop
          image: example/shop:1.2
          ports:
            - name: http
              containerPort: 8080
        - name: notebook
          image: example/exporter
          ports:
            - containerPort: 8888
---
apiVersion: v1
kind: Service
metadata:
  name: shop
  namespace: prod
spec:
  type: LoadBalancer
  selector: {app: shop}
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: https
      port: 443
      targetPort: 8888
    - name: app
      port: 8000
---
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  type: LoadBalancer
  selector: {app: shop}
  ports:
    - port: 80
      targetPort: http
---
apiVersion: v1
kind: Service
metadata:
  name: cache
spec:
  type: LoadBalancer
  ports:
    - port: 443
      targetPort: 6379
"""


def test_services_are_judged_by_what_runs_behind_the_target_port(tmp_path):
    report = run_tree(tmp_path, {"k8s/web.yaml": WEB})
    assert not report.errors
    public = [(e.location.line, str(e.port_range), str(e.service_ports), e.image, "web-frontend" in e.traits)
              for e in report.exposures if e.scope == "internet"]
    assert public == [
        (31, "80", "8080", "example/shop:1.2", True),  # the named port resolves through the pod template
        (34, "443", "8888", "example/exporter", True),  # the container that declares 8888
        (37, "8000", "8000", "", False),  # two containers, neither declares 8000: no image
        (48, "80", "80", "", False),  # another namespace: the selector picks nothing, http stays unresolved
        (58, "443", "6379", "", False),  # Redis is not a web application port
    ]
    findings = sorted((f.location.line, f.rule_id, f.severity.label) for f in report.findings)
    # 80 -> 8080 and 443 -> 8888 are an ordinary web deployment; 8000 faces the internet itself;
    # 443 in front of Redis is still Redis; no PL503 between the ports of one Service
    assert findings == [(37, "PL101", "low"), (58, "PL101", "critical")]


def test_repeated_service_port_is_an_error_at_its_entry(tmp_path):
    report = run_tree(tmp_path, {"svc.yaml": """apiVersion: v1
kind: Service
metadata: {name: dup}
spec:
  type: LoadBalancer
  ports:
    - port: 6379
    - port: 6379
    - port: 6379
      protocol: UDP
"""})
    assert [(e.line, "line 7" in e.message) for e in report.errors] == [(8, True)]
    assert [(f.location.line, f.rule_id) for f in report.findings if f.exposure.protocol == "tcp"] == [(7, "PL101")]


LB = """apiVersion: v1
kind: Service
metadata:
  name: {name}
  annotations: {annotations}
spec:
  type: LoadBalancer
{extra}  ports:
    - port: 6379
"""


@pytest.mark.parametrize("annotations, extra, scope", [
    ({"service.beta.kubernetes.io/aws-load-balancer-type": "external"}, "", "private"),
    ({"service.beta.kubernetes.io/aws-load-balancer-type": "nlb-ip"}, "", "private"),
    ({}, "  loadBalancerClass: service.k8s.aws/nlb\n", "private"),
    ({"service.beta.kubernetes.io/aws-load-balancer-type": "external",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}, "", "internet"),
    ({"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}, "", "internet"),  # in-tree NLB: public
    ({"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}, "", "private"),
    ({"networking.gke.io/load-balancer-type": "Internal"}, "", "private"),
    ({"cloud.google.com/load-balancer-type": "Internal"}, "", "private"),
    ({"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}, "", "private"),
    ({"service.beta.kubernetes.io/azure-load-balancer-internal": "false"}, "", "internet"),
    ({"service.beta.kubernetes.io/oci-load-balancer-internal": "true"}, "", "private"),
    ({"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": "private"}, "", "private"),
    ({"service.beta.kubernetes.io/do-loadbalancer-network": "INTERNAL"}, "", "private"),
    ({"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": "intranet"}, "", "private"),
    ({"load-balancer.hetzner.cloud/disable-public-network": "true"}, "", "private"),
    ({}, "", "internet"),
])
def test_internal_load_balancers_of_each_cloud(tmp_path, annotations, extra, scope):
    import json

    text = LB.format(name="redis", annotations=json.dumps(annotations), extra=extra)
    report = run_tree(tmp_path, {"svc.yaml": text})
    assert not report.errors
    (lb,) = [e for e in report.exposures if "load-balancer" in e.traits]
    line = 10 if extra else 9
    assert (lb.location.line, lb.scope) == (line, scope)
    critical = [(f.location.line, f.rule_id) for f in report.findings if f.severity.label == "critical"]
    assert critical == ([(line, "PL101")] if scope == "internet" else [])


CHART = """apiVersion: v1
kind: Service
metadata:
  name: {{ include "app.fullname" . }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
"""


def test_helm_chart_templates_are_skipped_and_plain_manifests_checked(tmp_path):
    report = run_tree(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "chart/values.yaml": "service:\n  type: LoadBalancer\n  port: 80\n",
        "chart/templates/service.yaml": CHART,
        "chart/templates/quoted.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"{{ .Release.Name }}\"\n"
                                       "spec:\n  type: LoadBalancer\n  ports:\n    - port: \"{{ .Values.port }}\"\n"
                                       "    - port: 3389\n",
        "chart/extra/redis.yaml": LB.format(name="redis", annotations="{}", extra=""),
        "rendered.yaml": LB.format(name="rendered", annotations="{}", extra=""),
        "notachart/templates/bad.yaml": CHART,
    })
    # the unrendered template is not an error; a template that reads as YAML is checked for what it
    # says literally; a file with {{ }} outside a chart is still an error
    assert {e.file for e in report.errors} == {"notachart/templates/bad.yaml"}
    assert min(e.line for e in report.errors) == 4
    assert sorted((f.location.file, f.location.line, f.rule_id) for f in report.findings
                  if f.severity.label == "critical") == [
        ("chart/extra/redis.yaml", 9, "PL101"), ("chart/templates/quoted.yaml", 9, "PL101"),
        ("rendered.yaml", 9, "PL101")]
