"""Measure how long portlint's shipped data takes to load, each in a fresh process.

    python3 benchmarks/bench_reference.py [--repeat 7]

Reports the median of: importing the CLI, loading the risk list as shipped
(hash pinned, no schema validation), loading it with JSON Schema validation
(what an edited list costs), and loading the port registry.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SNIPPETS = {
    "import portlint.cli": "import portlint.cli",
    "risk list (pinned)": "from portlint.reference import load_risk_list; load_risk_list()",
    "risk list (validated)": ("import yaml; from portlint.reference import data_dir, validate_risk_data;"
                              "validate_risk_data(yaml.safe_load((data_dir()/'risks.yaml').read_text()), 'x')"),
    "port registry": "from portlint.registry import load_registry; load_registry().by_port(3389)",
}


def time_snippet(code: str) -> float:
    """Milliseconds the snippet takes, measured inside a fresh interpreter."""
    program = ("import time; t = time.perf_counter()\n" + code +
               "\nprint((time.perf_counter() - t) * 1000)")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for label, code in SNIPPETS.items():
        times = [time_snippet(code) for _ in range(args.repeat)]
        print(f"{label:24} median {statistics.median(times):6.1f} ms   best {min(times):6.1f} ms")
    size = (REPO / "rules" / "ports.tsv").stat().st_size
    print(f"rules/ports.tsv: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
