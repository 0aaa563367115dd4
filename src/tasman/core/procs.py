"""Worker processes shared by the stages that fan out over cores (triage hashing, extraction,
link's normalisation).

:class:`IsolatingPool` (and :func:`bounded_map` over it) is the one loop triage and extraction
run their workers in: a bounded number of batches in flight, results in completion order, and a
worker that dies (a C decoder crashing on a hostile file) costs only the item it was reading.
:func:`ordered_map` is the plain one for pure-Python work (link): results in input order.

Pools use the ``forkserver`` start method, so workers never inherit the parent's threads,
database connections or progress bar (the web app starts runs from a job thread, where ``fork``
would copy whatever locks other threads held). Workers import the tasman this process runs,
and start without running the caller's ``__main__`` again: a worker holds the fork server's
preloaded modules and what its function needs, never the CLI (``loaded_modules`` shows it).
A pool is started once per call and its workers all at once.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any, Generic, TypeVar

__all__ = ["IsolatingPool", "bounded_map", "death_reason", "default_workers", "loaded_modules", "ordered_map",
           "start_pool", "tasman_on_path", "worker_context"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The cores this process may run on (its affinity, which a container or ``taskset`` narrows)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@contextmanager
def tasman_on_path(*more: str) -> Iterator[None]:
    """``PYTHONPATH`` names the tasman this process runs (a checkout may shadow an installed one),
    then ``more`` folders, while worker processes are started, so that they import the same code."""
    import tasman

    root = str(Path(tasman.__file__).resolve().parents[1])
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, *more, saved) if p)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def worker_context(preload: Sequence[str] = ()) -> multiprocessing.context.BaseContext:
    """The ``forkserver`` context (``spawn`` where there is none). ``preload``: modules the fork
    server imports once, so each worker starts with them (only the first call that starts the
    server sets them; later ones share it)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    from multiprocessing import forkserver

    if preload:
        ctx.set_forkserver_preload(list(preload))
    # The fork server imports the preloaded modules before it applies the parent's sys.path.
    with tasman_on_path():
        forkserver.ensure_running()
    return ctx


def _noop() -> None:
    return None


@contextmanager
def main_not_needed() -> Iterator[None]:
    """Workers start without running the caller's main module again.

    multiprocessing re-imports ``__main__`` in every new worker (unless it names a package's
    ``__main__``), which for the CLI means every command module: seconds per worker on a busy
    machine, and a trap for unguarded scripts. Workers need nothing from it, so while they
    start, ``__main__`` is presented as one that is skipped.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = getattr(main, "__spec__", None)
    main.__spec__ = ModuleSpec("tasman.__main__", None)
    try:
        yield
    finally:
        main.__spec__ = saved


def loaded_modules(batch: Sequence[Any], *_args: Any) -> list[list[str]]:
    """The modules this process has imported, once per item of ``batch``: run in a worker, what
    the worker started with (tests check that no worker holds the CLI, the demo or Splink)."""
    return [sorted(sys.modules) for _ in batch]


def _worker_start(initializer: Any = None) -> None:
    """A worker's first step: SIGINT ignored (a terminal's Ctrl-C reaches the whole process group;
    the caller handles it and shuts the pool down, and a worker waiting for its next task would
    otherwise die printing a KeyboardInterrupt traceback of its own), then ``initializer``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer()


def start_pool(workers: int, preload: Sequence[str] = (), initializer: Any = None) -> ProcessPoolExecutor:
    """A process pool on the fork server with its ``workers`` processes started now (without
    waiting for them), each ignoring SIGINT (:func:`_worker_start`) and running ``initializer``
    first.

    All of them are started here, while ``__main__`` is presented as one to skip: a pool that
    is not on ``fork`` otherwise starts a worker at a ``submit`` that finds none idle, which may
    come later, when the caller's ``__main__`` would be run again in it."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=worker_context(preload), initializer=_worker_start,
                               initargs=(initializer,))
    with main_not_needed():
        launch = getattr(pool, "_launch_processes", None)   # CPython 3.11+: every worker at once,
        manage = getattr(pool, "_start_executor_manager_thread", None)
        if callable(launch) and callable(manage):
            launch()
            manage()    # and the thread that hands work over and, at shutdown, tells each worker to end
            #             (without it a pool shut down before its first task leaves its workers
            #             waiting, and the interpreter's exit waits for them for ever)
        else:                                                # elsewhere: one no-op each (best effort)
            for _ in range(workers):
                pool.submit(_noop)
    return pool


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int, *, preload: Sequence[str] = (),
                in_flight: int | None = None) -> Iterator[R]:
    """``fn(item)`` for each of ``items`` on ``workers`` processes, results in the items' order.

    One pool for the whole call (started by :func:`start_pool`: on the fork server with
    ``preload``, no ``__main__`` run again); at most ``in_flight`` items (default: two per worker)
    handed over at a time, so memory stays flat however many items come. An error raised by ``fn``
    is raised here; closing the generator early cancels what is outstanding. For pure-Python work
    only: a worker that dies breaks the pool (see :class:`IsolatingPool` for work that may crash)."""
    limit = in_flight or workers * 2
    pool = start_pool(workers, preload)
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def death_reason(exitcode: int | None) -> str:
    """How a worker process ended, in words: ``worker died (signal 9)``, ``worker died (exit code 3)``."""
    if exitcode is not None and exitcode < 0:
        return f"worker died (signal {-exitcode})"
    if exitcode:
        return f"worker died (exit code {exitcode})"
    return "worker died"


class IsolatingPool(Generic[T, R]):
    """``fn(batch, *args) -> list[R]`` on ``workers`` worker processes (started when the pool is
    made, so their start-up overlaps what the caller does next), at most ``in_flight`` batches
    outstanding, results given back in the order batches finish.

    A worker that dies breaks a process pool and every batch in flight with it. Those batches
    (less any that had finished) are run again one item at a time in a pool of one worker, and
    the item that kills that worker on its own is handed to ``died(item, reason)`` in this
    process (``reason``: :func:`death_reason`, e.g. ``worker died (signal 11)``), whose result
    stands for it; then a fresh pool carries on with the rest. So every item ends in a result,
    and only the item that kills a worker is lost to it.
    """

    def __init__(self, fn: Callable[..., list[R]], died: Callable[[T, str], R], workers: int, *,
                 preload: Sequence[str] = (), initializer: Callable[[], Any] | None = None,
                 in_flight: int | None = None) -> None:
        if workers < 1:
            raise ValueError("an isolating pool needs at least one worker")
        self.fn, self.died, self.workers = fn, died, workers
        self.preload, self.initializer = tuple(preload), initializer
        self.in_flight = in_flight or workers * 2
        self.pending: dict[Future[list[R]], tuple[list[T], tuple[Any, ...]]] = {}
        self.pool: ProcessPoolExecutor | None = self._new(workers)

    def _new(self, workers: int) -> ProcessPoolExecutor:
        return start_pool(workers, self.preload, self.initializer)

    def __enter__(self) -> IsolatingPool[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    def outstanding(self) -> bool:
        return bool(self.pending)

    def submit(self, batch: Sequence[T], *args: Any) -> Iterator[R]:
        """Hand ``batch`` over, first giving back results while ``in_flight`` batches are out."""
        if self.pool is None:
            self.pool = self._new(self.workers)
        items = list(batch)
        try:
            fut = self.pool.submit(self.fn, items, *args)
        except BrokenProcessPool as exc:
            # a worker died after the last wait and the pool refuses new work: this batch was never
            # handed over, so it is lost with the others and run item by item as they are
            fut = Future()
            fut.set_exception(exc)
        self.pending[fut] = (items, args)
        while len(self.pending) >= self.in_flight:
            yield from self.next()

    def next(self) -> Iterator[R]:
        """The results of at least one finished batch (waiting for one)."""
        done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
        for fut in done:
            if isinstance(fut.exception(), BrokenProcessPool):
                yield from self._recover()
                return
            del self.pending[fut]
            yield from fut.result()

    def drain(self) -> Iterator[R]:
        """Every outstanding result."""
        while self.pending:
            yield from self.next()

    def _recover(self) -> Iterator[R]:
        """The pool broke: keep what finished, run the rest item by item, then start afresh."""
        wait(self.pending)                       # a broken pool fails the rest at once
        lost: list[tuple[list[T], tuple[Any, ...]]] = []
        finished: list[Future[list[R]]] = []
        for fut, work in self.pending.items():
            if isinstance(fut.exception(), BrokenProcessPool):
                lost.append(work)
            else:
                finished.append(fut)             # its results, or the error of a bug in fn
        self.pending.clear()
        self._discard()
        for fut in finished:
            yield from fut.result()
        for items, args in lost:
            for item in items:
                yield from self._alone(item, args)
        self._discard()                          # the one-worker pool of the last item

    def _alone(self, item: T, args: tuple[Any, ...]) -> Iterator[R]:
        if self.pool is None:
            self.pool = self._new(1)
        try:
            results = self.pool.submit(self.fn, [item], *args).result()
        except BrokenProcessPool:
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            self._discard()
            codes = [p.exitcode for p in processes]
            yield self.died(item, death_reason(next((c for c in codes if c), None)))
            return
        yield from results

    def _discard(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def close(self, cancel: bool = False) -> None:
        """Stop the workers (outstanding batches cancelled with ``cancel``; otherwise awaited)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=cancel)
            self.pool = None
        self.pending.clear()


def bounded_map(fn: Callable[..., list[R]], batches: Iterable[Sequence[T]], died: Callable[[T, str], R],
                workers: int, *args: Any, preload: Sequence[str] = (),
                initializer: Callable[[], Any] | None = None, in_flight: int | None = None) -> Iterator[R]:
    """``fn(batch, *args)`` for each of ``batches`` on an :class:`IsolatingPool`: results in
    completion order, at most ``in_flight`` batches out, an item that kills its worker given
    back as ``died(item, reason)``. Closing the generator early cancels what is outstanding."""
    with IsolatingPool(fn, died, workers, preload=preload, initializer=initializer, in_flight=in_flight) as pool:
        for batch in batches:
            yield from pool.submit(batch, *args)
        yield from pool.drain()
