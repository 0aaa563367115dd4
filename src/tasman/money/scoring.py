"""Combining indicators into a score, an alert and a rank.

score = sum(weight x strength) over the indicators that fired (mitigating ones have negative
weights). A party alerts when its score reaches ``threshold`` AND at least ``min_indicators``
positive indicators fired: no weight reaches the threshold, so no indicator alerts on its own,
and a pair of strong ones is not enough either. Beneficiaries paid by several of the case's
subjects are ranked before all others (by how many), then by score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tasman.money.config import MoneyConfig
from tasman.money.indicators import Context, Hit, Indicator, Profile
from tasman.money.indicators.paid_by_several_subjects import paying_subjects


@dataclass
class Scored:
    hit: Hit
    weight: float

    @property
    def points(self) -> float:
        return round(self.weight * self.hit.strength, 3)


@dataclass
class PartyScore:
    profile: Profile
    hits: list[Scored] = field(default_factory=list)
    score: float = 0.0
    positives: int = 0
    alerted: bool = False
    subject_payers: int = 0
    rank: int = 0

    @property
    def key(self) -> str:
        return self.profile.party.key

    @property
    def role(self) -> str:
        return self.profile.role

    @property
    def total_usd(self) -> float:
        return round(sum(t.amount_usd or 0.0 for t in self.profile.transfers), 2)

    @property
    def first_seen(self) -> datetime | None:
        times = [t.ts for t in self.profile.transfers if t.ts is not None]
        return min(times) if times else None

    @property
    def last_seen(self) -> datetime | None:
        times = [t.ts for t in self.profile.transfers if t.ts is not None]
        return max(times) if times else None

    def reasons(self) -> list[str]:
        return [f"{s.hit.indicator} ({s.points:+g}): {s.hit.why}" for s in self.hits]


def evaluate(p: Profile, ctx: Context, indicators: Iterable[Indicator]) -> list[Scored]:
    out = []
    for ind in indicators:
        if p.role in ind.roles and (hit := ind.evaluate(p, ctx)) is not None:
            out.append(Scored(hit, ctx.cfg.weight(ind.name)))
    return out


def settle(ps: PartyScore, cfg: MoneyConfig) -> None:
    ps.hits.sort(key=lambda s: (-s.points, s.hit.indicator))
    ps.score = round(sum(s.points for s in ps.hits), 3)
    ps.positives = sum(1 for s in ps.hits if s.weight > 0)
    ps.alerted = ps.score >= cfg.threshold and ps.positives >= cfg.min_indicators


def rank_beneficiaries(scores: list[PartyScore], ctx: Context) -> list[PartyScore]:
    for ps in scores:
        ps.subject_payers = len(paying_subjects(ps.profile, ctx))

    def tier(ps: PartyScore) -> int:
        return ps.subject_payers if ps.subject_payers >= ctx.cfg.subjects_min else 0

    ordered = sorted(scores, key=lambda ps: (-tier(ps), -ps.score, -len(ps.profile.transfers), ps.key))
    for i, ps in enumerate(ordered, 1):
        ps.rank = i
    return ordered


def rank_senders(scores: list[PartyScore]) -> list[PartyScore]:
    ordered = sorted(scores, key=lambda ps: (-ps.score, -len(ps.profile.transfers), ps.key))
    for i, ps in enumerate(ordered, 1):
        ps.rank = i
    return ordered
