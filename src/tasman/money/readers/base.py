"""The extension point for transaction formats: one reader per format, with a stable name.

A reader turns one file into ``(source_id, fields)`` rows in the TRANSACTION_FIELDS vocabulary
and per-row warnings ("file#row: reason"). It never touches storage (the importer does) and a
bad row never ends the read; a file that is not of its format at all is an InputError.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


@dataclass
class ReadResult:
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReadOptions:
    mapping: Path | None = None          # bank-csv: the YAML column mapping
    account_holder: str | None = None    # bank-csv: whose statement it is (overrides the mapping's)


class TransactionReader(ABC):
    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def read(self, path: Path, options: ReadOptions) -> ReadResult:
        """Rows and warnings; raise InputError only when the whole file is unusable."""


def compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values, so a re-import of the same data compares equal."""
    return {k: v for k, v in fields.items() if v not in (None, "")}
