"""The currency a person paid in (an order's currency; a transfer's, for its sender, who pays in
at their end): the countries where it is legal tender today (Babel's CLDR territory data), split
evenly, so ``PLN`` points to Poland and ``EUR`` says little. Weak and corroborating: a shop may
price in its own currency, so a source whose records all use one currency while they give
addresses in several countries is taken to be doing that, and its currency is ignored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from tasman.attribute.facts import CURRENCY, Fact
from tasman.attribute.signals.base import Finding, Signal


@cache
def currency_countries() -> dict[str, tuple[str, ...]]:
    """ISO 4217 code -> the ISO 3166 countries where it is legal tender now (CLDR via Babel)."""
    import pycountry
    from babel.numbers import get_territory_currencies

    out: dict[str, list[str]] = defaultdict(list)
    for c in pycountry.countries:
        for code in get_territory_currencies(c.alpha_2, tender=True):
            out[code].append(c.alpha_2)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def source_file(source: str) -> str:
    """``orders.csv#17`` -> ``orders.csv``."""
    return source.rsplit("#", 1)[0]


class CurrencySignal(Signal):
    name = "currency"
    kinds = (CURRENCY,)
    description = "currency of the person's payments (weak, corroborating)"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        code = fact.value.strip().upper()
        where = currency_countries().get(code)
        if not where:
            yield self.ignore(fact, f"not a current ISO 4217 currency: {fact.value!r}", fact.value.strip())
            return
        shop = self.env.uniform_currency.get(source_file(fact.source))
        if shop == code:
            yield self.ignore(fact, f"every record of {source_file(fact.source)} is in {code} while their "
                              "addresses are in several countries: the source's currency, not the person's", code)
            return
        share = 1 / len(where)
        detail = f"paid in {code}, legal tender in {', '.join(where) if len(where) <= 5 else f'{len(where)} countries'}"
        for cc in where:
            yield self.vote(cc, fact, detail, share, code)
