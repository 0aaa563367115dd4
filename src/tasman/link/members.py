"""A subject's member records, each with the part of it that is the subject.

Most records describe one person: all of the record is the subject's. A transfer describes
two, and linking stores which of them joined the subject (``SubjectRecord.role``: ``sender`` or
``beneficiary``); only that side's fields (``sender_phone``...) are the subject's, the other
side is a counterparty. Later stages read members through here instead of guessing the side
from names or identifiers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core.fields import SIDES, field
from tasman.core.models import Record
from tasman.link.models import SubjectRecord


@dataclass(frozen=True)
class Member:
    record: Record
    role: str  # "" for a one-person record, else "sender" | "beneficiary"

    @property
    def side(self) -> str | None:
        """The transfer side that is the subject; None for other records, and for a transfer
        stored without a role (linked before roles existed), where no side can be told."""
        return self.role if self.record.kind == "transactions" and self.role in SIDES else None

    def is_own(self, field_name: str) -> bool:
        """Whether a field (or an observation's field path) of the record speaks of the subject."""
        if self.record.kind != "transactions":
            return True
        return self.side is not None and field(field_name).side == self.side

    def own_fields(self) -> dict[str, Any]:
        """The subject's fields, without the side prefix for a transfer (plus its timestamp)."""
        fields = self.record.fields if isinstance(self.record.fields, dict) else {}
        if self.record.kind != "transactions":
            return dict(fields)
        if self.side is None:
            return {}
        out = {f.base: v for k, v in fields.items() if (f := field(k)).side == self.side}
        out["timestamp"] = fields.get("timestamp")
        return out


def members_of(session: Session, subject_ids: Iterable[int]) -> dict[int, list[Member]]:
    """Subject id -> its members, by record id (a record in a subject by both of its sides
    appears twice, once per side)."""
    ids = sorted(set(subject_ids))
    out: dict[int, list[Member]] = defaultdict(list)
    if not ids:
        return {}
    for sid, role, rec in session.execute(
        select(SubjectRecord.subject_id, SubjectRecord.role, Record).join(Record, Record.id == SubjectRecord.record_id)
        .where(SubjectRecord.subject_id.in_(ids)).order_by(Record.id, SubjectRecord.role)
    ).all():
        out[sid].append(Member(rec, role or ""))
    return dict(out)
