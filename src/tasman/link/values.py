"""A case's identifiers pivoted by distinct value, each with the subjects and records that hold
it (the web app's identifiers page): a value shared by several subjects is what ties them together."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from tasman.extract.models import Observation
from tasman.link.models import Subject, SubjectRecord

PLACE_TYPES = ("country", "city", "gps")   # listed after the identifiers of people, however shared
SHOWN_LINKS = 12      # subjects and records named per value (the counts say how many in all)


@dataclass(frozen=True)
class SharedValue:
    """One distinct identifier of the case: how often and where it was seen, who holds it."""

    type: str
    value: str
    country: str | None
    sightings: int
    artifacts: int
    records: list[int]
    record_count: int
    subjects: list[str]
    subject_count: int


@dataclass(frozen=True)
class ValuePage:
    total: int
    offset: int
    limit: int
    counts: dict[str, int]
    items: list[SharedValue]


def value_page(s: Session, case_id: int, type_: str | None, value: str | None, shared: bool, offset: int,
               limit: int) -> ValuePage:
    """The case's identifiers pivoted by distinct value, those held by the most subjects first
    (then the most records): a value shared by several subjects is what ties them together.
    Places (countries, cities, GPS) come after the identifiers of people. ``shared``: only the
    values two subjects or more hold."""
    counts = {t: int(n) for t, n in s.execute(
        select(Observation.type, func.count(func.distinct(Observation.value)))
        .where(Observation.case_id == case_id).group_by(Observation.type))}
    live = (select(SubjectRecord.record_id, SubjectRecord.role, Subject.id.label("sid"), Subject.ref.label("sref"))
            .join(Subject, Subject.id == SubjectRecord.subject_id)
            .where(Subject.case_id == case_id, Subject.status != "retired").subquery())
    # a transfer is two parties: a value seen in its sender's fields belongs to the sender's subject
    held_by = and_(live.c.record_id == Observation.record_id,
                   or_(live.c.role == "", Observation.message_id.is_(None),
                       Observation.message_id.startswith(live.c.role.concat("_"))))
    n_subjects = func.count(func.distinct(live.c.sid))
    q = (select(Observation.type, Observation.value, func.max(Observation.country), func.count(func.distinct(
        Observation.id)), func.count(func.distinct(Observation.artifact_id)), func.count(func.distinct(
            Observation.record_id)), n_subjects)
         .outerjoin(live, held_by)
         .where(Observation.case_id == case_id).group_by(Observation.type, Observation.value))
    if type_:
        q = q.where(Observation.type == type_)
    if value:
        q = q.where(Observation.value.contains(value, autoescape=True))
    if shared:
        q = q.having(n_subjects >= 2)
    total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
    places = when((Observation.type.in_(PLACE_TYPES), 1), else_=0)   # a shared country ties nobody together
    rows = s.execute(q.order_by(places, n_subjects.desc(), func.count(func.distinct(Observation.record_id)).desc(),
                                Observation.type, Observation.value).offset(offset).limit(limit)).all()
    keys = [(str(r[0]), str(r[1])) for r in rows]
    held: dict[tuple[str, str], tuple[set[int], set[str]]] = {k: (set(), set()) for k in keys}
    if keys:
        found = s.execute(select(Observation.type, Observation.value, Observation.record_id, live.c.sref)
                          .outerjoin(live, held_by)
                          .where(Observation.case_id == case_id, Observation.record_id.is_not(None),
                                 tuple_(Observation.type, Observation.value).in_(keys)))
        for t, v, rid, sref in found:
            recs, subs = held[(t, v)]
            recs.add(int(rid))
            if sref:
                subs.add(str(sref))
    items = [SharedValue(type=str(r[0]), value=str(r[1]), country=r[2], sightings=int(r[3]), artifacts=int(r[4]),
                         record_count=int(r[5]), subject_count=int(r[6]),
                         records=sorted(held[k][0])[:SHOWN_LINKS], subjects=sorted(held[k][1])[:SHOWN_LINKS])
             for r, k in zip(rows, keys, strict=True)]
    return ValuePage(total=total, offset=offset, limit=limit, counts=counts, items=items)
