"""IP addresses, geolocated offline. Private, reserved and anonymising addresses (on a Tor exit
or VPN list given by file) count for nothing, and each is listed with why."""

from __future__ import annotations

from collections.abc import Iterable

from tasman.attribute.facts import IP, Fact
from tasman.attribute.signals.base import Finding, Signal
from tasman.extract.identifiers import clean_ip


class IpSignal(Signal):
    name = "ip"
    kinds = (IP,)
    description = "IP geolocation (offline database)"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        ident = clean_ip(fact.value)
        if ident is None:
            yield self.ignore(fact, "not an IP address")
            return
        scope = str(ident.meta.get("scope"))
        if scope != "public":
            yield self.ignore(fact, f"a {scope.replace('_', '-')} address carries no weight", ident.value)
            return
        for listed in self.env.anonymisers:
            if listed.contains(ident.value):
                why = f"on the {listed.label} list: an anonymising exit carries no weight"
                yield self.ignore(fact, why, ident.value)
                return
        locator = self.env.locator()
        cc = locator.country(ident.value)
        if cc is None:
            yield self.ignore(fact, f"not located by {locator.name}", ident.value)
            return
        yield self.vote(cc, fact, f"IP {ident.value} geolocates to {cc} ({locator.name})", 1.0, ident.value)
