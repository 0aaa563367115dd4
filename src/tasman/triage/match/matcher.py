"""The matcher the triage runner calls: built once from the chosen hash sets, then fed batches
of :class:`FileHashes`. Exact matches on any crypto hash a list carries (an entry that carries a
second hash the file disagrees with is a collision, not a match); perceptual matches on PDQ
(and its dihedral variants) within ``pdq_threshold`` bits; the crop-tolerant stage pairs
sub-region hashes (see ``regions``); videos by the vPDQ frame rule (see ``video``). A picture whose
own, dihedral and region hashes found nothing is queried once more with its crop/overlay
hypotheses (``hashing.hypotheses``) at the stricter ``hypothesis_threshold``: such a match is
``perceptual`` with the hypothesis in ``detail["variant"]`` (e.g. ``uncrop:0.90:centre``). An
un-crop further out, up to ``hypothesis_radius``, matches when its confident bits (the mask the
worker sends with it) agree within ``hypothesis_masked_threshold`` (scaled to 256 bits): a guessed
border disturbs the bits whose coefficients lie near the median, and those are left out of that
comparison (``detail["confident_distance"]``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.workspace import default_actor
from tasman.triage.match.exact import HEX, ExactIndex
from tasman.triage.match.indexcache import MIN_MAPPED, IndexCache
from tasman.triage.match.loader import KINDS, ListInfo, Loaded, load, select_sets
from tasman.triage.match.settings import (
    HYPOTHESIS_INPAINT_GAIN,
    HYPOTHESIS_MASKED_THRESHOLD,
    HYPOTHESIS_QUERY_US,
    HYPOTHESIS_RADIUS,
    HYPOTHESIS_THRESHOLD,
    LOW_QUALITY_THRESHOLD,
    QUALITY_FLOOR,
    MatchSettings,
)
from tasman.triage.match.video import VideoIndex
from tasman.triage.perceptual.codes import hex_to_bytes
from tasman.triage.perceptual.dihedral import DIHEDRAL
from tasman.triage.perceptual.pdqindex import PdqIndex, build_index, choose_substrings, estimate
from tasman.triage.types import FileHashes, Match

STRENGTH = ("sha256", "sha1", "md5")
HASH_BIT = {"md5": 1, "sha1": 2, "sha256": 4}
SEVERITY = {1: 0, 2: 1, 3: 2, 4: 3, 0: 4, -1: 5}     # which category wins when entries disagree
Q_FULL, Q_VARIANT, Q_REGION = 0, 1, 2
REGION = KINDS.index("region")
MASKED = "uncrop:"         # the hypotheses the confident-bit rule applies to as they are
INPAINT = "inpaint:"       # ... and those it applies to only when they explain the gap (masked_rule)


class Matcher:
    """``index_dir``: where a PDQ index of at least ``indexcache.MIN_MAPPED`` hashes is kept on
    disk and memory-mapped (``indexcache``); without it the index is built in memory."""

    def __init__(self, loaded: Loaded, settings: MatchSettings, index_dir: Path | None = None) -> None:
        self.settings = settings
        self.sets: list[ListInfo] = loaded.sets
        self._l = loaded
        self._exact = {k: ExactIndex(k, *loaded.exact[k]) for k in STRENGTH if loaded.exact[k][0]}
        codes, entries = loaded.pdq
        if not settings.crop:   # region hashes only serve the crop stage
            keep = loaded.kind_of[entries] != REGION
            codes, entries = codes[keep], entries[keep]
        radius = max(settings.pdq_threshold, settings.crop_threshold if settings.crop else 0)
        self._pdq: PdqIndex | None = None
        self.index_state = "memory"     # or what IndexCache did: opened, derived, built
        if len(codes) and settings.index == "mih" and index_dir is not None and len(codes) >= MIN_MAPPED:
            cache = IndexCache(index_dir)
            self._pdq, rows = cache.open_or_build(codes, radius)
            self.index_state = cache.last
            entries = np.where(rows >= 0, entries[np.maximum(rows, 0)], -1)   # -1: removed, never found
        elif len(codes):
            self._pdq = build_index(codes, radius, settings.index)
        self._pdq_entries = np.asarray(entries, dtype=np.int64)
        self._hyp: tuple[PdqIndex, np.ndarray, np.ndarray] | None = None
        self.hypothesis_radius = settings.hypothesis_threshold
        if settings.hypotheses and len(codes):
            whole = (loaded.kind_of[loaded.pdq[1]] != REGION) & ~_flat(loaded.quality_of[loaded.pdq[1]], settings)
            hc, he = loaded.pdq[0][whole], loaded.pdq[1][whole]
            self.hypothesis_radius = hypothesis_radius(len(hc), settings)
            if len(hc) and self.hypothesis_radius > settings.hypothesis_threshold:
                hc = np.ascontiguousarray(hc, dtype=np.uint8)
                self._hyp = (build_index(hc, self.hypothesis_radius, settings.index), hc,
                             np.asarray(he, dtype=np.int64))
        self._video = VideoIndex(loaded, settings) if loaded.frames[0] else None
        loaded.exact.clear()
        loaded.pdq = (np.zeros((0, 32), np.uint8), np.zeros(0, np.int64))
        loaded.frames = ([], [])

    @property
    def summary(self) -> dict[str, Any]:
        """What a run should save to be reproducible: lists (with their source hashes) and settings."""
        return {"hashsets": [vars(s) for s in self.sets], "settings": vars(self.settings),
                "pdq_hashes": len(self._pdq_entries),
                "index": getattr(self._pdq, "name", None), "substrings": getattr(self._pdq, "m", None),
                "hypothesis_radius": self.hypothesis_radius}

    def match(self, files: Sequence[FileHashes]) -> list[Match]:
        found: dict[tuple[int, int], Match] = {}
        self._match_exact(files, found)
        self._match_pdq(files, found)
        if self.settings.hypotheses:
            self._match_hypotheses(files, found)
        if self._video is not None:
            for i, entry, distance, detail in self._video.match(files):
                m = self._make(files[i], entry, "video", "vpdq", distance, **detail)
                self._better(found, (i, int(self._l.set_of[entry])), m)
        return [found[k] for k in sorted(found)]

    def _make(self, f: FileHashes, entry: int, match_type: str, hash_name: str, distance: int = 0,
              **detail: Any) -> Match:
        info = self.sets[int(self._l.set_of[entry])]
        category = int(self._l.category_of[entry])
        ref = self._l.ref_of[entry]
        if ref is not None:
            detail["listed_ref"] = ref
        return Match(path=f.path, match_type=match_type, hash_name=hash_name, hashset=info.name,
                     category=None if category < 0 else category, distance=int(distance),
                     known_good=info.known_good, detail=detail)

    def _better(self, found: dict[tuple[int, int], Match], key: tuple[int, int], m: Match) -> None:
        old = found.get(key)
        if old is None:
            found[key] = m
            return
        rank = {"exact": 0, "perceptual": 1, "video": 1, "crop": 2}
        def order(x: Match) -> tuple[int, int, int]:
            return rank[x.match_type], x.distance, SEVERITY.get(-1 if x.category is None else x.category, 5)
        if order(m) < order(old):
            found[key] = m

    def _match_exact(self, files: Sequence[FileHashes], found: dict[tuple[int, int], Match]) -> None:
        hits: dict[tuple[int, int], set[str]] = {}
        for kind, index in self._exact.items():
            for i, entry in index.lookup([getattr(f, kind) for f in files]):
                hits.setdefault((i, entry), set()).add(kind)
        for (i, entry), kinds in hits.items():
            f = files[i]
            carried = int(self._l.hashes_of[entry])
            if any(carried & HASH_BIT[k] and getattr(f, k) and k not in kinds for k in STRENGTH):
                continue    # the list's other hash disagrees: a collision on the weaker one
            strongest = next(k for k in STRENGTH if k in kinds)
            self._better(found, (i, int(self._l.set_of[entry])), self._make(f, entry, "exact", strongest))

    def _queries(self, files: Sequence[FileHashes]) -> tuple[list[str], list[tuple[int, int, int]]]:
        st = self.settings
        hexes: list[str] = []
        owners: list[tuple[int, int, int]] = []     # (file, query kind, number)
        for i, f in enumerate(files):
            seen: set[str] = set()
            if f.pdq and pair_threshold(f.pdq_quality, None, st) >= 0:
                # the eight dihedral forms in DIHEDRAL's order; the worker's list starts with the
                # picture itself, a caller's may leave it out
                forms = f.pdq_variants if len(f.pdq_variants) == len(DIHEDRAL) else (f.pdq, *f.pdq_variants)
                for n, h in enumerate((f.pdq, *forms[1:])):
                    if h not in seen and len(h) == 64 and HEX.fullmatch(h):
                        seen.add(h)
                        hexes.append(h)
                        owners.append((i, Q_FULL if n == 0 else Q_VARIANT, n))
            if st.crop:
                for n, h in enumerate(f.pdq_regions):
                    if h not in seen and len(h) == 64 and HEX.fullmatch(h):
                        seen.add(h)
                        hexes.append(h)
                        owners.append((i, Q_REGION, n))
        return hexes, owners

    def _match_pdq(self, files: Sequence[FileHashes], found: dict[tuple[int, int], Match]) -> None:
        if self._pdq is None:
            return
        hexes, owners = self._queries(files)
        if not hexes:
            return
        qi, li, dist = self._pdq.search(hex_to_bytes(hexes, 32))
        st = self.settings
        for q, pos, d in zip(qi.tolist(), li.tolist(), dist.tolist(), strict=True):
            entry = int(self._pdq_entries[pos])
            i, qkind, n = owners[q]
            listed_region = self._l.kind_of[entry] == REGION
            listed_q = int(self._l.quality_of[entry]) if len(self._l.quality_of) else -1
            if qkind != Q_REGION and not listed_region:
                if d > pair_threshold(files[i].pdq_quality, None if listed_q < 0 else listed_q, st):
                    continue
                detail: dict[str, Any] = {"variant": DIHEDRAL[n]} if qkind == Q_VARIANT else {}
                m = self._make(files[i], entry, "perceptual", "pdq", d, **detail)
            else:
                if d > st.crop_threshold or _flat(np.array([listed_q]), st)[0] or (
                        qkind != Q_REGION and pair_threshold(files[i].pdq_quality, None, st) < st.pdq_threshold):
                    continue                    # a flat picture or listed hash takes no part in the crop stage
                detail = {"query_region": n if qkind == Q_REGION else None,
                          "listed_region": int(self._l.part_of[entry]) if listed_region else None}
                m = self._make(files[i], entry, "crop", "pdq", d, **detail)
            self._better(found, (i, int(self._l.set_of[entry])), m)

    def _match_hypotheses(self, files: Sequence[FileHashes], found: dict[tuple[int, int], Match]) -> None:
        """The crop/overlay hypotheses of the pictures nothing matched yet (any list, any way)."""
        if self._pdq is None:
            return
        st = self.settings
        matched = {i for i, _ in found}
        hexes: list[str] = []
        masks: list[str] = []
        owners: list[tuple[int, str]] = []
        own: list[str] = []
        for i, f in enumerate(files):
            if i in matched or not f.pdq_hypotheses:
                continue
            if f.pdq_quality is not None and f.pdq_quality < st.min_quality:
                continue
            given = f.pdq_hypothesis_masks if len(f.pdq_hypothesis_masks) == len(f.pdq_hypotheses) else ()
            for k, (name, h) in enumerate(f.pdq_hypotheses):
                if len(h) == 64 and HEX.fullmatch(h):
                    mask = given[k] if given else ""
                    hexes.append(h)
                    masks.append(mask if len(mask) == 64 and HEX.fullmatch(mask) else "0" * 64)
                    owners.append((i, name))
                    own.append(f.pdq if f.pdq and len(f.pdq) == 64 and HEX.fullmatch(f.pdq) else "")
        if not hexes:
            return
        queries = hex_to_bytes(hexes, 32)
        if self._hyp is None:
            qi, li, dist = self._pdq.search(queries)
            entries, confident = self._pdq_entries[li], None
        else:
            index, codes, hyp_entries = self._hyp
            qi, li, dist = index.search(queries, self.hypothesis_radius)
            entries = hyp_entries[li]
            qmask = hex_to_bytes(masks, 32)
            differ = np.bitwise_count((queries[qi] ^ codes[li]) & qmask[qi]).sum(axis=1)
            plain = np.bitwise_count(hex_to_bytes([h or "0" * 64 for h in own], 32)[qi] ^ codes[li]).sum(
                axis=1).astype(np.int64)
            plain[~np.array([bool(own[q]) for q in qi.tolist()], dtype=bool)] = -1
            confident = (differ, np.bitwise_count(qmask[qi]).sum(axis=1), plain)
        for n, (q, entry, d) in enumerate(zip(qi.tolist(), entries.tolist(), dist.tolist(), strict=True)):
            if self._l.kind_of[entry] == REGION:
                continue
            detail: dict[str, Any] = {}
            i, name = owners[q]
            if d > st.hypothesis_threshold:
                if confident is None:
                    continue
                differ_n, bits, plain_d = int(confident[0][n]), int(confident[1][n]), int(confident[2][n])
                if not masked_rule(name, d, differ_n, bits, plain_d, st):
                    continue
                detail = {"confident_distance": differ_n, "confident_bits": bits}
                if name.startswith(INPAINT):
                    detail["plain_distance"] = plain_d
            self._better(found, (i, int(self._l.set_of[entry])),
                         self._make(files[i], entry, "perceptual", "pdq", d, variant=name, **detail))


def pair_threshold(query_quality: int | None, listed_quality: int | None, st: MatchSettings) -> int:
    """The largest distance at which a picture of PDQ quality ``query_quality`` matches a listed
    whole-picture hash of ``listed_quality`` (None: not known, taken as good): ``pdq_threshold``;
    ``low_quality_threshold`` when either is under ``min_quality``; -1 (never) when either is under
    ``quality_floor``, or under ``min_quality`` with ``low_quality_threshold`` -1 (HMA's rule)."""
    qs = [q for q in (query_quality, listed_quality) if q is not None]
    if all(q >= st.min_quality for q in qs):
        return st.pdq_threshold
    if st.low_quality_threshold < 0 or any(q < st.quality_floor for q in qs):
        return -1
    return min(st.low_quality_threshold, st.pdq_threshold)


def _flat(quality: np.ndarray, st: MatchSettings) -> np.ndarray:
    """Which listed qualities (-1: not given) are under ``min_quality``."""
    return (quality >= 0) & (quality < st.min_quality)


def masked_rule(name: str, distance: int, differ: int, bits: int, plain: int, st: MatchSettings) -> bool:
    """Whether hypothesis ``name``, ``distance`` bits from a listed hash (within the hypothesis
    radius, past ``hypothesis_threshold``), matches it by its confident bits: ``differ`` of its
    ``bits`` confident bits differ, at most ``hypothesis_masked_threshold`` of 256 when scaled
    (never more than ``hypothesis_threshold``). An un-crop needs nothing more. An in-paint must
    also lie ``hypothesis_inpaint_gain`` bits or more nearer than the picture as it is (``plain``
    bits from the same listed hash; -1 when the picture has no PDQ of its own): a look-alike
    picture passes the confident-bit rule as itself, and filling a box of it leaves it about as far."""
    threshold = min(st.hypothesis_masked_threshold, st.hypothesis_threshold)   # never looser on those bits
    if not bits or differ * 256 > threshold * bits:
        return False
    if name.startswith(MASKED):
        return True
    return name.startswith(INPAINT) and plain >= 0 and distance + st.hypothesis_inpaint_gain <= plain


def hypothesis_radius(n: int, settings: MatchSettings) -> int:
    """The radius out to which hypotheses are confirmed by their confident bits, for a list of
    ``n`` PDQ hashes: ``settings.hypothesis_radius``, lowered for a long list until the index's
    cost model gives at most :data:`HYPOTHESIS_QUERY_US` a query (each picture nothing matched
    asks up to nineteen; ``settings.hypothesis_query_us``), and never under ``hypothesis_threshold``."""
    r = settings.hypothesis_radius
    while r > settings.hypothesis_threshold and estimate(max(n, 1), choose_substrings(max(n, 1), r), r) \
            > settings.hypothesis_query_us:
        r -= 1
    return max(r, settings.hypothesis_threshold)


def load_matcher(session: Session, hashsets: Sequence[str] | None = None, *, pdq_threshold: int = 31,
                 min_quality: int = 50, low_quality_threshold: int = LOW_QUALITY_THRESHOLD,
                 quality_floor: int = QUALITY_FLOOR, crop: bool = True, crop_threshold: int | None = None,
                 hypotheses: bool = True, hypothesis_threshold: int = HYPOTHESIS_THRESHOLD,
                 hypothesis_radius: int = HYPOTHESIS_RADIUS,
                 hypothesis_masked_threshold: int = HYPOTHESIS_MASKED_THRESHOLD,
                 hypothesis_query_us: float = HYPOTHESIS_QUERY_US,
                 hypothesis_inpaint_gain: int = HYPOTHESIS_INPAINT_GAIN,
                 video_query_pct: float = 80.0, video_index_pct: float = 0.0, index: str = "mih",
                 actor: str | None = None, case_ref: str | None = None, index_dir: Path | None = None) -> Matcher:
    """A matcher over the named hash sets (all of them when None); the use is audited. With
    ``index_dir`` a large PDQ list's index is kept there and memory-mapped (see ``Matcher``)."""
    if not 0 <= pdq_threshold <= 128:
        raise ValueError(f"pdq_threshold {pdq_threshold} is not between 0 and 128")
    if not 0 <= hypothesis_threshold <= 128:
        raise ValueError(f"hypothesis_threshold {hypothesis_threshold} is not between 0 and 128")
    if not 0 <= hypothesis_radius <= 128:
        raise ValueError(f"hypothesis_radius {hypothesis_radius} is not between 0 and 128")
    hypothesis_threshold = min(hypothesis_threshold, pdq_threshold)    # never looser than a plain match
    settings = MatchSettings(pdq_threshold=pdq_threshold, min_quality=min_quality,
                             low_quality_threshold=low_quality_threshold, quality_floor=quality_floor, crop=crop,
                             crop_threshold=pdq_threshold if crop_threshold is None else crop_threshold,
                             hypotheses=hypotheses, hypothesis_threshold=hypothesis_threshold,
                             hypothesis_radius=hypothesis_radius,
                             hypothesis_masked_threshold=hypothesis_masked_threshold,
                             hypothesis_query_us=hypothesis_query_us,
                             hypothesis_inpaint_gain=hypothesis_inpaint_gain,
                             video_query_pct=video_query_pct, video_index_pct=video_index_pct, index=index)
    sets = select_sets(session, hashsets)
    floor = quality_floor if low_quality_threshold >= 0 else min_quality
    matcher = Matcher(load(session, sets, min_quality, still_floor=floor), settings, index_dir)
    audit.record(session, actor or default_actor(), "hashset.use", case_ref=case_ref,
                 target=",".join(s.name for s in sets),
                 hashsets=[{"name": s.name, "entries": s.entry_count, "sha256": s.source_sha256} for s in sets],
                 settings=vars(settings))
    return matcher
