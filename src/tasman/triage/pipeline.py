"""Hashing on all cores: work items go to a process pool in chunks, results come back as they
finish, with a bounded number of chunks in flight so memory stays flat whatever the evidence.

Processes, not threads: decoding and hashing hold the GIL for much of their time. The pool
uses the ``forkserver`` start method, so workers never inherit the parent's threads, database
connections or progress bar.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import replace
from importlib.machinery import ModuleSpec
from pathlib import Path

from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult, hash_batch, hash_item, init_worker

CHUNK_ITEMS = 64          # round trips to the workers are slow on a loaded machine: send work in bulk
CHUNK_BYTES = 32 << 20    # ...but not so much that one chunk holds a worker for long
_PRELOAD = ["tasman.triage.hashing.worker", "tasman.triage.hashing.regions"]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _chunks(items: Iterable[WorkItem]) -> Iterator[list[WorkItem]]:
    chunk: list[WorkItem] = []
    size = 0
    for item in items:
        chunk.append(item)
        size += item.size
        if len(chunk) >= CHUNK_ITEMS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    # The fork server imports the preloaded modules before it applies the parent's sys.path, so
    # point PYTHONPATH at the tasman the parent runs (a checkout may shadow an installed one).
    from multiprocessing import forkserver

    import tasman

    root = str(Path(tasman.__file__).resolve().parents[1])
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, saved) if p)
    try:
        forkserver.ensure_running()
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    return ctx


BatchFn = Callable[[Sequence[WorkItem], HashOptions], list[WorkResult]]
CRASHED = "the hashing process died on this file (a decoder crash?); cryptographic hashes only"


def hash_all(items: Iterable[WorkItem], opts: HashOptions, workers: int,
             fn: BatchFn = hash_batch) -> Generator[WorkResult, None, None]:
    """Results for ``items`` in completion order; ``workers=0`` hashes in this process."""
    with HashPool(workers, fn) as pool:
        yield from pool.run(items, opts)


def _noop() -> None:
    return None


@contextmanager
def _main_not_needed() -> Iterator[None]:
    """Workers start without running the caller's main module again.

    multiprocessing re-imports ``__main__`` in every new worker (unless it names a package's
    ``__main__``), which for the CLI means every command module: seconds per worker on a busy
    machine, and a trap for unguarded scripts. Hashing needs nothing from it, so while the
    workers start, ``__main__`` is presented as one that is skipped.
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


class HashPool:
    """Worker processes for hashing, started as soon as the pool is made (so their start-up
    overlaps whatever the caller does next, e.g. the evidence's custody hash).

    It survives a worker dying (a decoder crashing on a hostile file): the chunks lost with it
    are hashed again one file at a time, and the file that kills a worker on its own gets its
    cryptographic hashes (computed here, no decoding) and an error. ``workers=0`` hashes in
    this process.
    """

    def __init__(self, workers: int, fn: BatchFn = hash_batch) -> None:
        self.workers, self.fn = workers, fn
        self.opts: HashOptions | None = None
        self.pending: dict[Future[list[WorkResult]], list[WorkItem]] = {}
        self.pool = self._new() if workers > 0 else None

    def __enter__(self) -> HashPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    def _new(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(), initializer=init_worker)
        with _main_not_needed():
            for _ in range(self.workers):
                pool.submit(_noop)      # start the processes now, without waiting for them
        return pool

    def run(self, items: Iterable[WorkItem], opts: HashOptions) -> Generator[WorkResult, None, None]:
        if self.pool is None:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1, user_api="blas"):
                for item in items:
                    yield from self.fn([item], opts)
            return
        self.opts = opts
        finished = False
        try:
            for chunk in _chunks(items):
                yield from self._submit(chunk)
            while self.pending:
                yield from self._next()
            finished = True
        finally:
            if not finished:
                self.close(cancel=True)

    def _submit(self, chunk: list[WorkItem]) -> Iterator[WorkResult]:
        assert self.pool is not None and self.opts is not None
        self.pending[self.pool.submit(self.fn, chunk, self.opts)] = chunk
        while len(self.pending) >= self.workers * 3:
            yield from self._next()

    def _next(self) -> Iterator[WorkResult]:
        done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
        for fut in done:
            try:
                results = fut.result()
            except BrokenProcessPool:
                lost = [item for chunk in self.pending.values() for item in chunk]
                self.pending.clear()
                yield from self._isolate(lost)
                return
            del self.pending[fut]
            yield from results

    def _isolate(self, items: list[WorkItem]) -> Iterator[WorkResult]:
        assert self.opts is not None
        for item in items:
            self._restart()
            assert self.pool is not None
            try:
                yield from self.pool.submit(self.fn, [item], self.opts).result()
            except BrokenProcessPool:
                crypto = hash_item(item, replace(self.opts, decode=False))
                yield replace(crypto, kind="other", errors=(CRASHED,))
        self._restart()

    def _restart(self) -> None:
        if self.pool is not None and getattr(self.pool, "_broken", False):
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new()

    def close(self, cancel: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=cancel)
            self.pool = None
        self.pending.clear()
