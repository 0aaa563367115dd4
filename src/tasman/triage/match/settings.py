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
# An in-paint further out than HYPOTHESIS_THRESHOLD matches by the same confident-bit rule only when it is
# also HYPOTHESIS_INPAINT_GAIN bits or more nearer the listed hash than the picture as it is: the box it
# filled must explain the gap (a look-alike picture passes the confident-bit rule as itself, and filling
# some flat box of it brings it no nearer; bench/croprecall.py, bench/falsematch.py, docs/triage.md).
HYPOTHESIS_INPAINT_GAIN = 8
HYPOTHESIS_QUERY_US = 400.0
# A picture PDQ calls flat (quality under min_quality, 50) is not left out as HMA leaves it out: it matches
# within LOW_QUALITY_THRESHOLD bits only (either side under min_quality), and not at all under
# QUALITY_FLOOR (a blank or nearly blank picture: its hash is JPEG noise, or all zeros). Smooth
# pictures (soft wallpapers, blurred fields) have few strong gradients, so PDQ's quality says "flat",
# yet their low frequencies are stable: their copies land 0-16 bits from them (bench/croprecall.py,
# bench/falsematch.py with low-quality pictures on both sides; docs/triage.md).
LOW_QUALITY_THRESHOLD = 16
QUALITY_FLOOR = 5  # a longer list gets a smaller radius: the index's cost model a query at most


@dataclass(frozen=True)
class MatchSettings:
    pdq_threshold: int = 31
    min_quality: int = 50
    low_quality_threshold: int = LOW_QUALITY_THRESHOLD   # -1: pictures under min_quality never match (HMA's rule)
    quality_floor: int = QUALITY_FLOOR
    crop: bool = True
    crop_threshold: int = 31
    hypotheses: bool = True
    hypothesis_threshold: int = HYPOTHESIS_THRESHOLD
    hypothesis_radius: int = HYPOTHESIS_RADIUS
    hypothesis_masked_threshold: int = HYPOTHESIS_MASKED_THRESHOLD
    hypothesis_inpaint_gain: int = HYPOTHESIS_INPAINT_GAIN   # more than 256: in-paints by the whole hash only
    hypothesis_query_us: float = HYPOTHESIS_QUERY_US   # inf: hypothesis_radius whatever the list's length
    video_query_pct: float = 80.0
    video_index_pct: float = 0.0
    index: str = "mih"
