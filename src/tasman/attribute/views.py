"""Reading attribution back in aggregate: how many of a case's subjects each country holds (the
web app's operation summary)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.link.models import Subject


@dataclass(frozen=True)
class SubjectCountries:
    """The case's subjects in all, and those attributed, by country code."""

    total: int
    by_country: dict[str, int]


def subject_countries(session: Session, case_id: int) -> SubjectCountries:
    total = int(session.scalar(select(func.count()).where(Subject.case_id == case_id)) or 0)
    by_country = {c: int(n) for c, n in session.execute(
        select(Subject.country, func.count()).where(Subject.case_id == case_id, Subject.country.is_not(None))
        .group_by(Subject.country)) if c}
    return SubjectCountries(total, by_country)
