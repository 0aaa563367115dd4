"""Benign-sounding references ("school", "medical", "family support"): FIUs note that payments for
live streams are labelled like family help. Family remittances say the same, so the weight is low."""

from __future__ import annotations

from tasman.extract.identifiers import fold
from tasman.money.indicators.base import BENEFICIARY, SENDER, Context, Hit, Indicator, Profile, sample, word_pattern


class BenignReferences(Indicator):
    name = "benign_references"
    roles = (BENEFICIARY, SENDER)
    description = "most references sound benign (school, medical, family support...)"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        pattern = word_pattern(ctx.cfg.benign_words)
        hits = [t for t in p.transfers if t.reference and pattern.search(fold(t.reference))]
        if len(hits) < 2 or len(hits) / len(p.transfers) < ctx.cfg.benign_share:
            return None
        words = sorted({m.group(1) for t in hits if (m := pattern.search(fold(t.reference)))})
        return Hit(self.name, len(hits) / len(p.transfers),
                   f"{len(hits)} of {len(p.transfers)} references read like family help ({', '.join(words[:5])})",
                   sample(hits))
