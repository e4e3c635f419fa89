"""Kubernetes Services, hostPort and hostNetwork, with exact lines."""

from __future__ import annotations

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
    assert nodeport.severity.label == "low" and "node addresses (NodePort)" in nodeport.message


def test_bad_manifests(tmp_path):
    report = run_tree(tmp_path, {
        "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports:\n    - port: 99999\n",
        "broken.yaml": "apiVersion: v1\nkind: Service\nspec: [\n",
        "ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
    })
    assert sorted((e.file, e.line) for e in report.errors) == [("broken.yaml", 4), ("svc.yaml", 6)]
