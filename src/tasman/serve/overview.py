"""Counts of what a case holds, per stage, for its overview page and ``GET /api/v1/cases/{ref}``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core.models import Artifact, Case, Evidence, Record
from tasman.extract.models import Observation
from tasman.link.models import Subject
from tasman.serve.models import Job
from tasman.tips.models import Tip


def case_counts(session: Session, case: Case) -> dict[str, int]:
    def count(model: type, *where: object) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]

    return {
        "evidence": count(Evidence, Evidence.case_id == case.id),
        "artifacts": count(Artifact, Artifact.case_id == case.id),
        "records": count(Record, Record.case_id == case.id),
        "identifiers": count(Observation, Observation.case_id == case.id),
        "subjects": count(Subject, Subject.case_id == case.id),
        "attributed": count(Subject, Subject.case_id == case.id, Subject.country.is_not(None)),
        "tips": count(Tip, Tip.case_id == case.id),
        "jobs": count(Job, Job.case_id == case.id),
    }
