"""Hashing on all cores: work items go to a process pool in chunks, results come back as they
finish, with a bounded number of chunks in flight so memory stays flat whatever the evidence.

Processes, not threads: decoding and hashing hold the GIL for much of their time. The pool
uses the ``forkserver`` start method, so workers never inherit the parent's threads, database
connections or progress bar.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult, hash_batch, hash_item, init_worker

CHUNK_ITEMS = 16
CHUNK_BYTES = 8 << 20
_PRELOAD = ["tasman.triage.hashing.worker"]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _chunks(items: Iterable[WorkItem]) -> Iterator[list[WorkItem]]:
    chunk: list[WorkItem] = []
    size = 0
    for item in items:
        chunk.append(item)
        size += len(item.data) if item.data is not None else 0
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
    if workers <= 0:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):
            for item in items:
                yield from fn([item], opts)
        return
    pool = _Pool(workers, opts, fn)
    finished = False
    try:
        for chunk in _chunks(items):
            yield from pool.submit(chunk)
        yield from pool.drain()
        finished = True
    finally:
        pool.close(cancel=not finished)


class _Pool:
    """A process pool that survives a worker dying (a decoder crashing on a hostile file): the
    chunks lost with it are hashed again one file at a time, and the file that kills a worker
    on its own gets its cryptographic hashes (computed here, no decoding) and an error."""

    def __init__(self, workers: int, opts: HashOptions, fn: BatchFn) -> None:
        self.workers, self.opts, self.fn = workers, opts, fn
        self.pending: dict[Future[list[WorkResult]], list[WorkItem]] = {}
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(), initializer=init_worker)

    def submit(self, chunk: list[WorkItem]) -> Iterator[WorkResult]:
        self.pending[self.pool.submit(self.fn, chunk, self.opts)] = chunk
        while len(self.pending) >= self.workers * 3:
            yield from self._next()

    def drain(self) -> Iterator[WorkResult]:
        while self.pending:
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
        for item in items:
            self._restart()
            try:
                yield from self.pool.submit(self.fn, [item], self.opts).result()
            except BrokenProcessPool:
                crypto = hash_item(item, replace(self.opts, decode=False))
                yield replace(crypto, kind="other", errors=(CRASHED,))
        self._restart()

    def _restart(self) -> None:
        if getattr(self.pool, "_broken", False):
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new()

    def close(self, cancel: bool) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)
