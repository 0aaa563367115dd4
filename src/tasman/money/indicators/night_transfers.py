"""Transfers at night in the sender's time zone (live sessions are arranged for the buyer's evening
and night, the facilitator's day). Only transfers with a time of day count."""

from __future__ import annotations

from tasman.money.indicators.base import BENEFICIARY, SENDER, Context, Hit, Indicator, Profile, sample
from tasman.money.transfers import Transfer


def is_night(t: Transfer, ctx: Context) -> bool | None:
    """None when the time of day or the sender's zone is unknown."""
    if t.ts is None or not t.has_time:
        return None
    tz = ctx.zones.get(t.sender_party)
    if tz is None:
        return None
    hour = t.ts.astimezone(tz).hour
    start, end = ctx.cfg.night_start_hour, ctx.cfg.night_end_hour
    return start <= hour or hour < end if start > end else start <= hour < end


class NightTransfers(Indicator):
    name = "night_transfers"
    roles = (BENEFICIARY, SENDER)
    description = "transfers at night in the sender's time zone"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        known = [(t, n) for t in p.transfers if (n := is_night(t, ctx)) is not None]
        night = [t for t, n in known if n]
        if len(night) < 2 or len(night) / len(known) < ctx.cfg.night_share:
            return None
        share = len(night) / len(known)
        return Hit(self.name, share,
                   f"{len(night)} of {len(known)} timed transfers between {ctx.cfg.night_start_hour:02d}:00 and "
                   f"{ctx.cfg.night_end_hour:02d}:00 in the sender's time zone", sample(night))
