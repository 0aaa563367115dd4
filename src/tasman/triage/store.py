"""What a triage run writes to the database: its run row from start to end (``open_run``,
``mark_stopped``, ``finish_run``), the evidence its custody hash records (``record_evidence``) and
its results, one batch per transaction.

A batch holds the artifacts hashed since the last commit (inserted, or updated when an earlier
run already inventoried the same path), their ``triage_files`` markers, their matches and the
warnings seen meanwhile. Everything of a batch lands together or not at all, which is what
makes a killed run resumable without duplicates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.db import short_lock_wait
from tasman.core.interrupts import sigint_ignored
from tasman.core.models import Artifact
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence
from tasman.triage.hashing.worker import WorkResult
from tasman.triage.models import TriageError, TriageFile, TriageMatch, TriageRun
from tasman.triage.options import TriagePlan
from tasman.triage.types import Match

log = logging.getLogger(__name__)

RESUMABLE = ("running", "interrupted")


def run_key(case_id: int, evidence_ids: Sequence[int], hashsets: Sequence[str], parameters: dict[str, Any]) -> str:
    doc = {"case": case_id, "evidence": sorted(evidence_ids), "hashsets": sorted(hashsets), "parameters": parameters}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def error_key(evidence_id: int, path: str, reason: str) -> str:
    return hashlib.sha256(f"{evidence_id}\0{path}\0{reason}".encode()).hexdigest()


def find_resumable(session: Session, case_id: int, key: str) -> TriageRun | None:
    return session.scalar(select(TriageRun).where(TriageRun.case_id == case_id, TriageRun.key == key,
                                                  TriageRun.status.in_(RESUMABLE))
                          .order_by(TriageRun.id.desc()).limit(1))


@dataclass
class ResumeState:
    """What an interrupted run already committed."""

    done: dict[int, set[str]] = field(default_factory=dict)     # evidence id -> artifact paths hashed
    error_keys: set[str] = field(default_factory=set)

    def is_done(self, evidence_id: int, path: str) -> bool:
        return path in self.done.get(evidence_id, ())


@dataclass(frozen=True)
class RunHandle:
    run_id: int
    resumed: bool
    target: Path
    state: ResumeState


def load_state(session: Session, run_id: int) -> ResumeState:
    state = ResumeState()
    rows = session.execute(select(Artifact.evidence_id, Artifact.path)
                           .join(TriageFile, TriageFile.artifact_id == Artifact.id)
                           .where(TriageFile.run_id == run_id))
    for ev, path in rows:
        state.done.setdefault(ev, set()).add(path)
    state.error_keys = set(session.scalars(select(TriageError.key).where(TriageError.run_id == run_id)))
    return state


@dataclass
class Batch:
    results: list[tuple[int, WorkResult]] = field(default_factory=list)   # (evidence id, result)
    matches: list[tuple[int, Match]] = field(default_factory=list)        # (evidence id, match)
    errors: list[tuple[int, str, str]] = field(default_factory=list)      # (evidence id, path, reason)

    def __len__(self) -> int:
        return len(self.results) + len(self.errors)


def _artifact_row(case_id: int, evidence_id: int, run_id: int, r: WorkResult) -> dict[str, Any]:
    h = r.hashes
    meta: dict[str, Any] = {"triage_run": run_id, "kind": r.kind, **r.meta}
    if h.pdq is not None:
        meta["pdq"] = h.pdq
        meta["pdq_quality"] = h.pdq_quality
    if h.vpdq:
        meta["vpdq"] = [list(frame) for frame in h.vpdq]
    return {"case_id": case_id, "evidence_id": evidence_id, "path": h.path, "size": h.size,
            "mime": (h.mime or "")[:200] or None, "md5": h.md5, "sha1": h.sha1, "sha256": h.sha256,
            "deleted": h.deleted, "meta": meta}


def write_batch(session: Session, run: TriageRun, state: ResumeState, batch: Batch) -> None:
    """Store one batch (in the caller's transaction) and record it in ``state``."""
    ids: dict[tuple[int, str], int] = {}
    by_evidence: dict[int, list[WorkResult]] = {}
    for ev, r in batch.results:
        by_evidence.setdefault(ev, []).append(r)
    for ev, results in by_evidence.items():
        rows = {r.hashes.path: _artifact_row(run.case_id, ev, run.id, r) for r in results}
        existing = dict(session.execute(select(Artifact.path, Artifact.id)
                                        .where(Artifact.evidence_id == ev, Artifact.path.in_(list(rows)))).all())
        updates = [{"id": existing[p], **row} for p, row in rows.items() if p in existing]
        inserts = [row for p, row in rows.items() if p not in existing]
        if updates:
            session.execute(update(Artifact), updates)
        if inserts:
            for path, new_id in session.execute(insert(Artifact).returning(Artifact.path, Artifact.id), inserts):
                existing[path] = new_id
        for p in rows:
            ids[(ev, p)] = existing[p]
        kinds = {r.hashes.path: r.kind for r in results}
        session.execute(insert(TriageFile), [{"run_id": run.id, "artifact_id": existing[p], "kind": kinds[p]}
                                             for p in rows])
        state.done.setdefault(ev, set()).update(rows)
    match_rows = []
    seen: set[tuple[int, str, str, str]] = set()
    for ev, m in batch.matches:
        aid = ids.get((ev, m.path))
        mkey = (aid or 0, m.match_type, m.hash_name, m.hashset)
        if aid is None or mkey in seen:
            continue
        seen.add(mkey)
        match_rows.append({"run_id": run.id, "artifact_id": aid, "match_type": m.match_type, "hash_name": m.hash_name,
                           "hashset": m.hashset, "category": m.category, "distance": m.distance,
                           "known_good": m.known_good, "detail": _jsonable(m.detail)})
    if match_rows:
        session.execute(insert(TriageMatch), match_rows)
    error_rows = []
    for ev, path, reason in batch.errors:
        key = error_key(ev, path, reason)
        if key in state.error_keys:
            continue
        state.error_keys.add(key)
        error_rows.append({"run_id": run.id, "evidence_id": ev, "path": path, "reason": reason, "key": key})
    if error_rows:
        session.execute(insert(TriageError), error_rows)


def _jsonable(detail: dict[str, object]) -> dict[str, Any]:
    return json.loads(json.dumps(detail, default=str))


def counts(session: Session, run_id: int) -> dict[str, int]:
    files = select(TriageFile.artifact_id).where(TriageFile.run_id == run_id)
    n_files, n_bytes = session.execute(select(func.count(Artifact.id), func.coalesce(func.sum(Artifact.size), 0))
                                       .where(Artifact.id.in_(files))).one()
    kinds = dict(session.execute(select(TriageFile.kind, func.count()).where(TriageFile.run_id == run_id)
                                 .group_by(TriageFile.kind)).all())
    deleted = session.scalar(select(func.count()).select_from(Artifact)
                             .where(Artifact.id.in_(files), Artifact.deleted.is_(True))) or 0
    flagged = session.scalar(select(func.count(func.distinct(TriageMatch.artifact_id)))
                             .where(TriageMatch.run_id == run_id, TriageMatch.known_good.is_(False))) or 0
    good = session.scalar(select(func.count(func.distinct(TriageMatch.artifact_id)))
                          .where(TriageMatch.run_id == run_id, TriageMatch.known_good.is_(True))) or 0
    errors = session.scalar(select(func.count()).select_from(TriageError).where(TriageError.run_id == run_id)) or 0
    return {"files": int(n_files or 0), "bytes": int(n_bytes or 0), "pictures": int(kinds.get("picture", 0)),
            "videos": int(kinds.get("video", 0)), "deleted": int(deleted), "matched_files": int(flagged),
            "known_good_files": int(good), "errors": int(errors)}


# -- the run row's lifecycle ----------------------------------------------------------------------

def record_evidence(ws: Workspace, case_ref: str, path: Path, sha256: str | None) -> dict[str, Any]:
    """One item recorded as evidence or checked unchanged, with the hash the run's own read gave
    (``custody``), or hashed by ``add_evidence`` itself."""
    with ws.session() as s:
        ev = add_evidence(s, ws.actor, case_ref, path, sha256=sha256, unreadable_ok=True).evidence
        return {"arg": str(path), "evidence_id": ev.id, "name": ev.name}


def open_run(plan: TriagePlan, evidence: list[dict[str, Any]]) -> RunHandle:
    """The run of ``plan`` over the recorded ``evidence``: the interrupted one with the same key
    resumed (unless ``restart``, which supersedes it) or a new one, audited in one transaction."""
    ws, options = plan.ws, plan.options
    hashsets = list(plan.hashsets)
    params = options.parameters()
    key = run_key(plan.case_id, [e["evidence_id"] for e in evidence], hashsets, params)
    with ws.session() as s:
        run = None if options.restart else find_resumable(s, plan.case_id, key)
        resumed = run is not None
        if options.restart:
            old = find_resumable(s, plan.case_id, key)
            if old is not None:
                old.status = "superseded"
        if run is None:
            run = TriageRun(case_id=plan.case_id, key=key, evidence=evidence, hashsets=hashsets,
                            settings={**params, "workers": 0}, actor=ws.actor)
            s.add(run)
            s.flush()
        else:
            run.resumed += 1
            run.status = "running"
        # this session's parameters (not the key's)
        run.settings = {**params, **plan.engine, "limits": options.budget_parameters()}
        if plan.out_dir is not None:
            target = plan.out_dir.resolve()
        else:
            target = Path(run.out_dir) if run.out_dir else ws.out_dir(f"triage-{run.id}")
        run.out_dir = str(target)
        audit.record(s, ws.actor, "triage.resume" if resumed else "triage.start", case_ref=plan.case_ref,
                     target=",".join(e["arg"] for e in evidence), run_id=run.id, hashsets=hashsets, parameters=params)
        return RunHandle(run.id, resumed, target, load_state(s, run.id))


MARK_LOCK_WAIT = 5.0            # seconds a write on the way out of a stopped run waits for a lock


def mark_stopped(ws: Workspace, case_ref: str, run_id: int, files: int, exc: BaseException) -> None:
    """An interrupted run stays resumable; one that failed on its evidence does not.

    Marking the run is best effort and quick: another writer may hold SQLite's lock (a Ctrl-C
    inside a write no longer does: see ``core.db``), so each try waits for a lock at most ``MARK_LOCK_WAIT``
    seconds, the pool's connections are closed and the mark tried again (three times, a moment
    apart): an interrupted run ends in seconds, never in minutes of lock waits; a second Ctrl-C
    while the mark is written is ignored (at a terminal the whole process group gets it, and
    impatient users press it twice). If it
    still cannot be written the run keeps its 'running' status, which resumes exactly like an
    interrupted run (as after a kill), and the interrupt or error goes on."""
    status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
    with sigint_ignored():
        for attempt in (1, 2, 3):
            try:
                with ws.session() as s, short_lock_wait(s, MARK_LOCK_WAIT):
                    run = s.get(TriageRun, run_id)
                    assert run is not None
                    run.status = status
                    audit.record(s, ws.actor, f"triage.{status}", case_ref=case_ref, run_id=run.id,
                                 files=files, reason=str(exc)[:300])
                return
            except DBAPIError as db_exc:
                if attempt == 3:
                    log.warning("triage run %s could not be marked %s (%s); it resumes as it is",
                                run_id, status, str(db_exc).splitlines()[0])
                    return
                ws.engine.dispose()
                time.sleep(0.5 * attempt)


def finish_run(session: Session, run_id: int, figures: dict[str, Any]) -> TriageRun:
    """The run marked finished with its counts and this session's figures (in the caller's
    transaction, which writes its files and audit entry with it)."""
    run = session.get(TriageRun, run_id)
    assert run is not None
    run.stats = counts(session, run_id)
    earlier = float((run.figures or {}).get("seconds", 0.0))
    run.figures = {"seconds": round(earlier + float(figures["session_seconds"]), 3), **figures}
    run.status = "finished"
    run.finished_at = utcnow()
    session.flush()
    return run
