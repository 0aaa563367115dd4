"""The crop stage's query-side region hashes, computed the fast way.

``tasman.triage.match.regions.region_hashes`` defines them: the picture's working copy (at most
``WORK_SIZE`` pixels a side), the whole of it, the picture without a caption strip, and a coarse
grid of top/bottom cuts, each hashed with PDQ. Here the same regions of the same working copy
(made from the luma plane directly: resizing is per channel, so the pixels are the ones the
RGB copy holds) are hashed with the banded PDQ filter of ``pdq.py``, and regions that span the
same columns share one column pass. The hashes are the reference's (tested bit for bit) at
about a seventh of the cost, which matters because every picture of every run pays it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tasman.triage.hashing.pdq import folded_band, hashes_of_buffers
from tasman.triage.match import regions as spec

MIN_REGION = 16     # as the reference: smaller crops are not hashed


def working_luma(image: Image.Image) -> np.ndarray:
    """The luma of :func:`tasman.triage.match.regions.working_copy`, as uint8 rows x cols."""
    pil = image if image.mode == "L" else image.convert("L")
    w, h = pil.size
    scale = spec.WORK_SIZE / max(w, h)
    if scale < 1:
        pil = pil.resize((max(1, round(w * scale)), max(1, round(h * scale))), spec.RESAMPLE, reducing_gap=2.0)
    return np.asarray(pil)


def _bounds(box: spec.Box, h: int, w: int) -> tuple[int, int, int, int]:
    """The rows and columns ``spec.crop`` keeps."""
    left, top, right, bottom = box
    return round(top * h), h - round(bottom * h), round(left * w), w - round(right * w)


def region_hashes(image: Image.Image, min_quality: int = 50, grid: bool = False) -> tuple[str, ...]:
    """What ``spec.region_hashes`` returns for the same picture (given as its luma)."""
    arr = working_luma(image)
    h, w = arr.shape
    boxes: list[spec.Box] = [spec.FULL]
    for from_top in (True, False):
        band = spec.caption_band(arr[:, :, None], from_top)
        if band:
            boxes.append((0, band / h, 0, 0) if from_top else (0, 0, 0, band / h))
    if grid:
        boxes.extend(spec.QUERY_GRID)
    luma = arr.astype(np.float32)
    column_passes: dict[tuple[int, int], np.ndarray] = {}
    buffers: list[np.ndarray] = []
    for box in boxes:
        r0, r1, c0, c1 = _bounds(box, h, w)
        if r1 - r0 < MIN_REGION or c1 - c0 < MIN_REGION:
            continue
        cols = column_passes.get((c0, c1))
        if cols is None:
            cb = folded_band(c1 - c0, c1 - c0, 1)
            cols = column_passes[(c0, c1)] = np.einsum("ck,rck->rc", cb.w, luma[:, c0:c1][:, cb.idx])
        rb = folded_band(r1 - r0, r1 - r0, 1)
        buffers.append(np.einsum("rk,rkc->rc", rb.w, cols[r0:r1][rb.idx]))
    out: list[str] = []
    for hx, quality in hashes_of_buffers(np.stack(buffers)) if buffers else []:
        if quality >= min_quality and hx not in out:
            out.append(hx)
    return tuple(out)
