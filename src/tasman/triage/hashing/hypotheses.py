"""Hypotheses of what a listed original looked like, hashed from an evidence picture alone.

A received hash list (NCMEC, Project VIC, CAID, a partner agency) holds one PDQ of each whole
picture and no region hashes, so the crop stage's listed-side crops (``match.regions``) do not
exist for it. A copy cropped by 5% a side, or given a caption box over part of an edge, lands
35-100 bits from that one hash. Here the evidence side guesses the original instead, and each
guess is one more PDQ query:

* ``uncrop:F:ANCHOR``: the picture padded back out, to the size of an original of which it would
  keep ``F`` of each side, with the kept part at ``ANCHOR`` (``centre`` or a corner); the border
  is its edge pixels replicated, fading into its mean grey. PDQ's low frequencies survive a
  guessed border far better than the loss of the border itself (5% crops of drawn pictures:
  a median of ~80 bits plain, ~24 guessed at the right framing), but only at that framing:
  guessing 0.85 for a 0.90 crop is as far off as no guess. Ten framings: 0.90 and 0.80 of each
  side, centred and at each corner (``bench/hypostudy.py``: a framing 0.02 off the true one
  already loses most of the gain, and filling the border by reflection, a constant mean, a
  band's mean or other fades lands no nearer than this fade).
* ``inpaint:EDGE-WHERE``: a flat or text-bearing box found on an edge (a partial-width caption,
  a corner logo, a watermark bar) filled from its surroundings before hashing. A box ends at its
  clean margin followed by a straight inner edge that the box's colour does not come back from,
  so the lines of text inside it, however dense, stay inside it (``_box_end``).

Each hypothesis comes with a mask of its :data:`MASK_BITS` confident bits (``pdq.confident_masks``:
those whose DCT coefficient lies furthest from the median). A guessed border or in-painted box
moves every coefficient a little, and flips the bits whose coefficient was near the median: the
confident bits survive it far better (``bench/hypostudy.py --mask``: crops of drawn pictures
whose best guess lies 40-50 bits from the original differ from it in 4-15 of their 128). The
matcher lets an un-crop match further out (``MatchSettings.hypothesis_radius``) when its
confident bits agree (``hypothesis_masked_threshold``); an in-paint, nearly the picture as it
is, only when it also lies ``hypothesis_inpaint_gain`` bits nearer than the picture itself
(``matcher.masked_rule``; ``bench/falsematch.py``: look-alike pictures pass the masked rule as
themselves, and a box filled in them brings them no nearer).

Everything is computed from the reduced-scale luma the runner already decoded, halved to about
:data:`WORK_SIDE` pixels on the short side (a guess needs no more detail), with PDQ's folded
operators (the padding folded into them: no padded copy is made), and hashed in the same batch
as the picture's own PDQ (see ``pictures``): 2-3 CPU-ms a picture for all of them (figures in
docs/triage.md). Pictures under :data:`MIN_SIDE` pixels a side get none (``skip_note``). The
matcher queries these hashes only for files that nothing else matched, at its own, stricter
radius (``MatchSettings.hypothesis_threshold``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tasman.triage.hashing.pdq import Band, band_of, downsample, folded_operator

MIN_SIDE = 64
WORK_SIDE = 64             # hypotheses are computed on the luma halved down to about this short side
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
UNCROP: tuple[tuple[float, str], ...] = (
    (0.90, "centre"), (0.80, "centre"), *((0.90, c) for c in CORNERS), *((0.80, c) for c in CORNERS),
)                          # chosen with bench/hypostudy.py --sets (docs/triage.md)
MAX_BOXES = 2              # in-paint hypotheses per picture (the largest boxes found)
MAX_DEPTH = 0.35           # a box reaches at most this share of the picture inwards
MIN_DEPTH = 0.03
RUNS_PER_EDGE = 3          # the longest flat runs of an edge looked at
CLEAN = 0.97               # share of a margin row in the box colour
MOSTLY = 0.3               # share of a row in the box colour that keeps it in the box (text allowed)
MIN_RUN = 0.12             # a box covers at least this share of its edge
FLAT_STEP = 10             # grey levels between neighbours inside a flat run
BOX_TOLERANCE = 24         # grey levels from the box's colour still counted as the box
MIN_STEP_OUT = 14          # mean grey-level step where the box ends (a gradient has none)
EDGES = ("bottom", "top", "left", "right")
STRAIGHT = 0.7             # share of the row past a box that differs from it (a straight edge)
AFTER = 3                  # rows past a box's end that differ from it; none as deep as the box is clean again
                           # (a line of text inside the box is followed by the box's clean colour)
TEXT_MARKS = (0.02, 0.45)  # share of a box's pixels off its colour when it bears text
FADE = 0.06                # a guessed border fades to the mean grey over this share of its axis
MASK_BITS = 128            # each hypothesis's confident bits (``pdq.confident_masks``), for the masked distance


@dataclass(frozen=True)
class Box:
    """A box on an edge, in the edge's own frame: ``depth`` rows from the edge inwards, columns
    ``c0``..``c1`` (exclusive) along it."""

    edge: str
    depth: int
    c0: int
    c1: int
    length: int                # the edge's length in pixels
    text: bool = False         # marks inside (text, a logo's word): ranked before plain flat boxes

    @property
    def name(self) -> str:
        third = self.length / 3
        mid = (self.c0 + self.c1) / 2
        if self.c1 - self.c0 >= 0.9 * self.length:
            where = "full"
        elif self.edge in ("top", "bottom"):
            where = "left" if mid < third else "right" if mid > 2 * third else "middle"
        else:
            where = "top" if mid < third else "bottom" if mid > 2 * third else "middle"
        return f"inpaint:{self.edge}-{where}"


def skip_note(rows: int, cols: int, full_size: tuple[int, int]) -> str | None:
    """Why a picture gets no hypotheses (None when it gets them)."""
    width, height = full_size
    if min(width, height) < MIN_SIDE or min(rows, cols) < MIN_SIDE // 2:
        return f"no crop/overlay hypotheses: {width} x {height} pixels is under {MIN_SIDE} a side"
    return None


def _oriented(a: np.ndarray, edge: str) -> np.ndarray:
    """A view of ``a`` with ``edge`` as row 0 (writes go through to ``a``)."""
    if edge == "top":
        return a
    if edge == "bottom":
        return a[::-1]
    if edge == "left":
        return a.T
    return a.T[::-1]


def _runs(row: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """The :data:`RUNS_PER_EDGE` longest runs of neighbouring pixels at most :data:`FLAT_STEP`
    apart that are ``min_len`` long or more."""
    bounds = np.concatenate([[0], np.nonzero(np.abs(np.diff(row)) > FLAT_STEP)[0] + 1, [len(row)]])
    lengths = np.diff(bounds)
    long_enough = np.nonzero(lengths >= min_len)[0]
    longest = long_enough[np.argsort(-lengths[long_enough], kind="stable")[:RUNS_PER_EDGE]]
    return [(int(bounds[i]), int(bounds[i + 1])) for i in longest]


def _box_end(off: np.ndarray, width: int, min_end: int) -> int | None:
    """Where a box ends, from ``off`` (per row from the edge, the pixels of the run off the box's
    colour): the first clean row (its margin) followed, within one mixed row and at ``min_end``
    or deeper, by a straight inner edge that the box's colour does not come back from cleanly
    within as many rows as the box is deep (text lines between clean rows are inside the box,
    however dense); failing that, the first row that is not mostly the box's
    colour, cut back to the clean margin before it."""
    clean = off <= (1 - CLEAN) * width
    straight = off >= STRAIGHT * width
    n = len(off)
    for r in range(n - 1):
        if not clean[r]:
            continue
        for end in (r + 1, r + 2):
            if min_end <= end < n and straight[end] and not clean[end:end + max(AFTER, end)].any() \
                    and off[end:end + AFTER].mean() >= STRAIGHT * width:
                return end
    mostly = off <= (1 - MOSTLY) * width
    if mostly.all():
        return None
    end = int(np.argmin(mostly))
    margin = np.nonzero(clean[:end])[0]
    if len(margin) and margin[-1] + 1 < end:
        end = int(margin[-1]) + 1              # the box's clean margin ends it (what follows may match its colour)
    return end


def _edge_boxes(e: np.ndarray, edge: str) -> list[Box]:
    rows, cols = e.shape
    limit = int(rows * MAX_DEPTH)
    runs = _runs(e[1], max(4, int(cols * MIN_RUN)))
    if not runs:
        return []
    out: list[Box] = []
    for c0, c1 in runs:
        width = c1 - c0
        # off the box: further than the tolerance from the edge row's own pixel in that column (a
        # flat run's pixels are within a few grey levels of each other)
        off = (np.abs(e[:limit + 1, c0:c1] - e[1, c0:c1]) > BOX_TOLERANCE).sum(axis=1)
        end = _box_end(off, width, max(2, math.ceil(MIN_DEPTH * rows)))
        if end is None:
            continue                           # no end in reach: flat content, not a box
        if end < max(2, MIN_DEPTH * rows):
            continue
        if float(np.abs(e[end, c0:c1] - e[end - 2, c0:c1]).mean()) < MIN_STEP_OUT:
            continue                           # a slow change (a gradient), not a box's edge
        past = min(end + 1, limit)
        if off[past] < STRAIGHT * width:
            continue                           # no straight inner edge: a drawn shape, not a box
        marks = float(off[:end].sum()) / (end * width)
        out.append(Box(edge, past, max(0, c0 - 1), min(cols, c1 + 1), cols,
                       TEXT_MARKS[0] <= marks <= TEXT_MARKS[1]))
    return out


def find_boxes(luma: np.ndarray) -> list[Box]:
    """The largest flat or text-bearing boxes on the picture's edges (at most :data:`MAX_BOXES`)."""
    a = np.asarray(luma, dtype=np.float32)
    found = [b for edge in EDGES for b in _edge_boxes(_oriented(a, edge), edge)]
    found.sort(key=lambda b: (not b.text, -(b.depth * (b.c1 - b.c0)), b.edge, b.c0))
    return found[:MAX_BOXES]


def inpaint(luma: np.ndarray, box: Box) -> np.ndarray:
    """A copy of ``luma`` with ``box`` filled from its surroundings: each column from the row
    just past the box, blended with each row interpolated between the pixels on either side."""
    out = np.array(luma, dtype=np.float32)
    e = _oriented(out, box.edge)
    rows, cols = e.shape
    d, c0, c1 = box.depth, box.c0, box.c1
    below = e[min(rows - 1, d + 1), c0:c1]
    vertical = np.broadcast_to(below, (d, c1 - c0))
    left = e[:d, c0 - 1] if c0 > 0 else None
    right = e[:d, c1] if c1 < cols else None
    if left is None and right is None:
        e[:d, c0:c1] = vertical
        return out
    t = (np.arange(c0, c1, dtype=np.float32) - (c0 - 1)) / (c1 - c0 + 1)
    lo = left if left is not None else right
    hi = right if right is not None else left
    assert lo is not None and hi is not None
    across = lo[:, None] * (1 - t[None, :]) + hi[:, None] * t[None, :]
    e[:d, c0:c1] = (vertical + across) / 2
    return out


_ANCHOR = {"centre": (0.5, 0.5), "top-left": (0.0, 0.0), "top-right": (0.0, 1.0), "bottom-left": (1.0, 0.0),
           "bottom-right": (1.0, 1.0)}     # (vertical, horizontal) place of the kept part


@lru_cache(maxsize=4096)
def uncrop_band(m: int, s: int, kept: float, anchor: float) -> Band:
    """PDQ's filter along an axis of the original a picture would be ``kept`` of, folded onto the
    picture's own ``m`` pixels of ``s`` full pixels each: the picture is placed at ``anchor`` (0
    start, 1 end) of ``m / kept`` pixels, the rest filled by its edge pixels fading by
    ``exp(-distance / (FADE * m))`` (the mean grey, subtracted before and added after, fills the
    rest). Padding is linear, so the padded picture is never made: the padded part of the
    operator folds onto the edge pixels. Keyed by the reduced size only (the full size taken as
    ``m * s``), so a run of pictures of many sizes builds few of them."""
    total = max(m, round(m / kept))
    offset = round(anchor * (total - m))
    op = folded_operator(total * s, total, s).astype(np.float64)
    fade = np.exp(-np.arange(1, total + 1) / (FADE * m))
    folded = op[:, offset:offset + m].copy()
    before, after = op[:, :offset], op[:, offset + m:]
    folded[:, 0] += before @ fade[:offset][::-1]
    folded[:, -1] += after @ fade[:after.shape[1]]
    return band_of(folded)


def reduced(a: np.ndarray, scale: int) -> tuple[np.ndarray, int]:
    """``a`` halved (2x2 means, an odd last row or column repeated) while its short side stays at
    :data:`WORK_SIDE` or more, with its new scale: hypotheses need no more detail than that, and
    cost a quarter per halving."""
    while min(a.shape) >= 2 * WORK_SIDE:
        if a.shape[0] % 2:
            a = np.concatenate([a, a[-1:]], axis=0)
        if a.shape[1] % 2:
            a = np.concatenate([a, a[:, -1:]], axis=1)
        a = (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) * 0.25
        scale *= 2
    return a, scale


def hypothesis_buffers(luma: np.ndarray, full_size: tuple[int, int], scale: int
                       ) -> tuple[tuple[str, ...], np.ndarray]:
    """(names, PDQ's 64x64 buffers k x 64 x 64) of the picture's hypotheses, from its luma plane
    decoded at ``1/scale`` of ``full_size`` (width, height). Empty for pictures
    :func:`skip_note` refuses."""
    rows, cols = np.shape(luma)[:2]
    if skip_note(rows, cols, full_size) is not None:
        return (), np.zeros((0, 64, 64), dtype=np.float32)
    a, s = reduced(np.asarray(luma, dtype=np.float32), scale)
    rows, cols = a.shape
    mean = float(a.mean())
    centred = a - mean
    names: list[str] = []
    buffers: list[np.ndarray] = []
    passes: dict[tuple[float, float], np.ndarray] = {}
    for kept, anchor in UNCROP:
        av, ah = _ANCHOR[anchor]
        if (kept, av) not in passes:
            passes[kept, av] = uncrop_band(rows, s, kept, av).rows(centred)
        buffers.append(uncrop_band(cols, s, kept, ah).cols(passes[kept, av]) + mean)
        names.append(f"uncrop:{kept:.2f}:{anchor}")
    for box in find_boxes(a):
        buffers.append(downsample(inpaint(a, box), (cols * s, rows * s), s))
        names.append(box.name)
    return tuple(names), np.stack(buffers).astype(np.float32)
