"""A probable link: linking scored this subject and another between its review and link thresholds
(``probable_links``, the review queue), so they are probably one person, and the other subject's
own evidence places it. Weak and corroborating: it counts at the link's probability times the other
subject's confidence, adds only to countries this subject's own evidence names, and decides alone
only when the subject has nothing else to go on. Never chained: only the other subject's own
evidence counts, not what it borrowed."""

from __future__ import annotations

from collections.abc import Iterable

from tasman.attribute.facts import PROBABLE_LINK, Fact
from tasman.attribute.signals.base import Finding, Signal


class ProbableLinkSignal(Signal):
    name = "probable_link"
    kinds = (PROBABLE_LINK,)
    description = "the country of a subject linking found probably the same person (weak, corroborating)"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        cc = str(fact.meta.get("country") or "")
        p = float(fact.meta.get("probability") or 0.0)
        conf = float(fact.meta.get("confidence") or 0.0)
        if not cc or p <= 0 or conf <= 0:
            yield self.ignore(fact, f"{fact.value} has no country of its own")
            return
        yield self.vote(cc, fact, f"probably the same person as {fact.value} (link probability {p:.2f}, under "
                        f"review), which its own evidence places in {cc} (confidence {conf:.2f})",
                        min(1.0, p * conf), fact.value)
