"""One small file, cold: median wall and CPU time of ``portlint check --no-cache`` over N runs.

    python3 benchmarks/cold_start.py                 # 20 runs each of a Compose file and a .tf file
    python3 benchmarks/cold_start.py --runs 40 --python /path/to/python

The two commands alternate (so a busy machine slows both alike); no configuration
file is found (the files are written to a fresh temporary folder); the load
average is printed beside the figures. Targets (issue 14): Compose <= 150 ms wall,
.tf <= 250 ms wall, medians of 20.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMPOSE = """services:
  web:
    image: nginx:1.25
    ports:
      - "8080:80"
  db:
    image: postgres:16
    ports:
      - "5432:5432"
"""

TF = """resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def run_once(python: str, path: Path, env: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([python, "-m", "portlint", "check", "--no-cache", path.name], cwd=path.parent, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"portlint failed on {path.name}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PORTLINT_CONFIG", None)
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for kind, name, text in (("compose", "compose.yaml", COMPOSE), ("tf", "main.tf", TF)):
            folder = Path(tmp, kind)
            folder.mkdir()
            (folder / name).write_text(text)
            files[kind] = folder / name
        for path in files.values():  # warm the byte-code and the grammar cache, as on a used machine
            run_once(args.python, path, env)
        times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in files}
        load_before = os.getloadavg()[0]
        for _ in range(args.runs):
            for kind, path in files.items():
                times[kind].append(run_once(args.python, path, env))
        load_after = os.getloadavg()[0]
    print(f"{args.runs} alternating runs, load average {load_before:.2f} -> {load_after:.2f}, {os.cpu_count()} CPUs")
    for kind, samples in times.items():
        walls = [w * 1000 for w, _ in samples]
        cpus = [c * 1000 for _, c in samples]
        print(f"{kind:8} wall median {statistics.median(walls):6.1f} ms (min {min(walls):6.1f})   "
              f"CPU median {statistics.median(cpus):6.1f} ms (min {min(cpus):6.1f})")


if __name__ == "__main__":
    main()
