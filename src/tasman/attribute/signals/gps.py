"""EXIF GPS positions of the subject's pictures, reverse-geocoded offline to the nearest town."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tasman.attribute import places
from tasman.attribute.facts import GPS, Fact
from tasman.attribute.signals.base import Finding, Signal

_PAIR = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_latlon(text: str) -> tuple[float, float] | None:
    m = _PAIR.match(text)
    return (float(m.group(1)), float(m.group(2))) if m else None


class GpsSignal(Signal):
    name = "gps"
    kinds = (GPS,)
    description = "EXIF GPS reverse-geocoded offline"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        pos = parse_latlon(fact.value)
        if pos is None and "lat" in fact.meta and "lon" in fact.meta:
            pos = (float(fact.meta["lat"]), float(fact.meta["lon"]))
        if pos is None:
            yield self.ignore(fact, "not a latitude,longitude pair")
            return
        lat, lon = pos
        value = f"{lat:.5f},{lon:.5f}"
        if abs(lat) < 1e-6 and abs(lon) < 1e-6:
            yield self.ignore(fact, "0,0 is a camera's default, not a place", value)
            return
        place = places.reverse(lat, lon)
        if place is None:
            yield self.ignore(fact, "out of range", value)
            return
        yield self.vote(place.country, fact, f"GPS {value} is {place.distance_km} km from {place.city}, "
                        f"{place.country}", 1.0, value)
