"""The sender's time zone, for "transfers at night in the sender's time zone".

A phone number often pins the zone down (phonenumbers knows +61 2 is Sydney); otherwise the
country's only zone from the tz database, or its most populous zone for countries that span
several (``primary_zones`` in the settings).
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_tz

from tasman.money.config import MoneyConfig
from tasman.money.parties import Party
from tasman.money.transfers import zone


@cache
def _country_zones() -> dict[str, tuple[str, ...]]:
    """ISO country -> its zones, from tzdata's zone.tab (shipped with the tzdata package)."""
    out: dict[str, list[str]] = defaultdict(list)
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            out[parts[0]].append(parts[2])
    return {k: tuple(v) for k, v in out.items()}


@cache
def phone_zone(e164: str) -> str | None:
    try:
        zones = phone_tz.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None


def country_zone(country: str, cfg: MoneyConfig) -> str | None:
    if country in cfg.primary_zones:
        return cfg.primary_zones[country]
    zones = _country_zones().get(country, ())
    return zones[0] if zones else None


def party_zone(party: Party, cfg: MoneyConfig) -> ZoneInfo | None:
    for phone in sorted(party.phones):
        name = phone_zone(phone)
        if name:
            return zone(name)
    country = party.country or (party.phone_countries.most_common(1)[0][0] if party.phone_countries else None)
    name = country_zone(country, cfg) if country else None
    return zone(name) if name else None
