"""UTC offsets written in the subject's own timestamps ("2024-03-01 22:10 +08:00"). Weak: an
offset is shared by many countries, so the weight is split evenly between all countries that
used that offset on that date (from the tz database's zone.tab). ``Z`` / ``+00:00`` are taken
as a tool's normalisation to UTC and ignored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasman.attribute.facts import TIMESTAMP, Fact
from tasman.attribute.signals.base import Finding, Signal


@cache
def _zones() -> dict[str, tuple[str, ...]]:
    """tz zone -> countries (zone.tab, shipped by the tzdata package)."""
    text = (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        cols = line.split("\t")
        zones[cols[2]].append(cols[0])
    return {z: tuple(cc) for z, cc in zones.items()}


@cache
def countries_with_offset(minutes: int, month: str) -> tuple[str, ...]:
    """Countries with a zone at UTC+``minutes`` in the middle of ``month`` (YYYY-MM)."""
    at = datetime.strptime(month + "-15", "%Y-%m-%d").replace(tzinfo=UTC)
    found: set[str] = set()
    for zone, ccs in _zones().items():
        try:
            off = at.astimezone(ZoneInfo(zone)).utcoffset()
        except ZoneInfoNotFoundError:
            continue
        if off == timedelta(minutes=minutes):
            found.update(cc for cc in ccs if cc != "AQ")  # research stations are nobody's residence
    return tuple(sorted(found))


def fmt_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class TimezoneSignal(Signal):
    name = "timezone"
    kinds = (TIMESTAMP,)
    description = "UTC offset of the subject's own timestamps (weak)"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        minutes = fact.meta.get("offset_minutes")
        at = str(fact.meta.get("at") or "")
        if not isinstance(minutes, int) or len(at) < 7:
            return
        value = fmt_offset(minutes)
        if minutes == 0:
            return
        candidates = countries_with_offset(minutes, at[:7])
        if not candidates:
            yield self.ignore(fact, f"no country used UTC{value} in {at[:7]}", value)
            return
        share = 1 / len(candidates)
        for cc in candidates:
            yield self.vote(cc, fact, f"timestamps at UTC{value}, used by {len(candidates)} countries in {at[:7]}",
                            share, value)
