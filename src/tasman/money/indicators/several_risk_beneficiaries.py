"""A sender paying several unrelated beneficiaries in high-risk corridors.

Family remitters pay one or two relatives; a buyer of live streams pays whoever offers.
"""

from __future__ import annotations

from tasman.money.indicators.base import SENDER, Context, Hit, Indicator, Profile, countries_text, family_name


class SeveralRiskBeneficiaries(Indicator):
    name = "several_risk_beneficiaries"
    roles = (SENDER,)
    description = "pays several unrelated beneficiaries in high-risk corridors"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        benes = {t.beneficiary_party for t in p.transfers
                 if ctx.cfg.is_corridor(t.sender.country, t.beneficiary.country)}
        families = {family_name(ctx.parties[b]) for b in benes}
        if len(families) < ctx.cfg.risk_beneficiaries_min:
            return None
        where = countries_text([ctx.parties[b].country for b in benes])
        return Hit(self.name, min(1.0, len(families) / 5),
                   f"pays {len(benes)} beneficiaries with {len(families)} different family names in {where}")
