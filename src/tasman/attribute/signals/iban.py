"""IBANs: the country that issued the account (schwifty validates the check digits)."""

from __future__ import annotations

from collections.abc import Iterable

from tasman.attribute.facts import IBAN, Fact
from tasman.attribute.signals.base import Finding, Signal
from tasman.extract.identifiers import clean_iban


class IbanSignal(Signal):
    name = "iban"
    kinds = (IBAN,)
    description = "country of a valid IBAN"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        ident = clean_iban(fact.value)
        if ident is None or ident.country is None:
            yield self.ignore(fact, "not a valid IBAN")
            return
        detail = f"IBAN {ident.value} is held at a bank in {ident.country}"
        yield self.vote(ident.country, fact, detail, 1.0, ident.value)
