"""Exports for the tools partners already run, all from package documents' subject entries:
MISP event JSON (``misp``), FollowTheMoney entities (``ftm``) and CSV (``csv_rows``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.evidence import get_case
from tasman.link.models import Subject
from tasman.refer.build import subject_entries
from tasman.refer.document import SubjectEntry


class ExportSet(BaseModel):
    model_config = ConfigDict(frozen=True)
    case_ref: str
    tlp: str
    countries: list[str]
    subjects: list[SubjectEntry]


def export_set(session: Session, actor: str, case_ref: str, kind: str, countries: list[str] | None = None,
               tlp: str = "amber") -> ExportSet:
    """The attributed subjects of a case (of ``countries`` only, when given), minimised as in a package."""
    case = get_case(session, case_ref)
    q = select(Subject).where(Subject.case_id == case.id, Subject.country.is_not(None)).order_by(Subject.ref)
    if countries:
        q = q.where(Subject.country.in_([c.upper() for c in countries]))
    subjects = list(session.scalars(q))
    entries = subject_entries(session, case.id, subjects)
    audit.record(session, actor, f"export.{kind}", case_ref=case_ref, countries=countries or "all",
                 subjects=[s.ref for s in subjects])
    return ExportSet(case_ref=case_ref, tlp=tlp, countries=sorted({s.country or "" for s in subjects}),
                     subjects=entries)
