"""Mitigating: a regular remittance. One family (one family name on the other side), steady
gaps between transfers and steady amounts, mostly by day: what migrant workers send home."""

from __future__ import annotations

from itertools import pairwise
from statistics import mean, pstdev

from tasman.money.indicators.base import BENEFICIARY, SENDER, Context, Hit, Indicator, Profile, family_name
from tasman.money.indicators.night_transfers import is_night


def _cv(values: list[float]) -> float:
    m = mean(values)
    return pstdev(values) / m if m > 0 else float("inf")


class RegularRemittance(Indicator):
    name = "regular_remittance"
    roles = (BENEFICIARY, SENDER)
    description = "mitigating: steady amounts at steady intervals within one family, by day"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        dated = sorted((t for t in p.transfers if t.ts is not None), key=lambda t: t.ts)  # type: ignore[arg-type,return-value]
        if len(dated) < 3:
            return None
        families = {family_name(ctx.parties[p.counterparty(t)]) for t in dated}
        if len(families) > 1:
            return None
        gaps = [(b.ts - a.ts).total_seconds() / 86400 for a, b in pairwise(dated)]  # type: ignore[operator]
        if min(gaps) < 0.5:
            return None
        gap_cv, amount_cv = _cv(gaps), _cv([t.amount for t in dated])
        cap = ctx.cfg.regular_max_cv
        nights = [n for t in dated if (n := is_night(t, ctx)) is not None]
        if gap_cv > cap or amount_cv > cap or (nights and sum(nights) / len(nights) >= ctx.cfg.night_share):
            return None
        return Hit(self.name, 1.0,
                   f"{len(dated)} transfers within one family every {mean(gaps):.0f} days on average "
                   f"(variation {gap_cv:.2f}), amounts steady (variation {amount_cv:.2f}), by day")
