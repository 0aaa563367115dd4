"""``tasman money import``: read a file with a reader and store its rows as ``transactions`` records
(idempotent by file name and record id, through the records stage's store)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from tasman.core.errors import InputError, NotFoundError
from tasman.evidence import get_case
from tasman.money.readers import ReadOptions, get_reader
from tasman.records.store import ImportSummary, store_records


def import_transactions(session: Session, actor: str, case_ref: str, path: Path, fmt: str,
                        mapping: Path | None = None, account_holder: str | None = None) -> ImportSummary:
    reader = get_reader(fmt)
    get_case(session, case_ref)  # an unknown case fails before the file is read
    if not path.is_file():
        raise NotFoundError(f"no such file {str(path)!r}")
    if mapping is not None and not mapping.is_file():
        raise NotFoundError(f"no such mapping file {str(mapping)!r}")
    result = reader.read(path, ReadOptions(mapping=mapping, account_holder=account_holder))
    if not result.rows:
        first = result.warnings[0] if result.warnings else "no rows"
        raise InputError(f"{path.name!r}: nothing usable to import ({len(result.warnings)} problems; first: {first})")
    return store_records(session, actor, case_ref, "transactions", path.name, result.rows, result.warnings)
