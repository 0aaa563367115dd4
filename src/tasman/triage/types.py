"""The contract between the triage pipeline (readers, hashers, runner) and the matchers.

The pipeline turns every file into a :class:`FileHashes`; a matcher built from hash sets turns
it into zero or more :class:`Match`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Category(IntEnum):
    """Project VIC categories; other schemes map onto these (see ``hashsets.categories``)."""

    NON_PERTINENT = 0
    CAM = 1            # child abuse material
    EXPLOITIVE = 2     # exploitive / age-difficult
    CGI = 3            # CGI / animation
    COMPARISON = 4


@dataclass(frozen=True)
class FileHashes:
    path: str                        # the !/ path, relative to the evidence argument's parent
    size: int
    mime: str | None = None
    md5: str | None = None           # lower-case hex
    sha1: str | None = None
    sha256: str | None = None
    pdq: str | None = None           # 64 hex chars (256 bits)
    pdq_quality: int | None = None
    # Extra PDQ hashes of the same picture (e.g. the 8 dihedral transforms) a matcher may use.
    pdq_variants: tuple[str, ...] = ()
    # Query-side sub-region PDQs for the crop-tolerant stage (tasman.triage.match.regions).
    pdq_regions: tuple[str, ...] = ()
    # (name, hex) of guesses at the listed original (un-cropped, overlay in-painted), queried only
    # when nothing else matched (tasman.triage.hashing.hypotheses).
    pdq_hypotheses: tuple[tuple[str, str], ...] = ()
    # the confident bits of each hypothesis (hex masks, pdq_hypotheses' order; may be absent): with them a
    # hypothesis also matches further out when those bits agree (MatchSettings.hypothesis_radius)
    pdq_hypothesis_masks: tuple[str, ...] = ()
    vpdq: tuple[tuple[int, str, int], ...] = ()   # video: (frame index, pdq hex, quality) at 1 fps
    deleted: bool = False


@dataclass(frozen=True)
class Match:
    path: str
    match_type: str                  # "exact" | "perceptual" | "crop" | "video"
    hash_name: str                   # which hash matched: md5 | sha1 | sha256 | pdq | vpdq
    hashset: str
    category: int | None
    distance: int = 0                # Hamming distance for perceptual matches, else 0
    known_good: bool = False         # matched a known-good list (NSRL): removes the file from review
    detail: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
