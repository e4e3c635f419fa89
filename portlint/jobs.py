"""How many worker processes portlint may use (``--jobs``).

The default is the number of CPUs this process may actually run on: the smaller
of its CPU affinity (``os.sched_getaffinity``; a ``taskset`` or a container's
cpuset) and the CPU quota of its control group (``docker run --cpus 1.5`` sets a
quota, not an affinity: the process still sees every CPU of the host). Work that
is too small to repay starting workers stays sequential whatever ``--jobs`` says,
and ``--jobs 1`` is always exactly sequential (no worker process at all).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

#: the most worker processes portlint starts, whatever the machine or --jobs says
MAX_JOBS = 64

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def available_cpus(cgroup_root: Path = _CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> int:
    """CPUs this process may use: affinity, capped by the cgroup quota; at least 1."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        count = os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup_root, proc_cgroup)
    if quota is not None:
        count = min(count, quota)
    return max(1, count)


def cgroup_cpu_quota(cgroup_root: Path = _CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> int | None:
    """The CPU quota of this process's control group, rounded up to whole CPUs; None when unlimited
    or unknown. cgroup v2 (``cpu.max``: ``"150000 100000"`` or ``"max 100000"``) and v1
    (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``, ``-1`` for none) are read."""
    for folder in _cgroup_folders(cgroup_root, proc_cgroup):
        v2 = _read(folder / "cpu.max")
        if v2 is not None:
            parts = v2.split()
            if len(parts) == 2 and parts[0] != "max":
                return _whole(parts[0], parts[1])
            if parts and parts[0] == "max":
                return None
        quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
        if quota is not None and period is not None:
            return None if quota.strip().startswith("-") else _whole(quota, period)
    return None


def _cgroup_folders(root: Path, proc_cgroup: Path) -> list[Path]:
    """Where this process's cpu controller files may be: its own cgroup, then the root
    (inside a container the namespace makes its own cgroup the root)."""
    folders: list[Path] = []
    text = _read(proc_cgroup) or ""
    for line in text.splitlines()[:64]:
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        controllers, path = fields[1], fields[2].strip()
        relative = path.lstrip("/")
        if controllers == "":  # v2 unified hierarchy
            folders.append(root / relative)
        elif "cpu" in controllers.split(","):  # v1
            for name in ("cpu,cpuacct", "cpu", "cpuacct,cpu"):
                folders.append(root / name / relative)
                folders.append(root / name)
    folders.append(root)
    seen, unique = set(), []
    for folder in folders:
        if folder not in seen:
            seen.add(folder)
            unique.append(folder)
    return unique


def _read(path: Path) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read(4096)
    except (OSError, ValueError):
        return None


def _whole(quota: str, period: str) -> int | None:
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    if q <= 0 or p <= 0:
        return None
    return max(1, math.ceil(q / p))


def resolve_jobs(requested: int | None) -> int:
    """The worker count to use: ``requested`` (``--jobs``; 0 or None for the default), capped."""
    if requested is None or requested <= 0:
        requested = available_cpus()
    return max(1, min(int(requested), MAX_JOBS))
