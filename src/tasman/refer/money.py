"""The money section of the packages: per country, the alerted senders and beneficiaries of the
case's latest money analysis (``tasman.money.referral``), each with its own identifiers only.

The money stage writes reasons that speak of counts and countries. This module does not rely on
that alone: a reason is scrubbed of anything that looks like a phone number, e-mail address or
account, of the names and identifiers of parties of other countries, and of the refs of
subjects that are not in the same package, before it goes into a package or an export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.orm import Session

from tasman.money.document import UNKNOWN_COUNTRY, Party
from tasman.money.referral import parties_by_country
from tasman.refer.document import MoneyPartyEntry, MoneyReason

WITHHELD = "[withheld]"
_LOOKS_LIKE_ID = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"                 # e-mail
    r"|\+?\d[\d ()-]{6,}\d"                        # phone or account number (8+ digits with separators)
    r"|\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b"           # IBAN
    r"|\b(account|phone|email|name):\S+"           # a party key
)
_SUBJECT_REF = re.compile(r"\bS-\d{3,}\b")


def money_by_country(session: Session, case_ref: str, actor: str) -> dict[str, list[Party]]:
    """Alerted parties by country; parties of unknown country are left out (no one to send them to)."""
    found = parties_by_country(session, case_ref, actor=actor)
    return {cc: ps for cc, ps in found.items() if cc != UNKNOWN_COUNTRY}


def _others(by_country: dict[str, list[Party]], country: str) -> list[str]:
    out: set[str] = set()
    for cc, parties in by_country.items():
        if cc == country:
            continue
        for p in parties:
            out.update(v for v in (*p.phones, *p.emails, *p.accounts, p.name) if len(v) >= 5)
    return sorted(out, key=len, reverse=True)


def scrub(why: str, others: Iterable[str], subject_refs: set[str]) -> str:
    """The reason without identifiers, other countries' parties or subjects outside the package."""
    for value in others:
        if value.casefold() in why.casefold():
            why = re.sub(re.escape(value), WITHHELD, why, flags=re.IGNORECASE)
    why = _LOOKS_LIKE_ID.sub(WITHHELD, why)
    return _SUBJECT_REF.sub(lambda m: m.group(0) if m.group(0) in subject_refs else "[a subject referred elsewhere]",
                            why)


def money_entries(by_country: dict[str, list[Party]], country: str,
                  subject_refs: set[str]) -> list[MoneyPartyEntry]:
    """The package entries of ``country``'s parties (beneficiaries first, by rank)."""
    others = _others(by_country, country)
    out = []
    for p in by_country.get(country, []):
        if p.country != country:  # never trust a grouping alone
            continue
        reasons = [MoneyReason(indicator=r.indicator, weight=r.weight, strength=r.strength, points=r.points,
                               why=scrub(r.why, others, subject_refs)) for r in p.reasons]
        out.append(MoneyPartyEntry(
            role=p.role,  # type: ignore[arg-type]
            ref=p.ref, key=p.key, name=p.name, country=country, rank=p.rank, score=p.score, transfers=p.transfers,
            total_usd=p.total_usd, first_seen=p.first_seen, last_seen=p.last_seen, counterparties=p.counterparties,
            subject_payers=p.subject_payers, phones=list(p.phones), emails=list(p.emails), accounts=list(p.accounts),
            subjects=[s for s in p.subjects if s in subject_refs], reasons=reasons, records=list(p.record_refs)))
    return out
