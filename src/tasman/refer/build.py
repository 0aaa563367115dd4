"""From a case's subjects to the entries of a country's package, with data minimisation.

What goes in for a subject: its own records (only fields of the documented vocabulary; for a
transfer, only the subject's own party plus amount, currency, date and reference, with the
counterparty reduced to its country), the identifiers taken from those records and their
observations, its attribution with every candidate and reason, and references to the evidence
artifacts where its identifiers were found (hashes, paths, triage match categories; never
media). What never goes in: other subjects, records not linked to the subject, observation
context snippets (they can quote other people), free-text fields outside the vocabulary.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.attribute.gather import values
from tasman.attribute.service import latest_run, subject_ranking
from tasman.core.fields import PERSON_FIELDS, TRANSACTION_FIELDS, country_field
from tasman.core.models import Artifact, Evidence
from tasman.extract.identifiers import (
    Identifier,
    clean_country,
    clean_email,
    clean_iban,
    clean_ip,
    clean_phone,
)
from tasman.extract.models import Observation
from tasman.extract.screennames import screen_name
from tasman.link.artifacts import artifacts_holding
from tasman.link.members import Member, members_of
from tasman.link.models import Subject
from tasman.refer.document import (
    Attribution,
    EvidenceRef,
    FieldValue,
    IdentifierEntry,
    MatchRef,
    RecordEntry,
    SubjectEntry,
)
from tasman.triage.hits import hits_for

ID_TYPES = ("email", "phone", "ip", "url", "domain", "handle", "iban", "card", "paypal", "btc", "eth", "mtcn")
SHARED_TX = ("record_id", "timestamp", "amount", "currency", "reference", "channel")


def _value(v: Any) -> FieldValue:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if isinstance(v, list | tuple):
        return [str(x) for x in v]
    return json.dumps(v, sort_keys=True, default=str, ensure_ascii=False)


def minimise(m: Member) -> tuple[dict[str, FieldValue], list[str]]:
    """The member record's fields a recipient needs, and the names of those withheld. For a
    transfer: the side linking put in the subject (``SubjectRecord.role``) and what both sides
    share, with the counterparty reduced to its country; nothing of either side when the
    membership has no role."""
    r = m.record
    if r.kind != "transactions":
        keep = {k: _value(v) for k, v in r.fields.items() if k in PERSON_FIELDS}
        return keep, sorted(k for k in r.fields if k not in PERSON_FIELDS)
    keep = {k: _value(r.fields[k]) for k in SHARED_TX if k in r.fields}
    if m.side is not None:
        other = "beneficiary" if m.side == "sender" else "sender"
        keep.update({k: _value(v) for k, v in r.fields.items() if m.is_own(k) and k in TRANSACTION_FIELDS})
        if r.fields.get(country_field(other)):
            keep[country_field(other)] = _value(r.fields[country_field(other)])
        keep["subject_side"] = m.side
    withheld = sorted(k for k in r.fields if k not in keep)
    return keep, withheld


def _record_identifiers(fields: dict[str, FieldValue]) -> list[Identifier]:
    region_raw = next(iter(values(fields.get("country"))), "")
    region = clean_country(region_raw) if region_raw else None
    out: list[Identifier | None] = []
    for side in ("", "sender_", "beneficiary_"):
        out += [clean_email(v) for v in values(fields.get(side + "email"))]
        out += [clean_phone(v) or clean_phone(v, region.value if region else None)
                for v in values(fields.get(side + "phone"))]
        out += [clean_iban(v) for v in values(fields.get(side + "account"))]
    out += [clean_iban(v) for v in values(fields.get("payment_ref"))]
    out += [ip for ip in (clean_ip(v) for v in values(fields.get("ip"))) if ip and ip.meta.get("scope") == "public"]
    platform = next(iter(values(fields.get("platform"))), "")
    # a screen name as what it is (an email, a phone, a handle on any platform, "unknown" without)
    out += [screen_name(v, platform, region.value if region else None) for v in values(fields.get("username"))]
    return [i for i in out if i is not None]


def subject_entries(session: Session, case_id: int, subjects: list[Subject]) -> list[SubjectEntry]:
    members = members_of(session, [s.id for s in subjects])
    rec_ids = [m.record.id for ms in members.values() for m in ms]
    obs: dict[int, list[Observation]] = defaultdict(list)
    if rec_ids:
        for o in session.scalars(select(Observation).where(Observation.record_id.in_(rec_ids),
                                                           Observation.type.in_(ID_TYPES))):
            obs[o.record_id or 0].append(o)
    run = latest_run(session, case_id)
    entries = []
    for s in subjects:
        records: list[RecordEntry] = []
        idents: dict[tuple[str, str], tuple[str | None, list[str]]] = {}
        for m in sorted(members.get(s.id, []), key=lambda m: (m.record.source, m.record.source_id, m.role)):
            r = m.record
            ref = f"{r.source}#{r.source_id}"
            kept, withheld = minimise(m)
            records.append(RecordEntry(ref=ref, kind=r.kind, source=r.source, source_id=r.source_id, fields=kept,
                                       withheld=withheld))
            found = [(i.type.value, i.value, i.country) for i in _record_identifiers(kept)]
            found += [(o.type, o.value, o.country) for o in obs.get(r.id, []) if m.is_own(o.message_id or "")]
            for typ, val, cc in found:
                key = (typ, val)
                prev = idents.get(key)
                idents[key] = (cc or (prev[0] if prev else None), sorted({*(prev[1] if prev else []), ref}))
        identifiers = [IdentifierEntry(type=t, value=v, country=cc, sources=src)
                       for (t, v), (cc, src) in sorted(idents.items())]
        entries.append(SubjectEntry(ref=s.ref, name=s.name, attribution=_attribution(session, run, s),
                                    identifiers=identifiers, records=records,
                                    evidence=_evidence(session, case_id, identifiers)))
    return entries


def _attribution(session: Session, run: Any, s: Subject) -> Attribution:
    detail = subject_ranking(session, run.id, s.id) if run is not None else {}
    return Attribution.model_validate({"country": s.country, "confidence": s.confidence, **detail})


def _evidence(session: Session, case_id: int, identifiers: list[IdentifierEntry]) -> list[EvidenceRef]:
    holding = artifacts_holding(session, case_id, {(i.type, i.value) for i in identifiers})
    if not holding:
        return []
    hits = hits_for(session, holding)
    out = []
    for art, ev in session.execute(select(Artifact, Evidence).join(Evidence, Evidence.id == Artifact.evidence_id)
                                   .where(Artifact.id.in_(sorted(holding))).order_by(Evidence.name, Artifact.path)):
        matches = [MatchRef(hashset=h.hashset, category=h.category, category_name=h.category_name,
                            match_type=h.match_type, hash_name=h.hash_name, distance=h.distance)
                   for h in hits.get(art.id, [])]
        out.append(EvidenceRef(evidence=ev.name, evidence_sha256=ev.sha256, path=art.path, size=art.size,
                               md5=art.md5, sha1=art.sha1, sha256=art.sha256,
                               via=sorted(f"{t}:{v}" for t, v in holding[art.id]), matches=matches))
    return out
