"""Measure ``portlint diff`` against ``portlint check`` on a generated git repository.

    python3 benchmarks/bench_diff.py [--files 1500] [--repeat 1]

Builds a repository of N Compose files (one folder each), commits it, then
changes one file in a second commit and one more in the work tree. Times, in a
subprocess each:

- ``portlint check .`` (the floor: one evaluation);
- ``portlint diff HEAD`` (work tree against a revision);
- ``portlint diff HEAD~1 HEAD`` (two revisions);
- ``portlint diff old/ new/`` (two folders).

Numbers vary with the machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = """services:
  web{i}:
    image: nginx
    ports:
      - "80{p:02d}:80"
      - "127.0.0.1:{host}:8080"
  db{i}:
    image: postgres:16
    ports:
      - "10.0.0.1:{db}:5432"
"""

ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@example.invalid", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env={**os.environ, **ENV}, check=True, capture_output=True)


def build(root: Path, files: int) -> None:
    root.mkdir()
    git(root, "-c", "init.defaultBranch=main", "init", "-q")
    for i in range(files):
        folder = root / f"svc{i:04d}"
        folder.mkdir()
        (folder / "docker-compose.yml").write_text(TEMPLATE.format(i=i, p=i % 100, host=20000 + i, db=30000 + i))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    first = root / "svc0000" / "docker-compose.yml"
    first.write_text(first.read_text().replace("10.0.0.1:30000", "30000"))
    git(root, "commit", "-q", "-am", "open a database")
    second = root / "svc0001" / "docker-compose.yml"
    second.write_text(second.read_text().replace("10.0.0.1:30001", "30001"))


def timed(cwd: Path, *args: str) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "portlint", *args], cwd=cwd, capture_output=True)
    return time.perf_counter() - start, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="portlint-bench-diff-"))
    try:
        repo = scratch / "repo"
        build(repo, args.files)
        old, new = scratch / "old", scratch / "new"
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(old), "HEAD~1"],
                       check=True, capture_output=True, env={**os.environ, **ENV})
        shutil.copytree(repo, new, ignore=shutil.ignore_patterns(".git"))
        runs = [("check .", repo, ("check", "--fail-on", "never", ".")),
                ("diff HEAD (work tree)", repo, ("diff", "HEAD")),
                ("diff HEAD~1 HEAD", repo, ("diff", "HEAD~1", "HEAD")),
                ("diff old/ new/", scratch, ("diff", "old", "new"))]
        print(f"{args.files} Compose files, best of {args.repeat}")
        for label, cwd, command in runs:
            best, code = min(timed(cwd, *command) for _ in range(args.repeat))
            print(f"  {label:24s} {best:6.2f} s  (exit {code})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
