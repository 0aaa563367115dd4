"""E-mail domains under a country-code TLD (``.de``, ``.co.uk``). Generic TLDs say nothing, and
ccTLDs sold worldwide (``.io``, ``.me``, ``.tv``: the weights file lists them) are noted as such,
except a national free-mail provider under a generic TLD (``qq.com``, ``naver.com``: the table of
``tasman.link.aliases``), which counts at ``provider_factor`` (its users mostly live there)."""

from __future__ import annotations

from collections.abc import Iterable

from tasman.attribute.facts import EMAIL, Fact
from tasman.attribute.signals.base import Finding, Signal
from tasman.extract.identifiers import clean_domain, clean_email
from tasman.link.aliases import PROVIDER_COUNTRIES


class EmailDomainSignal(Signal):
    name = "email_domain"
    kinds = (EMAIL,)
    description = "country-code top-level domain of an e-mail address"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        email = clean_email(fact.value)
        if email is None:
            return
        domain = clean_domain(str(email.meta["domain"]))
        if domain is not None and domain.country is None and domain.value.lower() in PROVIDER_COUNTRIES:
            cc = PROVIDER_COUNTRIES[domain.value.lower()]
            yield self.vote(cc, fact, f"e-mail {email.value} is at {domain.value}, a free-mail provider of {cc}",
                            self.weight.provider_factor, email.value)
            return
        if domain is None or domain.country is None:
            return  # a generic TLD (.com, .org): not a signal at all
        tld = domain.value.rsplit(".", 1)[-1]
        if tld in self.weight.generic_tlds:
            yield self.ignore(fact, f".{tld} is a country code sold worldwide", email.value)
            return
        yield self.vote(domain.country, fact, f"e-mail {email.value} uses the .{tld} domain of {domain.country}",
                        1.0, email.value)
