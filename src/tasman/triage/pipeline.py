"""Hashing on all cores: work items go to an engine in chunks, results come back as they
finish, with a bounded number of chunks in flight so memory stays flat whatever the evidence.

Two engines share that loop (:class:`Engine`): the default :class:`HashPool`, a process pool on
this machine, and ``rayengine.RayEngine``, the same chunks as tasks on a Ray cluster (imported
only when chosen, so the CLI starts without Ray).

Processes, not threads: decoding and hashing hold the GIL for much of their time. The pool
uses the ``forkserver`` start method, so workers never inherit the parent's threads, database
connections or progress bar.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import replace

from tasman.core.procs import IsolatingPool
from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult, hash_batch, hash_item, init_worker

CHUNK_ITEMS = 64          # round trips to the workers are slow on a loaded machine: send work in bulk
CHUNK_BYTES = 32 << 20    # ...but not so much that one chunk holds a worker for long
_PRELOAD = ["tasman.triage.hashing.worker", "tasman.triage.hashing.regions",
            "tasman.triage.hashing.kernels"]      # the hypotheses' compiled loops, loaded once for all workers


def chunks(items: Iterable[WorkItem], max_items: int = CHUNK_ITEMS,
           max_bytes: int = CHUNK_BYTES) -> Iterator[list[WorkItem]]:
    chunk: list[WorkItem] = []
    size = 0
    for item in items:
        chunk.append(item)
        size += item.size
        if len(chunk) >= max_items or size >= max_bytes:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


BatchFn = Callable[[Sequence[WorkItem], HashOptions], list[WorkResult]]


def crashed_message(reason: str = "worker died") -> str:
    """The error of a file that killed its worker (``reason``: how, e.g. ``worker died (signal 11)``)."""
    return f"{reason} hashing this file (a decoder crash?); cryptographic hashes only"


CRASHED = crashed_message()  # where how it died is not known (a Ray worker)


def crashed(item: WorkItem, opts: HashOptions, reason: str = "worker died") -> WorkResult:
    """The file that kills a worker on its own: its cryptographic hashes, computed here without
    decoding (nothing that could crash), and the reason, so it is still inventoried."""
    crypto = hash_item(item, replace(opts, decode=False))
    return replace(crypto, kind="other", errors=(crashed_message(reason),))


def hash_all(items: Iterable[WorkItem], opts: HashOptions, workers: int,
             fn: BatchFn = hash_batch) -> Generator[WorkResult, None, None]:
    """Results for ``items`` in completion order; ``workers=0`` hashes in this process."""
    with HashPool(workers, fn) as pool:
        yield from pool.run(items, opts)


class Engine(ABC):
    """What hashes a run's work items: chunks are submitted as the walk yields them, at most a
    bounded number at a time, and results are given back in the order they finish (the runner
    commits what it has, so an interrupted run keeps them). Leaving the engine with an error,
    or closing the generator of ``run`` early (Ctrl-C), cancels what is still outstanding."""

    opts: HashOptions | None = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    def run(self, items: Iterable[WorkItem], opts: HashOptions) -> Generator[WorkResult, None, None]:
        self.opts = opts
        finished = False
        try:
            for chunk in self._chunks(items):
                yield from self._submit(chunk)
            while self._outstanding():
                yield from self._next()
            finished = True
        finally:
            if not finished:
                self.close(cancel=True)

    def _chunks(self, items: Iterable[WorkItem]) -> Iterator[list[WorkItem]]:
        return chunks(items)

    @abstractmethod
    def _submit(self, chunk: list[WorkItem]) -> Iterator[WorkResult]:
        """Hand ``chunk`` over, first giving back results while too many chunks are in flight."""

    @abstractmethod
    def _outstanding(self) -> bool: ...

    @abstractmethod
    def _next(self) -> Iterator[WorkResult]:
        """The results of at least one finished chunk (waiting for one)."""

    @abstractmethod
    def close(self, cancel: bool = False) -> None: ...

    @abstractmethod
    def describe(self) -> dict[str, object]:
        """What a run records of the engine that hashed it (its parameters)."""

    def figures(self) -> dict[str, float]:
        """What the engine counted during the run, for the run's figures (none by default)."""
        return {}


class HashPool(Engine):
    """Worker processes for hashing, started as soon as the pool is made (so their start-up
    overlaps whatever the caller does next, e.g. the evidence's custody hash).

    It survives a worker dying (a decoder crashing on a hostile file): the chunks lost with it
    are hashed again one file at a time (``core.procs.IsolatingPool``, the loop extraction runs
    on too), and the file that kills a worker on its own gets its cryptographic hashes (computed
    here, no decoding) and an error saying how the worker died. ``workers=0`` hashes in this
    process.
    """

    def __init__(self, workers: int, fn: BatchFn = hash_batch) -> None:
        self.workers, self.fn = workers, fn
        self.opts: HashOptions | None = None
        self.pool: IsolatingPool[WorkItem, WorkResult] | None = None
        if workers > 0:
            self.pool = IsolatingPool(fn, self._died, workers, preload=_PRELOAD, initializer=init_worker,
                                      in_flight=workers * 3)

    def _died(self, item: WorkItem, reason: str) -> WorkResult:
        assert self.opts is not None
        return crashed(item, self.opts, reason)

    def run(self, items: Iterable[WorkItem], opts: HashOptions) -> Generator[WorkResult, None, None]:
        if self.pool is None:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(1, user_api="blas"):
                for item in items:
                    yield from self.fn([item], opts)
            return
        yield from super().run(items, opts)

    def _outstanding(self) -> bool:
        return self.pool is not None and self.pool.outstanding()

    def describe(self) -> dict[str, object]:
        return {"engine": "local", "workers": self.workers}

    def _submit(self, chunk: list[WorkItem]) -> Iterator[WorkResult]:
        assert self.pool is not None and self.opts is not None
        yield from self.pool.submit(chunk, self.opts)

    def _next(self) -> Iterator[WorkResult]:
        assert self.pool is not None
        yield from self.pool.next()

    def close(self, cancel: bool = False) -> None:
        if self.pool is not None:
            self.pool.close(cancel)
            self.pool = None
