"""Round amounts (multiples of ``round_unit`` in the currency sent): prices agreed in advance."""

from __future__ import annotations

from tasman.money.indicators.base import BENEFICIARY, SENDER, Context, Hit, Indicator, Profile, sample


class RoundAmounts(Indicator):
    name = "round_amounts"
    roles = (BENEFICIARY, SENDER)
    description = "most amounts are round"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        unit = ctx.cfg.round_unit
        if len(p.transfers) < 3 or unit <= 0:
            return None
        rounds = [t for t in p.transfers if abs(t.amount / unit - round(t.amount / unit)) < 1e-9]
        share = len(rounds) / len(p.transfers)
        if share < ctx.cfg.round_share:
            return None
        return Hit(self.name, share, f"{len(rounds)} of {len(p.transfers)} amounts are multiples of {unit:g}",
                   sample(rounds))
