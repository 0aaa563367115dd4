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

    Pillow resizes each axis on its own, so resizing a stack of impulse rows along one axis gives
    the weights of every output pixel (its ``reducing_gap`` pre-reduction included). An output
    pixel reads fewer than ``2 n/m + 8`` neighbouring inputs, so impulses ``step`` apart in one
    row never share an output, and ``step`` rows (not ``n``: an identity matrix of a 4,000-pixel
    side would be 64 MB) give every weight."""
    if n == m:
        return np.eye(n, dtype=np.float64)
    step = min(n, 4 * -(-n // m) + 16)
    basis = np.zeros((step, n), dtype=np.float32)
    for r in range(step):
        basis[r, r::step] = 1.0
    resized = np.asarray(Image.fromarray(basis).resize((m, step), spec.RESAMPLE, reducing_gap=2.0), dtype=np.float64)
    centres = (np.arange(m) + 0.5) * n / m
    rows = np.arange(step)[:, None]
    k = np.clip(np.rint((centres[None, :] - rows) / step), 0, (n - 1 - rows) // step)
    source = (rows + k * step).astype(np.int64)              # the impulse of each row nearest each output
    out = np.zeros((m, n))
    np.add.at(out, (np.broadcast_to(np.arange(m), source.shape), source), resized)
    return out


@lru_cache(maxsize=256)
def reduced_resize(n: int, m: int, wm: int, s: int) -> np.ndarray:
    """wm x m: the working copy's resize of an axis of ``n`` full-size pixels, applied to its ``m``
    pixels decoded at ``1/s`` (each the mean of ``s`` full-size pixels): the full-size weights
    summed over each decoded pixel's block, as ``pdq.folded_operator`` does for PDQ's filter."""
    full = resize_matrix(n, wm)
    if s == 1 and m == n:
        return full
    padded = np.zeros((wm, m * s))
    width = min(n, m * s)
    padded[:, :width] = full[:, :width]
    folded: np.ndarray = padded.reshape(wm, m, s).sum(axis=2)
    return folded


@lru_cache(maxsize=256)
def column_band(cols: int, wcols: int, full: int = 0, s: int = 1) -> Band:
    """The resize to the working copy's width and PDQ's filter along it, as one 64 x cols band
    (``full``, ``s``: the picture's full width and the scale it was decoded at)."""
    return band_of(axis_operator(wcols) @ reduced_resize(full or cols, cols, wcols, s))


@lru_cache(maxsize=256)
def row_resize_band(rows: int, wrows: int, full: int = 0, s: int = 1) -> Band:
    return band_of(reduced_resize(full or rows, rows, wrows, s))


@lru_cache(maxsize=256)
def thinned_column_band(cols: int, wcols: int, full: int = 0, s: int = 1) -> Band:
    """Every third column of the working copy (what the caption detector looks at)."""
    return band_of(reduced_resize(full or cols, cols, wcols, s)[::3])


def _to_bytes(a: np.ndarray) -> np.ndarray:
    """Rounded and clipped to 0-255 as Pillow's resize leaves a picture (it also rounds between its
    two passes; half a grey level is far inside the detector's tolerance)."""
    return np.clip(np.rint(a), 0, 255)


def caption_boxes(luma: np.ndarray, wrows: int, wcols: int, full: tuple[int, int] = (0, 0), s: int = 1
                  ) -> list[spec.Box]:
    """The caption strips found at the top and bottom edges of the working copy (of which only
    the thinned columns the detector reads are made), as boxes that cut them off. ``full``
    (width, height) and ``s``: the picture's full size and the scale ``luma`` was decoded at."""
    rows, cols = luma.shape
    thin = thinned_column_band(cols, wcols, full[0], s).cols(luma)
    if wrows != rows or s != 1:
        thin = row_resize_band(rows, wrows, full[1], s).rows(thin)
    top, bottom = spec.caption_bands(_to_bytes(thin), step=1)
    return ([(0, top / wrows, 0, 0)] if top else []) + ([(0, 0, 0, bottom / wrows)] if bottom else [])


def region_buffers(luma: np.ndarray, grid: bool = False, *, full_size: tuple[int, int] | None = None,
                   scale: int = 1) -> np.ndarray:
    """PDQ's 64x64 buffers (k x 64 x 64) of the regions ``spec.region_hashes`` hashes, from the
    picture's luma plane (uint8 rows x cols, as the runner decodes it); hash them with
    :func:`tasman.triage.hashing.pdq.pdq_from_luma` (``extra``) or ``hashes_of_buffers``.

    With ``full_size`` (width, height) and ``scale``, the luma was decoded at ``1/scale`` of the
    full picture, and the working copy is the full picture's, as the listed side makes it: its
    resize weights are summed over each decoded pixel's block (as PDQ's filter is, see ``pdq``).
    Without them the working copy is made from the luma as it is, which for a 1-megapixel JPEG
    decoded at 1/8 (about 144 pixels wide, under the 256 of a working copy) lands its regions
    12-30 bits from the listed ones; folded, 0-6 (figures in docs/triage.md)."""
    arr = np.asarray(luma)
    if arr.ndim == 3:
        arr = np.asarray(Image.fromarray(arr[:, :, :3]).convert("L"))
    rows, cols = arr.shape
    folded = full_size is not None and scale > 1
    width, height = full_size if full_size is not None and folded else (cols, rows)
    s = scale if folded else 1
    wrows, wcols = working_size(height, width)
    if wcols < MIN_REGION or wrows < MIN_REGION:
        return np.zeros((0, 64, 64), dtype=np.float32)
    luma32 = arr.astype(np.float32)
    boxes: list[spec.Box] = [spec.FULL, *caption_boxes(luma32, wrows, wcols, (width, height), s)]
    if grid:
        boxes.extend(spec.QUERY_GRID)
    filtered = row_resize_band(rows, wrows, height, s).rows(column_band(cols, wcols, width, s).cols(luma32))
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
