"""From findings to a ranked list of countries with a confidence and every reason.

Each distinct piece of evidence (signal, country, normalised value) counts once, however many
sources repeat it (the sources are all listed). Pieces of one signal for one country decay:
the strongest counts its full weight, the next ``repeat_decay`` of it, and so on, so many
addresses from one provider cannot drown a stated address. Confidence is the country's share
of the whole score times a support term that grows with the evidence behind it:
``share * (1 - exp(-score / saturation))``. Nothing is dropped: the runner-up countries keep
their reasons, and ignored findings keep why.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tasman.attribute.signals.base import Finding, Ignored, Vote
from tasman.attribute.weights import Weights


@dataclass(frozen=True)
class Reason:
    signal: str
    value: str
    detail: str
    points: float
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"signal": self.signal, "value": self.value, "detail": self.detail,
                "points": self.points, "sources": list(self.sources)}


@dataclass(frozen=True)
class CountryScore:
    country: str
    score: float
    confidence: float
    rank: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Verdict:
    ranked: tuple[CountryScore, ...]
    ignored: tuple[dict[str, Any], ...] = ()
    conflict: bool = False

    @property
    def tied(self) -> bool:
        """The first two candidates score the same: choosing one would be a guess."""
        return len(self.ranked) > 1 and self.ranked[0].score == self.ranked[1].score

    @property
    def top(self) -> CountryScore | None:
        """The attributed country: the best candidate, or none when nothing points anywhere or
        the best candidates tie (they stay ranked, with their reasons)."""
        return self.ranked[0] if self.ranked and not self.tied else None


@dataclass
class _Piece:
    signal: str
    country: str
    value: str
    strength: float
    detail: str
    sources: set[str] = field(default_factory=set)


def _corroborate(pieces: dict[tuple[str, str, str], _Piece], ignored: dict[tuple[str, str, str], set[str]],
                 weights: Weights) -> None:
    """Pieces of a corroborating-only signal (time zones) pointing to a country no other signal
    names are dropped, and listed as ignored with every country they fitted, unless no other
    signal said anything at all (then they are all there is)."""
    weak = {k for k in pieces if weights.of(k[0]).corroborating_only}
    named = {p.country for k, p in pieces.items() if k not in weak}
    if not named:
        return
    dropped: dict[tuple[str, str], list[_Piece]] = defaultdict(list)
    for k in sorted(weak):
        if pieces[k].country not in named:
            dropped[(k[0], k[2])].append(pieces.pop(k))
    for (signal, value), ps in dropped.items():
        why = f"also fits {', '.join(p.country for p in ps)}: counted only where other evidence points"
        ignored[(signal, value, why)].update(*(p.sources for p in ps))


def score(findings: Iterable[Finding], weights: Weights) -> Verdict:
    pieces: dict[tuple[str, str, str], _Piece] = {}
    ignored: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for f in findings:
        if isinstance(f, Ignored):
            ignored[(f.signal, f.value, f.why)].add(f.source)
            continue
        assert isinstance(f, Vote)
        key = (f.signal, f.country, f.value)
        p = pieces.get(key)
        if p is None:
            p = pieces[key] = _Piece(f.signal, f.country, f.value, f.strength, f.detail)
        elif f.strength > p.strength:
            p.strength, p.detail = f.strength, f.detail
        p.sources.add(f.source)

    _corroborate(pieces, ignored, weights)
    by_country: dict[str, list[Reason]] = defaultdict(list)
    groups: dict[tuple[str, str], list[_Piece]] = defaultdict(list)
    for p in pieces.values():
        groups[(p.signal, p.country)].append(p)
    for (signal, country), group in groups.items():
        w = weights.of(signal).weight
        group.sort(key=lambda p: (-p.strength, p.value))
        for i, p in enumerate(group):
            pts = round(w * p.strength * weights.repeat_decay ** i, 4)
            if pts > 0:
                by_country[country].append(Reason(signal, p.value, p.detail, pts, tuple(sorted(p.sources))))

    totals = {cc: sum(r.points for r in rs) for cc, rs in by_country.items()}
    grand = sum(totals.values())
    order = sorted(totals, key=lambda cc: (-totals[cc], cc))
    ranked = tuple(
        CountryScore(
            country=cc, score=round(totals[cc], 4),
            confidence=round(totals[cc] / grand * (1 - math.exp(-totals[cc] / weights.saturation)), 3),
            rank=i + 1,
            reasons=tuple(sorted(by_country[cc], key=lambda r: (-r.points, r.signal, r.value))),
        )
        for i, cc in enumerate(order)
    )
    conflict = len(ranked) > 1 and ranked[1].score >= weights.conflict_ratio * ranked[0].score
    notes = tuple({"signal": s, "value": v, "why": why, "sources": sorted(src)}
                  for (s, v, why), src in sorted(ignored.items()))
    return Verdict(ranked=ranked, ignored=notes, conflict=conflict)
