"""Purchases of capture software or travel by a sender (the FIUs' recording and travelling-
offender indicators), and, for a beneficiary, being paid by such senders."""

from __future__ import annotations

from tasman.extract.identifiers import fold
from tasman.money.indicators.base import BENEFICIARY, SENDER, Context, Hit, Indicator, Profile, sample, word_pattern
from tasman.money.transfers import Transfer


def purchase_kind(t: Transfer, ctx: Context) -> str | None:
    text = fold(" ".join((t.beneficiary.name, t.reference, t.channel)))
    if word_pattern(ctx.cfg.capture_words).search(text):
        return "capture"
    if word_pattern(ctx.cfg.travel_words).search(text):
        return "travel"
    return None


class CaptureOrTravelPurchases(Indicator):
    name = "capture_or_travel_purchases"
    roles = (SENDER,)
    description = "buys screen-capture software, or travel (full strength into a high-risk country)"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        capture = [t for t in p.transfers if purchase_kind(t, ctx) == "capture"]
        travel = [t for t in p.transfers if purchase_kind(t, ctx) == "travel"]
        if not capture and not travel:
            return None
        risky = any(t.beneficiary.country in ctx.cfg.risk_countries for t in travel)
        strength = 1.0 if capture or risky else 0.5
        parts = []
        if capture:
            parts.append(f"{len(capture)} purchase(s) of capture software")
        if travel:
            parts.append(f"{len(travel)} travel purchase(s)" + (" in a high-risk country" if risky else ""))
        return Hit(self.name, strength, " and ".join(parts), sample(capture + travel))


class SendersBuyCaptureOrTravel(Indicator):
    name = "senders_buy_capture_or_travel"
    roles = (BENEFICIARY,)
    description = "paid by senders who bought capture software or travel"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        buyers = {t.sender_party for t in p.transfers} & ctx.purchasers
        if not buyers:
            return None
        return Hit(self.name, 1.0, f"{len(buyers)} of its senders bought capture software or travel")
