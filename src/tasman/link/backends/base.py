"""The backend interface: load a table, materialise a query, read a result, hand Splink its
database API on the same data.

Tasman's own SQL (deterministic rules, edge ordering, subject summaries) is written once, in
DuckDB's dialect; a backend on another engine translates it with sqlglot, the translator
Splink itself uses, so no statement is kept twice."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import pyarrow as pa

from tasman.core.progress import Progress


class Backend(ABC):
    name: ClassVar[str]
    #: Splink's name for the engine's SQL dialect (the settings dictionary is rendered in it)
    dialect: ClassVar[str]

    @abstractmethod
    def load(self, name: str, table: pa.Table) -> None:
        """Make ``table`` available to SQL under ``name`` (replacing any earlier one)."""

    @abstractmethod
    def create(self, name: str, sql: str) -> None:
        """Compute the query ``sql`` now and keep its result under ``name`` (replacing any
        earlier one), so later statements read the result rather than recompute it."""

    def view(self, name: str, sql: str) -> None:
        """Name the query ``sql`` (replacing any earlier table or view of that name), computed
        where it is read: no copy of what it reads (an engine without cheap views computes it now)."""
        self.create(name, sql)

    @abstractmethod
    def drop(self, name: str) -> None:
        """Forget the table ``name`` (nothing happens when there is none)."""

    @abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run a query and return its result (in the query's order)."""

    @abstractmethod
    def splink_api(self) -> Any:
        """The Splink database API on the same data."""

    @abstractmethod
    def close(self) -> None: ...

    def report_to(self, progress: Progress | None) -> None:
        """Report the engine's own progress (a cluster's tasks) through ``progress`` while the
        backend is open; an engine that has nothing to add (DuckDB, in this process) ignores it."""
        return None

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
