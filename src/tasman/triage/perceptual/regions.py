"""The crop-tolerant second stage. PDQ sees the whole frame, so a copy cropped by 5% a side or
given a caption strip lands 35-100 bits away from the original. The fix is to hash matching
regions on both sides, so that one pair of hashes sees the same content again:

* listed side (``tasman hashset build``: pictures the lab holds): the whole picture and centred
  crops keeping 95, 90, 85 and 80% of each side (:data:`LISTED_REGIONS`, stored as ``region``
  entries, hashed on the working copy described below). A copy cropped by c% a side is the
  original's centred (100-2c)% crop: its hash lands within a few bits of the nearest listed crop.
* query side (:func:`region_hashes`, run by the triage runner on every decoded picture into
  ``FileHashes.pdq_regions``): the whole picture (on the working copy), the picture without its
  caption strip, found as a band of near-uniform rows at the top or bottom edge (text allowed
  in it), and optionally (``grid=True``) fixed top/bottom cuts for strips the detector misses.
  A captioned copy's de-captioned region lands near the listed whole picture (or a listed
  crop, if the copy was cropped too).

Every region hash must pass the same quality bar as any PDQ hash (a flat strip has quality ~0),
and matches of this stage are reported as ``match_type="crop"`` with their regions in ``detail``.
Both sides hash regions on a working copy at most :data:`WORK_SIZE` pixels a side, so that
paired hashes went through the same resampling (PDQ of one picture at 256 px and at full size
differ by ~16 bits on sharp-edged pictures: too much to spend on the pipeline) and a region
costs ~1 ms. Give :func:`region_hashes` the reduced-scale decode when there is one: it is only
resized further.
"""

from __future__ import annotations

import numpy as np
import pdqhash
from PIL import Image

from tasman.triage.perceptual.codes import pdq_bits_to_hex
from tasman.triage.perceptual.dihedral import as_rgb_array

WORK_SIZE = 256
RESAMPLE = Image.Resampling.BILINEAR
Box = tuple[float, float, float, float]   # fractions cut off the left, top, right, bottom
FULL: Box = (0.0, 0.0, 0.0, 0.0)
LISTED_REGIONS: tuple[Box, ...] = (FULL, *(((1 - s) / 2,) * 4 for s in (0.95, 0.90, 0.85, 0.80)))
QUERY_GRID: tuple[Box, ...] = ((0, 0, 0, 0.10), (0, 0, 0, 0.20), (0, 0.10, 0, 0), (0, 0.20, 0, 0))
BAND_TOLERANCE = 24        # channel difference still counted as the band's colour
MIN_BAND, MAX_BAND = 0.03, 0.45


def working_copy(image: Image.Image | np.ndarray) -> np.ndarray:
    """The picture at most :data:`WORK_SIZE` pixels a side, so region hashes cost ~0.3 ms each and
    do not depend on the size the copy was saved at."""
    pil = Image.fromarray(as_rgb_array(image)) if isinstance(image, np.ndarray) else image
    if pil.mode != "RGB":
        pil = pil.convert("RGB")
    w, h = pil.size
    scale = WORK_SIZE / max(w, h)
    if scale < 1:
        pil = pil.resize((max(1, round(w * scale)), max(1, round(h * scale))), RESAMPLE, reducing_gap=2.0)
    return np.asarray(pil)


def crop(arr: np.ndarray, box: Box) -> np.ndarray:
    h, w = arr.shape[:2]
    left, top, right, bottom = box
    return arr[round(top * h):h - round(bottom * h), round(left * w):w - round(right * w)]


def _hash(arr: np.ndarray, min_quality: int) -> str | None:
    if arr.shape[0] < 16 or arr.shape[1] < 16:
        return None
    bits, quality = pdqhash.compute(np.ascontiguousarray(arr))
    return pdq_bits_to_hex(bits) if quality >= min_quality else None


def caption_band(arr: np.ndarray, from_top: bool) -> int:
    """Rows of a caption strip at one edge (0 if none): a run of rows from the edge that are
    mostly the edge's colour (text allowed), ending in clean rows (the strip's margin)."""
    return caption_bands(arr)[0 if from_top else 1]


def caption_bands(arr: np.ndarray, step: int = 3) -> tuple[int, int]:
    """:func:`caption_band` at the top and at the bottom (both edges in one pass: the arrays are
    small, so the cost is numpy's per-call overhead). ``arr`` is rows x cols (x channels); every
    ``step``-th column is looked at (1 for an array already thinned that way)."""
    h = arr.shape[0]
    limit = int(h * MAX_BAND)
    if limit < 1:
        return 0, 0
    edges = np.stack([arr[:limit, ::step], arr[::-1][:limit, ::step]])   # 2 x rows x columns (x channels)
    if edges.dtype.kind in "ui":                             # differences must not wrap around
        edges = edges.astype(np.int16)
    first = np.sort(edges[:, 0], axis=1)
    n = first.shape[1]                                       # np.median, truncated to an integer
    colour = first[:, n // 2] if n % 2 else (first[:, n // 2 - 1] + first[:, n // 2]) // 2
    diff = np.abs(edges - colour[:, None, None])
    close = ((diff.max(axis=3) if diff.ndim == 4 else diff) <= BAND_TOLERANCE).mean(axis=2)
    return _band_end(close[0], limit, h), _band_end(close[1], limit, h)


def _band_end(close: np.ndarray, limit: int, h: int) -> int:
    mostly = close >= 0.3
    end = int(np.argmin(mostly)) if not mostly.all() else limit     # first row that is not band
    clean = np.nonzero(close[:end] >= 0.97)[0]
    if end == limit or not len(clean):        # no content start in reach: a flat picture, not a strip
        return 0
    band = int(clean[-1]) + 2                 # one more row: resampling blurs the strip's edge
    return band if band >= MIN_BAND * h else 0


def region_hashes(image: Image.Image | np.ndarray, min_quality: int = 50, grid: bool = False) -> tuple[str, ...]:
    """Query-side region PDQs of a decoded picture, for ``FileHashes.pdq_regions``: the whole
    picture and the picture without each caption strip found (1-3 hashes; 7 ms for a 320x240
    picture measured on a busy machine, a fifth of it resizing to the working copy).
    ``grid`` adds four fixed top/bottom cuts for strips the detector misses (~2x the cost)."""
    arr = working_copy(image)
    boxes: list[Box] = [FULL]
    h = arr.shape[0]
    for from_top in (True, False):
        band = caption_band(arr, from_top)
        if band:
            boxes.append((0, band / h, 0, 0) if from_top else (0, 0, 0, band / h))
    if grid:
        boxes.extend(QUERY_GRID)
    out: list[str] = []
    for box in boxes:
        hx = _hash(crop(arr, box), min_quality)
        if hx is not None and hx not in out:
            out.append(hx)
    return tuple(out)


def listed_region_hashes(image: Image.Image | np.ndarray, min_quality: int = 50) -> list[tuple[int, str, int]]:
    """(region index in :data:`LISTED_REGIONS`, hex, quality) of a listed picture's centred crops."""
    arr = working_copy(image)
    out: list[tuple[int, str, int]] = []
    for n, box in enumerate(LISTED_REGIONS):
        part = crop(arr, box)
        bits, quality = pdqhash.compute(np.ascontiguousarray(part))
        if quality >= min_quality:
            out.append((n, pdq_bits_to_hex(bits), int(quality)))
    return out
