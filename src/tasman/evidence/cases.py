"""Cases: the unit of access and audit."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import AlreadyExistsError, InputError, NotFoundError
from tasman.core.models import Case

REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def create_case(session: Session, actor: str, ref: str, title: str = "") -> Case:
    if not REF_PATTERN.match(ref):
        raise InputError(f"case reference {ref!r} must be 1-64 letters, digits, '.', '_' or '-'")
    if session.scalar(select(Case).where(Case.ref == ref)) is not None:
        raise AlreadyExistsError(f"case {ref!r} already exists")
    case = Case(ref=ref, title=title, created_by=actor)
    session.add(case)
    session.flush()
    audit.record(session, actor, "case.create", case_ref=ref, title=title)
    return case


def get_case(session: Session, ref: str) -> Case:
    case = session.scalar(select(Case).where(Case.ref == ref))
    if case is None:
        raise NotFoundError(f"no case {ref!r}: see 'tasman case list'")
    return case


def list_cases(session: Session, actor: str) -> list[Case]:
    cases = list(session.scalars(select(Case).order_by(Case.ref)))
    audit.record(session, actor, "case.list", count=len(cases))
    return cases
