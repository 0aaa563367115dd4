"""Reading a case's stored records for the analysis: transfers, chat sessions, and which subject
each identifier belongs to (through the link stage's SubjectRecord rows, when linking ran)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core.models import Record
from tasman.extract.identifiers import clean_country, clean_email, clean_phone
from tasman.link.models import Subject, SubjectRecord
from tasman.money.analysis import ChatSession
from tasman.money.config import MoneyConfig
from tasman.money.transfers import Transfer, clean_account, make_side, parse_timestamp, to_transfers


@dataclass
class CaseInputs:
    transfers: list[Transfer] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    chats: list[ChatSession] = field(default_factory=list)
    subject_keys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    sender_subjects: dict[int, str] = field(default_factory=dict)


def person_keys(fields: dict[str, Any]) -> set[str]:
    """Strong identifiers of a person-like record (customers, chats, tips), typed as transfers are."""
    keys: set[str] = set()
    country = clean_country(str(fields.get("country") or "")) if fields.get("country") else None
    if fields.get("phone") and (ph := clean_phone(str(fields["phone"]), country.value if country else None)):
        keys.add(f"phone:{ph.value}")
    if fields.get("email") and (em := clean_email(str(fields["email"]))):
        keys.add(f"email:{em.value.lower()}")
    if fields.get("payment_ref") and (acct := clean_account(str(fields["payment_ref"]))):
        keys.add(f"account:{acct}")
    return keys


def load_case(session: Session, case_id: int, cfg: MoneyConfig) -> CaseInputs:
    out = CaseInputs()
    # A transfer has two parties (SubjectRecord.role "sender" / "beneficiary"); other records one ("").
    subject_of: dict[tuple[int, str], str] = {(rid, role): ref for rid, role, ref in session.execute(
        select(SubjectRecord.record_id, SubjectRecord.role, Subject.ref)
        .join(Subject, Subject.id == SubjectRecord.subject_id).where(Subject.case_id == case_id))}
    records = session.scalars(select(Record).where(Record.case_id == case_id).order_by(Record.id))
    rows = []
    for r in records:
        ref = f"{r.source}#{r.source_id}"
        fields = r.fields if isinstance(r.fields, dict) else {}
        if r.kind == "transactions":
            rows.append((ref, r.id, fields))
            for side in ("sender", "beneficiary"):  # each side joins the subject linking put it in
                if (subject := subject_of.get((r.id, side))) is None:
                    continue
                if side == "sender":
                    out.sender_subjects[r.id] = subject
                for k in make_side(fields, side).strong_keys():
                    out.subject_keys[k].add(subject)
            continue
        subject = subject_of.get((r.id, ""))
        keys = person_keys(fields)
        if subject:
            for k in keys:
                out.subject_keys[k].add(subject)
        if r.kind == "chats":
            ts, has_time = parse_timestamp(fields.get("timestamp"), cfg.naive_timezone)
            if ts is not None and has_time:
                out.chats.append(ChatSession(ref=ref, ts=ts, keys=frozenset(keys),
                                             subjects=frozenset({subject} if subject else ())))
    out.transfers, out.warnings = to_transfers(rows, cfg)
    return out
