"""Matching files against hash sets: exact (md5/sha1/sha256), perceptual (PDQ with dihedral
variants, multi-index hashing), crop-tolerant (sub-region PDQs) and video (vPDQ rule).

The names below are imported on first use (PEP 562): a caller that needs a picture's PDQ
variants (``triage.perceptual.dihedral``) does not import the matcher with its database and
hash-set loaders.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasman.triage.match.matcher import Matcher, MatchSettings, load_matcher
    from tasman.triage.perceptual.dihedral import dihedral_variants, pdq_hash

_WHERE = {"dihedral_variants": "tasman.triage.perceptual.dihedral", "pdq_hash": "tasman.triage.perceptual.dihedral",
          "Matcher": "tasman.triage.match.matcher", "MatchSettings": "tasman.triage.match.matcher",
          "load_matcher": "tasman.triage.match.matcher"}

__all__ = ["MatchSettings", "Matcher", "dihedral_variants", "load_matcher", "pdq_hash"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
