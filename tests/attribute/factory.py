"""Builds small cases directly with the ORM (records, subjects, observations, artifacts), so
attribution and referral are tested without the linking and triage stages. All identifiers
are made up; .invalid / documentation ranges where the value does not matter."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tasman.core.models import Artifact, Case, Evidence, Record
from tasman.evidence import create_case
from tasman.extract.models import Observation
from tasman.link.models import Subject, SubjectRecord
from tasman.triage.models import TriageMatch, TriageRun


def case(s: Session, ref: str = "OP-1") -> Case:
    return create_case(s, "tester", ref, "test case")


def subject(s: Session, c: Case, ref: str, name: str, *records: dict[str, Any], kind: str = "customers",
            source: str = "orders.csv", role: str = "") -> tuple[Subject, list[Record]]:
    """``role``: the transfer side of each record that is the subject (as linking stores it)."""
    subj = Subject(case_id=c.id, ref=ref, name=name)
    s.add(subj)
    s.flush()
    recs = []
    for fields in records:
        recs.append(record(s, c, fields, kind=kind, source=source))
        s.add(SubjectRecord(subject_id=subj.id, record_id=recs[-1].id, role=role))
    s.flush()
    return subj, recs


_n = {"i": 0}


def record(s: Session, c: Case, fields: dict[str, Any], kind: str = "customers", source: str = "orders.csv") -> Record:
    _n["i"] += 1
    r = Record(case_id=c.id, kind=kind, source=source, source_id=str(fields.get("record_id") or _n["i"]),
               fields=fields)
    s.add(r)
    s.flush()
    return r


def namesake_beneficiary(s: Session, c: Case, ref: str, n: int, **extra: str) -> tuple[Subject, Record]:
    """A subject who is the beneficiary of a transfer whose sender carries the subject's name, with
    the sender's phone (+44 7700 90012n) observed in the record: what a guess by name gets wrong."""
    subj, (rec,) = subject(s, c, ref, "Maria Santos",
                           {"record_id": f"t{n}", "sender_name": "Maria Santos", "sender_phone": f"+44 7700 90012{n}",
                            "sender_country": "GB", "beneficiary_name": "M. Santos",
                            "beneficiary_phone": f"+63 917 555 010{n}", "beneficiary_country": "PH",
                            "amount": "50", "currency": "USD", **extra},
                           kind="transactions", source="transfers.csv", role="beneficiary")
    obs = observation(s, c, "phone", f"+4477009001{20 + n}", record=rec, country="GB")
    obs.message_id = "sender_phone"
    s.flush()
    return subj, rec


def observation(s: Session, c: Case, type_: str, value: str, *, record: Record | None = None,
                artifact: Artifact | None = None, country: str | None = None, meta: dict[str, Any] | None = None,
                path: str = "") -> Observation:
    o = Observation(case_id=c.id, type=type_, value=value, raw=value, country=country,
                    record_id=record.id if record else None, artifact_id=artifact.id if artifact else None,
                    path=path or (f"{record.source}#{record.source_id}" if record else (artifact.path if artifact
                                                                                      else "")),
                    extractor="test", meta=meta or {})
    s.add(o)
    s.flush()
    return o


def artifact(s: Session, c: Case, path: str, evidence_name: str = "phone.zip", sha256: str = "ab" * 32,
             md5: str = "cd" * 16) -> Artifact:
    ev = s.query(Evidence).filter_by(case_id=c.id, name=evidence_name).one_or_none()
    if ev is None:
        ev = Evidence(case_id=c.id, name=evidence_name, path=f"/evidence/{evidence_name}", kind="file",
                      sha256="ef" * 32, size=1, added_by="tester")
        s.add(ev)
        s.flush()
    a = Artifact(case_id=c.id, evidence_id=ev.id, path=f"{evidence_name}!/{path}", size=10, sha256=sha256, md5=md5)
    s.add(a)
    s.flush()
    return a


def operation(s: Session, ref: str = "OP-1") -> Case:
    """Four subjects in three countries (one with conflicting signals), one unattributable, one
    unrelated record, and an artifact holding one subject's e-mail (with EXIF GPS beside it)."""
    c = case(s, ref)
    _, ana = subject(s, c, "S-000001", "Ana Reyes",
                     {"record_id": "17", "name": "Ana Reyes", "phone": "+63 917 123 4567", "country": "Philippines",
                      "city": "Cebu", "email": "ana.reyes@example.ph", "ip": "192.168.1.20",
                      "timestamp": "2024-03-01 22:10:00+08:00", "note": "free text the importer kept"})
    observation(s, c, "city", "Cebu City", record=ana[0], country="PH")
    subject(s, c, "S-000002", "Jan de Vries",
            {"record_id": "18", "name": "Jan de Vries", "phone": "+31 6 12345678", "country": "NL",
             "payment_ref": "NL91ABNA0417164300", "ip": "81.2.69.160"},
            {"record_id": "19", "name": "J. de Vries", "email": "jdv@example.nl"})
    subject(s, c, "S-000003", "Max Muster",
            {"record_id": "20", "name": "Max Muster", "country": "Deutschland", "city": "Berlin",
             "phone": "+63 917 765 4321", "email": "max@example.de", "username": "maxm", "platform": "skype"})
    subject(s, c, "S-000004", "Nobody Known", {"record_id": "21", "name": "Nobody Known", "ip": "10.1.2.3"})
    record(s, c, {"record_id": "99", "name": "Unrelated Person", "email": "unrelated@example.ph",
                  "phone": "+63 917 000 1111", "country": "PH"})
    chat = artifact(s, c, "chats/msgstore.db")
    observation(s, c, "email", "ana.reyes@example.ph", artifact=chat)
    photo = artifact(s, c, "DCIM/IMG_0001.jpg", sha256="12" * 32, md5="34" * 16)
    observation(s, c, "email", "ana.reyes@example.ph", artifact=photo)
    observation(s, c, "gps", "10.3157,123.8854", artifact=photo)
    return c


def triage_match(s: Session, c: Case, art: Artifact, *, hashset: str = "test-list", category: int | None = 1,
                 match_type: str = "exact", hash_name: str = "md5", distance: int = 0,
                 known_good: bool = False) -> TriageMatch:
    """A triage run that matched ``art`` against a (test) hash list, stored as triage stores it."""
    run = TriageRun(case_id=c.id, key=f"test-{art.id}-{hashset}", actor="tester", status="finished")
    s.add(run)
    s.flush()
    m = TriageMatch(run_id=run.id, artifact_id=art.id, match_type=match_type, hash_name=hash_name, hashset=hashset,
                    category=category, distance=distance, known_good=known_good)
    s.add(m)
    s.flush()
    return m
