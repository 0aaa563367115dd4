"""The hashing engine a run asks for by name: ``local`` (``pipeline.HashPool``) or ``ray``
(``rayengine.RayEngine``, imported only when chosen). Apart from ``pipeline`` so that the Ray
engine, built on ``pipeline``'s loop, is never imported back by it.
"""

from __future__ import annotations

from tasman.core.errors import InputError
from tasman.core.procs import default_workers
from tasman.triage.pipeline import Engine, HashPool

ENGINES = ("local", "ray")


def make_engine(engine: str = "local", workers: int | None = None, ray_address: str | None = None,
                shared_storage: bool = False) -> Engine:
    """The engine a run asked for: ``local``, worker processes on this machine (``workers``: one
    per core by default, 0 hashes in this process), or ``ray``, tasks on a Ray cluster
    (``ray_address``: see ``rayengine``; Ray is imported only here). ``shared_storage``: the
    cluster's nodes see the evidence at the same paths, and are sent paths rather than bytes."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if shared_storage and (engine != "ray" or ray_address is None):
        raise InputError("--ray-shared-storage is for a Ray cluster given by --ray-address (--engine ray); "
                         "workers started here read the files themselves")
    if engine == "local":
        if ray_address is not None:
            raise InputError("a Ray address needs the Ray engine (--engine ray)")
        return HashPool(workers if workers is not None else default_workers())
    try:
        from tasman.triage.rayengine import RayEngine
    except ImportError:
        raise InputError("the Ray engine needs Ray: pip install 'tasman[ray]'") from None
    return RayEngine(ray_address, workers, ship=False if shared_storage else None)
