"""Facts about each subject, read from its records and the observations tied to them.

What belongs to a subject: its member records (``subject_records``); observations extracted
from those records; and EXIF GPS observations of artifacts that share a strong identifier
(e-mail, phone, handle, IBAN) with the subject. A transfer record has two parties: only the
party that matches the subject (by name or identifier, or a ``subject_side`` field) is read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.attribute.facts import ADDRESS, CITY, COUNTRY, EMAIL, GPS, IBAN, IP, PHONE, TIMESTAMP, Fact, SubjectFacts
from tasman.core.models import Record
from tasman.extract.identifiers import clean_country, clean_email, clean_iban, clean_phone, fold
from tasman.extract.models import Observation
from tasman.link.models import Subject, SubjectRecord

STRONG = ("email", "phone", "handle", "iban")
_OFFSET = re.compile(r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:UTC|GMT)?\s*([+-])(\d{2}):?(\d{2})\s*$", re.I)


def values(v: Any) -> list[str]:
    """A field's values: records may hold one value or a list (tips: several IP captures)."""
    if v is None:
        return []
    if isinstance(v, list | tuple):
        return [str(x).strip() for x in v if x is not None and str(x).strip()]
    text = str(v).strip()
    return [text] if text else []


def offset_of(text: str) -> tuple[int, str] | None:
    """(minutes east of UTC, ISO instant) of a timestamp written with an explicit offset."""
    m = _OFFSET.search(text)
    if not m:
        return None
    minutes = (int(m.group(3)) * 60 + int(m.group(4))) * (1 if m.group(2) == "+" else -1)
    try:
        at = datetime.fromisoformat(text.strip().replace(" ", "T", 1)).astimezone(UTC).isoformat()
    except ValueError:
        ym = re.search(r"(\d{4})-(\d{2})", text)
        if not ym:
            return None
        at = f"{ym.group(1)}-{ym.group(2)}-15T00:00:00+00:00"
    return minutes, at


def person_facts(f: dict[str, Any], source: str, origin: str = "record") -> list[Fact]:
    """Facts of one person-shaped set of fields (a customer, a chat counterpart, a tip, a party)."""
    hint_raw = next(iter(values(f.get("country"))), "")
    hint_id = clean_country(hint_raw) if hint_raw else None
    hint = hint_id.value if hint_id else None
    out: list[Fact] = []
    out += [Fact(PHONE, v, source, origin, hint) for v in values(f.get("phone"))]
    out += [Fact(EMAIL, v, source, origin) for v in values(f.get("email"))]
    out += [Fact(IP, v, source, origin) for v in values(f.get("ip"))]
    out += [Fact(IBAN, v, source, origin) for v in values(f.get("payment_ref")) + values(f.get("account"))
            if clean_iban(v)]
    city = next(iter(values(f.get("city"))), "")
    if hint_raw or city:
        meta = {k: f[k] for k in ("street", "postcode", "region") if f.get(k)}
        out.append(Fact(ADDRESS, hint_raw, source, origin, meta={"city": city, **meta}))
    for ts in values(f.get("timestamp")):
        got = offset_of(ts)
        if got:
            out.append(Fact(TIMESTAMP, ts, source, origin, meta={"offset_minutes": got[0], "at": got[1]}))
    return out


def party(fields: dict[str, Any], known: dict[str, set[str]], name: str) -> str | None:
    """Which party of a transfer the subject is: ``sender``, ``beneficiary`` or None (unclear)."""
    side = str(fields.get("subject_side") or "").lower()
    if side in ("sender", "beneficiary"):
        return side
    hits = []
    for p in ("sender", "beneficiary"):
        ids = {fold(v) for k in ("phone", "email", "account") for v in values(fields.get(f"{p}_{k}"))}
        same_name = bool(name) and fold(str(fields.get(f"{p}_name") or "")) == fold(name)
        if same_name or ids & known["ids"]:
            hits.append(p)
    return hits[0] if len(hits) == 1 else None


def _party_fields(fields: dict[str, Any], p: str) -> dict[str, Any]:
    out = {k[len(p) + 1:]: v for k, v in fields.items() if k.startswith(p + "_")}
    out["timestamp"] = fields.get("timestamp")
    return out


def record_source(r: Record) -> str:
    return f"{r.source}#{r.source_id}"


def _obs_fact(o: Observation, origin: str) -> Fact | None:
    kind = {"phone": PHONE, "email": EMAIL, "ip": IP, "iban": IBAN, "country": COUNTRY, "city": CITY,
            "gps": GPS}.get(o.type)
    if kind is None:
        offset = o.meta.get("utc_offset") if isinstance(o.meta, dict) else None
        if isinstance(offset, int) and o.seen_at is not None:
            return Fact(TIMESTAMP, o.raw, o.path, origin, meta={"offset_minutes": offset, "at": o.seen_at.isoformat()})
        return None
    if kind in (COUNTRY, CITY) and origin == "record":
        origin = "chat"
    meta = dict(o.meta) if isinstance(o.meta, dict) else {}
    return Fact(kind, o.value, o.path or f"observation {o.id}", origin, o.country, meta)


def _strong_of(facts: list[Fact]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for f in facts:
        ident = (clean_email(f.value) if f.kind == EMAIL else
                 clean_phone(f.value) or (clean_phone(f.value, f.hint) if f.hint else None) if f.kind == PHONE else
                 clean_iban(f.value) if f.kind == IBAN else None)
        if ident is not None:
            out.add((str(ident.type), ident.value))
    return out


def gather(session: Session, case_id: int, subject_ids: Iterable[int] | None = None) -> list[SubjectFacts]:
    q = select(Subject).where(Subject.case_id == case_id).order_by(Subject.id)
    if subject_ids is not None:
        q = q.where(Subject.id.in_(list(subject_ids)))
    subjects = list(session.scalars(q))
    ids = [s.id for s in subjects]
    members: dict[int, list[Record]] = defaultdict(list)
    for sid, rec in session.execute(
        select(SubjectRecord.subject_id, Record).join(Record, Record.id == SubjectRecord.record_id)
        .where(SubjectRecord.subject_id.in_(ids)).order_by(Record.id)
    ).all():
        members[sid].append(rec)
    owner = {r.id: sid for sid, recs in members.items() for r in recs}
    obs_by_record: dict[int, list[Observation]] = defaultdict(list)
    if owner:
        for o in session.scalars(select(Observation).where(Observation.case_id == case_id,
                                                           Observation.record_id.is_not(None))):
            if o.record_id in owner:
                obs_by_record[o.record_id].append(o)

    out: list[SubjectFacts] = []
    strong: dict[int, set[tuple[str, str]]] = {}
    for s in subjects:
        sf = SubjectFacts(s.id, s.ref)
        recs = members.get(s.id, [])
        known: dict[str, set[str]] = {"ids": set()}
        for r in recs:
            if r.kind != "transactions":
                known["ids"] |= {fold(v) for k in ("phone", "email", "payment_ref") for v in values(r.fields.get(k))}
        for r in recs:
            src = record_source(r)
            if r.kind == "transactions":
                side = party(r.fields, known, s.name)
                if side is not None:
                    for fact in person_facts(_party_fields(r.fields, side), src):
                        sf.add(fact)
            else:
                for fact in person_facts(r.fields, src, "chat" if r.kind == "chats" else "record"):
                    sf.add(fact)
            for o in obs_by_record.get(r.id, []):
                got = _obs_fact(o, "chat" if r.kind == "chats" else "record")
                if got is not None:
                    sf.add(got)
        strong[s.id] = {(o.type, o.value) for r in recs for o in obs_by_record.get(r.id, []) if o.type in STRONG}
        strong[s.id] |= _strong_of(sf.facts)
        out.append(sf)
    _artifact_gps(session, case_id, out, strong)
    return out


def _artifact_gps(session: Session, case_id: int, subjects: list[SubjectFacts],
                  strong: dict[int, set[tuple[str, str]]]) -> None:
    """EXIF GPS of artifacts that carry one of the subject's strong identifiers."""
    wanted = {k for ks in strong.values() for k in ks}
    if not wanted:
        return
    holders: dict[tuple[str, str], set[int]] = defaultdict(set)
    for typ, value, aid in session.execute(
        select(Observation.type, Observation.value, Observation.artifact_id)
        .where(Observation.case_id == case_id, Observation.artifact_id.is_not(None),
               Observation.type.in_(STRONG))
    ).all():
        if (typ, value) in wanted and aid is not None:
            holders[(typ, value)].add(aid)
    arts = {sid: set().union(*(holders.get(k, set()) for k in ks)) if ks else set() for sid, ks in strong.items()}
    every = set().union(*arts.values()) if arts else set()
    if not every:
        return
    gps: dict[int, list[Observation]] = defaultdict(list)
    for o in session.scalars(select(Observation).where(Observation.case_id == case_id, Observation.type == "gps",
                                                       Observation.artifact_id.in_(sorted(every)))):
        gps[o.artifact_id or 0].append(o)
    for sf in subjects:
        for aid in sorted(arts.get(sf.subject_id, set())):
            for o in gps.get(aid, []):
                sf.add(Fact(GPS, o.value, o.path, "artifact", meta=dict(o.meta or {})))
