"""Several unrelated senders paying one beneficiary.

A family is paid by its own members abroad, who share a family name; a facilitator is paid
by many unrelated customers. Senders are grouped by family name; strength reaches 1 at five
groups.
"""

from __future__ import annotations

from tasman.money.indicators.base import BENEFICIARY, Context, Hit, Indicator, Profile, countries_text, family_name


class SeveralUnrelatedSenders(Indicator):
    name = "several_unrelated_senders"
    roles = (BENEFICIARY,)
    description = "paid by several senders with different family names"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        senders = {t.sender_party for t in p.transfers}
        families = {family_name(ctx.parties[s]) for s in senders}
        if len(families) < ctx.cfg.unrelated_senders_min:
            return None
        where = countries_text([ctx.parties[s].country for s in senders])
        return Hit(self.name, min(1.0, len(families) / 5),
                   f"paid by {len(senders)} senders with {len(families)} different family names, from {where}")
