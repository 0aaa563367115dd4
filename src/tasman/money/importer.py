"""``tasman money import``: read a file with a reader and store its rows as ``transactions`` records
(idempotent by file name and record id, through the records stage's store). A goAML report
given with its FIU's XSD is checked against it first and, unless it conforms, nothing is stored
(``NonConformingError`` lists every element that does not)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from tasman.core.errors import InputError, NotFoundError
from tasman.evidence import get_case
from tasman.money.readers import ReadOptions, get_reader
from tasman.money.readers.goaml_schema import NonConformingError, validate_goaml
from tasman.records.store import ImportSummary, store_records


def import_transactions(session: Session, actor: str, case_ref: str, path: Path, fmt: str,
                        mapping: Path | None = None, account_holder: str | None = None,
                        xsd: Path | None = None) -> ImportSummary:
    reader = get_reader(fmt)
    get_case(session, case_ref)  # an unknown case fails before the file is read
    if not path.is_file():
        raise NotFoundError(f"no such file {str(path)!r}")
    if mapping is not None and not mapping.is_file():
        raise NotFoundError(f"no such mapping file {str(mapping)!r}")
    if xsd is not None:
        if fmt != "goaml":
            raise InputError(f"an XSD checks goAML reports only, not {fmt!r}")
        problems = validate_goaml(path, xsd)
        if problems:
            raise NonConformingError(
                f"{path.name!r} does not conform to {xsd.name!r}: {len(problems)} element(s), nothing imported "
                f"(first: {problems[0]})", problems)
    result = reader.read(path, ReadOptions(mapping=mapping, account_holder=account_holder))
    if not result.rows:
        first = result.warnings[0] if result.warnings else "no rows"
        raise InputError(f"{path.name!r}: nothing usable to import ({len(result.warnings)} problems; first: {first})")
    return store_records(session, actor, case_ref, "transactions", path.name, result.rows, result.warnings)
