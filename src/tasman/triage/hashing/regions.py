"""The crop stage's query-side region hashes, computed from the decoded luma already in memory.

``tasman.triage.perceptual.regions.region_hashes`` defines them: the picture's working copy (at most
``WORK_SIZE`` pixels a side, Pillow's bilinear resize), the whole of it, the picture without a
caption strip, and optionally a coarse grid of top/bottom cuts, each hashed with PDQ. Every step
up to PDQ's DCT is linear, so no working copy is made here: along each axis the resize and
PDQ's box filters are one banded operator applied to the reduced-scale luma the runner decoded
(the resize's weights are Pillow's own, read off by resizing an identity matrix). Every region
spans the full width, so one column pass serves them all; the caption strip is looked for on the
decoded luma itself. The only difference from the reference is that the working copy is never
rounded to 8 bits: the hashes stay within a few bits of it (tested), at about a fifth of its cost,
which matters because every picture of every run pays it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from tasman.triage.hashing.pdq import Band, axis_operator, band_of, distinct_hashes, folded_band, hashes_of_buffers
from tasman.triage.perceptual import regions as spec

MIN_REGION = 16     # as the reference: smaller crops are not hashed


def working_size(rows: int, cols: int) -> tuple[int, int]:
    """(rows, cols) of :func:`tasman.triage.perceptual.regions.working_copy` for a picture of this size."""
    scale = spec.WORK_SIZE / max(rows, cols)
    if scale >= 1:
        return rows, cols
    return max(1, round(rows * scale)), max(1, round(cols * scale))


@lru_cache(maxsize=256)
def resize_matrix(n: int, m: int) -> np.ndarray:
    """m x n: what ``spec.working_copy``'s resize does to an axis of ``n`` pixels made ``m`` long.

    Pillow resizes each axis on its own, so resizing an n x n identity along one axis gives the
    weights of every output pixel (its ``reducing_gap`` pre-reduction included)."""
    if n == m:
        return np.eye(n, dtype=np.float64)
    eye = Image.fromarray(np.eye(n, dtype=np.float32))
    resized = eye.resize((m, n), spec.RESAMPLE, reducing_gap=2.0)
    return np.asarray(resized, dtype=np.float64).T


@lru_cache(maxsize=256)
def column_band(cols: int, wcols: int) -> Band:
    """The resize to the working copy's width and PDQ's filter along it, as one 64 x cols band."""
    return band_of(axis_operator(wcols) @ resize_matrix(cols, wcols))


@lru_cache(maxsize=256)
def row_resize_band(rows: int, wrows: int) -> Band:
    return band_of(resize_matrix(rows, wrows))


@lru_cache(maxsize=256)
def thinned_column_band(cols: int, wcols: int) -> Band:
    """Every third column of the working copy (what the caption detector looks at)."""
    return band_of(resize_matrix(cols, wcols)[::3])


def _to_bytes(a: np.ndarray) -> np.ndarray:
    """Rounded and clipped to 0-255 as Pillow's resize leaves a picture (it also rounds between its
    two passes; half a grey level is far inside the detector's tolerance)."""
    return np.clip(np.rint(a), 0, 255)


def caption_boxes(luma: np.ndarray, wrows: int, wcols: int) -> list[spec.Box]:
    """The caption strips found at the top and bottom edges of the working copy (of which only
    the thinned columns the detector reads are made), as boxes that cut them off."""
    rows, cols = luma.shape
    thin = thinned_column_band(cols, wcols).cols(luma)
    if wrows != rows:
        thin = row_resize_band(rows, wrows).rows(thin)
    top, bottom = spec.caption_bands(_to_bytes(thin), step=1)
    return ([(0, top / wrows, 0, 0)] if top else []) + ([(0, 0, 0, bottom / wrows)] if bottom else [])


def region_buffers(luma: np.ndarray, grid: bool = False) -> np.ndarray:
    """PDQ's 64x64 buffers (k x 64 x 64) of the regions ``spec.region_hashes`` hashes, from the
    picture's luma plane (uint8 rows x cols, as the runner decodes it); hash them with
    :func:`tasman.triage.hashing.pdq.pdq_from_luma` (``extra``) or ``hashes_of_buffers``."""
    arr = np.asarray(luma)
    if arr.ndim == 3:
        arr = np.asarray(Image.fromarray(arr[:, :, :3]).convert("L"))
    rows, cols = arr.shape
    wrows, wcols = working_size(rows, cols)
    if wcols < MIN_REGION or wrows < MIN_REGION:
        return np.zeros((0, 64, 64), dtype=np.float32)
    luma32 = arr.astype(np.float32)
    boxes: list[spec.Box] = [spec.FULL, *caption_boxes(luma32, wrows, wcols)]
    if grid:
        boxes.extend(spec.QUERY_GRID)
    filtered = row_resize_band(rows, wrows).rows(column_band(cols, wcols).cols(luma32))
    buffers: list[np.ndarray] = []
    for left, top, right, bottom in boxes:
        assert left == right == 0, "regions span the full width (one column pass serves them all)"
        r0, r1 = round(top * wrows), wrows - round(bottom * wrows)
        if r1 - r0 >= MIN_REGION:
            buffers.append(folded_band(r1 - r0, r1 - r0, 1).rows(filtered[r0:r1]))
    return np.stack(buffers)


def region_hashes(luma: np.ndarray, min_quality: int = 50, grid: bool = False) -> tuple[str, ...]:
    """What ``spec.region_hashes`` returns for the same picture (within a few bits), from its luma."""
    buffers = region_buffers(luma, grid)
    return distinct_hashes(hashes_of_buffers(buffers), min_quality) if len(buffers) else ()
