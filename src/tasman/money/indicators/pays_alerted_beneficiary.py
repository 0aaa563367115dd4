"""A sender paying a beneficiary that alerted (second pass): the facilitator's customers."""

from __future__ import annotations

from tasman.money.indicators.base import SENDER, Context, Hit, Indicator, Profile, sample


class PaysAlertedBeneficiary(Indicator):
    name = "pays_alerted_beneficiary"
    roles = (SENDER,)
    description = "pays a beneficiary that alerted"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        paid = [t for t in p.transfers if t.beneficiary_party in ctx.alerted_beneficiaries]
        if not paid:
            return None
        n = len({t.beneficiary_party for t in paid})
        return Hit(self.name, 1.0, f"{len(paid)} transfers to {n} alerted beneficiar{'y' if n == 1 else 'ies'}",
                   sample(paid))
