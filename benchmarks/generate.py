"""Deterministic trees for portlint's benchmark (issue 14).

    python3 benchmarks/generate.py OUT [--scale 1] [--kind relevant|realistic]

``relevant``: every file is one portlint judges (Compose files of about 670 bytes,
Terraform files that each hold security groups, firewall YAML, Kubernetes
Services). ``realistic``: what an estate looks like: most Terraform files hold
other resources (buckets, IAM, instances, DNS), modules are called from roots with
tfvars, and many YAML files are not infrastructure (CI workflows, Helm values,
OpenAPI-ish documents, Ansible playbooks without firewall tasks). The same seed
and scale always give the same bytes. ``--scale N`` multiplies every count.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

PORTS = [22, 80, 443, 3306, 5432, 6379, 8080, 9200, 27017, 3389, 11211, 2375, 5900, 8443]
BINDS = ["0.0.0.0", "127.0.0.1", "10.0.0.5", "::1"]
CIDRS = ["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24", "192.168.0.0/16"]

COMPOSE = """services:
  web{i}:
    image: nginx:1.27
    restart: unless-stopped
    ports:
      - "80:80"
      - "{bind}:{host}:{target}"
    environment:
      APP_ENV: production
      LOG_LEVEL: info
  db{i}:
    image: postgres:16
    expose: ["5432"]
    volumes:
      - db{i}:/var/lib/postgresql/data
    ports:
      - target: {target2}
        published: "{host2}"
        host_ip: {bind2}
        protocol: tcp
volumes:
  db{i}: {{}}
"""

TF_SG = """variable "cidr_{i}" {{
  type    = string
  default = "{cidr}"
}}

variable "ports_{i}" {{
  type    = list(number)
  default = [{p1}, {p2}]
}}

locals {{
  name_{i} = "svc-{i}"
}}

resource "aws_security_group" "sg_{i}" {{
  name        = local.name_{i}
  description = "service {i}"

  dynamic "ingress" {{
    for_each = var.ports_{i}
    content {{
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = [var.cidr_{i}]
    }}
  }}

  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_security_group_rule" "extra_{i}" {{
  type              = "ingress"
  from_port         = {p3}
  to_port           = {p3}
  protocol          = "tcp"
  cidr_blocks       = ["{cidr2}"]
  security_group_id = aws_security_group.sg_{i}.id
}}
"""

TF_OTHER = """resource "aws_s3_bucket" "logs_{i}" {{
  bucket = "acme-logs-{i}"
  tags = {{
    owner       = "team-{team}"
    environment = var.environment
  }}
}}

resource "aws_s3_bucket_versioning" "logs_{i}" {{
  bucket = aws_s3_bucket.logs_{i}.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_iam_role" "role_{i}" {{
  name = "role-{i}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Action    = "sts:AssumeRole"
      Effect    = "Allow"
      Principal = {{ Service = "ec2.amazonaws.com" }}
    }}]
  }})
}}

resource "aws_instance" "app_{i}" {{
  ami           = "ami-0abcdef{i:06d}"
  instance_type = {itype}
  subnet_id     = var.subnet_id
  tags = merge(var.tags, {{ Name = "app-{i}" }})
}}

resource "aws_route53_record" "app_{i}" {{
  zone_id = var.zone_id
  name    = "app-{i}.example.com"
  type    = "A"
  ttl     = 300
  records = [aws_instance.app_{i}.private_ip]
}}
"""

TF_VARIABLES = """variable "environment" {{
  type    = string
  default = "{env}"
}}

variable "subnet_id" {{
  type    = string
  default = "subnet-{n:08d}"
}}

variable "zone_id" {{
  type    = string
  default = "Z{n:010d}"
}}

variable "tags" {{
  type    = map(string)
  default = {{ team = "platform" }}
}}

variable "admin_cidr" {{
  type    = string
  default = "10.0.0.0/8"
}}
"""

TF_MODULE = """variable "port" {
  type = number
}

variable "cidr" {
  type    = string
  default = "10.0.0.0/8"
}

resource "aws_security_group" "this" {
  name = "module-${var.port}"
  ingress {
    from_port   = var.port
    to_port     = var.port
    protocol    = "tcp"
    cidr_blocks = [var.cidr]
  }
}
"""

TF_ROOT_CALL = """module "admin_sg" {{
  source = "../../modules/sg"
  port   = {port}
  cidr   = var.admin_cidr
}}
"""

FIREWALL = """firewall:
  name: edge-{i}
  rules:
    - action: allow
      ports: [{p1}, {p2}]
      sources: ["{cidr}"]
    - action: deny
      ports: ["1-65535"]
      sources: ["0.0.0.0/0"]
"""

KUBERNETES = """apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
spec:
  type: {kind}
  selector:
    app: app-{i}
  ports:
    - port: {port}
      targetPort: {port}
      protocol: TCP
"""

WORKFLOW = """name: ci-{i}
on:
  push:
    branches: [main]
  pull_request: {{}}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
      - run: make lint
"""

HELM_VALUES = """replicaCount: {n}
image:
  repository: registry.example.com/app-{i}
  tag: "1.{i}.0"
resources:
  limits:
    cpu: 500m
    memory: 256Mi
service:
  name: app-{i}
  annotations: {{}}
"""

PLAYBOOK = """- hosts: app{i}
  become: true
  tasks:
    - name: install packages
      ansible.builtin.apt:
        name: [nginx, git]
        state: present
    - name: template config
      ansible.builtin.template:
        src: app.conf.j2
        dest: /etc/app/app-{i}.conf
"""


def generate(out: Path, kind: str = "relevant", scale: int = 1, seed: int = 14) -> dict[str, int]:
    """Write the tree; returns how many files of each kind were written."""
    rng = random.Random(f"{seed}-{kind}")
    counts = {"compose": 0, "terraform": 0, "yaml-other": 0, "firewall": 0, "kubernetes": 0, "tfvars": 0}

    def write(path: Path, text: str, what: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        counts[what] += 1

    compose = 400 * scale
    for i in range(compose):
        write(out / "compose" / f"team{i // 40}" / f"app{i}" / "docker-compose.yml", COMPOSE.format(
            i=i, bind=rng.choice(BINDS), host=rng.randint(1024, 60000), target=rng.choice(PORTS),
            bind2=rng.choice(BINDS), host2=rng.randint(1024, 60000), target2=rng.choice(PORTS)), "compose")
    if kind == "relevant":
        for i in range(200 * scale):
            write(out / "terraform" / f"stack{i // 4}" / f"sg{i}.tf", TF_SG.format(
                i=i, cidr=rng.choice(CIDRS), cidr2=rng.choice(CIDRS), p1=rng.choice(PORTS),
                p2=rng.choice(PORTS), p3=rng.choice(PORTS)), "terraform")
        for i in range(50 * scale):
            write(out / "firewall" / f"edge{i}.firewall.yaml", FIREWALL.format(
                i=i, p1=rng.choice(PORTS), p2=rng.choice(PORTS), cidr=rng.choice(CIDRS)), "firewall")
        for i in range(50 * scale):
            write(out / "k8s" / f"svc{i}.yaml", KUBERNETES.format(
                i=i, kind=rng.choice(["LoadBalancer", "NodePort", "ClusterIP"]), port=rng.choice(PORTS)),
                "kubernetes")
        return counts
    # realistic: 2 in 10 Terraform files hold a firewall resource, roots call a shared module
    write(out / "terraform" / "modules" / "sg" / "main.tf", TF_MODULE, "terraform")
    roots = 25 * scale
    for r in range(roots):
        root = out / "terraform" / "envs" / f"env{r}"
        write(root / "variables.tf", TF_VARIABLES.format(env=rng.choice(["prod", "staging"]), n=r), "terraform")
        write(root / "terraform.tfvars", f'environment = "{rng.choice(["prod", "staging", "dev"])}"\n', "tfvars")
        for j in range(8):
            i = r * 8 + j
            if j < 2:
                text = TF_SG.format(i=i, cidr=rng.choice(CIDRS), cidr2=rng.choice(CIDRS), p1=rng.choice(PORTS),
                                    p2=rng.choice(PORTS), p3=rng.choice(PORTS))
                if j == 0:
                    text += TF_ROOT_CALL.format(port=rng.choice(PORTS))
            else:
                text = TF_OTHER.format(i=i, team=i % 7, itype=rng.choice(['"t3.micro"', '"m5.large"']))
            write(root / f"file{j}.tf", text, "terraform")
    for i in range(150 * scale):
        template = (WORKFLOW, HELM_VALUES, PLAYBOOK)[i % 3]
        folder = (".github/workflows", "charts/values", "ansible/playbooks")[i % 3]
        write(out / folder / f"f{i}.yaml", template.format(i=i, n=1 + i % 5), "yaml-other")
    for i in range(25 * scale):
        write(out / "k8s" / f"svc{i}.yaml", KUBERNETES.format(
            i=i, kind=rng.choice(["LoadBalancer", "ClusterIP", "ClusterIP"]), port=rng.choice(PORTS)), "kubernetes")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--kind", choices=["relevant", "realistic"], default="relevant")
    opts = parser.parse_args()
    print(generate(opts.out, opts.kind, opts.scale))


if __name__ == "__main__":
    main()
