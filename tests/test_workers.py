"""Worker processes (``portlint.workers``): same results as one process, whatever a worker does."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from portlint import workers

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes need os.fork")


@pytest.fixture
def forks(monkeypatch):
    """Counts the workers started (the real ``_Worker.start`` still runs)."""
    started = []
    real = workers._Worker.start

    def counting(chunk, work):
        started.append(list(chunk))
        return real(chunk, work)

    monkeypatch.setattr(workers._Worker, "start", staticmethod(counting))
    monkeypatch.setattr(workers, "can_fork", lambda: True)  # another test's stray thread must not hide this
    return started


@pytest.mark.parametrize("sizes,jobs", [([5, 1, 1, 1, 1, 1], 2), ([3] * 7, 3), ([1], 4), ([9, 9], 8), ([], 2)])
def test_share_out_places_every_group_once_and_balances_files(sizes, jobs):
    chunks = workers.share_out(sizes, jobs)
    assert sorted(i for chunk in chunks for i in chunk) == list(range(len(sizes)))
    assert len(chunks) <= max(1, min(jobs, len(sizes)))
    assert all(chunk == sorted(chunk) and chunk for chunk in chunks)
    loads = [sum(sizes[i] for i in chunk) for chunk in chunks]
    if loads:
        assert max(loads) - min(loads) <= max(sizes)


def test_results_come_back_in_group_order_from_workers(forks):
    parent = os.getpid()
    results = workers.run_groups([10] * 6, 3, lambda i: (i * i, os.getpid() != parent))
    assert [value for value, _ in results] == [0, 1, 4, 9, 16, 25]
    assert len(forks) == 2  # the parent does the first share itself
    assert sum(in_worker for _, in_worker in results) == sum(len(chunk) for chunk in forks)


@pytest.mark.parametrize("failure", ["raises", "dies", "killed"])
def test_a_failing_worker_costs_no_result(forks, failure):
    parent = os.getpid()

    def work(index):
        if os.getpid() != parent and index == 5:
            if failure == "raises":
                raise RuntimeError("worker bug")
            if failure == "dies":
                os._exit(3)
            os.kill(os.getpid(), 9)
        return index + 100

    assert workers.run_groups([10] * 6, 2, work) == list(range(100, 106))
    assert forks  # a worker was started and failed: its share was done again here


def test_one_job_or_little_work_never_forks(monkeypatch):
    def refuse(*args):
        raise AssertionError("a worker was started")

    monkeypatch.setattr(workers._Worker, "start", staticmethod(refuse))
    assert workers.run_groups([100, 100], 1, lambda i: i) == [0, 1]
    assert workers.run_groups([1, 1, 1], 4, lambda i: i) == [0, 1, 2]  # under MIN_FILES


def test_no_fork_when_another_thread_runs():
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not workers.can_fork()
    finally:
        stop.set()
        thread.join()


def _compose_tree(root: Path, projects: int = 30) -> None:
    risky = [22, 3306, 5432, 6379, 9200, 27017, 3389, 23, 445, 11211, 2375, 5900, 8080]
    for i in range(projects):
        folder = root / f"app{i:02d}"
        folder.mkdir()
        (folder / "docker-compose.yml").write_text(
            "services:\n  web:\n    image: nginx\n    ports:\n      - \"${WEB_PORT}:80\"\n"
            f"  db:\n    image: postgres\n    ports:\n      - \"{risky[i % len(risky)]}:{risky[i % len(risky)]}\"\n")
        (folder / ".env").write_text(f"WEB_PORT={risky[(i + 5) % len(risky)]}\n")
        if i % 3 == 0:
            (folder / "docker-compose.override.yml").write_text(
                "services:\n  web:\n    ports:\n      - \"127.0.0.1:9000:9000\"\n")


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_engine_output_is_the_same_with_workers(tmp_path, monkeypatch, forks, cache):
    from portlint.engine import Options, run
    from portlint.formatters import CHECK_FORMATS, get_renderer

    _compose_tree(tmp_path)
    monkeypatch.setattr(workers, "MIN_BYTES", 0)

    def report(jobs: int, where: str):
        options = Options(environ={}, cwd=tmp_path, jobs=jobs, cache=cache, cache_dir=tmp_path.parent / where)
        result = run([tmp_path], options)
        return get_renderer(CHECK_FORMATS, "json")(result, {}), options

    sequential, _ = report(1, "c1")
    assert not forks
    parallel, options = report(2, "c2")
    assert forks, "the parse was not shared out"
    assert parallel == sequential
    assert '"PL101"' in sequential and "app29/docker-compose.yml" in sequential
    # every .env a worker read is known to the parent: no output may be written over it
    for i in range(30):
        info = os.stat(tmp_path / f"app{i:02d}" / ".env")
        assert (info.st_dev, info.st_ino) in options.read


def test_records_survive_the_trip_from_a_worker_unchanged():
    """Outcomes pickle as calls with their field values (portlint.model): every field comes back."""
    import copy
    import pickle

    from portlint.model import (Exposure, Finding, InputError, Location, Notice, ParseOutcome,
                                PortRange, Severity, Step)

    exposure = Exposure(kind="compose-port", location=Location("a/compose.yml", 4, 5, 9), resource="web",
                        protocol="tcp", port_range=PortRange(8000, 8080), sources=("0.0.0.0/0", "::/0"),
                        scope="public", target_port_range=PortRange(80, 80), unresolved=("PORT",),
                        traits=frozenset({"ephemeral-host-port"}), raw="${PORT}:80", image="nginx",
                        context=Location("a/compose.yml", 2, 9), policy="p", priority=1.5, root="live",
                        via=(Step("module.sg", "live/main.tf", 3),), origins=(Step("var.port", "x.tfvars", 1, 2),))
    records = [exposure, ParseOutcome("a/compose.yml", (exposure,), (InputError("a/compose.yml", 3, "bad", 7),),
                                      (Notice("chart", "skipped"),)),
               Finding("PL101", "public-risky-port", Severity.HIGH, "m", exposure)]
    for record in records:
        for back in (pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)), copy.deepcopy(record)):
            assert back == record and type(back) is type(record) and hash(back) == hash(record)
    assert pickle.loads(pickle.dumps(exposure)).traits == frozenset({"ephemeral-host-port"})


_WAITING_PARENT = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from portlint import workers
workers.can_fork = lambda: True
parent = os.getpid()

def work(index):
    if os.getpid() != parent:
        with open(sys.argv[2], "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        time.sleep(60)
    return index

workers.run_groups([100, 100, 100], 3, work)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to see the workers")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_run_stopped_while_waiting_for_workers_leaves_none_running(tmp_path, signal_name):
    """A cancelled CI job (SIGTERM) or Ctrl-C sent to portlint alone stops its workers too."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    pids = tmp_path / "pids"
    proc = subprocess.Popen([sys.executable, "-c", _WAITING_PARENT, str(REPO), str(pids)],
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not pids.exists() or len(pids.read_text().split()) < 2):
        time.sleep(0.05)
    children = [int(p) for p in pids.read_text().split()]
    assert len(children) == 2 and all(_alive(p) for p in children)
    time.sleep(0.2)  # the parent has done its own share and waits on a worker's pipe
    proc.send_signal(getattr(signal, signal_name))
    proc.wait(timeout=20)
    assert proc.returncode != 0
    time.sleep(0.2)
    assert not [p for p in children if _alive(p)], "a worker outlived the run"


@dataclasses.dataclass(frozen=True, slots=True)
class _PluginExposure(__import__("portlint.model", fromlist=["Exposure"]).Exposure):
    extra: str = ""


def test_a_plugin_subclass_of_a_record_keeps_its_own_fields():
    import pickle

    from portlint.model import Location, PortRange

    exposure = _PluginExposure(kind="k", location=Location("f", 1, 1), resource="r", protocol="tcp",
                               port_range=PortRange(1, 2), sources=("0.0.0.0/0",), scope="internet", extra="x")
    back = pickle.loads(pickle.dumps(exposure))
    assert type(back) is _PluginExposure and back == exposure and back.extra == "x"


@pytest.mark.parametrize("include", ['"include":', "? include\n:", "{include", "link"])
@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_an_include_the_grouping_cannot_see_is_still_read_once(tmp_path, monkeypatch, forks, include, cache):
    """A quoted, complex or flow-style ``include`` key slips past the cheap look that groups Compose
    files; the groups then read each other's files, and the files are parsed at once instead of
    reporting the included project twice."""
    from portlint.engine import Options, run

    _compose_tree(tmp_path, projects=12)
    if include == "{include":
        text = "{include: [../b/docker-compose.yml], services: {web: {image: nginx}}}\n"
    elif include == "link":  # reached through a link of another name: the real path decides
        (tmp_path / "a").mkdir()
        (tmp_path / "a" / "inc.conf").symlink_to("../b/docker-compose.yml")
        text = '"include": [inc.conf]\nservices:\n  web:\n    image: nginx\n'

    else:
        text = f"{include} [../b/docker-compose.yml]\nservices:\n  web:\n    image: nginx\n"
    (tmp_path / "a").mkdir(exist_ok=True)
    (tmp_path / "a" / "docker-compose.yml").write_text(text)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres\n"
                                                       "    ports: [\"5432:5432\"]\n")
    monkeypatch.setattr(workers, "MIN_BYTES", 0)

    def findings(jobs: int, where: str):
        options = Options(environ={}, cwd=tmp_path, jobs=jobs, cache=cache, cache_dir=tmp_path.parent / where)
        report = run([tmp_path], options)
        assert not report.errors
        return sorted((f.location.file, f.location.line, f.rule_id) for f in report.findings)

    sequential = findings(1, "c1")
    reported = [f for f in sequential if f[0] in ("b/docker-compose.yml", "a/inc.conf") and f[2] == "PL101"]
    assert len(reported) == 1 and reported[0][1] == 4  # once, wherever the project shows it
    assert findings(2, "c2") == sequential
    assert findings(2, "c2") == sequential  # and again from the cache


def test_a_replayed_run_notices_an_env_file_a_worker_read(tmp_path, monkeypatch, forks, run_cli):
    """The run cache keys a whole run on what its parsers read, in workers too: a changed .env is
    seen, and the run is made again instead of replayed."""
    import json

    _compose_tree(tmp_path, projects=30)
    (tmp_path / ".git").mkdir()
    monkeypatch.setattr(workers, "MIN_BYTES", 0)
    monkeypatch.chdir(tmp_path)
    cache = str(tmp_path.parent / "run-cache")

    def web_ports():
        doc = json.loads(run_cli("check", "-f", "json", "--fail-on", "never", "-j", "2", "--cache-dir", cache,
                                 ".").stdout)
        return sorted(f["port_range"][0] for f in doc["findings"] if f["file"] == "app07/docker-compose.yml")

    before = web_ports()
    assert forks
    assert web_ports() == before  # replayed
    (tmp_path / "app07" / ".env").write_text("WEB_PORT=23\n")
    after = web_ports()
    assert 23 in after and after != before


@pytest.mark.skipif(not hasattr(__import__("signal"), "pthread_sigmask"), reason="no signal masks here")
def test_signals_held_while_forking_are_given_back_as_they_were(forks):
    """SIGINT and SIGTERM wait while a worker is forked and listed; the caller's mask comes back."""
    import signal

    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    try:
        assert workers.run_groups([30, 30], 2, lambda i: i) == [0, 1] and forks
        now = signal.pthread_sigmask(signal.SIG_BLOCK, set())
        assert signal.SIGUSR1 in now and signal.SIGTERM not in now and signal.SIGINT not in now
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
