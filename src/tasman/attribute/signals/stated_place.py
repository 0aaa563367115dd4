"""Places the subject stated in a chat ("I live in Cebu"), as extraction found them: a country
counts fully, a city a little less (placed by the case's own addresses, else the gazetteer, and
split between countries that have a town of that name)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tasman.attribute import places
from tasman.attribute.facts import CITY, COUNTRY, Fact
from tasman.attribute.signals.base import Finding, Signal
from tasman.extract.identifiers import clean_country, fold

_CODED = re.compile(r"^[A-Z]{2}:")


class StatedPlaceSignal(Signal):
    name = "stated_place"
    kinds = (COUNTRY, CITY)
    description = "a country or city stated in a chat"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        if fact.kind == COUNTRY:
            found = clean_country(fact.value)
            if found is None:
                yield self.ignore(fact, f"unknown country {fact.value!r}")
            else:
                yield self.vote(found.value, fact, f"stated country {fact.value!r}", 1.0, found.value)
            return
        factor = self.weight.city_factor
        name = fact.value.split(":", 1)[1] if _CODED.match(fact.value) else fact.value  # "US:reno" from extraction
        key = fold(name)
        known = self.env.case_places.countries(name) if self.env.case_places else []
        if fact.hint and not known:
            yield self.vote(fact.hint, fact, f"stated city {name!r} ({fact.hint})", factor, key)
            return
        candidates, how = places.locate_town(name, self.env.case_places)
        if not candidates:
            yield self.ignore(fact, f"no known town called {name!r}", key)
        for cc, share in candidates:
            yield self.vote(cc, fact, f"stated city {name!r}: {share:.0%} {how} are in {cc}", factor * share, key)
