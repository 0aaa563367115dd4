"""Identifiers extracted in a case (emails, phones, handles, IPs, payment references, places).
Extraction (``tasman extract``) is started here as a job (``tasman.serve.jobkinds``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from tasman.core.models import Case
from tasman.extract.models import Observation
from tasman.link.models import Subject, SubjectRecord
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS, Limit, Offset, paging
from tasman.serve.routes.jobs import PAGE_VIEWS, page_jobs
from tasman.serve.schemas import ObservationOut, ObservationPage
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["identifiers"])


def observation_page(s: Session, case: Case, type_: str | None, value: str | None, offset: int,
                     limit: int) -> ObservationPage:
    offset, limit = paging(offset, limit)
    counts = {t: int(n) for t, n in s.execute(select(Observation.type, func.count())
                                              .where(Observation.case_id == case.id).group_by(Observation.type))}
    q = select(Observation).where(Observation.case_id == case.id)
    if type_:
        q = q.where(Observation.type == type_)
    if value:
        q = q.where(Observation.value.contains(value, autoescape=True))
    total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = s.scalars(q.order_by(Observation.type, Observation.value, Observation.id).offset(offset).limit(limit))
    items = [ObservationOut(id=o.id, type=o.type, value=o.value, country=o.country, path=o.path, offset=o.offset,
                            context=o.context, extractor=o.extractor) for o in rows]
    return ObservationPage(total=total, offset=offset, limit=limit, counts=counts, items=items)


PAGE_ROWS = 50
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


def value_page(s: Session, case: Case, type_: str | None, value: str | None, shared: bool, offset: int,
               limit: int) -> ValuePage:
    """The case's identifiers pivoted by distinct value, those held by the most subjects first
    (then the most records): a value shared by several subjects is what ties them together.
    Places (countries, cities, GPS) come after the identifiers of people."""
    offset, limit = paging(offset, limit)
    counts = {t: int(n) for t, n in s.execute(
        select(Observation.type, func.count(func.distinct(Observation.value)))
        .where(Observation.case_id == case.id).group_by(Observation.type))}
    live = (select(SubjectRecord.record_id, SubjectRecord.role, Subject.id.label("sid"), Subject.ref.label("sref"))
            .join(Subject, Subject.id == SubjectRecord.subject_id)
            .where(Subject.case_id == case.id, Subject.status != "retired").subquery())
    # a transfer is two parties: a value seen in its sender's fields belongs to the sender's subject
    held_by = and_(live.c.record_id == Observation.record_id,
                   or_(live.c.role == "", Observation.message_id.is_(None),
                       Observation.message_id.startswith(live.c.role.concat("_"))))
    n_subjects = func.count(func.distinct(live.c.sid))
    q = (select(Observation.type, Observation.value, func.max(Observation.country), func.count(func.distinct(
        Observation.id)), func.count(func.distinct(Observation.artifact_id)), func.count(func.distinct(
            Observation.record_id)), n_subjects)
         .outerjoin(live, held_by)
         .where(Observation.case_id == case.id).group_by(Observation.type, Observation.value))
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
                          .where(Observation.case_id == case.id, Observation.record_id.is_not(None),
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


@router.get("/cases/{ref}/identifiers")
def identifiers_page(request: Request, type: str | None = Query(None, max_length=16),
                     q: str | None = Query(None, max_length=200), shared: bool = False,
                     view: Literal["values", "sightings"] = "values", offset: Offset = 0,
                     ctx: CaseCtx = Depends(page_case)) -> Response:
    """By distinct value (default: each linked to the subjects and records holding it, shared values
    first; ``shared``: only those held by two subjects or more), or every sighting with its context."""
    if view == "sightings":
        page: ObservationPage | ValuePage = observation_page(ctx.session, ctx.case, type or None, q or None, offset,
                                                             PAGE_ROWS)
    else:
        page = value_page(ctx.session, ctx.case, type or None, q or None, shared, offset, PAGE_ROWS)
    return render(request, "identifiers.html", ctx.viewer, case=ctx.case, tab="identifiers", page=page,
                  type=type or "", q=q or "", shared=shared, view=view, **page_jobs(ctx, "identifiers"))


PAGE_VIEWS["identifiers"] = lambda request, ctx: identifiers_page(request, None, None, False, "values", 0, ctx)


@api.get("/cases/{ref}/identifiers", response_model=ObservationPage, responses=ERRORS)
def list_identifiers(type: str | None = Query(None, max_length=16), q: str | None = Query(None, max_length=200),
                     offset: Offset = 0, limit: Limit = 100,
                     ctx: CaseCtx = Depends(api_case)) -> ObservationPage:
    return observation_page(ctx.session, ctx.case, type, q, offset, limit)
