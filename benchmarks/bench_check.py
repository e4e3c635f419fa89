"""Measure portlint's speed and memory on a generated tree, and its start-up time.

    python3 benchmarks/bench_check.py [--files 2000] [--repeat 3]

Prints wall time, files per second and peak RSS for `portlint check` run in a
subprocess on a generated tree of Compose files and one of Terraform files
(variables, locals, a dynamic block each), plus the time of a cold
`portlint check` on a single small file (what a pre-commit hook pays). Numbers
vary with the machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = """services:
  web{i}:
    image: nginx
    ports:
      - "80:80"
      - "{bind}:{host}:{target}"
  db{i}:
    image: postgres:16
    expose: ["5432"]
    ports:
      - target: {target2}
        published: "{host2}"
        host_ip: {bind2}
"""


def make_tree(root: Path, files: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    binds = ["0.0.0.0", "127.0.0.1", "10.0.0.5", "::1"]
    ports = [22, 80, 443, 3306, 5432, 6379, 8080, 9200, 27017, 3389]
    for i in range(files):
        folder = root / f"svc{i // 50}" / f"app{i}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "docker-compose.yml").write_text(TEMPLATE.format(
            i=i, bind=rng.choice(binds), host=rng.randint(1024, 60000), target=rng.choice(ports),
            bind2=rng.choice(binds), host2=rng.randint(1024, 60000), target2=rng.choice(ports)))


TF_TEMPLATE = """variable "cidr" {{ default = "{cidr}" }}
variable "ports" {{ default = [{p1}, {p2}] }}
locals {{ name = "svc-{i}" }}

resource "aws_security_group" "sg_{i}" {{
  name = local.name
  dynamic "ingress" {{
    for_each = var.ports
    content {{
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = [var.cidr]
    }}
  }}
}}

resource "aws_s3_bucket" "logs_{i}" {{
  bucket = "${{local.name}}-logs"
  tags   = {{ owner = "team-{i}" }}
}}
"""


def make_terraform_tree(root: Path, files: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    ports = [22, 80, 443, 3306, 5432, 6379, 8080, 9200, 27017, 3389]
    for i in range(files):
        folder = root / f"stack{i // 4}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"sg{i}.tf").write_text(TF_TEMPLATE.format(
            i=i, cidr=rng.choice(["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24"]),
            p1=rng.choice(ports), p2=rng.choice(ports)).replace("variable \"cidr\"", f"variable \"cidr{i}\"")
            .replace("var.cidr]", f"var.cidr{i}]").replace("variable \"ports\"", f"variable \"ports{i}\"")
            .replace("var.ports\n", f"var.ports{i}\n"))


def timed_run(args: list[str], cwd: Path, expect_files: int | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one portlint process (this checkout's code)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "portlint", *args], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1) or proc.stderr:
        raise SystemExit(f"portlint failed ({proc.returncode}): {proc.stderr}")
    if expect_files is not None:
        files = json.loads(proc.stdout)["summary"]["files_scanned"]
        if files != expect_files:
            raise SystemExit(f"portlint scanned {files} files, expected {expect_files}")
    return elapsed, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--terraform-files", type=int, default=200)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_tree(root / "tree", opts.files)
        small = root / "small"
        small.mkdir()
        (small / "compose.yaml").write_text('services:\n  db:\n    ports: ["5432:5432"]\n')

        big = [timed_run(["check", "--format", "json", "tree"], root, expect_files=opts.files)
               for _ in range(opts.repeat)]
        make_terraform_tree(root / "tf", opts.terraform_files)
        tf = [timed_run(["check", "--format", "json", "tf"], root, expect_files=opts.terraform_files)
              for _ in range(opts.repeat)]
        cold = [timed_run(["check", "compose.yaml"], small)[0] for _ in range(max(5, opts.repeat))]
        best = min(t for t, _ in big)
        print(f"tree: {opts.files} compose files, best of {opts.repeat}: {best:.2f} s "
              f"({opts.files / best:,.0f} files/s), median {statistics.median(t for t, _ in big):.2f} s")
        print(f"peak RSS of one run: {max(m for _, m in big) / 1024:.1f} MiB")
        tf_best = min(t for t, _ in tf)
        print(f"terraform: {opts.terraform_files} .tf files, best of {opts.repeat}: {tf_best:.2f} s "
              f"({opts.terraform_files / tf_best:,.0f} files/s); peak RSS {max(m for _, m in tf) / 1024:.1f} MiB")
        print(f"cold start, one small file: median {statistics.median(cold) * 1000:.0f} ms, "
              f"best {min(cold) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
