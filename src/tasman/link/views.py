"""Reading subjects back: lists, one subject with its records and the links that explain it,
and the CSV export. Every read of case data is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core import audit, csvsafe
from tasman.core.errors import InputError
from tasman.core.fields import EXTRA, STATED
from tasman.core.fields import field as field_of
from tasman.core.models import Record
from tasman.evidence.cases import get_case
from tasman.link.decisions import get_subject
from tasman.link.keys import party_key
from tasman.link.models import RecordLink, Subject, SubjectRecord

EXPORT_COLUMNS = ("subject_id", "source", "source_id", "role", "kind", "name", "emails", "phones", "handles",
                  "payment_refs", "countries", "status", "country", "confidence")


@dataclass
class SubjectSummary:
    ref: str
    name: str
    status: str
    records: int
    identifiers: dict[str, list[str]]
    country: str | None
    confidence: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SubjectDetail:
    summary: SubjectSummary
    members: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    # what the subject's records say the person stated about themselves (``stated_facts``)
    stated: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary.as_dict(), "members": self.members, "links": self.links, "stated": self.stated}


STATED_KEYS = ("kind", "value", "raw", "name", "country", "pattern", "message", "where")


def stated_facts(party: str, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The facts a record says its person stated about themselves in free text (its ``stated``
    list, ``tasman.extract.statements``: a chat counterpart's own lines, a tip's quote of the
    reported user), each with the record (``party``), the words read (``raw``), the pattern that
    read them and where: ``message`` (the message's index in its chat session, from 0) or
    ``where`` (the tip's field). Entries that are not facts (no kind or value) are left out."""
    out = []
    for item in fields.get(STATED) or []:
        if not isinstance(item, dict) or not item.get("kind") or item.get("value") in (None, ""):
            continue
        out.append({"party": party, **{k: item[k] for k in STATED_KEYS if item.get(k) not in (None, "")}})
    return out


def _summary(s: Subject, n: int) -> SubjectSummary:
    return SubjectSummary(ref=s.ref, name=s.name, status=s.status, records=n, identifiers=dict(s.identifiers or {}),
                          country=s.country, confidence=s.confidence)


def list_subjects(session: Session, actor: str, case_ref: str, include_retired: bool = False,
                  min_records: int = 1, limit: int | None = None) -> list[SubjectSummary]:
    case = get_case(session, case_ref)
    counts = (select(SubjectRecord.subject_id, func.count().label("n")).group_by(SubjectRecord.subject_id)
              .subquery())
    q = (select(Subject, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.subject_id == Subject.id)
         .where(Subject.case_id == case.id))
    if not include_retired:
        q = q.where(Subject.status != "retired")
    if min_records > 1:
        q = q.where(counts.c.n >= min_records)
    q = q.order_by(func.coalesce(counts.c.n, 0).desc(), Subject.ref)
    if limit:
        q = q.limit(limit)
    out = [_summary(s, int(n)) for s, n in session.execute(q)]
    audit.record(session, actor, "subject.list", case_ref=case_ref, count=len(out))
    return out


def show_subject(session: Session, actor: str, case_ref: str, ref: str) -> SubjectDetail:
    case = get_case(session, case_ref)
    s = get_subject(session, case.id, ref)
    rows = session.execute(select(SubjectRecord.record_id, SubjectRecord.role, Record)
                           .join(Record, Record.id == SubjectRecord.record_id)
                           .where(SubjectRecord.subject_id == s.id).order_by(Record.source, Record.source_id))
    members = []
    stated: list[dict[str, Any]] = []
    labels: dict[tuple[int, str], str] = {}
    for rid, role, rec in rows:
        label = f"{rec.source}#{rec.source_id}" + (f":{role}" if role else "")
        labels[(rid, role)] = label
        own = _party_fields(rec.fields, role)
        members.append({"party": label, "key": party_key(rid, role), "kind": rec.kind, "role": role,
                        "fields": {k: v for k, v in own.items() if k != STATED}})
        stated += stated_facts(label, own)
    ids = [r for r, _ in labels]
    links = []
    if ids:
        for lk in session.scalars(select(RecordLink).where(RecordLink.record_a.in_(ids), RecordLink.record_b.in_(ids))
                                  .order_by(RecordLink.match_weight.desc())):
            a, b = (lk.record_a, lk.role_a), (lk.record_b, lk.role_b)
            if a in labels and b in labels:
                links.append({"a": labels[a], "b": labels[b], "rule": lk.rule, "match_weight": lk.match_weight,
                              "probability": lk.probability, "explanation": lk.explanation})
    audit.record(session, actor, "subject.show", case_ref=case_ref, target=ref, records=len(members),
                 stated=len(stated))
    return SubjectDetail(_summary(s, len(members)), members, links, stated)


def _party_fields(fields: dict[str, Any], role: str) -> dict[str, Any]:
    """The fields of a member: the whole record but its ``extra``; of a transfer, its side's
    fields (by the vocabulary, ``core.fields``) without the side's prefix, and the transfer's own."""
    if not role:
        return {k: v for k, v in fields.items() if k not in (EXTRA,)}
    out = {f.base: v for k, v in fields.items() if (f := field_of(k)).side == role}
    for k in ("record_id", "timestamp", "amount", "currency", "reference", "channel"):
        if k in fields:
            out[k] = fields[k]
    return out


def export_subjects(session: Session, actor: str, case_ref: str, out: Path) -> int:
    """One row per party: ``subject_id,source,source_id`` plus the subject's name and identifiers
    (and ``country,confidence`` once attribution has run; empty before)."""
    case = get_case(session, case_ref)
    if out.exists() and out.is_dir():
        raise InputError(f"{out} is a folder: give a file name for the CSV")
    q = (select(Subject, SubjectRecord.role, Record.source, Record.source_id, Record.kind)
         .join(SubjectRecord, SubjectRecord.subject_id == Subject.id)
         .join(Record, Record.id == SubjectRecord.record_id)
         .where(Subject.case_id == case.id).order_by(Subject.ref, Record.source, Record.source_id, SubjectRecord.role)
         .execution_options(yield_per=10_000))
    n = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csvsafe.writer(fh)
        w.writerow(EXPORT_COLUMNS)
        for s, role, source, source_id, kind in session.execute(q):
            ids = s.identifiers or {}
            w.writerow([s.ref, source, source_id, role, kind, s.name, ";".join(ids.get("emails", [])),
                        ";".join(ids.get("phones", [])), ";".join(ids.get("handles", [])),
                        ";".join(ids.get("payrefs", [])), ";".join(ids.get("countries", [])), s.status,
                        s.country or "", "" if s.confidence is None else f"{s.confidence:.3f}"])
            n += 1
    tmp.replace(out)
    audit.record(session, actor, "subject.export", case_ref=case_ref, target=str(out), rows=n)
    return n
