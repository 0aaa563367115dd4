"""``tasman extract``: every inventoried file of a case's evidence and every imported record,
scanned in worker processes, stored as observations; one ExtractRun row with the warnings.

Work is committed file batch by file batch, so an interrupted run keeps what it finished and a
second run (idempotent) completes it. A worker that dies on a hostile file costs that file only
(a warning saying how it died); the run goes on (``core.procs.bounded_map``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import NothingToDo
from tasman.core.models import Artifact, Case, Evidence, Record
from tasman.core.procs import bounded_map, default_workers
from tasman.core.progress import Line, Table, plural
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tasman.evidence.cases import get_case
from tasman.extract.files import (
    INLINE_BYTES,
    Task,
    TaskResult,
    init_worker,
    iter_entries,
    real_file,
    run_task,
    run_tasks,
    split_text_file,
    worker_died,
)
from tasman.extract.models import ExtractRun
from tasman.extract.records import scan_record
from tasman.extract.store import ObservationWriter, Where

COMMIT_EVERY = 200  # files (or ranges) per transaction
MAX_WARNINGS = 10_000  # kept in the run row; beyond that only counted
_PRELOAD = ["tasman.extract.files"]  # imported once by the fork server, not by every worker


@dataclass
class RunSummary:
    run_id: int
    case_ref: str
    files: int = 0
    skipped: int = 0
    records: int = 0
    bytes_read: int = 0
    added: int = 0
    duplicates: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    warnings_dropped: int = 0
    status: str = "done"

    def warn(self, path: str, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append((path, message))
        else:
            self.warnings_dropped += 1

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "case": self.case_ref, "status": self.status, "files": self.files,
                "skipped": self.skipped, "records": self.records, "bytes": self.bytes_read, "added": self.added,
                "duplicates": self.duplicates, "by_type": dict(sorted(self.by_type.items())),
                "warnings_not_kept": self.warnings_dropped,
                "warnings": [{"path": p, "message": m} for p, m in self.warnings]}

    @property
    def page(self) -> str:
        return "identifiers"

    def summary_line(self) -> str:
        return (f"extraction run {self.run_id}: {self.added} new identifiers from {self.files} files and "
                f"{self.records} records, {len(self.warnings) + self.warnings_dropped} warnings")

    def lines(self) -> list[Line]:
        out: list[Line] = [f"Run {self.run_id}: {plural(self.files, 'file')} ({self.skipped} skipped), "
                           f"{plural(self.records, 'record')}, {plural(self.added, 'new observation')}, "
                           f"{self.duplicates} already known"]
        if self.by_type:
            out.append(Table(None, ("type", "new"), tuple(sorted(self.by_type.items()))))
        if self.warnings:
            out.append(Table(plural(len(self.warnings), "warning"), ("path", "warning"), tuple(self.warnings[:50])))
        return out

    def as_progress(self) -> tuple[int, int | None, str]:
        """The run so far as a progress tick (after each stored batch)."""
        return (self.files + self.records, None, f"{self.files:,} files and {self.records:,} records read, "
                                                 f"{self.added:,} new identifiers, {len(self.warnings)} warnings")


@dataclass(frozen=True)
class _Ref:
    evidence_id: int
    artifact_id: int | None


def _tasks(ws: Workspace, case_id: int, region: str | None, warn: Callable[[str, str], None],
           tmp: Path) -> Iterator[Task]:
    with ws.session() as s:
        items = list(s.scalars(select(Evidence).where(Evidence.case_id == case_id).order_by(Evidence.id)))
        inventory: dict[tuple[int, str], int] = {
            (ev_id, path): art_id for art_id, ev_id, path in s.execute(
                select(Artifact.id, Artifact.evidence_id, Artifact.path).where(Artifact.case_id == case_id))}
    inventoried = {ev for ev, _ in inventory}
    for ev in items:
        root = Path(ev.stored_copy or ev.path)
        if not root.exists():
            warn(ev.path, "evidence not found at its recorded path: skipped")
            continue
        if ev.id not in inventoried:
            warn(ev.path, "no triage inventory for this evidence: every file was read")

        def on_error(*args: object, _ev: Evidence = ev) -> None:
            where = str(args[0]) if args else _ev.path
            warn(where, " ".join(str(a) for a in args[1:]) or "unreadable")

        for entry in iter_entries(root, on_error, tmp):
            art = inventory.get((ev.id, entry.path))
            if ev.id in inventoried and art is None:
                continue  # triage chose not to inventory it (e.g. known-good): neither do we
            ref = _Ref(ev.id, art)
            file = real_file(entry)
            if file is not None:
                yield from split_text_file(file, entry.path, region, ref) or [Task(entry.path, str(file),
                                                                                    region=region, ref=ref)]
                continue
            try:
                if entry.size is not None and entry.size <= INLINE_BYTES:
                    with entry.open() as fh:
                        yield Task(entry.path, data=fh.read(INLINE_BYTES + 1), region=region, ref=ref)
                else:
                    fd, name = tempfile.mkstemp(dir=tmp, prefix="member-")
                    with entry.open() as src, os.fdopen(fd, "wb") as out:
                        shutil.copyfileobj(src, out, 1024 * 1024)
                    yield from split_text_file(Path(name), entry.path, region, ref) or [
                        Task(entry.path, name, region=region, ref=ref, temp=True)]
            except (OSError, ValueError) as exc:
                warn(entry.path, f"member not readable ({exc})")


def _results(tasks: Iterator[Task], workers: int) -> Iterator[TaskResult]:
    if workers <= 1:
        for t in tasks:
            yield run_task(t)
        return
    # bounded (a case of a million files is never all in flight), and a worker that dies on a
    # hostile file costs that file only: the run goes on (core.procs.IsolatingPool)
    yield from bounded_map(run_tasks, ([t] for t in tasks), worker_died, workers, preload=_PRELOAD,
                           initializer=init_worker, in_flight=workers * 2)


Progress = Callable[[RunSummary], None]


def _quiet(_summary: RunSummary) -> None:
    return None


def extract_case(ws: Workspace, case_ref: str, *, region: str | None = None, workers: int | None = None,
                 records: bool = True, files: bool = True, progress: Progress = _quiet) -> RunSummary:
    """Run extraction over a case and store its observations; returns what the run did.
    ``progress`` is told the running totals after each committed batch (the web app's job row)."""
    region = region.upper() if region else None
    workers = workers or default_workers()
    with ws.session() as s:
        case = get_case(s, case_ref)
        _check_something(s, case, records=records, files=files)
        run = ExtractRun(case_id=case.id, actor=ws.actor, started_at=utcnow(), status="running",
                         settings={"region": region, "workers": workers, "records": records, "files": files},
                         stats={}, errors=[])
        s.add(run)
        s.flush()
        audit.record(s, ws.actor, "extract.start", case_ref=case_ref, target=f"run {run.id}", run_id=run.id,
                     region=region, workers=workers)
        case_id, run_id = case.id, run.id
    summary = RunSummary(run_id, case_ref)

    warn = summary.warn

    try:
        with tempfile.TemporaryDirectory(prefix="tasman-extract-") as tmp:
            if files:
                _store_files(ws, case_id, run_id, region, workers, summary, warn, Path(tmp), progress)
        if records:
            _store_records(ws, case_id, run_id, summary, progress)
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    except BaseException:
        summary.status = "failed"
        raise
    finally:
        with ws.session() as s:
            row = s.get(ExtractRun, run_id)
            assert row is not None
            row.finished_at, row.status = utcnow(), summary.status
            counts = summary.as_dict()
            row.errors = counts.pop("warnings")
            row.stats = counts
            audit.record(s, ws.actor, "extract.run", case_ref=case_ref, target=f"run {run_id}", run_id=run_id,
                         status=summary.status, files=summary.files, records=summary.records,
                         added=summary.added, warnings=len(summary.warnings))
    return summary


def _check_something(s: Session, case: Case, *, records: bool, files: bool) -> None:
    """Raise ``NothingToDo`` when the case has none of what this run would read (no run is made)."""
    has_files = files and s.scalar(select(Evidence.id).where(Evidence.case_id == case.id).limit(1)) is not None
    has_records = records and s.scalar(select(Record.id).where(Record.case_id == case.id).limit(1)) is not None
    if has_files or has_records:
        return
    wanted = [w for w, on in (("evidence", files), ("records", records)) if on]
    how = {"evidence": "add some with `tasman evidence add`", "records": "import some with `tasman records import`"}
    if not wanted:
        raise NothingToDo("nothing to extract: --no-files and --no-records leave nothing to read")
    raise NothingToDo(f"nothing to extract: case {case.ref} has no {' and no '.join(wanted)}; "
                      + " or ".join(how[w] for w in wanted))


def _absorb(summary: RunSummary, writer: ObservationWriter) -> None:
    summary.added += writer.added
    summary.duplicates += writer.duplicates
    for k, v in writer.by_type.items():
        summary.by_type[k] = summary.by_type.get(k, 0) + v
    writer.added = writer.duplicates = 0
    writer.by_type.clear()


def _store_files(ws: Workspace, case_id: int, run_id: int, region: str | None, workers: int, summary: RunSummary,
                 warn: Callable[[str, str], None], tmp: Path, progress: Progress) -> None:
    results = _results(_tasks(ws, case_id, region, warn, tmp), workers)
    done = False
    seen_paths: set[str] = set()
    while not done:
        with ws.session() as s:
            writer = ObservationWriter(s, case_id, run_id)
            for _ in range(COMMIT_EVERY):
                r = next(results, None)
                if r is None:
                    done = True
                    break
                if r.task_path not in seen_paths:
                    seen_paths.add(r.task_path)
                    summary.files += 1
                    summary.skipped += r.source is None
                summary.bytes_read += r.bytes_read
                for p, m in r.warnings:
                    summary.warn(p, m)
                ref: _Ref = r.ref
                where = Where(r.task_path, ref.artifact_id, ref.evidence_id)
                for sighting in r.sightings:
                    writer.add(sighting, where)
            writer.flush()
            _absorb(summary, writer)
        progress(summary)


def _store_records(ws: Workspace, case_id: int, run_id: int, summary: RunSummary, progress: Progress) -> None:
    with ws.session() as s:
        ids = list(s.scalars(select(Record.id).where(Record.case_id == case_id).order_by(Record.id)))
    for i in range(0, len(ids), 2000):
        with ws.session() as s:
            writer = ObservationWriter(s, case_id, run_id)
            for rec in s.scalars(select(Record).where(Record.id.in_(ids[i:i + 2000]))):
                summary.records += 1
                where = Where(f"{rec.source}#{rec.source_id}", record_id=rec.id)
                for sighting in scan_record(rec):
                    writer.add(sighting, where)
            writer.flush()
            _absorb(summary, writer)
        progress(summary)
