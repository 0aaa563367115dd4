"""Exports for the tools partners already run, all from package documents' entries (subjects
and money-trail parties, minimised as in a package): MISP event JSON (``misp``),
FollowTheMoney entities (``ftm``) and CSV (``csv_rows``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.evidence import get_case
from tasman.link.models import Subject
from tasman.refer.agencies import parse_countries
from tasman.refer.build import subject_entries
from tasman.refer.document import MoneyPartyEntry, SubjectEntry
from tasman.refer.money import money_by_country, money_entries


class ExportSet(BaseModel):
    model_config = ConfigDict(frozen=True)
    case_ref: str
    tlp: str
    countries: list[str]
    subjects: list[SubjectEntry]
    money_parties: list[MoneyPartyEntry] = []


def export_set(session: Session, actor: str, case_ref: str, kind: str, countries: list[str] | None = None,
               tlp: str = "amber") -> ExportSet:
    """The attributed subjects of a case (of ``countries`` only, when given), minimised as in a package."""
    case = get_case(session, case_ref)
    if countries:
        countries = parse_countries(countries)      # ISO codes or names; a typo is refused, not ignored
    q = select(Subject).where(Subject.case_id == case.id, Subject.country.is_not(None)).order_by(Subject.ref)
    if countries:
        q = q.where(Subject.country.in_(countries))
    subjects = list(session.scalars(q))
    entries = subject_entries(session, case.id, subjects)
    wanted = set(countries) if countries else None
    by_country = money_by_country(session, case_ref, actor)
    refs = {s.ref for s in subjects}
    money = [m for cc in sorted(by_country) if wanted is None or cc in wanted
             for m in money_entries(by_country, cc, refs)]
    audit.record(session, actor, f"export.{kind}", case_ref=case_ref, countries=countries or "all",
                 subjects=[s.ref for s in subjects], money_parties=[m.key for m in money])
    return ExportSet(case_ref=case_ref, tlp=tlp,
                     countries=sorted({s.country or "" for s in subjects} | {m.country for m in money}),
                     subjects=entries, money_parties=money)
