"""How a matcher matches (``MatchSettings``): apart from ``matcher`` so that the indexes it
builds (``video``) read their settings without importing the matcher back."""

from __future__ import annotations

from dataclasses import dataclass

HYPOTHESIS_THRESHOLD = 28    # bits; chosen on bench/falsematch.py and bench/croprecall.py (docs/triage.md)


@dataclass(frozen=True)
class MatchSettings:
    pdq_threshold: int = 31
    min_quality: int = 50
    crop: bool = True
    crop_threshold: int = 31
    hypotheses: bool = True
    hypothesis_threshold: int = HYPOTHESIS_THRESHOLD
    video_query_pct: float = 80.0
    video_index_pct: float = 0.0
    index: str = "mih"
