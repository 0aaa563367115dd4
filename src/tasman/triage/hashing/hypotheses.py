"""Hypotheses of what a listed original looked like, hashed from an evidence picture alone.

A received hash list (NCMEC, Project VIC, CAID, a partner agency) holds one PDQ of each whole
picture and no region hashes, so the crop stage's listed-side crops (``match.regions``) do not
exist for it. A copy cropped by 5% a side, or given a caption box over part of an edge, lands
35-100 bits from that one hash. Here the evidence side guesses the original instead, and each
guess is one more PDQ query:

* ``uncrop:F:ANCHOR``: the picture padded back out, to the size of an original of which it would
  keep ``F`` of each side, with the kept part at ``ANCHOR`` (``centre`` or a corner); the border
  is its edge pixels replicated, fading into its mean grey over the picture's own correlation
  length along that axis (``fade_lengths``: a smooth field keeps its edge far into the border,
  drawn shapes do not). PDQ's low frequencies survive a guessed border far better than the loss
  of the border itself (5% crops of drawn pictures: a median of ~80 bits plain, ~24 guessed at
  the right framing), but only at that framing: guessing 0.85 for a 0.90 crop is as far off as
  no guess. Ten framings: 0.90 and 0.80 of each side, centred and at each corner
  (``bench/hypostudy.py``: a framing 0.02 off the true one already loses most of the gain, and
  filling the border by reflection, a constant mean, a band's mean or a fixed fade lands no
  nearer than this fade).
* ``uncrop:hF:PLACE`` / ``uncrop:wF:PLACE``: six trims of one axis only (an aspect-changing crop):
  an original ``1/F`` times as tall (``h``) or wide (``w``), 0.92 centred and 0.86 with the
  picture above or below (``upper``, ``lower``) or left or right of its middle. A crop whose
  framing nobody chose lands on none of the ten (``bench/croprecall.py``'s ``crop-any``); a grid
  that covers such crops needs hundreds of framings; these six are shaped after the first picks
  of a greedy cover of random framings, made symmetric (docs/triage.md).
* ``inpaint:EDGE-WHERE``: a flat or text-bearing box found on an edge (a partial-width caption,
  a corner logo, a watermark bar) filled from its surroundings before hashing, harmonically (a
  membrane held by the pixels around the box: the smoothest fill, so the one that puts least into
  PDQ's low DCT frequencies; ``inpaint``). A box ends at its clean margin followed by a straight
  inner edge that the box's colour does not come back from, so the lines of text inside it,
  however dense, stay inside it (``_box_end``); a run along the edge that is no box is judged
  again as its flat core, the columns of its one colour (a box on a background of nearly its
  colour: ``find_boxes``). Of two boxes in one third of an edge, the second along it gets
  ``-2`` after its name (``box_names``: a name is one hash).

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
as the picture's own PDQ (see ``pictures``). The halving, the sixteen un-crops' products, the box
finder and the membrane are compiled loops (``kernels``): about 1 CPU-ms a picture for all of
them (figures in docs/triage.md). Pictures under :data:`MIN_SIDE` pixels a side get none (``skip_note``). The
matcher queries these hashes only for files that nothing else matched, at its own, stricter
radius (``MatchSettings.hypothesis_threshold``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

import numpy as np

from tasman.triage.hashing.pdq import Band, band_of, downsample, folded_operator

MIN_SIDE = 64
WORK_SIDE = 64             # hypotheses are computed on the luma halved down to about this short side
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
UNCROP: tuple[tuple[float, str], ...] = (
    (0.90, "centre"), (0.80, "centre"), *((0.90, c) for c in CORNERS), *((0.80, c) for c in CORNERS),
)                          # chosen with bench/hypostudy.py --sets (docs/triage.md)
TRIMS: tuple[tuple[str, float, float], ...] = (
    ("h", 0.92, 0.5), ("w", 0.92, 0.5), ("h", 0.86, 0.25), ("h", 0.86, 0.75), ("w", 0.86, 0.25), ("w", 0.86, 0.75),
)                          # one axis cut (h: the height, w: the width), kept share, place along it (0 start)
_TRIM_PLACE = {("h", 0.25): "upper", ("h", 0.5): "centre", ("h", 0.75): "lower", ("w", 0.25): "left",
               ("w", 0.5): "centre", ("w", 0.75): "right"}
MAX_BOXES = 3              # in-paint hypotheses per picture (the largest boxes found; 2 before the seventh pass)
SAME_BOX = 0.5             # a box covered by one ranked before it on more than this share of its own area is that box
MAX_DEPTH = 0.35           # a box reaches at most this share of the picture inwards
MIN_DEPTH = 0.03
RUNS_PER_EDGE = 5          # the longest flat runs of an edge looked at
CLEAN = 0.97               # share of a margin row in the box colour
MOSTLY = 0.3               # share of a row in the box colour that keeps it in the box (text allowed)
MIN_RUN = 0.12             # a box runs along its edge for at least this share of the picture's short side
FLAT_STEP = 10             # grey levels between neighbours inside a flat run
BOX_TOLERANCE = 24         # grey levels from the box's colour still counted as the box
MIN_STEP_OUT = 14          # mean grey-level step where the box ends (a gradient has none)
EDGES = ("bottom", "top", "left", "right")
STRAIGHT = 0.7             # share of the row past a box that differs from it (a straight edge)
AFTER = 3                  # rows past a box's end that differ from it; none as deep as the box, nor BACK times
BACK = 2                   # the clean margin before the end, is clean again (a line of text inside the box,
                           # often deeper than the margin above it, is followed by the box's clean colour)
TEXT_MARKS = (0.02, 0.45)  # share of a box's pixels off its colour when it bears text
TIGHT = 6                  # grey levels from a flat box's one colour (its flat core, tried when a run is no box)
TIGHT_STEP = 12            # grey levels a column steps out of a flat core's box ...
STEP_SHARE = 0.5           # ... on this share of its columns (the rest: a background of nearly its colour)
FADE = 0.06                # a guessed border's fade length (share of its axis) when the picture gives none
FADES = (0.03, 0.06, 0.12, 0.25, 0.5)   # the fade lengths a picture's own correlation length is rounded to
FADE_LAG = 0.1             # the lag (share of the axis) at which that correlation is measured
OMEGA = 1.85               # the membrane's over-relaxation (``kernels.membrane``)
MEMBRANE_TOL = 0.02        # grey levels: the membrane stops when no pixel moves more
MEMBRANE_SWEEPS = 20       # sweeps at most, from ``first_fill`` (400 found no more copies: docs/triage.md)
MASK_BITS = 128            # each hypothesis's confident bits (``pdq.confident_masks``), for the masked distance


def _kernel() -> ModuleType:
    """The compiled loops (``kernels``), imported at first use: numba's import and the loops'
    load cost ~0.8 CPU-seconds once a process (the triage workers' fork server pays it before
    they start), which the processes that import this module and hash no picture never pay."""
    from tasman.triage.hashing import kernels

    return kernels


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


_EDGE_CODE = {"top": 0, "bottom": 1, "left": 2, "right": 3}     # ``kernels``'s codes
_EDGE_NAME = {code: edge for edge, code in _EDGE_CODE.items()}


def find_boxes(luma: np.ndarray) -> list[Box]:
    """The largest flat or text-bearing boxes on the picture's edges (at most :data:`MAX_BOXES`).

    On each edge (seen with it as row 0): the :data:`RUNS_PER_EDGE` longest runs of row 1 whose
    neighbours lie at most :data:`FLAT_STEP` apart, :data:`MIN_RUN` of the picture's short side or
    longer (a corner logo on the long edge of a wide picture is short for that edge); a run is a
    box when, going inwards, the rows stay mostly (:data:`MOSTLY`) within :data:`BOX_TOLERANCE`
    of its colour (text allowed) and then stop doing so within :data:`MAX_DEPTH` (flat content
    that never ends is no box), the box ending at its last clean row (:data:`CLEAN`) when a clean
    margin comes before that end, or earlier at a clean margin followed by a straight inner edge
    the box's colour does not come back from within the box's depth nor :data:`BACK` times that
    margin (:data:`AFTER`: the lines of dense caption text stay inside the box); it is at least
    :data:`MIN_DEPTH` deep, the mean step out of it is :data:`MIN_STEP_OUT` or more (a gradient
    has none) and the row past it differs from it in :data:`STRAIGHT` of its width (a straight
    inner edge). Text-bearing when :data:`TEXT_MARKS` of its pixels are off its colour. Ranked
    text-bearing first, then by area; a box of which more than :data:`SAME_BOX` of its own area
    lies in one ranked before it is the same box (a corner logo is a run along both its edges;
    ``merged``).

    A run that is no box by these rules is judged once more as its *flat core*: the longest
    stretch of the run within :data:`TIGHT` of the run's median colour, every pixel judged
    against that one colour within :data:`TIGHT` (not against row 1's pixel above it within
    :data:`BOX_TOLERANCE`), by the same rules except the step out, which is a step of more than
    :data:`TIGHT_STEP` on :data:`STEP_SHARE` of the core's columns. An overlay is one flat colour
    with a straight inner edge. On a smooth background (a field, layered gradients, a
    landscape's sky) the row along the edge can run on from the box into a background of nearly
    its colour without a step over :data:`FLAT_STEP`; the loose rules then judge box and
    background as one run, whose background part stays within :data:`BOX_TOLERANCE` of itself
    past the box's inner edge, so no straight edge is seen along enough of the run. The core is
    the box's columns (the background drifts off its one colour), and its inner edge is a step
    along most of it even where the background under it is near its colour (figures in
    docs/triage.md). One compiled pass (``kernels.edge_boxes``) over the four edges."""
    a = np.ascontiguousarray(luma, dtype=np.float32)
    found = [Box(_EDGE_NAME[edge], depth, c0, c1, length, bool(text))
             for edge, depth, c0, c1, length, text in _kernel().edge_boxes(
                 a, np.array([_EDGE_CODE[e] for e in EDGES], np.int64), MAX_DEPTH, MIN_RUN, RUNS_PER_EDGE,
                 float(FLAT_STEP), float(BOX_TOLERANCE), 1 - MOSTLY, 1 - CLEAN, MIN_DEPTH, float(MIN_STEP_OUT),
                 STRAIGHT, TEXT_MARKS[0], TEXT_MARKS[1], AFTER, float(BACK), float(TIGHT), float(TIGHT_STEP),
                 STEP_SHARE).tolist()]
    found.sort(key=lambda b: (not b.text, -(b.depth * (b.c1 - b.c0)), b.edge, b.c0))
    return merged(found, a.shape)[:MAX_BOXES]


def merged(ranked: list[Box], shape: tuple[int, int]) -> list[Box]:
    """``ranked`` less each box of which more than :data:`SAME_BOX` of its own area lies in a box
    kept before it (``_overlap``): a corner logo seen from both its edges is one box, the first
    kept. The share is of the later box, not of the smaller: a small text box ranked first does
    not swallow a larger plain box around it (most of which it leaves unpainted; review of the
    seventh pass)."""
    kept: list[Box] = []
    for box in ranked:
        if not any(_overlap(box, k, shape) > SAME_BOX for k in kept):
            kept.append(box)
    return kept


def _overlap(candidate: Box, kept: Box, shape: tuple[int, int]) -> float:
    """The share of ``candidate``'s area that ``kept`` covers (0 for a box of no area)."""
    ra, rb = box_rect(candidate, shape), box_rect(kept, shape)
    rows = max(0, min(ra[1], rb[1]) - max(ra[0], rb[0]))
    cols = max(0, min(ra[3], rb[3]) - max(ra[2], rb[2]))
    area = (ra[1] - ra[0]) * (ra[3] - ra[2])
    return rows * cols / area if area > 0 else 0.0


def box_names(boxes: list[Box]) -> tuple[str, ...]:
    """The in-paint hypotheses' names of ``boxes``, unique within the picture: ``Box.name``, and
    for boxes that share one (two boxes in one third of an edge: ``inpaint:bottom-right`` and
    ``inpaint:bottom-right-2``) a suffix counted along the edge (by ``c0``, then ``c1``, then
    depth), not by rank, so a box keeps its name when a re-saved copy ranks the two otherwise.
    matches.csv's ``variant`` and the benches that key hypotheses by name need one name a hash."""
    out = [b.name for b in boxes]
    by_name: dict[str, list[int]] = {}
    for i, name in enumerate(out):
        by_name.setdefault(name, []).append(i)
    for name, idx in by_name.items():
        if len(idx) > 1:
            ordered = sorted(idx, key=lambda i: (boxes[i].c0, boxes[i].c1, boxes[i].depth, i))
            for n, i in enumerate(ordered[1:], start=2):
                out[i] = f"{name}-{n}"
    return tuple(out)


def box_rect(box: Box, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``box`` in the picture's own frame: rows ``r0``..``r1`` and columns ``c0``..``c1`` (exclusive)."""
    rows, cols = shape
    if box.edge == "top":
        return 0, box.depth, box.c0, box.c1
    if box.edge == "bottom":
        return rows - box.depth, rows, box.c0, box.c1
    if box.edge == "left":
        return box.c0, box.c1, 0, box.depth
    return box.c0, box.c1, cols - box.depth, cols


def first_fill(luma: np.ndarray, box: Box) -> np.ndarray:
    """A copy of ``luma`` with ``box`` filled by a quick guess (the membrane's start): each column
    from the row just past the box, blended with each row interpolated between the pixels on
    either side."""
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


def inpaint(luma: np.ndarray, box: Box) -> np.ndarray:
    """A copy of ``luma`` with ``box`` filled harmonically from its surroundings (a membrane: each
    filled pixel the mean of its neighbours, the pixels around the box held, the picture's own
    border a mirror). Of the fills tried (this, the quick guess it starts from, the row past
    the box repeated, the mean around it) it puts the fewest gradients into the box, which is
    what PDQ's low DCT frequencies read, and lands nearest the original (``bench/hypostudy.py
    --fill``; docs/triage.md). One compiled loop (``kernels.membrane``)."""
    a = np.ascontiguousarray(luma, dtype=np.float32)
    r0, r1, c0, c1 = box_rect(box, a.shape)
    start = np.ascontiguousarray(first_fill(a, box)[r0:r1, c0:c1])
    out: np.ndarray = _kernel().membrane(a, r0, r1, c0, c1, start, OMEGA, MEMBRANE_TOL, MEMBRANE_SWEEPS)
    return out


_ANCHOR = {"centre": (0.5, 0.5), "top-left": (0.0, 0.0), "top-right": (0.0, 1.0), "bottom-left": (1.0, 0.0),
           "bottom-right": (1.0, 1.0)}     # (vertical, horizontal) place of the kept part


def fade_lengths(centred: np.ndarray) -> tuple[float, float]:
    """(down the rows, along the columns): how far a guessed border keeps the edge's grey before
    fading to the mean, each the picture's own correlation length along that axis, rounded (in
    logarithm) to one of :data:`FADES`. The edge pixels replicated and fading by
    ``exp(-distance / length)`` is the best linear guess of what lies past the edge for a picture
    whose pixels are correlated as ``exp(-lag / length)`` (an Ornstein-Uhlenbeck field: only the
    edge pixel tells of the pixels past it). So the length is measured, not fixed: the
    correlation ``rho`` of the mean-centred picture with itself shifted by ``k`` pixels
    (:data:`FADE_LAG` of the axis's ``n``, rounded to a whole pixel) gives
    ``length = -(k / n) / log(rho)``, with the lag actually taken (on 45 pixels it is 4, 0.089 of
    the axis, not 0.1). A smooth field or a landscape's sky keeps its edge far into a lost
    border, drawn shapes on a gradient do not (``bench/hypostudy.py``, ``adaptive``; figures in
    docs/triage.md). A flat picture, or one that anti-correlates, gets :data:`FADE` and
    :data:`FADES`' shortest."""
    out = []
    a = np.asarray(centred, np.float64)  # float64 sums: the same fade on every CPU and numpy build
    for x in (a.T, a):                                    # lines along each axis
        n = x.shape[1]
        k = max(1, round(FADE_LAG * n))
        u, v = x[:, :-k], x[:, k:]
        energy = float(np.sqrt(float(np.einsum("ij,ij->", u, u)) * float(np.einsum("ij,ij->", v, v))))
        if energy <= 0 or k >= n:
            out.append(FADE)
            continue
        rho = float(np.einsum("ij,ij->", u, v)) / energy
        length = -(k / n) / np.log(min(max(rho, 1e-3), 0.999))   # the lag taken, not FADE_LAG (rounded)
        out.append(min(FADES, key=lambda f: abs(np.log(f / length))))
    return out[0], out[1]


@dataclass(frozen=True)
class _UncropParts:
    """What :func:`uncrop_band` needs of one axis size, share and anchor whatever the fade: the
    band (``idx``) and its weights without the border (``w``), where the border folds onto the
    first and last pixel (``first``, ``last``: masks over ``idx``), and the filter's weights
    over the border before and after the picture (``before``: 64 x offset, ``after``)."""

    idx: np.ndarray
    w: np.ndarray
    first: np.ndarray
    last: np.ndarray
    before: np.ndarray
    after: np.ndarray


def _fade_weights(n: int, fade: float, m: int) -> np.ndarray:
    return np.exp(-np.arange(1, n + 1) / (fade * m))


@lru_cache(maxsize=2048)
def _uncrop_parts(m: int, s: int, kept: float, anchor: float) -> _UncropParts:
    total = max(m, round(m / kept))
    offset = round(anchor * (total - m))
    op = folded_operator(total * s, total, s).astype(np.float64)
    inner = op[:, offset:offset + m]
    before, after = op[:, :offset], op[:, offset + m:]
    folded = inner.copy()        # the band's shape, at the longest fade: every fade reads the same pixels
    folded[:, 0] += before @ _fade_weights(offset, max(FADES), m)[::-1]
    folded[:, -1] += after @ _fade_weights(after.shape[1], max(FADES), m)
    shape = band_of(folded)
    inside = shape.w != 0
    w = np.where(inside, np.take_along_axis(inner, shape.idx, axis=1), 0.0)
    first = inside & (shape.idx == 0)
    last = inside & (shape.idx == m - 1)
    # copies: a slice would keep the whole 64 x total operator alive in the cache (review)
    return _UncropParts(shape.idx, w, first, last, before.copy(), after.copy())


@lru_cache(maxsize=4096)
def uncrop_band(m: int, s: int, kept: float, anchor: float, fade: float = FADE) -> Band:
    """PDQ's filter along an axis of the original a picture would be ``kept`` of, folded onto the
    picture's own ``m`` pixels of ``s`` full pixels each: the picture is placed at ``anchor`` (0
    start, 1 end) of ``m / kept`` pixels, the rest filled by its edge pixels fading by
    ``exp(-distance / (fade * m))`` (the mean grey, subtracted before and added after, fills the
    rest; ``fade`` from :func:`fade_lengths`). Padding is linear, so the padded picture is never
    made: the padded part of the operator folds onto the edge pixels. Keyed by the reduced size
    only (the full size taken as ``m * s``), so a run of pictures of many sizes builds few of them;
    the band's shape is built once for every fade (``_uncrop_parts``), each fade adding only its
    border's weights onto the edge pixels."""
    p = _uncrop_parts(m, s, kept, anchor)
    edge_before = p.before @ _fade_weights(p.before.shape[1], fade, m)[::-1]
    edge_after = p.after @ _fade_weights(p.after.shape[1], fade, m)
    w = p.w + p.first * edge_before[:, None] + p.last * edge_after[:, None]
    return Band(p.idx, w.astype(np.float32))


Framing = tuple[str, float, float, float, float]   # name, kept share and place down the rows, then along the columns


def framings() -> tuple[Framing, ...]:
    """Every un-crop framing: :data:`UNCROP` (the same share of both axes, centred or at a corner)
    then :data:`TRIMS` (one axis only: ``uncrop:h0.86:upper`` is an original 1/0.86 times as tall,
    the picture kept above its middle; ``uncrop:w0.92:centre`` one 1/0.92 times as wide)."""
    out: list[Framing] = [(f"uncrop:{kept:.2f}:{anchor}", kept, _ANCHOR[anchor][0], kept, _ANCHOR[anchor][1])
                          for kept, anchor in UNCROP]
    for axis, kept, place in TRIMS:
        name = f"uncrop:{axis}{kept:.2f}:{_TRIM_PLACE.get((axis, place), f'{place:.2f}')}"
        out.append((name, kept, place, 1.0, 0.5) if axis == "h" else (name, 1.0, 0.5, kept, place))
    return tuple(out)


@dataclass(frozen=True)
class UncropPlan:
    """The un-crops' banded operators for one reduced picture size, stacked for
    ``kernels.uncrop``: the distinct row operators (one per kept share and vertical anchor), and
    for each framing its row operator's place and its column operator."""

    names: tuple[str, ...]
    ridx: np.ndarray     # p x 64 x K, int64
    rw: np.ndarray       # p x 64 x K, float32 (zero past a row's band)
    pick: np.ndarray     # f: the row operator of each framing
    cidx: np.ndarray     # f x 64 x K
    cw: np.ndarray


def _stacked(bands: list[Band]) -> tuple[np.ndarray, np.ndarray]:
    """Bands of one output size stacked to one width (more pixels read at weight 0)."""
    k = max(b.idx.shape[1] for b in bands)
    idx = np.empty((len(bands), *bands[0].idx.shape[:1], k), np.int64)
    w = np.zeros((len(bands), *bands[0].idx.shape[:1], k), np.float32)
    for n, b in enumerate(bands):
        width = b.idx.shape[1]
        idx[n, :, :width] = b.idx
        idx[n, :, width:] = b.idx[:, -1:]
        w[n, :, :width] = b.w
    return idx, w


@lru_cache(maxsize=1024)
def uncrop_plan(rows: int, cols: int, s: int, framings: tuple[Framing, ...],
                fades: tuple[float, float] = (FADE, FADE)) -> UncropPlan:
    """:class:`UncropPlan` of ``framings`` (:func:`framings`) for a picture reduced to ``rows`` x
    ``cols`` pixels of ``s`` full pixels each, its borders fading over ``fades`` (down the rows,
    along the columns: :func:`fade_lengths`)."""
    keys: list[tuple[float, float]] = []
    for _, kr, av, _, _ in framings:
        if (kr, av) not in keys:
            keys.append((kr, av))
    ridx, rw = _stacked([uncrop_band(rows, s, kept, av, fades[0]) for kept, av in keys])
    cidx, cw = _stacked([uncrop_band(cols, s, kc, ah, fades[1]) for _, _, _, kc, ah in framings])
    pick = np.array([keys.index((kr, av)) for _, kr, av, _, _ in framings], np.int64)
    return UncropPlan(tuple(f[0] for f in framings), ridx, rw, pick, cidx, cw)


def reduced(a: np.ndarray, scale: int) -> tuple[np.ndarray, int]:
    """``a`` halved (2x2 means, an odd last row or column repeated) while its short side stays at
    :data:`WORK_SIDE` or more, with its new scale: hypotheses need no more detail than that, and
    cost a quarter per halving."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    while min(a.shape) >= 2 * WORK_SIDE:
        a = _kernel().halve(a)
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
    mean = a.mean()
    centred = a - mean
    plan = uncrop_plan(rows, cols, s, framings(), fade_lengths(centred))
    buffers = _kernel().uncrop(centred, np.float32(mean), plan.ridx, plan.rw, plan.pick, plan.cidx, plan.cw)
    boxes = find_boxes(a)
    if not boxes:
        return plan.names, buffers
    painted = [downsample(inpaint(a, box), (cols * s, rows * s), s) for box in boxes]
    return (*plan.names, *box_names(boxes)), np.concatenate([buffers, np.stack(painted).astype(np.float32)])
