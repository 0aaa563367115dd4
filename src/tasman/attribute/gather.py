"""Facts about each subject, read from its records and the observations tied to them.

What belongs to a subject: its member records (``subject_records``); observations extracted
from those records; and EXIF GPS observations of artifacts that hold one of the subject's strong
identifiers (``tasman.link.artifacts``). A transfer record has two parties: only the side that
linking put in the subject (``SubjectRecord.role``, read through ``tasman.link.members``) is
read, with the observations found in that side's fields.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.attribute.facts import (
    ADDRESS,
    CITY,
    COUNTRY,
    CURRENCY,
    EMAIL,
    GPS,
    IBAN,
    IP,
    PHONE,
    TIMESTAMP,
    Fact,
    SubjectFacts,
)
from tasman.core.models import Record
from tasman.extract.identifiers import clean_country, clean_email, clean_iban, clean_phone
from tasman.extract.models import Observation
from tasman.link.artifacts import STRONG_TYPES, artifacts_holding
from tasman.link.members import Member, members_of
from tasman.link.models import Subject

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


_ENTRY_KINDS = {"phone": PHONE, "email": EMAIL, "ip": IP, "iban": IBAN}


def _entries(f: dict[str, Any]) -> list[dict[str, Any]]:
    listed = f.get("identifiers")
    return [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []


def person_facts(f: dict[str, Any], source: str, origin: str = "record") -> list[Fact]:
    """Facts of one person-shaped set of fields (a customer, a chat counterpart, a tip, a party):
    the flat fields and every typed entry of its ``identifiers`` list (a tip's second phone, each
    IP capture, an IBAN a chat gave). In a chat, a city or country found in the text is a place
    the counterpart *stated* (``stated_place``), and the session's ``country`` field counts as an
    address only when the export gave it, not when import derived it from such a statement."""
    entries = _entries(f)
    hint_raw = next(iter(values(f.get("country"))), "")
    hint_id = clean_country(hint_raw) if hint_raw else None
    hint = hint_id.value if hint_id else None
    out: list[Fact] = []
    out += [Fact(PHONE, v, source, origin, hint) for v in values(f.get("phone"))]
    out += [Fact(EMAIL, v, source, origin) for v in values(f.get("email"))]
    out += [Fact(IP, v, source, origin) for v in values(f.get("ip"))]
    out += [Fact(IBAN, v, source, origin) for v in values(f.get("payment_ref")) + values(f.get("account"))
            if clean_iban(v)]
    for e in entries:
        kind, value = _ENTRY_KINDS.get(str(e.get("type"))), str(e.get("value") or e.get("raw") or "").strip()
        if kind is not None and value and (kind != IBAN or clean_iban(value)):
            out.append(Fact(kind, value, source, origin, hint if kind == PHONE else None))
    if origin == "chat":
        derived = {str(e.get("country") or "") for e in entries if e.get("type") == "city"} | \
                  {str(e.get("value") or "") for e in entries if e.get("type") == "country"}
        for e in entries:
            if e.get("type") == "country" and e.get("value"):
                out.append(Fact(COUNTRY, str(e["value"]), source, "chat"))
            elif e.get("type") == "city" and (e.get("raw") or e.get("value")):
                out.append(Fact(CITY, str(e.get("raw") or e.get("value")), source, "chat"))
        city = next(iter(values(f.get("city"))), "")
        if city and not any(e.get("type") == "city" for e in entries):
            out.append(Fact(CITY, city, source, "chat"))
        if hint and hint not in derived:  # a country the export itself gives for the session
            out.append(Fact(ADDRESS, hint_raw, source, origin))
    else:
        city = next(iter(values(f.get("city"))), "")
        if hint_raw or city:
            meta = {k: f[k] for k in ("street", "postcode", "region") if f.get(k)}
            out.append(Fact(ADDRESS, hint_raw, source, origin, meta={"city": city, **meta}))
    currency = next(iter(values(f.get("currency"))), "")
    if currency:
        out.append(Fact(CURRENCY, currency, source, origin))
    for ts in values(f.get("timestamp")):
        got = offset_of(ts)
        if got:
            out.append(Fact(TIMESTAMP, ts, source, origin, meta={"offset_minutes": got[0], "at": got[1]}))
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


def member_facts(m: Member, observations: Iterable[Observation]) -> tuple[list[Fact], list[Observation]]:
    """The facts one member record gives about its subject, and the observations they came from
    (of a transfer's observations, only those found in the subject's own side's fields)."""
    origin = "chat" if m.record.kind == "chats" else "record"
    own = m.own_fields()
    if m.side == "sender" and isinstance(m.record.fields, dict) and m.record.fields.get("currency"):
        own["currency"] = m.record.fields["currency"]  # a transfer is paid in at the sender's end
    facts = person_facts(own, record_source(m.record), origin)
    mine = [o for o in observations if m.is_own(o.message_id or "")]
    for o in mine:
        got = _obs_fact(o, origin)
        if got is not None:
            facts.append(got)
    return facts, mine


def gather(session: Session, case_id: int, subject_ids: Iterable[int] | None = None) -> list[SubjectFacts]:
    q = select(Subject).where(Subject.case_id == case_id).order_by(Subject.id)
    if subject_ids is not None:
        q = q.where(Subject.id.in_(list(subject_ids)))
    subjects = list(session.scalars(q))
    members = members_of(session, [s.id for s in subjects])
    owned = {m.record.id for ms in members.values() for m in ms}
    obs_by_record: dict[int, list[Observation]] = defaultdict(list)
    if owned:
        for o in session.scalars(select(Observation).where(Observation.case_id == case_id,
                                                           Observation.record_id.is_not(None))):
            if o.record_id in owned:
                obs_by_record[o.record_id].append(o)

    out: list[SubjectFacts] = []
    strong: dict[int, set[tuple[str, str]]] = {}
    for s in subjects:
        sf = SubjectFacts(s.id, s.ref)
        own_obs: list[Observation] = []
        for m in members.get(s.id, []):
            facts, mine = member_facts(m, obs_by_record.get(m.record.id, []))
            own_obs += mine
            for fact in facts:
                sf.add(fact)
        strong[s.id] = {(o.type, o.value) for o in own_obs if o.type in STRONG_TYPES}
        strong[s.id] |= _strong_of(sf.facts)
        out.append(sf)
    _artifact_gps(session, case_id, out, strong)
    return out


def _artifact_gps(session: Session, case_id: int, subjects: list[SubjectFacts],
                  strong: dict[int, set[tuple[str, str]]]) -> None:
    """EXIF GPS of artifacts that carry one of the subject's strong identifiers."""
    holding = artifacts_holding(session, case_id, {k for ks in strong.values() for k in ks})
    arts = {sid: {aid for aid, via in holding.items() if via & ks} for sid, ks in strong.items()}
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
