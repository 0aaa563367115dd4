"""Matching files against hash sets: exact (md5/sha1/sha256), perceptual (PDQ with dihedral
variants, multi-index hashing), crop-tolerant (sub-region PDQs) and video (vPDQ rule)."""

from __future__ import annotations

from tasman.triage.match.dihedral import dihedral_variants, pdq_hash
from tasman.triage.match.matcher import Matcher, MatchSettings, load_matcher

__all__ = ["MatchSettings", "Matcher", "dihedral_variants", "load_matcher", "pdq_hash"]
