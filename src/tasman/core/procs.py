"""Worker processes shared by the stages that fan out over cores (triage hashing, extraction).

Pools use the ``forkserver`` start method, so workers never inherit the parent's threads,
database connections or progress bar (the web app starts runs from a job thread, where ``fork``
would copy whatever locks other threads held). Workers import the tasman this process runs,
and start without running the caller's ``__main__`` again.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

__all__ = ["default_workers", "start_pool", "tasman_on_path", "worker_context"]


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


def start_pool(workers: int, preload: Sequence[str] = (), initializer: Any = None) -> ProcessPoolExecutor:
    """A process pool on the fork server with its ``workers`` processes started now (without
    waiting for them), each running ``initializer`` first."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=worker_context(preload), initializer=initializer)
    with main_not_needed():
        for _ in range(workers):
            pool.submit(_noop)
    return pool
