"""Where the linking SQL runs. One small interface, so a server database or a cluster engine
can take over from the embedded default without touching the rest of the stage."""

from __future__ import annotations

from tasman.core.errors import InputError
from tasman.link.backends.base import Backend
from tasman.link.backends.duckdb import DuckDBBackend
from tasman.link.backends.spark import SparkBackend

BACKENDS: dict[str, type[Backend]] = {DuckDBBackend.name: DuckDBBackend, SparkBackend.name: SparkBackend}


def open_backend(name: str = "duckdb", **options: object) -> Backend:
    try:
        cls = BACKENDS[name]
    except KeyError:
        raise InputError(f"unknown link backend {name!r}: use one of {', '.join(BACKENDS)}") from None
    return cls(**options)


__all__ = ["BACKENDS", "Backend", "open_backend"]
