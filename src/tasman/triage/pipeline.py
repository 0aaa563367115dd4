"""Hashing on all cores: work items go to a process pool in chunks, results come back as they
finish, with a bounded number of chunks in flight so memory stays flat whatever the evidence.

Processes, not threads: decoding and hashing hold the GIL for much of their time. The pool
uses the ``forkserver`` start method, so workers never inherit the parent's threads, database
connections or progress bar.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
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


def hash_all(items: Iterable[WorkItem], opts: HashOptions, workers: int) -> Generator[WorkResult, None, None]:
    """Results for ``items`` in completion order; ``workers=0`` hashes in this process."""
    if workers <= 0:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, user_api="blas"):
            for item in items:
                yield hash_item(item, opts)
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=init_worker)
    pending: set[Future[list[WorkResult]]] = set()
    finished = False
    try:
        for chunk in _chunks(items):
            pending.add(pool.submit(hash_batch, chunk, opts))
            while len(pending) >= workers * 3:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield from fut.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield from fut.result()
        finished = True
    finally:
        pool.shutdown(wait=True, cancel_futures=not finished)
