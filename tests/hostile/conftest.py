"""Build hostile trees and run the real command line on them, bounded in time and memory."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.hostile_cases import CASES, FIFO, GOOD_FILES, OUTSIDE_FILES, Case, Link

#: the budget every hostile tree must stay within (the issue's acceptance bar)
TIMEOUT_S = 15
MEMORY_BYTES = 500 * 1024 * 1024


@dataclass
class Result:
    case: Case
    tree: Path
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    seconds: float


def _write(path: Path, content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Link):
        os.symlink(content.target, path)
    elif content is FIFO:
        os.mkfifo(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def build_tree(case: Case, base: Path) -> Path:
    """<base>/tree (the good files plus the case's files) and <base>/outside (secrets, victims)."""
    tree, outside = base / "tree", base / "outside"
    for rel, content in OUTSIDE_FILES.items():
        _write(outside / rel, content)
    for rel, content in GOOD_FILES.items():
        _write(tree / rel, content)
    for rel, content in case.files.items():
        target = Path(os.fsdecode(os.path.join(os.fsencode(tree), os.fsencode(rel))))
        _write(target, content)
    if case.setup:
        case.setup(tree, outside)
    return tree


def _limit_memory() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def command(case: Case) -> list[str]:
    if case.console:
        script = Path(sys.executable).parent / "portlint"
        return [str(script if script.exists() else shutil.which("portlint")), *case.args]
    return [sys.executable, "-m", "portlint", *case.args]


def run_case(case: Case, base: Path) -> Result:
    base.mkdir(parents=True, exist_ok=True)
    tree = build_tree(case, base)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PORTLINT_", "GITHUB_", "PYTHON")) and k not in ("CI",)}
    env.update({"NO_COLOR": "1", "COLUMNS": "120", **case.env})
    start = time.monotonic()
    # a session of its own, so that a timeout ends the worker processes portlint started too
    proc = subprocess.Popen(command(case), cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, preexec_fn=_limit_memory, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    seconds = time.monotonic() - start
    return Result(case, tree, code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), seconds)


@pytest.fixture(scope="session")
def hostile_results(request, tmp_path_factory):
    """Every selected case, run once, in parallel; maps case id to its Result."""
    wanted = {item.callspec.params["case"].id for item in request.session.items
              if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case)}
    cases = [c for c in CASES if c.id in wanted]
    base = tmp_path_factory.mktemp("hostile")
    workers = max(2, os.cpu_count() or 2)  # more only adds contention: runs are CPU-bound
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda c: run_case(c, base / c.id), cases)
        return {r.case.id: r for r in results}
