"""Importing a file of records into a case: parse (no storage), then store everything in the
caller's transaction, with a :class:`RecordImport` row saying how complete the import was."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.evidence.cases import get_case
from tasman.records.importers import Options, importer_for
from tasman.records.mapping import Mapping, load_mapping, mapping_differences
from tasman.records.models import RecordImport
from tasman.records.store import store_records

MAX_KEPT_WARNINGS = 1000


@dataclass
class ImportReport:
    kind: str
    source: str
    path: str
    sha256: str
    total: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mapping: Mapping | None = None
    mapping_saved: str | None = None
    mapping_used: str | None = None       # an earlier saved (maybe corrected) mapping used instead of a guess
    mapping_diff: list[str] = field(default_factory=list)   # how the new guess differs from it, one per field
    previous_sha256: str | None = None

    @property
    def imported(self) -> int:
        return self.added + self.updated + self.unchanged

    @property
    def complete(self) -> bool:
        return self.skipped == 0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "path": self.path, "sha256": self.sha256,
                "rows": self.total, "imported": self.imported, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "skipped": self.skipped, "complete": self.complete,
                "warnings": self.warnings, "notes": self.notes, "mapping_saved": self.mapping_saved,
                "mapping_used": self.mapping_used, "mapping_diff": self.mapping_diff,
                "mapping": self.mapping.columns if self.mapping else None}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_file(session: Session, actor: str, case_ref: str, path: Path, kind: str,
                mapping_path: Path | None = None, source: str | None = None, strict: bool = False,
                save_mapping_dir: Path | None = None) -> ImportReport:
    """Import ``path`` as records of ``kind``; with ``strict`` any skipped row aborts the import."""
    case = get_case(session, case_ref)
    importer = importer_for(kind)
    if path.is_dir():
        raise InputError(f"{str(path)!r} is a folder: give the records file to import")
    if not path.is_file():
        raise NotFoundError(f"no such file {str(path)!r}")
    if mapping_path is not None and kind not in ("customers", "transactions"):
        raise InputError(f"--map applies to table kinds (customers, transactions), not {kind!r}")
    mapping = load_mapping(mapping_path, kind) if mapping_path is not None else None
    parsed = importer.parse(path, Options(mapping=mapping, source=source))
    guess, save_to, used, diff = parsed.mapping, None, None, []
    if save_mapping_dir is not None and guess is not None and guess.guessed:
        save_to = save_mapping_dir / f"{Path(parsed.source).stem}.{kind}.mapping.yaml"
        if save_to.is_file():
            # saved by an earlier import and perhaps corrected since: used, never overwritten; a
            # different guess goes beside it
            kept = load_mapping(save_to, kind)
            used, diff = str(save_to), mapping_differences(kept, guess)
            if diff:
                parsed = importer.parse(path, Options(mapping=kept, source=source))
                save_to = save_to.with_name(save_to.name.removesuffix(".yaml") + ".guess.yaml")
            else:
                save_to = None
    report = ImportReport(kind=kind, source=parsed.source, path=str(path), sha256=file_sha256(path),
                          total=parsed.total, skipped=parsed.skipped, notes=list(parsed.notes),
                          mapping=parsed.mapping, mapping_used=used, mapping_diff=diff)
    if parsed.total == 0:
        raise InputError(f"{parsed.source} holds no rows: nothing imported")
    if not parsed.rows:
        first = parsed.warnings[0] if parsed.warnings else ""
        raise InputError(f"{parsed.source}: none of {parsed.total} rows could be imported ({first})")
    if strict and parsed.skipped:
        raise InputError(f"{parsed.source}: {parsed.skipped} of {parsed.total} rows are bad "
                         f"(first: {parsed.warnings[0] if parsed.warnings else '?'}); --strict: nothing imported")
    prev = session.scalar(select(RecordImport.sha256).where(
        RecordImport.case_id == case.id, RecordImport.source == parsed.source).order_by(RecordImport.id.desc()))
    if prev is not None and prev != report.sha256:
        report.previous_sha256 = prev
        report.notes.append(f"source {parsed.source!r} was imported before from a different file "
                            f"(sha256 {prev[:16]}...): its records are updated")
    summary = store_records(session, actor, case_ref, kind, parsed.source, parsed.rows, parsed.warnings)
    report.added, report.updated, report.unchanged = summary.added, summary.updated, summary.unchanged
    report.warnings = summary.warnings
    if save_to is not None and guess is not None:   # a first guess, or a new guess beside a kept mapping
        report.mapping_saved = str(guess.save(save_to))
    session.add(RecordImport(
        case_id=case.id, kind=kind, source=parsed.source, path=str(path.resolve()), sha256=report.sha256,
        size=path.stat().st_size, actor=actor, total=report.total, added=report.added, updated=report.updated,
        unchanged=report.unchanged, skipped=report.skipped, complete=report.complete,
        warnings=report.warnings[:MAX_KEPT_WARNINGS], warning_count=len(report.warnings),
        mapping={"columns": parsed.mapping.columns, "guessed": parsed.mapping.guessed} if parsed.mapping else {}))
    session.flush()
    audit.record(session, actor, "records.import.file", case_ref=case_ref, target=parsed.source,
                 sha256=report.sha256, rows=report.total, skipped=report.skipped, complete=report.complete)
    return report


def list_imports(session: Session, actor: str, case_ref: str) -> list[RecordImport]:
    case = get_case(session, case_ref)
    rows = list(session.scalars(select(RecordImport).where(RecordImport.case_id == case.id)
                                .order_by(RecordImport.id)))
    audit.record(session, actor, "records.list", case_ref=case_ref, count=len(rows))
    return rows
