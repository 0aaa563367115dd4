"""Reading a case's stored triage results back: its runs, one run's report, and the perceptual
matches (pictures by PDQ, videos by vPDQ) a person has to confirm. What the web app and the API
show; every read is audited. An examiner's decision on a match (``tasman.triage.review``) takes it
out of the awaiting list: it is listed with the decided ones instead.

The report is the same frozen document ``tasman triage`` writes to report.html/json, built from
the database, so what a page shows and what the run wrote cannot drift apart. Nothing here reads
or returns a picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import NotFoundError
from tasman.core.models import Artifact
from tasman.evidence.cases import get_case
from tasman.triage.hashing.video import SECONDS_PER_HASH
from tasman.triage.models import TriageMatch, TriageReview, TriageRun
from tasman.triage.outputs import matched_files, output_paths
from tasman.triage.report import TriageReport, build_report
from tasman.triage.store import counts

# Matches a person confirms by eye: every perceptual kind (PDQ of a picture, its crops, vPDQ of a
# video). An exact hash match needs no look.
REVIEW_TYPES = ("perceptual", "crop", "video")


@dataclass(frozen=True)
class RunInfo:
    id: int
    status: str                 # running | interrupted | failed | superseded | finished
    evidence: list[str]         # evidence names
    hashsets: list[str]
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]      # as stored at the end; counted now while a run is unfinished

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "started_at": self.started_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None}


@dataclass(frozen=True)
class ReviewItem:
    """A perceptual match (picture or video) awaiting a person's look (the file is not also an exact match)."""

    artifact_id: int
    path: str
    sha1: str | None
    match_type: str
    hashset: str
    category: int | None
    distance: int


def _info(session: Session, run: TriageRun) -> RunInfo:
    stored = dict(run.stats or {})
    return RunInfo(id=run.id, status=run.status, evidence=[str(e.get("name", "")) for e in run.evidence],
                   hashsets=list(run.hashsets), started_by=run.actor, started_at=run.started_at,
                   finished_at=run.finished_at, counts=stored if run.status == "finished" else counts(session, run.id))


def list_runs(session: Session, actor: str, case_ref: str, limit: int = 50) -> list[RunInfo]:
    """The case's triage runs, newest first."""
    case = get_case(session, case_ref)
    runs = list(session.scalars(select(TriageRun).where(TriageRun.case_id == case.id)
                                .order_by(TriageRun.id.desc()).limit(limit)))
    audit.record(session, actor, "triage.runs", case_ref=case_ref, count=len(runs))
    return [_info(session, r) for r in runs]


def _pick(session: Session, case_id: int, case_ref: str, run_id: int | None) -> TriageRun | None:
    if run_id is None:
        return session.scalar(select(TriageRun).where(TriageRun.case_id == case_id, TriageRun.status == "finished")
                              .order_by(TriageRun.id.desc()).limit(1))
    run = session.get(TriageRun, run_id)
    if run is None or run.case_id != case_id:
        raise NotFoundError(f"no triage run {run_id} in case {case_ref!r}")
    return run


def run_report(session: Session, actor: str, case_ref: str, run_id: int | None = None) -> TriageReport | None:
    """One finished run's report (the latest when ``run_id`` is None; None when no run has finished):
    counts per category, matched files with paths and hashes, unreadable files."""
    case = get_case(session, case_ref)
    run = _pick(session, case.id, case_ref, run_id)
    if run is None:
        return None
    if run.status != "finished":
        raise NotFoundError(f"triage run {run.id} has not finished ({run.status}); its report comes at the end")
    doc = build_report(session, run, matched_files(session, run.id),
                       {k: str(v) for k, v in output_paths(Path(run.out_dir)).items()} if run.out_dir else {})
    audit.record(session, actor, "triage.report.read", case_ref=case_ref, target=f"run {run.id}",
                 matches=doc.matches_total)
    return doc


@dataclass(frozen=True)
class DecidedItem:
    """A perceptual match an examiner has decided on (their latest decision)."""

    item: ReviewItem
    decision: str               # confirmed | declined
    note: str
    decided_by: str
    decided_at: datetime


def latest_reviews(session: Session, case_id: int) -> dict[int, TriageReview]:
    """The current decision on each decided artifact of the case: its latest row (the earlier rows
    are its history)."""
    latest = (select(func.max(TriageReview.id)).where(TriageReview.case_id == case_id)
              .group_by(TriageReview.artifact_id))
    return {r.artifact_id: r for r in session.scalars(select(TriageReview).where(TriageReview.id.in_(latest)))}


def _run_review_items(session: Session, run_id: int) -> list[ReviewItem]:
    """The run's perceptual, crop and video matches that are not also exact matches, closest first,
    decided or not."""
    exact = select(TriageMatch.artifact_id).where(TriageMatch.run_id == run_id, TriageMatch.match_type == "exact")
    rows = session.execute(
        select(TriageMatch, Artifact.path, Artifact.sha1).join(Artifact, Artifact.id == TriageMatch.artifact_id)
        .where(TriageMatch.run_id == run_id, TriageMatch.match_type.in_(REVIEW_TYPES),
               TriageMatch.known_good.is_(False), TriageMatch.artifact_id.not_in(exact))
        .order_by(TriageMatch.distance, Artifact.path))
    out: dict[int, ReviewItem] = {}
    for m, path, sha1 in rows:
        if m.artifact_id not in out:
            out[m.artifact_id] = ReviewItem(m.artifact_id, path, sha1, m.match_type, m.hashset, m.category,
                                            m.distance)
    return list(out.values())


def _case_of(session: Session, run_id: int) -> int:
    return int(session.scalar(select(TriageRun.case_id).where(TriageRun.id == run_id)) or 0)


def review_queue(session: Session, run_id: int, limit: int = 500) -> tuple[list[ReviewItem], list[DecidedItem]]:
    """The run's perceptual, crop and video matches that are not also exact matches, in one read:
    those no examiner has decided on yet (closest first), and those decided, with the latest
    decision (most recently decided first)."""
    decided = latest_reviews(session, _case_of(session, run_id))
    awaiting, done = [], []
    for i in _run_review_items(session, run_id):
        r = decided.get(i.artifact_id)
        if r is None:
            awaiting.append(i)
        else:
            done.append(DecidedItem(i, r.decision, r.note, r.decided_by, r.decided_at))
    done.sort(key=lambda d: d.decided_at, reverse=True)
    return awaiting[:limit], done[:limit]


def review_items(session: Session, run_id: int, limit: int = 500) -> list[ReviewItem]:
    """The run's matches awaiting an examiner's decision, closest first (``review_queue``)."""
    return review_queue(session, run_id, limit)[0]


def decided_items(session: Session, run_id: int, limit: int = 500) -> list[DecidedItem]:
    """The run's matches an examiner has decided on, most recently decided first (``review_queue``)."""
    return review_queue(session, run_id, limit)[1]


def has_review_match(session: Session, case_id: int, artifact_id: int) -> bool:
    """Whether any run of the case holds a perceptual (picture or video) match of this artifact for a
    person to confirm (decided on or not): what an examiner may record a decision on."""
    runs = select(TriageRun.id).where(TriageRun.case_id == case_id)
    exact = select(TriageMatch.id).where(TriageMatch.artifact_id == artifact_id, TriageMatch.match_type == "exact",
                                         TriageMatch.run_id.in_(runs))
    if session.scalar(select(exact.exists())):
        return False
    found = select(TriageMatch.id).where(TriageMatch.artifact_id == artifact_id, TriageMatch.run_id.in_(runs),
                                         TriageMatch.match_type.in_(REVIEW_TYPES), TriageMatch.known_good.is_(False))
    return bool(session.scalar(select(found.exists())))


def needs_review(session: Session, case_id: int, artifact_id: int) -> bool:
    """Whether any run of the case holds a perceptual (picture or video) match of this artifact that a
    person must confirm, and no examiner has decided on it yet."""
    if not has_review_match(session, case_id, artifact_id):
        return False
    decided = select(TriageReview.id).where(TriageReview.case_id == case_id, TriageReview.artifact_id == artifact_id)
    return not session.scalar(select(decided.exists()))


def preview_second(session: Session, case_id: int, artifact_id: int) -> float | None:
    """Where in a video awaiting review its preview frame is, in seconds: the start of the matched
    part (the earliest ``first_second`` of its video matches in the case), else the middle of the
    hashed frames; None when the artifact has no video match (a picture's preview is the picture)."""
    runs = select(TriageRun.id).where(TriageRun.case_id == case_id)
    details = list(session.scalars(
        select(TriageMatch.detail).where(TriageMatch.artifact_id == artifact_id, TriageMatch.run_id.in_(runs),
                                         TriageMatch.match_type == "video", TriageMatch.known_good.is_(False))))
    if not details:
        return None
    starts = [float(d["first_second"]) for d in details
              if isinstance(d, dict) and isinstance(d.get("first_second"), int | float)]
    if starts:
        return max(0.0, min(starts))
    art = session.get(Artifact, artifact_id)
    frames = (art.meta or {}).get("vpdq") if art is not None else None
    return float(len(frames) // 2 * SECONDS_PER_HASH) if isinstance(frames, list) else 0.0


@dataclass(frozen=True)
class Inventory:
    files: int
    deleted: int
    by_type: dict[str, int]     # content type -> files (the 12 commonest)


def inventory(session: Session, case_id: int) -> Inventory:
    """Every file inventoried in the case by any run, by content type."""
    total = int(session.scalar(select(func.count()).where(Artifact.case_id == case_id)) or 0)
    deleted = int(session.scalar(select(func.count()).where(Artifact.case_id == case_id, Artifact.deleted)) or 0)
    by_type = {str(m or "unknown"): int(n) for m, n in session.execute(
        select(Artifact.mime, func.count()).where(Artifact.case_id == case_id).group_by(Artifact.mime)
        .order_by(func.count().desc(), Artifact.mime).limit(12))}
    return Inventory(total, deleted, by_type)
