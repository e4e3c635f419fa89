"""portlint's benchmark (issue 14): time, CPU, files per second and peak memory.

    python3 benchmarks/run.py [--repeat 5] [--scales 1,2,4] [--checkov /path/to/checkov] [--quick]

Every measurement is a whole process (what pre-commit and CI pay): wall time,
CPU time (user + system of the process and every process it started), and peak
memory summed over the process and its workers (resident set sizes polled from
/proc every 10 ms; Linux). Medians of ``--repeat`` runs; commands that are
compared run alternately, so a noisy machine slows both alike. Reported:

* one small file, cold (Compose, Terraform), with and without the result cache;
* the generated tree (benchmarks/generate.py: ``relevant`` and ``realistic``) at
  each scale, uncached, then re-run over the unchanged tree with the result cache;
* the floors in the same run: PyYAML's C loader over the same Compose files, and
  python-hcl2's own parse (``hcl2.parses_to_tree``) of the same .tf files;
* with ``--checkov``, checkov (in its own environment) on the same Terraform,
  alternating with portlint, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measure(command: list[str], cwd: Path, env: dict | None = None, ok=(0, 1)) -> dict:
    """One process: wall s, cpu s (itself and its children), peak summed RSS MiB."""
    peak = [0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            if os.path.isdir("/proc"):
                peak[0] = max(peak[0], sum(_rss_kib(p) for p in _descendants(proc.pid)))
            done.wait(0.01)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "mem": peak[0] / 1024}


def medians(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def alternate(commands: dict[str, tuple[list[str], Path, dict]], repeat: int) -> dict[str, dict]:
    """Run the commands in turn, ``repeat`` rounds; median of each."""
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (command, cwd, env) in commands.items():
            runs[name].append(measure(command, cwd, env, ok=(0, 1, 2)))
    return {name: medians(r) for name, r in runs.items()}


PORTLINT = [sys.executable, "-m", "portlint", "check", "--fail-on", "never", "--format", "json"]

FLOOR_YAML = """
import sys, yaml, pathlib
files = [p for p in pathlib.Path(sys.argv[1]).rglob('docker-compose.yml')]
for p in files:
    yaml.load(p.read_text(), Loader=yaml.CSafeLoader)
"""

FLOOR_HCL2 = """
import sys, pathlib, hcl2
for p in pathlib.Path(sys.argv[1]).rglob('*.tf'):
    hcl2.parses_to_tree(p.read_text())
"""


def line(name: str, result: dict, files: int | None = None) -> str:
    rate = f"{files / result['wall']:8,.0f} files/s" if files else " " * 16
    return (f"  {name:<44} wall {result['wall'] * 1000:8.0f} ms  cpu {result['cpu'] * 1000:8.0f} ms  "
            f"{rate}  peak {result['mem']:6.0f} MiB (all processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--checkov", help="path to a checkov executable (its own environment)")
    parser.add_argument("--jobs", default=None, help="pass --jobs to portlint")
    parser.add_argument("--kinds", default="relevant,realistic")
    opts = parser.parse_args()
    scales = [int(s) for s in opts.scales.split(",")]
    jobs = ["--jobs", opts.jobs] if opts.jobs else []
    print(f"machine: {os.uname().sysname} {os.uname().machine}, {os.cpu_count()} CPUs "
          f"({len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'} usable), "
          f"Python {sys.version.split()[0]}; medians of {opts.repeat}")
    with tempfile.TemporaryDirectory(prefix="portlint-bench-") as tmp:
        root = Path(tmp)
        cache = root / "cache"
        nocache = {"PORTLINT_NO_CACHE": "1", "PORTLINT_CACHE_DIR": str(cache)}
        withcache = {"PORTLINT_CACHE_DIR": str(cache)}
        small = root / "small"
        small.mkdir()
        (small / "compose.yaml").write_text('services:\n  db:\n    image: postgres:16\n    ports: ["5432:5432"]\n')
        (small / "main.tf").write_text('resource "aws_security_group" "db" {\n  ingress {\n    from_port = 5432\n'
                                       '    to_port = 5432\n    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n'
                                       '  }\n}\n')
        # the grammar cache is built once, as it is after the first run on any machine
        measure(PORTLINT + ["main.tf"], small, withcache, ok=(0, 1, 2))
        print("one small file, cold process:")
        cold = alternate({
            "compose, no result cache": (PORTLINT + ["compose.yaml"], small, nocache),
            "terraform, no result cache": (PORTLINT + ["main.tf"], small, nocache),
            "compose, result cache warm": (PORTLINT + ["compose.yaml"], small, withcache),
            "terraform, result cache warm": (PORTLINT + ["main.tf"], small, withcache),
        }, max(opts.repeat, 5))
        for name, result in cold.items():
            print(line(name, result))
        for kind in opts.kinds.split(","):
            base = None
            for scale in scales:
                tree = root / f"{kind}-{scale}"
                counts = generate(tree, kind, scale)
                files = sum(counts.values())
                shutil.rmtree(cache / "results", ignore_errors=True)
                print(f"{kind} tree x{scale}: {counts}")
                results = alternate({
                    "portlint (no result cache)": (PORTLINT + jobs + ["."], tree, nocache),
                    "floor: PyYAML C loader, compose files": ([sys.executable, "-c", FLOOR_YAML, "."], tree, {}),
                    "floor: python-hcl2 parses_to_tree, .tf": ([sys.executable, "-c", FLOOR_HCL2, "."], tree, {}),
                }, opts.repeat)
                for name, result in results.items():
                    print(line(name, result, files if name.startswith("portlint") else
                               counts["compose"] if "PyYAML" in name else counts["terraform"]))
                full = results["portlint (no result cache)"]
                measure(PORTLINT + jobs + ["."], tree, withcache, ok=(0, 1, 2))  # fills the cache
                warm = medians([measure(PORTLINT + jobs + ["."], tree, withcache, ok=(0, 1, 2))
                                for _ in range(opts.repeat)])
                print(line("portlint re-run, unchanged tree (result cache)", warm, files))
                print(f"  cached re-run is {full['wall'] / warm['wall']:.1f}x faster than the cold run")
                if base is None:
                    base = full
                else:
                    print(f"  {scale}x files -> {full['wall'] / base['wall']:.2f}x time")
                compose_only = alternate({
                    "portlint, compose files only": (PORTLINT + jobs + ["compose"], tree, nocache),
                    "PyYAML C loader, same files": ([sys.executable, "-c", FLOOR_YAML, "compose"], tree, {}),
                }, opts.repeat)
                ours, floor = compose_only.values()
                print(f"  compose: portlint {counts['compose'] / ours['wall']:,.0f} files/s, C loader "
                      f"{counts['compose'] / floor['wall']:,.0f} files/s "
                      f"({100 * floor['wall'] / ours['wall']:.0f}% of the loader's rate)")
                if opts.checkov:
                    versus = alternate({
                        "portlint, terraform": (PORTLINT + jobs + ["terraform"], tree, nocache),
                        "checkov, terraform": ([opts.checkov, "-d", "terraform", "--framework", "terraform",
                                                "--quiet", "--compact", "-o", "json"], tree, {}),
                    }, opts.repeat)
                    for name, result in versus.items():
                        print(line(name, result, counts["terraform"]))
                    p, c = versus.values()
                    print(f"  checkov / portlint: {c['wall'] / p['wall']:.2f}x wall, {c['cpu'] / p['cpu']:.2f}x cpu")


if __name__ == "__main__":
    main()
