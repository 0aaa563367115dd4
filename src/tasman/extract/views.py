"""Reading a case's observations back a page at a time: every sighting of an identifier with
where it was seen (the web app's identifiers page, "sightings", and its API)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.extract.models import Observation


@dataclass(frozen=True)
class ObservationSlice:
    """One page of observations: how many match in all, how many of each type the case holds,
    and the page's rows by type, value and id."""

    total: int
    counts: dict[str, int]
    rows: list[Observation]


def observation_slice(session: Session, case_id: int, type_: str | None, value: str | None, offset: int,
                      limit: int) -> ObservationSlice:
    """The case's observations (of one type; whose value contains ``value``), ``limit`` from ``offset``."""
    counts = {t: int(n) for t, n in session.execute(select(Observation.type, func.count())
                                                    .where(Observation.case_id == case_id)
                                                    .group_by(Observation.type))}
    q = select(Observation).where(Observation.case_id == case_id)
    if type_:
        q = q.where(Observation.type == type_)
    if value:
        q = q.where(Observation.value.contains(value, autoescape=True))
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = session.scalars(q.order_by(Observation.type, Observation.value, Observation.id).offset(offset).limit(limit))
    return ObservationSlice(total, counts, list(rows))
