"""The backend interface: load a table, run SQL, hand Splink its database API."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import pyarrow as pa


class Backend(ABC):
    name: ClassVar[str]

    @abstractmethod
    def load(self, name: str, table: pa.Table) -> None:
        """Make ``table`` available to SQL under ``name`` (replacing any earlier one)."""

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing (CREATE TABLE ... AS, DROP ...)."""

    @abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run a query and return its result."""

    @abstractmethod
    def splink_api(self) -> Any:
        """The Splink database API on the same data."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
