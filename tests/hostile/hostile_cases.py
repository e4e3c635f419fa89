"""Hostile trees, written as an attacker would: one bad thing beside good risky files.

Every case is built in its own folder::

    <case>/tree/            the checked tree (the current folder of the run)
    <case>/tree/good/...    one good risky file per format; each finding must survive
    <case>/tree/...         the case's own files (the bad thing, often beside a good unit)
    <case>/outside/...      secrets and victims portlint must never read or write

``files`` maps a path (relative to the tree) to text, bytes, ``Link(target)``
(a symbolic link, target written as is) or ``FIFO``. ``bad`` lists the
input errors the run must report as ``Bad(file, lines)``: the file as shown in
the report and the acceptable lines (the unit's line or the offending value's
line). ``extra`` lists findings of good units inside the bad file that must
survive. Cases whose bad thing is legitimately ignored expect exit 1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

#: content of every file placed outside the tree; it must never appear in the output
SECRET = "SECRET-7f3a9c1e"
#: a port only the outside files open; no finding may carry it
SECRET_PORT = 4444


@dataclass(frozen=True)
class Link:
    target: str


FIFO = object()


@dataclass(frozen=True)
class Bad:
    file: str  # as shown in the report; "prefix/*" matches below a folder, "*" any file
    lines: tuple[int, ...] | None = None  # None: any line, but the file must be named
    message: str = ""  # lower-case substring the error message must contain


@dataclass
class Case:
    id: str
    files: dict = field(default_factory=dict)
    bad: tuple = ()  # any one of these errors must be reported
    exit: tuple[int, ...] = (2,)
    args: tuple[str, ...] = ("check", "-f", "json", ".")
    env: dict = field(default_factory=dict)
    extra: tuple = ()  # (file, line, rule_id) findings that must survive besides the good tree's
    json: bool = True  # stdout is a JSON report to check
    keep_good: bool = True  # False only where the limit hit means the good tree may go unread
    abort_ok: bool = False  # a run refused as a whole (exit 2, file:line on stderr, no report) is acceptable
    named: str = ""  # for non-JSON runs: text the output (stdout+stderr) must contain
    check: Callable | None = None  # more assertions: check(result, tree)
    setup: Callable | None = None  # setup(tree, outside) after the files are written
    console: bool = False  # run the console script instead of python -m portlint
    xfail: str = ""


# -- the good tree ---------------------------------------------------------------------------------

GOOD_FILES = {
    "good/compose.yaml": 'services:\n  cache:\n    image: redis:7\n    ports:\n      - "6379:6379"\n',
    "good/tf/main.tf": (
        'resource "aws_security_group" "ssh" {\n  ingress {\n    from_port   = 22\n    to_port     = 22\n'
        '    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n'),
    "good/edge.firewall.yaml": (
        "firewall:\n  name: edge\n  default: deny\n  rules:\n    - name: rdp\n      action: allow\n"
        "      protocol: tcp\n      ports: [3389]\n      sources: [any]\n"),
    "good/k8s.yaml": (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: redis\nspec:\n  type: LoadBalancer\n"
        "  selector: {app: redis}\n  ports:\n    - port: 6379\n"),
    "good/cfn.yaml": (
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  BastionSG:\n    Type: AWS::EC2::SecurityGroup\n'
        "    Properties:\n      GroupDescription: bastion\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n"
        "          FromPort: 22\n          ToPort: 22\n          CidrIp: 0.0.0.0/0\n"),
    "good/site.yml": (
        '- hosts: db\n  tasks:\n    - name: MongoDB for everyone\n      community.general.ufw:\n'
        '        rule: allow\n        port: "27017"\n        proto: tcp\n'),
}

GOOD_FINDINGS = (
    ("good/compose.yaml", 5, "PL101"),
    ("good/tf/main.tf", 2, "PL101"),
    ("good/edge.firewall.yaml", 5, "PL101"),
    ("good/k8s.yaml", 9, "PL101"),
    ("good/cfn.yaml", 8, "PL101"),
    ("good/site.yml", 3, "PL101"),
)

OUTSIDE_FILES = {
    "secret.tf": (
        f'resource "aws_security_group" "secret" {{\n  description = "{SECRET}"\n  ingress {{\n'
        f'    from_port   = {SECRET_PORT}\n    to_port     = {SECRET_PORT}\n    protocol    = "tcp"\n'
        f'    cidr_blocks = ["0.0.0.0/0"]\n  }}\n}}\n'),
    "mod/main.tf": (
        f'variable "x" {{\n  default = "{SECRET}"\n}}\nresource "aws_security_group" "secret" {{\n'
        f'  description = "{SECRET}"\n  ingress {{\n    from_port   = {SECRET_PORT}\n    to_port     = {SECRET_PORT}\n'
        f'    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }}\n}}\n'),
    "secret.env": f"SECRET_PORT={SECRET_PORT}\nTOKEN={SECRET}\n",
    "secret.txt": f"{SECRET}\n",
    "secret.tfvars": f'cidr = "{SECRET}"\nport = {SECRET_PORT}\n',
    "secret-compose.yaml": (
        f'services:\n  base:\n    image: "{SECRET}"\n    ports:\n      - "{SECRET_PORT}:{SECRET_PORT}"\n'),
    "rules/secret.yaml": (
        "rules:\n  - code: EVIL901\n    name: evil-secret\n    severity: high\n    summary: A planted rule.\n"
        f"    match:\n      ports: [6379]\n    message: \"{SECRET} {{resource}}\"\n"),
    "victim.txt": "victim\n",
}


# -- helpers for building bad files ----------------------------------------------------------------

def laughs(indent: str = "", levels: int = 9, key: str = "lol") -> str:
    """A billion-laughs YAML mapping: each level lists the previous one ten times."""
    out = [f'{indent}{key}0: &{key}0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*{key}{level - 1}"] * 10)
        out.append(f"{indent}{key}{level}: &{key}{level} [{refs}]")
    return "\n".join(out) + "\n"


def merge_laughs(indent: str = "", levels: int = 9) -> str:
    """Billion laughs through merge keys: each mapping merges the previous one ten times."""
    out = [f"{indent}m0: &m0 {{a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}}"]
    for level in range(1, levels + 1):
        out.append(f"{indent}m{level}: &m{level}")
        for n in range(10):
            out.append(f"{indent}  k{n}: {{<<: *m{level - 1}}}")
    return "\n".join(out) + "\n"


def sg(name: str, port: int, cidr: str = "0.0.0.0/0", extra: str = "") -> str:
    """A Terraform security group opening ``port``; its finding is on the resource's second line."""
    return (f'resource "aws_security_group" "{name}" {{\n  ingress {{\n    from_port   = {port}\n'
            f'    to_port     = {port}\n    protocol    = "tcp"\n    cidr_blocks = ["{cidr}"]\n{extra}  }}\n}}\n')


SG_LINES = 8  # lines of sg() without extra


def compose_good(name: str = "mongo", port: int = 27017) -> str:
    """A risky Compose service (4 lines); its finding is on its last line."""
    return f'  {name}:\n    image: mongo:7\n    ports:\n      - "{port}:{port}"\n'


def k8s_service(name: str = "pg", port: int = 5432) -> str:
    """A LoadBalancer Service (9 lines); its finding is on the last line."""
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  type: LoadBalancer\n"
            f"  selector: {{app: {name}}}\n  ports:\n    - port: {port}\n")


def fw_rule(name: str = "pg", port: int = 5432) -> str:
    """A firewall rule (5 lines) allowing ``port`` from anywhere; its finding is on the first line."""
    return (f"    - name: {name}\n      action: allow\n      protocol: tcp\n      ports: [{port}]\n"
            "      sources: [any]\n")


FW_HEAD = "firewall:\n  name: bad\n  default: deny\n  rules:\n"  # 4 lines


def cfn_sg(name: str = "PgSG", port: int = 5432, cidr: str = "0.0.0.0/0") -> str:
    """A security group resource (9 lines); its finding is on the line of the ingress item (6th)."""
    return (f"  {name}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: x\n"
            f"      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: {port}\n"
            f"          ToPort: {port}\n          CidrIp: {cidr}\n")


CFN_HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n'  # 2 lines


def ufw_task(name: str = "pg", port: str = '"5432"') -> str:
    """A ufw task (5 lines) allowing ``port`` from anywhere; its finding is on its first line."""
    return (f"    - name: {name}\n      community.general.ufw:\n        rule: allow\n        port: {port}\n"
            "        proto: tcp\n")


PLAY_HEAD = "- hosts: all\n  tasks:\n"  # 2 lines


def deep_dirs(tree: Path, levels: int, name: str = "d") -> Path:
    """Make ``levels`` nested folders below tree/deep without ever using a long path."""
    fd = os.open(tree, os.O_RDONLY)
    os.mkdir("deep", dir_fd=fd)
    current = os.open("deep", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    for _ in range(levels):
        os.mkdir(name, dir_fd=current)
        nxt = os.open(name, os.O_RDONLY, dir_fd=current)
        os.close(current)
        current = nxt
    fd = os.open("compose.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=current)
    os.write(fd, compose_good("deepsvc", 5432).join(["services:\n", ""]).encode())
    os.close(fd)
    os.close(current)
    return tree / "deep"


# -- the cases -------------------------------------------------------------------------------------

CASES: list[Case] = []


def case(id: str, **kw) -> None:
    CASES.append(Case(id=id, **kw))


# ---- Compose ----
case("compose-unterminated-interpolation",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: "${"\n    ports: ["80:80"]\n'
                                + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 3)),), extra=(("bad/compose.yaml", 8, "PL101"),))
case("compose-interpolation-in-port",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: nginx\n    ports: ["${:-}:80"]\n' + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 4)),), extra=(("bad/compose.yaml", 8, "PL101"),))
case("compose-ports-not-a-list",
     files={"bad/compose.yaml": "services:\n  web:\n    image: nginx\n    ports: {a: b}\n" + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 4), "ports"),), extra=(("bad/compose.yaml", 8, "PL101"),))
case("compose-port-out-of-range",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: nginx\n    ports:\n      - "99999:80"\n'
                                + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 5)),), extra=(("bad/compose.yaml", 9, "PL101"),))
case("compose-port-superscript-digit",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: nginx\n    ports:\n      - "²:80"\n'
                                + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 5)),), extra=(("bad/compose.yaml", 9, "PL101"),))
case("compose-service-is-a-string",
     files={"bad/compose.yaml": "services:\n  web: nginx\n" + compose_good()},
     bad=(Bad("bad/compose.yaml", (2,)),), extra=(("bad/compose.yaml", 6, "PL101"),))
case("compose-ip-300",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: nginx\n    ports:\n      - "300.1.1.1:80:80"\n'
                                + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 5)),), extra=(("bad/compose.yaml", 9, "PL101"),))
case("compose-billion-laughs",
     files={"bad/compose.yaml": "x-bomb:\n" + laughs("  ") + "services:\n" + compose_good()},
     bad=(Bad("bad/compose.yaml", tuple(range(2, 13))),))
case("compose-billion-laughs-merge-keys",
     files={"bad/compose.yaml": "x-bomb:\n" + merge_laughs("  ") + "services:\n" + compose_good()},
     bad=(Bad("bad/compose.yaml", None),))
case("compose-duplicate-service",
     files={"bad/compose.yaml": "services:\n" + compose_good("db", 5432) + compose_good("db", 27017)},
     bad=(Bad("bad/compose.yaml", (6,), "duplicate"),))
case("compose-duplicate-ports-key",
     files={"bad/compose.yaml": 'services:\n  db:\n    image: pg\n    ports: ["5432:5432"]\n    ports: []\n'},
     bad=(Bad("bad/compose.yaml", (5,), "duplicate"),))
case("compose-deep-flow-nesting",
     files={"bad/compose.yaml": "services:\n  web:\n    image: nginx\n    labels: " + "[" * 20000 + "]" * 20000
                                + "\n"},
     bad=(Bad("bad/compose.yaml", (2, 3, 4)),))
case("compose-deep-block-nesting",
     files={"bad/compose.yaml": "services:\n  web:\n    image: nginx\n    labels:\n"
                                + "".join(" " * (4 + 2 * i) + f"k{i}:\n" for i in range(1500))
                                + " " * 3004 + "v: 1\n"},
     bad=(Bad("bad/compose.yaml", None),))
case("compose-many-port-entries",
     files={"bad/compose.yaml": "services:\n  web:\n    image: nginx\n    ports:\n"
                                + "".join(f'      - "{p}:80"\n' for p in range(10000, 12000))},
     env={"PORTLINT_MAX_EXPOSURES_PER_FILE": "500"},
     bad=(Bad("bad/compose.yaml", None, "exposures_per_file"),))
case("compose-many-port-ranges",
     files={"bad/compose.yaml": "services:\n  web:\n    image: nginx\n    ports:\n"
                                + '      - "1-65535:1-65535"\n' * 3000},
     exit=(1, 2), bad=(Bad("bad/compose.yaml", None),))  # 3,000 ranges are 3,000 exposures: within limits
case("compose-python-object-tag",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: !!python/object/apply:os.system ["touch PWNED"]\n'
                                + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 3)),), extra=(("bad/compose.yaml", 7, "PL101"),))
case("compose-env-fifo",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["${PORT:-8080}:6379"]\n',
            "bad/.env": FIFO},
     bad=(Bad("bad/.env", None), Bad("bad/compose.yaml", None)))
case("compose-env-dev-zero",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["${PORT:-8080}:6379"]\n',
            "bad/.env": Link("/dev/zero")},
     bad=(Bad("bad/.env", None), Bad("bad/compose.yaml", None)))
case("compose-env-outside-tree",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: "${TOKEN}"\n    ports: ["${SECRET_PORT}:80"]\n',
            "bad/.env": Link("../../outside/secret.env")},
     bad=(Bad("bad/.env", None), Bad("bad/compose.yaml", None)))
case("compose-env-self-link",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["${PORT:-8080}:6379"]\n',
            "bad/.env": Link(".env")},
     bad=(Bad("bad/.env", None), Bad("bad/compose.yaml", None)))
case("compose-env-too-many-lines",
     files={"bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["${PORT:-8080}:6379"]\n',
            "bad/.env": "".join(f"K{i}=v\n" for i in range(120_000))},
     bad=(Bad("bad/.env", None, "env_lines"), Bad("bad/compose.yaml", None, "env_lines")))
case("compose-env-40k-lines-is-fine",  # a large but legitimate .env: no error, only speed matters
     files={"bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["${PORT:-8080}:6379"]\n',
            "bad/.env": "".join(f"K{i}=value{i}\n" for i in range(40_000)) + "PORT=6379\n"},
     exit=(1,), extra=(("bad/compose.yaml", 4, "PL101"),))
case("compose-env-quadratic-spaces",  # long lines of blanks between name, '=' and value
     files={"bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["${PORT:-8080}:6379"]\n',
            "bad/.env": ("A=" + " " * 20000 + "x" + " " * 20000 + "y\n") * 20
                        + ("B" + " " * 20000 + "\n") * 20 + "PORT=6379\n"},
     exit=(1, 2), extra=(("bad/compose.yaml", 4, "PL101"),))
case("compose-extends-outside-tree",
     files={"bad/compose.yaml": "services:\n  web:\n    extends:\n      file: ../../outside/secret-compose.yaml\n"
                                "      service: base\n" + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 3, 4), "outside"),), extra=(("bad/compose.yaml", 9, "PL101"),))
case("compose-extends-absolute",
     setup=lambda tree, outside: (tree / "bad").mkdir() or (tree / "bad/compose.yaml").write_text(
         f"services:\n  web:\n    extends:\n      file: {outside / 'secret-compose.yaml'}\n      service: base\n"
         + compose_good()),
     bad=(Bad("bad/compose.yaml", (2, 3, 4), "outside"),), extra=(("bad/compose.yaml", 9, "PL101"),))
case("compose-extends-fifo",
     files={"bad/compose.yaml": "services:\n  web:\n    extends:\n      file: base.yaml\n      service: base\n"
                                + compose_good(),
            "bad/base.yaml": FIFO},
     bad=(Bad("bad/compose.yaml", (2, 3, 4)), Bad("bad/base.yaml", None)),
     extra=(("bad/compose.yaml", 9, "PL101"),))
case("compose-extends-self",
     files={"bad/compose.yaml": "services:\n  web:\n    extends:\n      service: web\n" + compose_good()},
     bad=(Bad("bad/compose.yaml", (2, 3, 4)),), extra=(("bad/compose.yaml", 8, "PL101"),))
case("compose-over-file-size",
     files={"bad/compose.yaml": "services:\n" + compose_good() + "# " + "x" * (11 * 1024 * 1024) + "\n"},
     bad=(Bad("bad/compose.yaml", None, "file_bytes"),))
case("compose-not-utf8",
     files={"bad/compose.yaml": b"services:\n  web:\n    image: nginx\n    labels: {a: \"\xff\xfe\"}\n"},
     bad=(Bad("bad/compose.yaml", (4,)),))
case("compose-utf16-bom",
     files={"bad/compose.yaml": "services:\n  web:\n    image: nginx\n".encode("utf-16")},
     bad=(Bad("bad/compose.yaml", None),))
case("compose-named-file-unterminated-interpolation",
     files={"bad/docker-compose.yml": 'services:\n  web:\n    image: "${"\n'},
     bad=(Bad("bad/docker-compose.yml", (2, 3)),))

# ---- suppression comments and sniffing regexes ----
case("suppress-comment-quadratic",
     files={"bad/compose.yaml": "services:\n" + compose_good()
            + ("# portlint: disable=PL101" + " ,a" * 20000 + " !\n") * 5},
     exit=(1,), extra=(("bad/compose.yaml", 5, "PL101"),))
case("ansible-sniff-blank-lines",
     files={"bad/blank.yml": "\n" * 20000 + "x: 1\n",
            "bad/spaces.yml": " \n" * 10000 + "- hosts: all\n"},
     exit=(1,))
case("compose-sniff-long-line",
     files={"bad/long.yaml": "services" + " " * 300000 + "x\n"},
     exit=(1, 2))

# ---- firewall YAML ----
case("firewall-reversed-port-range",
     files={"bad/x.firewall.yaml": FW_HEAD + fw_rule("bad", "9-1") + fw_rule()},
     bad=(Bad("bad/x.firewall.yaml", (5, 8)),), extra=(("bad/x.firewall.yaml", 10, "PL101"),))
case("firewall-cidr-300",
     files={"bad/x.firewall.yaml": FW_HEAD + fw_rule("bad", 80).replace("[any]", "[300.1.1.1/33]") + fw_rule()},
     bad=(Bad("bad/x.firewall.yaml", (5, 9)),), extra=(("bad/x.firewall.yaml", 10, "PL101"),))
case("firewall-rule-is-a-string",
     files={"bad/x.firewall.yaml": FW_HEAD + "    - allow everything\n" + fw_rule()},
     bad=(Bad("bad/x.firewall.yaml", (5,)),), extra=(("bad/x.firewall.yaml", 6, "PL101"),))
case("firewall-ports-superscript",
     files={"bad/x.firewall.yaml": FW_HEAD + fw_rule("bad", '["²"]') + fw_rule()},
     bad=(Bad("bad/x.firewall.yaml", (5, 8)),), extra=(("bad/x.firewall.yaml", 10, "PL101"),))
case("firewall-rules-not-a-list",
     files={"bad/x.firewall.yaml": FW_HEAD.replace("rules:\n", "rules: everything\n")},
     bad=(Bad("bad/x.firewall.yaml", (4,)),))
case("firewall-billion-laughs",
     files={"bad/x.firewall.yaml": laughs() + FW_HEAD + fw_rule()},
     bad=(Bad("bad/x.firewall.yaml", tuple(range(1, 12))),))
case("firewall-group-cycle",
     files={"bad/x.firewall.yaml": "firewall:\n  name: bad\n  default: deny\n  groups:\n    a: ['@b']\n"
                                   "    b: ['@a']\n  rules:\n" + fw_rule("bad", 80).replace("[any]", "['@a']")},
     bad=(Bad("bad/x.firewall.yaml", (5, 6, 8, 12)),))
case("firewall-duplicate-rule-key",
     files={"bad/x.firewall.yaml": FW_HEAD + fw_rule().replace("      sources: [any]\n",
                                                               "      sources: [any]\n      sources: [10.0.0.0/8]\n")},
     bad=(Bad("bad/x.firewall.yaml", (10,), "duplicate"),))
case("firewall-many-documents",
     files={"bad/x.firewall.yaml": FW_HEAD + fw_rule() + "---\n{}\n" * 12000},
     bad=(Bad("bad/x.firewall.yaml", None, "yaml_documents"),))

# ---- Kubernetes ----
case("kubernetes-superscript-port",
     files={"bad/k.yaml": k8s_service("bad", '"²"') + "---\n" + k8s_service()},
     bad=(Bad("bad/k.yaml", (1, 9)),), extra=(("bad/k.yaml", 19, "PL101"),))
case("kubernetes-port-out-of-range",
     files={"bad/k.yaml": k8s_service("bad", 70000) + "---\n" + k8s_service()},
     bad=(Bad("bad/k.yaml", (1, 9)),), extra=(("bad/k.yaml", 19, "PL101"),))
case("kubernetes-ports-not-a-list",
     files={"bad/k.yaml": k8s_service() + "---\n" + k8s_service("bad").replace("    - port: 5432\n", "    6379\n")},
     bad=(Bad("bad/k.yaml", (11, 18)),), extra=(("bad/k.yaml", 9, "PL101"),))
case("kubernetes-billion-laughs-beside-good-document",
     files={"bad/k.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n" + laughs("  ")
            + "---\n" + k8s_service()},
     bad=(Bad("bad/k.yaml", tuple(range(1, 17))),), extra=(("bad/k.yaml", 25, "PL101"),))
case("kubernetes-duplicate-spec",
     files={"bad/k.yaml": k8s_service() + "spec: {}\n"},
     bad=(Bad("bad/k.yaml", (10,), "duplicate"),))
case("kubernetes-syntax-error-in-one-document",
     files={"bad/k.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: [\n---\n" + k8s_service()},
     bad=(Bad("bad/k.yaml", (3, 4)),), extra=(("bad/k.yaml", 13, "PL101"),))
case("kubernetes-python-tag",
     files={"bad/k.yaml": "apiVersion: v1\nkind: Service\nmetadata: !!python/object/apply:os.system ['touch PWNED']\n"
            "---\n" + k8s_service()},
     bad=(Bad("bad/k.yaml", (1, 3)),), extra=(("bad/k.yaml", 13, "PL101"),))

# ---- CloudFormation ----
case("cloudformation-json-truncated",
     files={"bad/t.json": '{"AWSTemplateFormatVersion": "2010-09-09",\n "Resources": {"X": {"Type": "AWS::EC2::Se'},
     bad=(Bad("bad/t.json", (2,)),))
case("cloudformation-json-lone-brace-quote",
     files={"bad/t.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"',
            "bad/t2.json": "{\n" * 1 + '"AWSTemplateFormatVersion": "2010-09-09",\n"Resources": {"'},
     bad=(Bad("bad/t.json", (1,)),))
case("cloudformation-json-deep-nesting",
     files={"bad/t.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"X": '
                          + "[" * 100000 + "]" * 100000 + "}}"},
     bad=(Bad("bad/t.json", (1,)),))
case("cloudformation-fromport-garbage",
     files={"bad/t.yaml": CFN_HEAD + cfn_sg("BadSG", "abc") + cfn_sg()},
     bad=(Bad("bad/t.yaml", (3, 8, 9)),), extra=(("bad/t.yaml", 17, "PL101"),))
case("cloudformation-cidr-300",
     files={"bad/t.yaml": CFN_HEAD + cfn_sg("BadSG", 80, "300.1.1.1/33") + cfn_sg()},
     bad=(Bad("bad/t.yaml", (3, 8, 11)),), extra=(("bad/t.yaml", 17, "PL101"),))
case("cloudformation-ingress-is-a-string",
     files={"bad/t.yaml": CFN_HEAD + "  BadSG:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n"
            "      SecurityGroupIngress: everything\n" + cfn_sg()},
     bad=(Bad("bad/t.yaml", (3, 6)),), extra=(("bad/t.yaml", 12, "PL101"),))
case("cloudformation-reversed-ports",
     files={"bad/t.yaml": CFN_HEAD + cfn_sg("BadSG", 100).replace("ToPort: 100", "ToPort: 1") + cfn_sg()},
     bad=(Bad("bad/t.yaml", (3, 8, 9, 10)),), extra=(("bad/t.yaml", 17, "PL101"),))
case("cloudformation-billion-laughs",
     files={"bad/t.yaml": CFN_HEAD.replace("Resources:\n", "Metadata:\n" + laughs("  ") + "Resources:\n") + cfn_sg()},
     bad=(Bad("bad/t.yaml", tuple(range(2, 14))),))
case("cloudformation-python-tag",
     files={"bad/t.yaml": CFN_HEAD + "  BadSG: !!python/object/apply:os.system ['touch PWNED']\n" + cfn_sg()},
     bad=(Bad("bad/t.yaml", (3,)),), extra=(("bad/t.yaml", 9, "PL101"),))

# ---- Ansible ----
case("ansible-superscript-port",
     files={"bad/play.yml": PLAY_HEAD + ufw_task("bad", '"²"') + ufw_task()},
     bad=(Bad("bad/play.yml", (3, 6)),), extra=(("bad/play.yml", 8, "PL101"),))
case("ansible-reversed-port-range",
     files={"bad/play.yml": PLAY_HEAD + ufw_task("bad", '"9:1"') + ufw_task()},
     bad=(Bad("bad/play.yml", (3, 6)),), extra=(("bad/play.yml", 8, "PL101"),))
case("ansible-billion-laughs",
     files={"bad/play.yml": "- hosts: all\n  vars:\n" + laughs("    ") + "  tasks:\n" + ufw_task()},
     bad=(Bad("bad/play.yml", tuple(range(2, 14))),))
case("ansible-task-is-a-string",
     files={"bad/play.yml": PLAY_HEAD + "    - community.general.ufw: allow everything\n" + ufw_task()},
     bad=(Bad("bad/play.yml", (3,)),), extra=(("bad/play.yml", 4, "PL101"),))
case("ansible-python-tag",
     files={"bad/play.yml": PLAY_HEAD + "    - name: x\n      community.general.ufw: "
                            "!!python/object/apply:os.system ['touch PWNED']\n" + ufw_task()},
     bad=(Bad("bad/play.yml", (3, 4)),), extra=(("bad/play.yml", 5, "PL101"),))

# ---- Terraform ----
RDP = sg("rdp", 3389)
case("terraform-json-truncated-beside-good-module-file",
     files={"bad/tf/bad.tf.json": '{"', "bad/tf/good.tf": RDP},
     bad=(Bad("bad/tf/bad.tf.json", (1,)),), extra=(("bad/tf/good.tf", 2, "PL101"),))
case("terraform-syntax-error-beside-good-module-file",
     files={"bad/tf/bad.tf": 'resource "aws_security_group" "x" {\n  ingress {\n', "bad/tf/good.tf": RDP},
     bad=(Bad("bad/tf/bad.tf", (1, 2, 3)),), extra=(("bad/tf/good.tf", 2, "PL101"),))
case("terraform-protocol-garbage",
     files={"bad/tf/main.tf": sg("bad", 80).replace('"tcp"', '"--6"') + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2, 5)),), extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-for-each-zero",
     files={"bad/tf/main.tf": 'resource "aws_security_group" "bad" {\n  for_each = 0\n}\n' + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2)),), extra=(("bad/tf/main.tf", 5, "PL101"),))
case("terraform-setunion-no-args",
     files={"bad/tf/main.tf": sg("bad", 80).replace('["0.0.0.0/0"]', "setunion()") + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2, 6)),), extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-gcp-allow-is-a-string",
     files={"bad/tf/bad.tf": 'resource "google_compute_firewall" "bad" {\n  name    = "bad"\n  network = "default"\n'
                             '  allow = "var.backends"\n  source_ranges = ["0.0.0.0/0"]\n}\n',
            "bad/tf/good.tf": 'resource "google_compute_firewall" "ssh" {\n  name    = "ssh"\n  network = "default"\n'
                              '  allow {\n    protocol = "tcp"\n    ports    = ["22"]\n  }\n'
                              '  source_ranges = ["0.0.0.0/0"]\n}\n'},
     bad=(Bad("bad/tf/bad.tf", (4,), "allow must be a block"),), extra=(("bad/tf/good.tf", 4, "PL101"),))
case("terraform-count-hundred-million",
     files={"bad/tf/main.tf": sg("bad", 80, extra="").replace("{\n  ingress", "{\n  count = 100000000\n  ingress", 1)
            + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2), "tf_collection"),), extra=(("bad/tf/main.tf", SG_LINES + 3, "PL101"),))
case("terraform-nested-for",
     files={"bad/tf/main.tf": 'locals {\n  cube = [for a in range(1000) : [for b in range(1000) : '
                              '[for c in range(1000) : c]]]\n}\n'
                              + sg("bad", 80).replace('["0.0.0.0/0"]', "local.cube[0][0]") + RDP},
     bad=(Bad("bad/tf/main.tf", (2,)), Bad("bad/tf/main.tf", (4, 9))),
     extra=(("bad/tf/main.tf", 3 + SG_LINES + 2, "PL101"),))
case("terraform-pow-bomb",
     files={"bad/tf/main.tf": sg("bad", 80).replace("from_port   = 80", "from_port   = pow(10, 100000000)") + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 3)),), extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-format-width-bomb",
     files={"bad/tf/main.tf": sg("bad", 80).replace('["0.0.0.0/0"]', '[format("%099999999d", 1)]') + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2, 6)),), extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-string-doubling",
     files={"bad/tf/main.tf": 'locals {\n  s0 = "xxxxxxxxxxxxxxxx"\n'
                              + "".join(f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"\n' for i in range(1, 40))
                              + "}\n" + sg("bad", 80).replace('["0.0.0.0/0"]', "[local.s39]") + RDP},
     bad=(Bad("bad/tf/main.tf", None, "portlint_max_tf_"),), extra=(("bad/tf/main.tf", 42 + SG_LINES + 2, "PL101"),))
case("terraform-list-doubling",
     files={"bad/tf/main.tf": 'locals {\n  l0 = ["a", "b"]\n'
                              + "".join(f"  l{i} = concat(local.l{i - 1}, local.l{i - 1})\n" for i in range(1, 40))
                              + "}\n" + sg("bad", 80).replace('["0.0.0.0/0"]', "local.l39") + RDP},
     bad=(Bad("bad/tf/main.tf", None, "portlint_max_tf_"),), extra=(("bad/tf/main.tf", 42 + SG_LINES + 2, "PL101"),))
case("terraform-range-huge",
     files={"bad/tf/main.tf": 'locals {\n  r = range(1000000000000)\n}\n'
                              + sg("bad", 80).replace('["0.0.0.0/0"]', '[for i in local.r : "10.0.0.${i % 250}/32"]')
                              + RDP},
     bad=(Bad("bad/tf/main.tf", (2,)), Bad("bad/tf/main.tf", (4, 5, 9))),
     extra=(("bad/tf/main.tf", 3 + SG_LINES + 2, "PL101"),))
case("terraform-dynamic-block-fanout",
     files={"bad/tf/main.tf": 'resource "aws_security_group" "bad" {\n  dynamic "ingress" {\n'
                              "    for_each = range(100000000)\n    content {\n      from_port = 80\n      to_port = 80\n"
                              '      protocol = "tcp"\n      cidr_blocks = ["0.0.0.0/0"]\n    }\n  }\n}\n' + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2, 3)),), extra=(("bad/tf/main.tf", 13, "PL101"),))
case("terraform-local-cycle",
     files={"bad/tf/main.tf": 'locals {\n  a = local.b\n  b = local.a\n}\n'
                              + sg("bad", 80).replace('["0.0.0.0/0"]', "[local.a]") + RDP},
     exit=(1, 2), extra=(("bad/tf/main.tf", 4 + SG_LINES + 2, "PL101"),))
case("terraform-cidr-300",
     files={"bad/tf/main.tf": sg("bad", 80, "300.1.1.1/33") + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2, 6)),), extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-reversed-ports",
     files={"bad/tf/main.tf": sg("bad", 80).replace("to_port     = 80", "to_port     = 1") + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2, 3, 4)),), extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-binary-file",
     files={"bad/tf/bad.tf": b'resource "x" "y" {\x00\x01\x02}\n', "bad/tf/good.tf": RDP},
     bad=(Bad("bad/tf/bad.tf", None),), extra=(("bad/tf/good.tf", 2, "PL101"),))
case("terraform-module-source-outside",
     files={"bad/tf/main.tf": 'module "m" {\n  source = "../../../outside/mod"\n}\n' + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2), "outside"),), extra=(("bad/tf/main.tf", 5, "PL101"),))
case("terraform-module-source-absolute",
     setup=lambda tree, outside: (tree / "bad/tf").mkdir(parents=True) or (tree / "bad/tf/main.tf").write_text(
         f'module "m" {{\n  source = "{outside / "mod"}"\n}}\n' + RDP),
     bad=(Bad("bad/tf/main.tf", (1, 2), "outside"),), extra=(("bad/tf/main.tf", 5, "PL101"),))
case("terraform-module-source-symlink-out",
     files={"bad/tf/main.tf": 'module "m" {\n  source = "./link"\n}\n' + RDP,
            "bad/tf/link": Link("../../../outside/mod")},
     bad=(Bad("bad/tf/main.tf", (1, 2), "outside"), Bad("bad/tf/link", None, "outside")),
     extra=(("bad/tf/main.tf", 5, "PL101"),))
case("terraform-file-function-outside", exit=(1, 2),  # 1: file() is never evaluated, so nothing is read
     files={"bad/tf/main.tf": sg("bad", 80).replace('["0.0.0.0/0"]', '[file("../../../outside/secret.txt")]') + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2, 6), "outside"),), extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-templatefile-outside", exit=(1, 2),
     files={"bad/tf/main.tf": sg("bad", 80).replace('["0.0.0.0/0"]', '[templatefile("/etc/passwd", {})]') + RDP},
     bad=(Bad("bad/tf/main.tf", (1, 2, 6), "outside"),), extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-file-function-dev-zero", exit=(1, 2),
     files={"bad/tf/main.tf": sg("bad", 80).replace('["0.0.0.0/0"]', '[file("zero")]') + RDP,
            "bad/tf/zero": Link("/dev/zero")},
     bad=(Bad("bad/tf/main.tf", (1, 2, 6)), Bad("bad/tf/zero", None)),
     extra=(("bad/tf/main.tf", SG_LINES + 2, "PL101"),))
case("terraform-tfvars-fifo",
     files={"bad/tf/main.tf": 'variable "cidr" {\n  default = "0.0.0.0/0"\n}\n' + RDP, "bad/tf/terraform.tfvars": FIFO},
     bad=(Bad("bad/tf/terraform.tfvars", None),), extra=(("bad/tf/main.tf", 5, "PL101"),))
case("terraform-tfvars-dev-zero",
     files={"bad/tf/main.tf": 'variable "cidr" {\n  default = "0.0.0.0/0"\n}\n' + RDP,
            "bad/tf/terraform.tfvars": Link("/dev/zero")},
     bad=(Bad("bad/tf/terraform.tfvars", None),), extra=(("bad/tf/main.tf", 5, "PL101"),))
case("terraform-tfvars-outside",
     files={"bad/tf/main.tf": 'variable "cidr" {\n  default = "0.0.0.0/0"\n}\n' + RDP,
            "bad/tf/terraform.tfvars": Link("../../../outside/secret.tfvars")},
     bad=(Bad("bad/tf/terraform.tfvars", None, "outside"),), extra=(("bad/tf/main.tf", 5, "PL101"),))
case("terraform-tfvars-syntax-error",
     files={"bad/tf/main.tf": 'variable "cidr" {\n  default = "0.0.0.0/0"\n}\n' + RDP,
            "bad/tf/terraform.tfvars": 'cidr = "10.0.0.0/8"\nport = [\n'},
     bad=(Bad("bad/tf/terraform.tfvars", (2, 3)),), extra=(("bad/tf/main.tf", 5, "PL101"),))
case("terraform-module-cycle",
     files={"bad/a/main.tf": 'module "b" {\n  source = "../b"\n}\n' + RDP,
            "bad/b/main.tf": 'module "a" {\n  source = "../a"\n}\n'},
     bad=(Bad("bad/a/main.tf", (1, 2), "cycle"), Bad("bad/b/main.tf", (1, 2), "cycle")),
     extra=(("bad/a/main.tf", 5, "PL101"),))
case("terraform-module-self-source",
     files={"bad/a/main.tf": 'module "me" {\n  source = "./"\n}\n' + RDP},
     bad=(Bad("bad/a/main.tf", (1, 2)),), extra=(("bad/a/main.tf", 5, "PL101"),))
case("terraform-module-fanout",
     files={"bad/root/main.tf": 'module "m" {\n  source = "../m1"\n  count = 200\n}\n' + RDP,
            "bad/m1/main.tf": 'module "m" {\n  source = "../m2"\n  count = 200\n}\n',
            "bad/m2/main.tf": 'module "m" {\n  source = "../m3"\n  count = 200\n}\n',
            "bad/m3/main.tf": sg("leaf", 8080)},
     bad=(Bad("bad/root/main.tf", None, "tf_module_instances"), Bad("bad/m1/main.tf", None, "tf_module_instances"),
          Bad("bad/m2/main.tf", None, "tf_module_instances")),
     extra=(("bad/root/main.tf", 6, "PL101"),))
case("terraform-module-depth",
     files={**{f"bad/m{i}/main.tf": f'module "next" {{\n  source = "../m{i + 1}"\n}}\n' for i in range(30)},
            "bad/m30/main.tf": sg("leaf", 8080), "bad/m0/good.tf": RDP},
     bad=tuple(Bad(f"bad/m{i}/main.tf", (1, 2), "tf_module_depth") for i in range(31)),
     extra=(("bad/m0/good.tf", 2, "PL101"),))
case("terraform-json-deep-nesting",
     files={"bad/tf/bad.tf.json": '{"locals": {"x": ' + "[" * 100000 + "]" * 100000 + "}}", "bad/tf/good.tf": RDP},
     bad=(Bad("bad/tf/bad.tf.json", (1,)),), extra=(("bad/tf/good.tf", 2, "PL101"),))
case("terraform-deep-expression-nesting",  # valid HCL, so a finding or an error at the line are both right
     files={"bad/tf/bad.tf": sg("bad", 80).replace("from_port   = 80", "from_port   = " + "(" * 5000 + "80"
                                                   + ")" * 5000),
            "bad/tf/good.tf": RDP},
     exit=(1, 2), bad=(Bad("bad/tf/bad.tf", (1, 3)),), extra=(("bad/tf/good.tf", 2, "PL101"),))

# ---- files, links and folders ----
case("symlink-to-itself",
     files={"bad/loop.yaml": Link("loop.yaml"), "bad/loop.tf": Link("loop.tf")},
     bad=(Bad("bad/loop.yaml", None), Bad("bad/loop.tf", None)))
case("symlink-folder-loop",
     files={"bad/a/compose.yaml": "services:\n" + compose_good(), "bad/a/b": Link("..")},
     bad=(Bad("bad/a/b", None), Bad("bad/a/b/a", None)), extra=(("bad/a/compose.yaml", 5, "PL101"),))
case("symlink-folder-leaves-tree",
     files={"bad/linked": Link("../../outside")},
     bad=(Bad("bad/linked", None, "outside"),))
case("symlink-file-leaves-tree",
     files={"bad/leak.tf": Link("../../outside/secret.tf")},
     bad=(Bad("bad/leak.tf", None, "outside"),))
case("symlink-compose-to-dev-zero",
     files={"bad/docker-compose.yml": Link("/dev/zero")},
     bad=(Bad("bad/docker-compose.yml", None),))
case("fifo-compose-file",
     files={"bad/compose.yaml": FIFO},
     bad=(Bad("bad/compose.yaml", None),))
case("fifo-sniffed-yaml",  # an unclaimed name: reading its head must not block either
     files={"bad/data.yaml": FIFO},
     exit=(1, 2))
case("deep-folders",
     setup=lambda tree, outside: deep_dirs(tree, 100),
     bad=(Bad("deep/d/*", None, "depth"),))
case("folders-beyond-os-path-limit",
     setup=lambda tree, outside: deep_dirs(tree, 900, "aaaaaaa"),
     env={"PORTLINT_MAX_DEPTH": "5000"},
     bad=(Bad("deep/aaaaaaa/*", None),))
case("too-many-files",
     files={f"bad/many/f{i}.tf": "" for i in range(120)},
     env={"PORTLINT_MAX_FILES": "60"}, keep_good=False,  # files past the limit are not read
     bad=(Bad("*", None, "portlint_max_files"),))
case("file-name-with-newline-and-escape",
     files={"bad/evil\n::error file=FORGED.tf,line=1::owned\x1b[2J.yaml": "services:\n" + compose_good()},
     exit=(1,), extra=(("bad/evil\n::error file=FORGED.tf,line=1::owned\x1b[2J.yaml", 5, "PL101"),))
case("file-name-not-utf8",
     files={b"bad/evil\xff.yaml": "services:\n" + compose_good()},
     exit=(1, 2))


# ---- configuration, rules, baselines ----
def _rule(code: str = "ACME901", message: str = "{resource} opens {ports}", ports: str = "[6379]") -> str:
    return (f"rules:\n  - code: {code}\n    name: acme-{code.lower()}\n    severity: high\n"
            "    summary: A rule planted by a hostile test.\n"
            f"    match:\n      ports: {ports}\n    message: \"{message}\"\n")


case("config-billion-laughs", abort_ok=True,
     files={".portlint.yaml": laughs() + "exclude: []\n"},
     bad=(Bad(".portlint.yaml", tuple(range(1, 12))),))
case("config-duplicate-key", abort_ok=True,
     files={".portlint.yaml": "fail-on: never\nfail-on: low\n"},
     bad=(Bad(".portlint.yaml", (2,), "duplicate"),))
case("config-python-tag", abort_ok=True,
     files={".portlint.yaml": "exclude: !!python/object/apply:os.system ['touch PWNED']\n"},
     bad=(Bad(".portlint.yaml", (1,)),))
case("config-not-utf8", abort_ok=True,
     files={".portlint.yaml": b"exclude: ['\xff']\n"},
     bad=(Bad(".portlint.yaml", (1,)),))
case("config-is-fifo", abort_ok=True,
     files={".portlint.yaml": FIFO},
     bad=(Bad(".portlint.yaml", None),))
case("config-rules-dir-outside",
     files={".portlint.yaml": "rules-dir: [../outside/rules]\n"},
     bad=(Bad(".portlint.yaml", (1,), "outside"),))
case("rules-dir-entry-links-outside",
     files={".portlint.yaml": "rules-dir: [rules]\n", "rules/evil.yaml": Link("../../outside/rules/secret.yaml")},
     bad=(Bad("rules/evil.yaml", None, "outside"),))
case("rule-file-billion-laughs", abort_ok=True,
     files={".portlint.yaml": "rules-dir: [rules]\n", "rules/r.yaml": laughs() + _rule()},
     bad=(Bad("rules/r.yaml", tuple(range(1, 12))),))
case("rule-reversed-port-range", abort_ok=True,
     files={".portlint.yaml": "rules-dir: [rules]\n", "rules/r.yaml": _rule(ports='["9-1"]')},
     bad=(Bad("rules/r.yaml", (7,)),))
case("rule-message-attribute-access", abort_ok=True,
     files={".portlint.yaml": "rules-dir: [rules]\n",
            "rules/r.yaml": _rule(message="{resource.__class__.__mro__} {ports.__class__}")},
     bad=(Bad("rules/r.yaml", (8,)),),
     check=lambda r, tree: _not_in_output(r, "<class", "<module", "<built-in"))
case("rule-message-format-width", abort_ok=True,
     files={".portlint.yaml": "rules-dir: [rules]\n", "rules/r.yaml": _rule(message="{resource:>999999999}")},
     bad=(Bad("rules/r.yaml", (8,)),))
case("rule-message-positional-index", abort_ok=True,
     files={".portlint.yaml": "rules-dir: [rules]\n", "rules/r.yaml": _rule(message="{0} {resource[0]}")},
     bad=(Bad("rules/r.yaml", (8,)),))
case("baseline-truncated-json", abort_ok=True,
     files={"baseline.json": '{"'}, args=("check", "-f", "json", "--baseline", "baseline.json", "."),
     bad=(Bad("baseline.json", (1,)),))
case("baseline-wrong-shape", abort_ok=True,
     files={"baseline.json": '[1, 2, {"fingerprint": [[]]}]\n'},
     args=("check", "-f", "json", "--baseline", "baseline.json", "."),
     bad=(Bad("baseline.json", None),))
case("baseline-fifo", abort_ok=True,
     files={"baseline.json": FIFO}, args=("check", "-f", "json", "--baseline", "baseline.json", "."),
     bad=(Bad("baseline.json", None),))
case("baseline-deep-nesting", abort_ok=True,
     files={"baseline.json": "[" * 100000 + "]" * 100000},
     args=("check", "-f", "json", "--baseline", "baseline.json", "."),
     bad=(Bad("baseline.json", (1,)),))


# ---- output files ----
def _unchanged(path: str, content: str):
    def check(result, tree):
        target = tree / path
        assert target.read_text() == content, f"{path} was overwritten"
        assert not (tree / path).is_symlink() or (tree / path).resolve().read_text() == content
    return check


def _victim_intact(result, tree):
    assert (tree.parent / "outside/victim.txt").read_text() == "victim\n", "wrote through a planted symlink"


case("output-through-planted-symlink",
     files={"out.json": Link("../outside/victim.txt")}, args=("check", "-f", "json", "-o", "out.json", "."),
     json=False, named="out.json", check=_victim_intact)
case("report-through-planted-symlink",
     files={"report.sarif": Link("../outside/victim.txt")},
     args=("check", "-f", "json", "--report", "sarif:report.sarif", "."),
     json=False, named="report.sarif", check=_victim_intact)
case("write-baseline-through-planted-symlink",
     files={"bl.json": Link("../outside/victim.txt")},
     args=("check", "-f", "json", "--write-baseline", "bl.json", "."),
     json=False, named="bl.json", check=_victim_intact)
case("output-onto-checked-file",
     args=("check", "-f", "json", "-o", "good/compose.yaml", "."),
     json=False, named="good/compose.yaml", check=_unchanged("good/compose.yaml", GOOD_FILES["good/compose.yaml"]))
case("report-onto-checked-file",
     args=("check", "-f", "json", "--report", "junit:good/tf/main.tf", "."),
     json=False, named="good/tf/main.tf", check=_unchanged("good/tf/main.tf", GOOD_FILES["good/tf/main.tf"]))
case("output-write-failure",
     files={"afile": "x\n"}, args=("check", "-f", "json", "-o", "afile/out.json", "."),
     json=False, named="afile")


# ---- formatter injection ----
EVIL_NAME = "evil\x1b[31m\x07\r\n::error file=FORGED.tf,line=1::owned <img src=x onerror=alert(1)> ]]></x>&amp;"


def _yaml_dq(text: str) -> str:
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\x{ord(c):02x}" if ord(c) < 256
                         else c for c in text) + '"'


EVIL_COMPOSE = f"services:\n  {_yaml_dq(EVIL_NAME)}:\n    image: redis\n    ports:\n      - \"6379:6379\"\n"


def _not_in_output(result, *needles):
    text = result.stdout + result.stderr
    for needle in needles:
        assert needle not in text, f"{needle!r} in the output"


def _no_raw_controls(result, tree):
    for ch in "\x1b\x07\r":
        assert ch not in result.stdout, f"raw {ch!r} in the output"
    assert "bad/compose.yaml:5:" in result.stdout, "the hostile file's finding vanished"


def _no_forged_command(result, tree):
    for line in result.stdout.splitlines():
        assert not line.lstrip().startswith("::error file=FORGED"), f"forged workflow command: {line!r}"
    assert "\x1b" not in result.stdout


def _no_raw_html(result, tree):
    assert "<img" not in result.stdout.lower(), "raw HTML in Markdown output"
    assert "\x1b" not in result.stdout


def _valid_xml(result, tree):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(result.stdout)
    assert not list(root.iter("x")), "an injected element"
    assert "\x1b" not in result.stdout


for fmt, checker in (("text", _no_raw_controls), ("github", _no_forged_command), ("markdown", _no_raw_html),
                     ("junit", _valid_xml), ("gitlab", None), ("sarif", None)):
    case(f"format-{fmt}-hostile-service-name",
         files={"bad/compose.yaml": EVIL_COMPOSE}, args=("check", "-f", fmt, "."), json=False, exit=(1,),
         check=checker or (lambda r, tree: __import__("json").loads(r.stdout)))
case("format-table-hostile-service-name",
     files={"bad/compose.yaml": EVIL_COMPOSE}, args=("inventory", "-f", "table", "."), json=False, exit=(0,),
     check=lambda r, tree: _not_in_output(r, "\x1b", "\x07", "\r"))
case("format-json-hostile-service-name",
     files={"bad/compose.yaml": EVIL_COMPOSE}, exit=(1,), extra=(("bad/compose.yaml", 5, "PL101"),))
case("format-github-hostile-file-name",
     files={"bad/x\n::error file=FORGED.tf::owned.yaml": "services:\n" + compose_good()},
     args=("check", "-f", "github", "."), json=False, exit=(1,), check=_no_forged_command)
case("format-text-hostile-error-message",  # the error message quotes the hostile value
     files={"bad/compose.yaml": 'services:\n  web:\n    image: nginx\n    ports:\n'
                                '      - "\\e[2J\\n::error file=FORGED.tf::x:80"\n'},
     args=("check", "-f", "github", "."), json=False, exit=(2,), check=_no_forged_command)


# ---- code execution from the checked folder ----
PLANT = "open('PWNED', 'w').write('ran')\n"


def _plant(tree, outside):
    dist = tree / "evil_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evil-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[portlint.rules]\nevil = evil_mod:Rule\n[portlint.parsers]\nevil = evil_mod:Parser\n"
        "[portlint.formatters]\nevil = evil_mod:render\n")
    (tree / "evil_mod.py").write_text(PLANT)
    for name in ("yaml.py", "click.py", "hcl2.py", "lark.py", "jsonschema.py"):
        (tree / name).write_text(PLANT)
    (tree / "sitecustomize.py").write_text(PLANT)
    (tree / "usercustomize.py").write_text(PLANT)


case("planted-entry-points-in-cwd", setup=_plant, exit=(1,))
case("planted-entry-points-in-cwd-console-script", setup=_plant, exit=(1,), console=True)
case("planted-plugin-via-config", abort_ok=True,  # an unknown key: the configuration may be refused whole
     files={".portlint.yaml": "plugins: [evil_mod]\nrules-dir: [.]\n", "evil_mod.py": PLANT},
     exit=(1, 2), bad=(Bad(".portlint.yaml", (1, 2)),))


# ---- attacker review, first batch (tests/hostile/test_review_fixes_a.py) ----
_REDOS = "*a*a*a*a*a*a*a*a*a*a*a*a*a*ac"
_LONG_DIR = "bad/" + "a" * 200
_WEB = 'services:\n  web:\n    image: redis\n    ports: ["6380:6379"]\n'
case("cfg-exclude-redos", exit=(1,), extra=((f"{_LONG_DIR}/compose.yaml", 4, "PL101"),),
     files={".portlint.yaml": f'exclude: ["{_REDOS}"]\n', f"{_LONG_DIR}/compose.yaml": _WEB})
case("cfg-per-file-ignores-redos", exit=(1,), extra=((f"{_LONG_DIR}/compose.yaml", 4, "PL101"),),
     files={".portlint.yaml": f'per-file-ignores:\n  "{_REDOS}": [PL101]\n', f"{_LONG_DIR}/compose.yaml": _WEB})
case("cfg-accept-file-redos", exit=(1,), extra=((f"{_LONG_DIR}/compose.yaml", 4, "PL101"),),
     files={".portlint.yaml": f'accept:\n  - file: "{_REDOS}"\n    rules: [PL101]\n    reason: x\n',
            f"{_LONG_DIR}/compose.yaml": _WEB})
case("compose-duplicate-host-port-8000-entries", exit=(1,),  # pairwise PL303 took 39 s
     files={"bad/compose.yaml": "services:\n  web:\n    image: nginx\n    ports:\n"
                                + "".join(f'      - "{10000 + i}:{10000 + i}"\n' for i in range(8000))})
case("compose-env-doubling-bomb",  # 16 characters doubled 17 times: 2 MiB at line 18
     files={"bad/.env": "A=xxxxxxxxxxxxxxxx\n" + "A=${A}${A}\n" * 40 + "PORT=6379\n",
            "bad/compose.yaml": 'services:\n  web:\n    image: redis\n    ports: ["${PORT:-8080}:6379"]\n'},
     bad=(Bad("bad/.env", (18,), "env_value_bytes"),), extra=(("bad/compose.yaml", 4, "PL101"),))
case("compose-env-too-many-crlf-lines",
     files={"bad/.env": "".join(f"K{i}=v\r\n" for i in range(120_000)), "bad/compose.yaml": _WEB},
     bad=(Bad("bad/.env", (100_001,), "env_lines"),), extra=(("bad/compose.yaml", 4, "PL101"),))
case("tf-jsondecode-too-deep",
     files={"bad/jd/main.tf": ('resource "aws_security_group" "bad" {\n  ingress {\n    from_port = 80\n'
                               '    to_port = 80\n    protocol = "tcp"\n'
                               f'    cidr_blocks = [jsondecode("{"[" * 5000}{"]" * 5000}")]\n  }}\n}}\n')},
     bad=(Bad("bad/jd/main.tf", (2, 6), "yaml_depth"),))


# ---- attacker review, second batch (tests/hostile/test_review_fixes_b.py) ----
case("firewall-16000-rules", exit=(1,),  # every allow compared with every earlier deny: 36 s
     files={"bad/x.firewall.yaml": FW_HEAD + "".join(
         f"    - name: r{i}\n      action: {'allow' if i % 2 else 'deny'}\n      protocol: tcp\n"
         f"      ports: [{10000 + i}]\n      sources: [10.{i // 250}.{i % 250}.0/24]\n" for i in range(16_000))})
case("ansible-argument-list-and-mapping",
     files={"bad/play.yml": PLAY_HEAD + "    - name: bad\n      community.general.ufw:\n        rule: [allow]\n"
                            "        port: [1, 2]\n        from_ip: {a: 1}\n" + ufw_task()},
     bad=(Bad("bad/play.yml", (3, 5), "rule must be a string"),), extra=(("bad/play.yml", 8, "PL101"),))
case("tf-sg-rule-type-list",
     files={"bad/tf/main.tf": 'resource "aws_security_group_rule" "bad" {\n  type = ["ingress"]\n  from_port = 22\n'
                              '  to_port = 22\n  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n'
                              '  security_group_id = "x"\n}\n' + sg("ok", 3389)},
     bad=(Bad("bad/tf/main.tf", (2,), "type must be"),), extra=(("bad/tf/main.tf", 10, "PL101"),))
case("tf-count-and-for-each",
     files={"bad/tf/main.tf": 'resource "aws_security_group" "bad" {\n  count = 2\n  for_each = {a = 1}\n}\n'
                              + sg("ok", 3389)},
     bad=(Bad("bad/tf/main.tf", (2, 3), "cannot be used together"),), extra=(("bad/tf/main.tf", 6, "PL101"),))
case("tf-dynamic-iterator-number",
     files={"bad/tf/main.tf": 'resource "aws_security_group" "bad" {\n  dynamic "ingress" {\n    for_each = {a = 1}\n'
                              '    iterator = 5\n    content {}\n  }\n}\n' + sg("ok", 3389)},
     bad=(Bad("bad/tf/main.tf", (4,), "iterator"),), extra=(("bad/tf/main.tf", 9, "PL101"),))


# ---- attacker review, third batch: sniffing dodges (tests/hostile/test_review_fixes_c.py) ----
SNIFF_PAD = "#" + "x" * 300_000 + "\n"  # one line past the old 256 KiB sniffed head
case("k8s-sniff-padding", exit=(1,), files={"bad/svc.yaml": SNIFF_PAD + k8s_service()},
     extra=(("bad/svc.yaml", 10, "PL101"),))
case("cfn-sniff-padding", exit=(1,), files={"bad/cfn.yaml": SNIFF_PAD + CFN_HEAD + cfn_sg()},
     extra=(("bad/cfn.yaml", 9, "PL101"),))
case("k8s-flow-style", exit=(1,),
     files={"bad/svc.yaml": "{apiVersion: v1, kind: Service, metadata: {name: pg}, "
                            "spec: {type: LoadBalancer, ports: [{port: 5432}]}}\n"},
     extra=(("bad/svc.yaml", 1, "PL101"),))
case("k8s-quoted-keys", exit=(1,),
     files={"bad/svc.yaml": k8s_service().replace("apiVersion:", '"apiVersion":').replace("kind:", '"kind":')},
     extra=(("bad/svc.yaml", 9, "PL101"),))
case("k8s-json-manifest", exit=(1,),
     files={"bad/svc.json": '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pg"},\n'
                            ' "spec": {"type": "LoadBalancer", "ports": [\n  {"port": 5432}]}}\n'},
     extra=(("bad/svc.json", 3, "PL101"),))
case("ansible-flow-play", exit=(1,),
     files={"bad/play.yml": '- {hosts: db, tasks: [{name: x, community.general.ufw: {rule: allow, port: "5432"}}]}\n'},
     extra=(("bad/play.yml", 1, "PL101"),))
case("k8s-annotation-baits-ansible-and-cfn", exit=(1,),  # other parsers claimed the manifest and found nothing
     files={"bad/a.yaml": k8s_service().replace("  name: pg\n", "  name: pg\n  annotations:\n    n: |\n      - ufw: x\n"),
            "bad/c.yaml": k8s_service().replace("  name: pg\n", "  name: pg\n  annotations:\n"
                                                "    n: 'Resources: AWS::EC2::SecurityGroup'\n")},
     extra=(("bad/a.yaml", 12, "PL101"), ("bad/c.yaml", 11, "PL101")))
case("loose-words-in-data-files", exit=(1,),  # claimed by a loose test, not that format: no input error
     files={"data/broken.yaml": "{kind: fruit, apiVersion: 2, list: [1, 2\n",
            "data/broken.json": '{"kind": "fruit", "apiVersion": 2, "x": [1, 2\n',
            "data/ufw.yaml": "notes: {ufw: [unclosed\n",
            "data/cfn.json": '{"Resources": {"x": {"Type": "AWS::EC2::SecurityGroup"\n'})
