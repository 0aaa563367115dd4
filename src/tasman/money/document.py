"""The frozen result documents every renderer works from (capa style): a scored party, the
money report (HTML and JSON come from it), the timeline events and the chart series."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict

from tasman.core.timeutil import iso
from tasman.money.scoring import PartyScore

UNKNOWN_COUNTRY = "ZZ"  # ISO 3166 user-assigned code, for parties whose country is not known


def party_ref(key: str) -> str:
    """A party's short, stable reference: ``P-`` and 10 hex digits of its key's SHA-256. The same
    party (same smallest identifier) keeps it across analyses, so a recipient can report outcomes
    about it the way it does about subjects; it tells nothing of the identifier itself."""
    return "P-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10].upper()


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)
    indicator: str
    weight: float
    strength: float
    points: float
    why: str


class Party(BaseModel):
    """A scored sender or beneficiary. Reasons speak of counts and countries, never of other
    parties' identifiers, so a party can be handed to its own country on its own."""

    model_config = ConfigDict(frozen=True)
    role: str
    key: str
    name: str
    country: str | None
    rank: int
    score: float
    alerted: bool
    transfers: int
    total_usd: float
    first_seen: str | None = None
    last_seen: str | None = None
    counterparties: int = 0
    subject_payers: int = 0
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()
    record_refs: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return party_ref(self.key)

    @property
    def indicator_names(self) -> list[str]:
        return [r.indicator for r in self.reasons]

    def reason_lines(self) -> list[str]:
        return [f"{r.indicator} ({r.points:+g}): {r.why}" for r in self.reasons]


def party_doc(ps: PartyScore, max_refs: int = 200) -> Party:
    p = ps.profile.party
    first, last = ps.first_seen, ps.last_seen
    others = {ps.profile.counterparty(t) for t in ps.profile.transfers}
    return Party(
        role=ps.role, key=ps.key, name=p.name, country=p.country, rank=ps.rank, score=ps.score, alerted=ps.alerted,
        transfers=len(ps.profile.transfers), total_usd=ps.total_usd,
        first_seen=iso(first) if first else None, last_seen=iso(last) if last else None,
        counterparties=len(others), subject_payers=ps.subject_payers,
        phones=tuple(sorted(p.phones)), emails=tuple(sorted(p.emails)), accounts=tuple(sorted(p.accounts)),
        subjects=tuple(sorted(p.subjects)),
        reasons=tuple(Reason(indicator=s.hit.indicator, weight=s.weight, strength=round(s.hit.strength, 3),
                             points=s.points, why=s.hit.why) for s in ps.hits),
        record_refs=tuple(t.ref for t in ps.profile.transfers[:max_refs]),
    )


class Point(BaseModel):
    model_config = ConfigDict(frozen=True)
    ts: str
    amount_usd: float


class Series(BaseModel):
    model_config = ConfigDict(frozen=True)
    label: str
    key: str
    points: tuple[Point, ...]


class TimelineEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    ts: str
    kind: str            # transfer | chat | triage
    who: str             # a subject ref when the party has one, else the party's name
    summary: str
    ref: str             # the record (source#id) or match it comes from
    minutes_to_chat: int | None = None


class IndicatorDoc(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    weight: float
    roles: tuple[str, ...]
    description: str


class MoneyReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    tasman_version: str
    generated_at: str
    case_ref: str
    run_id: int | None
    threshold: float
    min_indicators: int
    risk_countries: tuple[str, ...]
    stats: dict[str, int]
    indicators: tuple[IndicatorDoc, ...]
    beneficiaries: tuple[Party, ...]   # alerted ones and the top of the ranking
    senders: tuple[Party, ...]
    chart: tuple[Series, ...]
    timeline: tuple[TimelineEvent, ...]
    warnings: tuple[str, ...]
    files: dict[str, str]
