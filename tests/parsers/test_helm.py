"""Helm charts: unrendered templates skipped with one notice per chart (text, JSON, SARIF), and
`helm template` output checked like any manifest, with exact lines."""

from __future__ import annotations

import json

from portlint.model import Notice
from tests.conftest import run_tree

TEMPLATE = """apiVersion: v1
kind: Service
metadata:
  name: {{ include "web.fullname" . }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
"""

DEPLOYMENT_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
        {{- range .Values.containers }}
        - name: {{ .name }}
        {{- end }}
"""

CHART_YAML = "apiVersion: v2\nname: web\nversion: 0.1.0\n"

REDIS_LB = """apiVersion: v1
kind: Service
metadata:
  name: cache
spec:
  type: LoadBalancer
  ports:
    - port: 6379
"""


def chart_tree() -> dict:
    return {
        "charts/web/Chart.yaml": CHART_YAML,
        "charts/web/templates/service.yaml": TEMPLATE,
        "charts/web/templates/deployment.yaml": DEPLOYMENT_TEMPLATE,
        "charts/web/templates/sub/svc.yaml": TEMPLATE,
        "charts/web/templates/NOTES.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ .Release.Name }}\"\n",
        "charts/api/Chart.yaml": CHART_YAML.replace("web", "api"),
        "charts/api/templates/service.yaml": TEMPLATE,
        "k8s/redis.yaml": REDIS_LB,
    }


def test_one_notice_per_chart_counting_its_skipped_templates(tmp_path):
    report = run_tree(tmp_path, chart_tree())
    assert report.errors == []
    # the ConfigMap template reads as YAML: it is checked, not skipped, and not counted
    assert report.notices == [
        Notice("charts/api", "1 Helm template skipped (render them with helm template and check the output)"),
        Notice("charts/web", "3 Helm templates skipped (render them with helm template and check the output)"),
    ]
    # the plain manifest beside the charts keeps its finding
    assert [(f.location.file, f.location.line, f.rule_id) for f in report.findings
            if f.severity.label == "critical"] == [("k8s/redis.yaml", 8, "PL101")]


def test_no_notice_without_skipped_templates(tmp_path):
    report = run_tree(tmp_path, {"charts/web/Chart.yaml": CHART_YAML, "k8s/redis.yaml": REDIS_LB,
                                 "notachart/templates/svc.yaml": TEMPLATE})
    assert report.notices == []
    # outside a chart, {{ }} that does not parse is an input error, not a notice
    assert [(e.file, e.line) for e in report.errors] == [("notachart/templates/svc.yaml", line)
                                                         for line in (4, 6, 8, 8)]


def _write(tmp_path, files: dict) -> None:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def test_notices_in_text_json_and_sarif_and_exit_code_unaffected(tmp_path, run_cli, monkeypatch):
    files = chart_tree()
    del files["k8s/redis.yaml"]
    _write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    text = run_cli("check", "--project-root", tmp_path, ".")
    assert text.exit_code == 0, text.output
    assert text.stderr.splitlines() == [
        "portlint: notice: charts/api: 1 Helm template skipped (render them with helm template and check the output)",
        "portlint: notice: charts/web: 3 Helm templates skipped (render them with helm template and check the output)",
    ]
    assert "notice" not in text.stdout

    as_json = run_cli("check", "--project-root", tmp_path, "--format", "json", ".")
    assert as_json.exit_code == 0
    document = json.loads(as_json.stdout)
    assert document["notices"] == [
        {"file": "charts/api", "message": "1 Helm template skipped (render them with helm template and check the output)"},
        {"file": "charts/web", "message": "3 Helm templates skipped (render them with helm template and check the output)"},
    ]
    assert document["errors"] == []
    from portlint.schemas import validator

    validator("report").validate(document)  # the schema knows the optional field
    broken = {**document, "notices": [{"file": "charts/web"}]}
    assert list(validator("report").iter_errors(broken))

    sarif = run_cli("check", "--project-root", tmp_path, "--format", "sarif", ".")
    assert sarif.exit_code == 0
    invocation = json.loads(sarif.stdout)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert [(n["level"], n["message"]["text"], n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for n in invocation["toolExecutionNotifications"]] == [
        ("note", "charts/api: 1 Helm template skipped (render them with helm template and check the output)",
         "charts/api"),
        ("note", "charts/web: 3 Helm templates skipped (render them with helm template and check the output)",
         "charts/web"),
    ]


def test_json_without_notices_has_no_notices_key(tmp_path, run_cli, monkeypatch):
    _write(tmp_path, {"k8s/redis.yaml": REDIS_LB})
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", "--project-root", tmp_path, "--format", "json", "--fail-on", "never", ".")
    assert result.exit_code == 0
    assert "notices" not in json.loads(result.stdout)
    assert "notice" not in result.stderr


def test_notices_survive_the_result_cache(tmp_path):
    from portlint.engine import Options, run

    _write(tmp_path / "tree", chart_tree())
    cache = tmp_path / "cache"
    runs = [run([tmp_path / "tree"], Options(cwd=tmp_path / "tree", environ={}, cache=True, cache_dir=cache))
            for _ in range(2)]
    assert runs[0].notices == runs[1].notices and len(runs[1].notices) == 2


# `helm template` output of a chart with a Redis LoadBalancer and a web Deployment whose Service
# targets a named port: rendered YAML, `# Source:` comments, checked like any manifest.
RENDERED = """---
# Source: shop/charts/redis/templates/master/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop-redis-master
  labels:
    app.kubernetes.io/name: redis
    app.kubernetes.io/instance: shop
spec:
  type: LoadBalancer
  ports:
    - name: tcp-redis
      port: 6379
      targetPort: redis
  selector:
    app.kubernetes.io/name: redis
    app.kubernetes.io/instance: shop
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: shop-web
spec:
  type: LoadBalancer
  ports:
    - name: http
      port: 80
      targetPort: http
  selector:
    app: shop-web
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: shop-web
  template:
    metadata:
      labels:
        app: shop-web
    spec:
      containers:
        - name: web
          image: "ghcr.io/example/shop:1.4.2"
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
---
# Source: shop/charts/redis/templates/master/statefulset.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: shop-redis-master
spec:
  serviceName: shop-redis-headless
  selector:
    matchLabels:
      app.kubernetes.io/name: redis
      app.kubernetes.io/instance: shop
  template:
    metadata:
      labels:
        app.kubernetes.io/name: redis
        app.kubernetes.io/instance: shop
    spec:
      containers:
        - name: redis
          image: docker.io/bitnami/redis:7.2.4-debian-12-r9
          ports:
            - name: redis
              containerPort: 6379
"""


def test_helm_template_output_is_checked_like_any_manifest(tmp_path):
    report = run_tree(tmp_path, {"rendered/shop.yaml": RENDERED})
    assert report.errors == [] and report.notices == []
    services = sorted((e.location.line, e.resource, str(e.port_range), str(e.target_port_range), e.scope, e.image)
                      for e in report.exposures if "load-balancer" in e.traits)
    assert services == [
        (13, "Service/shop-redis-master", "6379", "6379", "internet", "docker.io/bitnami/redis:7.2.4-debian-12-r9"),
        (28, "Service/shop-web", "80", "8080", "internet", "ghcr.io/example/shop:1.4.2"),
    ]
    # Redis behind the public load balancer (named targetPort resolved through the StatefulSet, its
    # image from the container declaring it) is critical at its port entry; the web port in front of the
    # application's named HTTP port is an ordinary web deployment: nothing at medium or above
    assert [(f.location.line, f.rule_id, f.severity.label) for f in report.findings
            if f.severity.label in ("critical", "high", "medium")] == [(13, "PL101", "critical")]
    (redis,) = [f for f in report.findings if f.rule_id == "PL101"]
    assert "Redis" in redis.message
