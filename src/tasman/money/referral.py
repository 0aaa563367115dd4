"""What the referral packages take from the money analysis: per country, the alerted parties.

A facilitator in the Philippines goes to the Philippine agency, its senders to theirs. Each
:class:`~tasman.money.document.Party` carries its own identifiers, score and reasons (counts and
countries only, no other party's identifiers) and the records it rests on, so a package holds
no one from another country.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.evidence import get_case
from tasman.money.document import UNKNOWN_COUNTRY, Party, Reason
from tasman.money.models import MoneyParty
from tasman.money.run import latest_run


def _party(row: MoneyParty) -> Party:
    extra = row.extra or {}
    ids = row.identifiers or {}
    return Party(role=row.role, key=row.key, name=row.name, country=row.country, rank=row.rank, score=row.score,
                 alerted=row.alerted, transfers=row.transfers, total_usd=row.total_usd,
                 first_seen=extra.get("first_seen"), last_seen=extra.get("last_seen"),
                 counterparties=int(extra.get("counterparties") or 0),
                 subject_payers=int(extra.get("subject_payers") or 0),
                 phones=tuple(ids.get("phones", ())), emails=tuple(ids.get("emails", ())),
                 accounts=tuple(ids.get("accounts", ())), subjects=tuple(row.subjects or ()),
                 reasons=tuple(Reason.model_validate(r) for r in row.indicators or ()),
                 record_refs=tuple(row.record_refs or ()))


def parties_by_country(session: Session, case_ref: str, *, actor: str = "tasman.refer",
                       alerted_only: bool = True, roles: tuple[str, ...] = ("beneficiary", "sender"),
                       ) -> dict[str, list[Party]]:
    """Country (ISO alpha-2, ``ZZ`` when unknown) -> the parties of the case's latest money analysis,
    beneficiaries first, each by rank. Only alerted parties unless ``alerted_only=False``.
    Empty when no analysis ran. The read is audited."""
    case = get_case(session, case_ref)
    run = latest_run(session, case.id)
    out: dict[str, list[Party]] = defaultdict(list)
    if run is not None:
        q = select(MoneyParty).where(MoneyParty.run_id == run.id, MoneyParty.role.in_(roles))
        if alerted_only:
            q = q.where(MoneyParty.alerted.is_(True))
        rows = sorted(session.scalars(q), key=lambda r: (r.role != "beneficiary", r.rank))
        for row in rows:
            out[row.country or UNKNOWN_COUNTRY].append(_party(row))
    audit.record(session, actor, "money.referral.read", case_ref=case.ref, target=f"run {run.id if run else '-'}",
                 countries=sorted(out), parties=sum(len(v) for v in out.values()))
    return dict(out)
