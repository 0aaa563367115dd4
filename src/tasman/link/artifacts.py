"""Artifacts of the evidence tied to subjects: an artifact belongs to a subject's story when
extraction found one of the subject's strong identifiers in it (its e-mail in a chat database,
its phone in a picture's EXIF comment). Names, places and IPs never tie an artifact to anyone.

The one place this link is made; attribution (EXIF GPS of such artifacts), referral packages
(evidence references) and money timelines (triage hits) all read it from here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tasman.extract.models import Observation
from tasman.link.models import Subject

STRONG_TYPES = ("email", "phone", "handle", "iban", "paypal", "btc", "eth", "card")
CHUNK = 2000  # values per IN (...) list (each value goes in twice)
_PAYREF_TYPES = {"iban": "iban", "paypal": "paypal"}  # link's payref prefix -> observation type

Pair = tuple[str, str]  # (identifier type, normalised value)


def artifacts_holding(session: Session, case_id: int, identifiers: Iterable[Pair]) -> dict[int, set[Pair]]:
    """Artifact id -> the given identifiers found in it (as given). Only strong types count;
    values compare without regard to case (link lower-cases e-mails, extraction keeps the
    local part as written)."""
    wanted: dict[Pair, set[Pair]] = defaultdict(set)
    for typ, value in identifiers:
        if typ in STRONG_TYPES and value:
            wanted[(typ, value.lower())].add((typ, value))
    types = sorted({t for t, _ in wanted})
    exact = sorted({v for ps in wanted.values() for _, v in ps})
    out: dict[int, set[Pair]] = defaultdict(set)
    for start in range(0, len(exact), CHUNK):
        part = exact[start:start + CHUNK]
        lowered = sorted({v.lower() for v in part})
        rows = session.execute(
            select(Observation.type, Observation.value, Observation.artifact_id)
            .where(Observation.case_id == case_id, Observation.artifact_id.is_not(None),
                   Observation.type.in_(types),
                   or_(Observation.value.in_(part), func.lower(Observation.value).in_(lowered))))
        for typ, value, aid in rows:
            given = wanted.get((typ, value.lower()))
            if given and aid is not None:
                out[aid] |= given
    return dict(out)


def subject_identifiers(subject: Subject) -> set[Pair]:
    """A subject's strong identifiers as linking stored them (``Subject.identifiers``)."""
    ids = subject.identifiers or {}
    out: set[Pair] = set()
    for key, typ in (("emails", "email"), ("phones", "phone"), ("handles", "handle")):
        out |= {(typ, str(v)) for v in ids.get(key) or () if v}
    for ref in ids.get("payrefs") or ():
        prefix, _, value = str(ref).partition(":")
        if prefix in _PAYREF_TYPES and value:
            out.add((_PAYREF_TYPES[prefix], value))
    return out


def subject_artifacts(session: Session, case_id: int, subject_refs: Iterable[str]) -> dict[str, dict[int, set[Pair]]]:
    """Subject ref -> {artifact id: the subject's identifiers found in it}, for the case's
    subjects among ``subject_refs`` (retired ones included: what was said of them stays true)."""
    refs = sorted(set(subject_refs))
    if not refs:
        return {}
    subjects = list(session.scalars(select(Subject).where(Subject.case_id == case_id, Subject.ref.in_(refs))))
    own = {s.ref: subject_identifiers(s) for s in subjects}
    holding = artifacts_holding(session, case_id, {p for ps in own.values() for p in ps})
    out: dict[str, dict[int, set[Pair]]] = {}
    for ref, pairs in own.items():
        found = {aid: via & pairs for aid, via in holding.items() if via & pairs}
        if found:
            out[ref] = found
    return out
