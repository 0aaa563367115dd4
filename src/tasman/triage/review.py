"""An examiner's decision on a perceptual match awaiting review: ``confirmed`` (the file is the
listed picture or video, or a near copy of it) or ``declined`` (it is not). Decisions are only
added, never changed: the latest one on an artifact is its current decision, the earlier ones its
history. A decided artifact is no longer awaiting review (``tasman.triage.results``). Every
decision and every read is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.core.models import Artifact
from tasman.evidence.cases import get_case
from tasman.triage.models import TriageReview
from tasman.triage.results import has_review_match, latest_reviews

DECISIONS = ("confirmed", "declined")
MAX_NOTE = 2000


@dataclass(frozen=True)
class Decision:
    id: int
    artifact_id: int
    path: str
    sha1: str | None
    decision: str               # confirmed | declined
    note: str
    decided_by: str
    decided_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "decided_at": self.decided_at.isoformat()}


def _decision(row: TriageReview, art: Artifact) -> Decision:
    return Decision(row.id, art.id, art.path, art.sha1, row.decision, row.note, row.decided_by, row.decided_at)


def record_decision(session: Session, actor: str, case_ref: str, artifact_id: int, decision: str,
                    note: str = "") -> Decision:
    """Records ``actor``'s decision on an artifact of the case that has a perceptual match for review
    (one decided on before may be decided again: the latest wins)."""
    if decision not in DECISIONS:
        raise InputError(f"unknown decision {decision!r}: use one of {', '.join(DECISIONS)}")
    if len(note) > MAX_NOTE:
        raise InputError(f"the note is too long ({len(note)} characters, at most {MAX_NOTE})")
    case = get_case(session, case_ref)
    art = session.scalar(select(Artifact).where(Artifact.id == artifact_id, Artifact.case_id == case.id))
    if art is None:
        raise NotFoundError(f"no artifact {artifact_id} in case {case_ref!r}")
    if not has_review_match(session, case.id, art.id):
        raise InputError(f"artifact {artifact_id} has no perceptual match awaiting review")
    before = latest_reviews(session, case.id).get(art.id)
    row = TriageReview(case_id=case.id, artifact_id=art.id, decision=decision, note=note.strip(), decided_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, actor, "triage.review", case_ref=case_ref, target=art.path, artifact_id=art.id,
                 sha1=art.sha1, decision=decision, previous=before.decision if before is not None else None)
    return _decision(row, art)


def list_decisions(session: Session, actor: str, case_ref: str, history: bool = False) -> list[Decision]:
    """The current decision on each decided artifact of the case (with ``history``, every decision
    ever recorded), most recent first."""
    case = get_case(session, case_ref)
    if history:
        rows = list(session.scalars(select(TriageReview).where(TriageReview.case_id == case.id)))
    else:
        rows = list(latest_reviews(session, case.id).values())
    arts = {a.id: a for a in session.scalars(select(Artifact).where(Artifact.id.in_({r.artifact_id for r in rows})))}
    out = sorted((_decision(r, arts[r.artifact_id]) for r in rows), key=lambda d: d.id, reverse=True)
    audit.record(session, actor, "triage.review.read", case_ref=case_ref, count=len(out), history=history)
    return out
