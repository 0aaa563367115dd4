"""How a matcher matches (``MatchSettings``): apart from ``matcher`` so that the indexes it
builds (``video``) read their settings without importing the matcher back."""

from __future__ import annotations

from dataclasses import dataclass

HYPOTHESIS_THRESHOLD = 28    # bits; chosen on bench/falsematch.py and bench/croprecall.py (docs/triage.md)
# An un-crop hypothesis further than HYPOTHESIS_THRESHOLD from a listed hash but within HYPOTHESIS_RADIUS
# still matches when its confident bits (hashing.hypotheses.MASK_BITS of them) agree: at most
# HYPOTHESIS_MASKED_THRESHOLD differ, scaled to 256 bits (bench/hypostudy.py --mask, docs/triage.md).
HYPOTHESIS_RADIUS = 52
HYPOTHESIS_MASKED_THRESHOLD = 28
HYPOTHESIS_QUERY_US = 400.0  # a longer list gets a smaller radius: the index's cost model a query at most


@dataclass(frozen=True)
class MatchSettings:
    pdq_threshold: int = 31
    min_quality: int = 50
    crop: bool = True
    crop_threshold: int = 31
    hypotheses: bool = True
    hypothesis_threshold: int = HYPOTHESIS_THRESHOLD
    hypothesis_radius: int = HYPOTHESIS_RADIUS
    hypothesis_masked_threshold: int = HYPOTHESIS_MASKED_THRESHOLD
    hypothesis_query_us: float = HYPOTHESIS_QUERY_US   # inf: hypothesis_radius whatever the list's length
    video_query_pct: float = 80.0
    video_index_pct: float = 0.0
    index: str = "mih"
