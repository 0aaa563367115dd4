"""Stated and postal addresses: the country field of a record; a city alone counts less, placed
by the case's own addresses that name it with a country, else by the offline gazetteer, and split
between the countries that have a town of that name."""

from __future__ import annotations

from collections.abc import Iterable

from tasman.attribute import places
from tasman.attribute.facts import ADDRESS, Fact
from tasman.attribute.signals.base import Finding, Signal
from tasman.extract.identifiers import clean_country


class AddressSignal(Signal):
    name = "address"
    kinds = (ADDRESS,)
    description = "country of a stated or postal address"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        city = str(fact.meta.get("city") or "").strip()
        if fact.value.strip():
            found = clean_country(fact.value)
            if found is None:
                yield self.ignore(fact, f"unknown country {fact.value!r}")
                return
            where = f"{city}, " if city else ""
            yield self.vote(found.value, fact, f"address in {where}{fact.value.strip()}", 1.0, found.value)
            return
        if not city:
            return
        candidates, how = places.locate_town(city, self.env.case_places)
        if not candidates:
            yield self.ignore(fact, f"no country given and no known town called {city!r}", city)
            return
        for cc, share in candidates:
            yield self.vote(cc, fact, f"address city {city!r} without a country: {share:.0%} {how} are in {cc}",
                            self.weight.city_only_factor * share, city)
