"""Frequent small transfers (10-200 in USD/EUR/AUD) from abroad into a high-risk corridor.

AUSTRAC, FINTRAC and the AMLC all describe live-streaming payments as small, frequent and
cross-border, into a few receiving countries. Frequency is the most transfers inside any
window of ``frequent_days``; strength grows from 0.5 at ``frequent_min`` to 1 at twice that.
"""

from __future__ import annotations

from datetime import timedelta

from tasman.money.indicators.base import BENEFICIARY, SENDER, Context, Hit, Indicator, Profile, countries_text, sample
from tasman.money.transfers import Transfer, band_amount


def max_in_window(transfers: list[Transfer], days: int) -> int:
    times = sorted(t.ts for t in transfers if t.ts is not None)
    best, start, span = 0, 0, timedelta(days=days)
    for end, ts in enumerate(times):
        while ts - times[start] > span:
            start += 1
        best = max(best, end - start + 1)
    return best


class SmallFrequentCorridor(Indicator):
    name = "small_frequent_corridor"
    roles = (BENEFICIARY, SENDER)
    description = ("frequent transfers of 10-200 (USD/EUR/AUD, other currencies converted) "
                   "from abroad into a high-risk corridor")

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        cfg = ctx.cfg
        small = []
        for t in p.transfers:
            amount = band_amount(t, cfg)
            if (amount is not None and cfg.band.min <= amount <= cfg.band.max
                    and cfg.is_corridor(t.sender.country, t.beneficiary.country)):
                small.append(t)
        if len(small) < cfg.frequent_min:
            return None
        peak = max_in_window(small, cfg.frequent_days)
        if peak < cfg.frequent_min:
            return None
        strength = min(1.0, 0.5 + 0.5 * (peak - cfg.frequent_min) / cfg.frequent_min)
        into = countries_text([t.beneficiary.country for t in small])
        return Hit(self.name, strength,
                   f"{len(small)} transfers of {cfg.band.min:g}-{cfg.band.max:g} from abroad into {into}, "
                   f"up to {peak} within {cfg.frequent_days} days", sample(small))
