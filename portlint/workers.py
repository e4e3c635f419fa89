"""Independent groups of files parsed in forked worker processes (``--jobs``).

The groups are shared out into at most ``jobs`` chunks of about equal size (in
files). The parent forks a worker for every chunk but the first, parses the
first chunk itself meanwhile, then reads each worker's results from a pipe. A
worker that raises, dies, or sends back something unreadable costs nothing: its
chunk is parsed again in the parent, so no file ever loses its findings to a
worker. Workers are plain ``os.fork`` children (no pool, no manager thread):
they inherit the parse context, including the engine's reader, which cannot be
pickled, and they leave with ``os._exit`` so no buffer or exit handler of the
parent runs twice.

Results travel back with ``pickle``: only between a worker and the process that
forked it, over a pipe nobody else holds, never from a file.
"""

from __future__ import annotations

import os
import pickle
import threading
from contextlib import contextmanager
from typing import Any, Callable, Sequence

#: below this many files, or bytes of them, starting a worker costs more than it saves
MIN_FILES = 24
MIN_BYTES = 48 * 1024


def share_out(sizes: Sequence[int], jobs: int) -> list[list[int]]:
    """Indices of groups (by ``sizes``, in files) shared into at most ``jobs`` chunks of about equal
    total size: largest group first, each to the lightest chunk; each chunk keeps index order."""
    count = max(1, min(jobs, len(sizes)))
    chunks: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    for index in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        lightest = loads.index(min(loads))
        chunks[lightest].append(index)
        loads[lightest] += sizes[index]
    return [sorted(chunk) for chunk in chunks if chunk]


def can_fork() -> bool:
    """Forking is safe only where it exists and no other thread holds a lock the child would inherit."""
    return hasattr(os, "fork") and threading.active_count() == 1


def run_groups(sizes: Sequence[int], jobs: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(index)`` for every group, in worker processes when there is enough work for them:
    the results in group order. ``work`` must not raise (a worker whose ``work`` raises has its
    whole chunk done again here, where the exception then propagates)."""
    total = sum(sizes)
    if jobs < 2 or len(sizes) < 2 or total < MIN_FILES or not can_fork():
        return [work(index) for index in range(len(sizes))]
    chunks = share_out(sizes, jobs)
    results: dict[int, Any] = {}
    pending: list[_Worker] = []
    with _termination_as_exit():
        try:
            for chunk in chunks[1:]:
                with _signals_held():  # a worker is listed before a signal can end the run
                    worker = _Worker.start(chunk, work)
                    if worker is not None:
                        pending.append(worker)
                if worker is None:  # no process could be started: the chunk is done here
                    results.update((index, work(index)) for index in chunk)
            for index in chunks[0]:
                results[index] = work(index)
            while pending:
                worker = pending[0]
                done = worker.collect()
                pending.pop(0)
                if done is None or sorted(done) != worker.chunk:
                    done = {index: work(index) for index in worker.chunk}
                results.update(done)
        finally:
            for worker in pending:  # interrupted: no worker outlives the run
                worker.stop()
    return [results[index] for index in range(len(sizes))]


class _Worker:
    """A forked child parsing ``chunk``; ``pid`` and ``pipe`` are None once reaped and closed."""

    def __init__(self, pid: int, pipe: int, chunk: list[int]):
        self.pid: int | None = pid
        self.pipe: int | None = pipe
        self.chunk = chunk

    @classmethod
    def start(cls, chunk: list[int], work: Callable[[int], Any]) -> "_Worker | None":
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the worker: never returns
            _child(chunk, work, read_end, write_end)
        os.close(write_end)
        return cls(pid, read_end, chunk)

    def collect(self) -> dict | None:
        """The worker's results; None when it failed in any way."""
        parts = []
        try:
            while True:
                part = os.read(self.pipe, 1 << 20)
                if not part:
                    break
                parts.append(part)
        except OSError:
            parts = []
        finally:
            os.close(self.pipe)
            self.pipe = None
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return None
        finally:
            self.pid = None
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not parts:
            return None
        try:
            done = pickle.loads(b"".join(parts))
        except Exception:  # noqa: BLE001 - a truncated result: the chunk is done again
            return None
        return done if isinstance(done, dict) else None

    def stop(self) -> None:
        import signal

        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = None
        if self.pipe is not None:
            try:
                os.close(self.pipe)
            except OSError:
                pass
            self.pipe = None


def _child(chunk: list[int], work: Callable[[int], Any], read_end: int, write_end: int) -> None:
    import signal

    status = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is not the worker's
        _restore_mask(_MASK_BEFORE)  # forked while the parent held them (_signals_held)
        os.close(read_end)
        data = pickle.dumps({index: work(index) for index in chunk}, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view):]
        status = 0
    except BaseException:  # noqa: BLE001 - whatever happens, the parent redoes the chunk
        pass
    finally:
        os._exit(status)


_HELD = ("SIGINT", "SIGTERM")
#: the signal mask before ``_signals_held`` (None outside it); a worker forked inside puts it back
_MASK_BEFORE: Any = None


@contextmanager
def _signals_held():
    """SIGINT and SIGTERM wait (they are not lost) while a worker is forked and listed, so the
    run's clean-up always knows every worker; a no-op where signals cannot be masked."""
    global _MASK_BEFORE
    import signal

    held = {getattr(signal, name) for name in _HELD if hasattr(signal, name)}
    try:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):
        yield
        return
    _MASK_BEFORE = before
    try:
        yield
    finally:
        _MASK_BEFORE = None
        _restore_mask(before)


def _restore_mask(mask) -> None:
    import signal

    if mask is None:
        return
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    except (AttributeError, ValueError, OSError):
        pass


@contextmanager
def _termination_as_exit():
    """While workers run, SIGTERM (a cancelled CI job) ends the run through ``SystemExit``, so the
    workers are stopped on the way out instead of left running. Only a default handler is replaced,
    and only in the main thread; it is put back afterwards."""
    import signal

    previous = None
    if threading.current_thread() is threading.main_thread():
        try:
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                previous = signal.signal(signal.SIGTERM, _exit_on_signal)
        except (ValueError, OSError):
            previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def parse_in_workers(parser: Any, files: list, ctx: Any, parse: Callable, remember: Callable,
                     recorder: Callable | None = None) -> list | None:
    """A parser's files parsed in worker processes, one independent group (``cache_groups``) at a
    time, outcomes in group order; None when they are better parsed at once in this process (the
    parser does not allow it, ``--jobs 1``, too little work, one group). Files read in a worker
    (``.env``, tfvars, modules) are handed to ``remember`` here, as the engine's reader would.

    ``recorder(read_text, environ)``, when given, makes each share's recording reader and
    environment (``portlint.cache._Recording``); its ``reads`` and ``environ.record()`` come back
    from the worker, and the recordings are handed to ``remember`` instead of the files alone.
    """
    import dataclasses

    grouping = getattr(parser, "cache_groups", None)
    if not getattr(parser, "parallel", False) or not callable(grouping) or ctx.jobs < 2 \
            or len(files) < 2 or sum(len(source.text) for source in files) < MIN_BYTES or not can_fork():
        return None
    groups = [group for group in grouping(files) if group]
    if len(groups) < 2:
        return None
    # each worker parses its share of the groups at once (a parse call has a cost of its own)
    order = {id(source): n for n, source in enumerate(files)}
    shares = [sorted((source for i in chunk for source in groups[i]), key=lambda s: order[id(s)])
              for chunk in share_out([len(group) for group in groups], ctx.jobs)]
    local = dataclasses.replace(ctx, jobs=1)  # a worker never starts workers of its own

    def work(index: int) -> tuple[list, list[str], Any]:
        if recorder is not None:
            recording = recorder(ctx.read_text, ctx.environ)
            outcomes = parse(parser, shares[index], dataclasses.replace(
                local, read_text=recording.read_text, environ=recording.environ))
            reads = [path for path, marker in recording.reads.items() if marker is not None]
            return outcomes, reads, (recording.reads, recording.environ.record())
        reads: list[str] = []

        def read_text(path):
            text = ctx.read_text(path)
            if text is not None:
                reads.append(os.path.abspath(path))
            return text

        return parse(parser, shares[index], dataclasses.replace(local, read_text=read_text)), reads, reads

    results = run_groups([len(share) for share in shares], ctx.jobs, work)
    for _, _, record in results:
        remember(record)
    if crossed(shares, [reads for _, reads, _ in results]):
        return None  # the groups were not independent after all: parsed at once by the caller
    return [outcome for outcomes, _, _ in results for outcome in outcomes]


def crossed(groups: list[list], reads: list) -> bool:
    """Did a group read a file that belongs to another group?

    A parser's ``cache_groups`` guesses from a cheap look at the text which files depend on each
    other (a Compose ``include``, a Terraform module ``source``); YAML and HCL can say the same
    thing in ways such a look misses (a quoted key, a flow mapping). Then a file parsed in one
    group was read from another as well, and the groups' outcomes cannot simply be put together
    (an included project would be reported twice): the caller parses the files at once instead.
    """
    from portlint.inputs import real_path

    def real(path) -> str:
        try:
            return real_path(path)
        except (OSError, ValueError):
            return os.path.abspath(path)

    names = {source.path.name for group in groups for source in group}
    owner: dict[str, int] = {}
    for index, group in enumerate(groups):
        for source in group:
            owner[real(source.path)] = index
    # a read whose name no claimed file has can still be one through a link of another name
    return any((os.path.basename(path) in names or os.path.islink(path)) and owner.get(real(path), index) != index
               for index, paths in enumerate(reads) for path in paths)
