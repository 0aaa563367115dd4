"""Paid by several of the case's subjects: the strongest tie between a beneficiary and the case.

Beneficiaries that several suspects pay are ranked before all others (see scoring).
"""

from __future__ import annotations

from tasman.money.indicators.base import BENEFICIARY, Context, Hit, Indicator, Profile


def paying_subjects(p: Profile, ctx: Context) -> set[str]:
    subjects: set[str] = set()
    for t in p.transfers:
        subjects |= ctx.parties[t.sender_party].subjects
    return subjects


class PaidBySeveralSubjects(Indicator):
    name = "paid_by_several_subjects"
    roles = (BENEFICIARY,)
    description = "paid by several subjects of the case"

    def evaluate(self, p: Profile, ctx: Context) -> Hit | None:
        subjects = paying_subjects(p, ctx)
        if len(subjects) < ctx.cfg.subjects_min:
            return None
        return Hit(self.name, 1.0, f"paid by {len(subjects)} subjects of the case: {', '.join(sorted(subjects)[:8])}")
