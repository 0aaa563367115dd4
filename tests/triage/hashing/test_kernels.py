"""The hypotheses' compiled loops (``kernels``) against plain numpy doing the same work: the
halving, the ten un-crops (each framing's banded operators applied one at a time) and the box
finder (numpy's version, with the box end of ``hypotheses`` before it was compiled, and the flat
core tried since, kept here as the reference)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from tasman.synth.edits import caption_box, corner_logo, crop, jpeg_bytes, watermark_bar
from tasman.synth.images import draw_picture
from tasman.triage.hashing import hypotheses as hyp
from tasman.triage.hashing.kernels import halve
from tasman.triage.hashing.pictures import decode_luma

# -- the reference: numpy's box finder, as it was before ``kernels.edge_boxes`` ------------------


def _runs(row: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    bounds = np.concatenate([[0], np.nonzero(np.abs(np.diff(row)) > hyp.FLAT_STEP)[0] + 1, [len(row)]])
    lengths = np.diff(bounds)
    long_enough = np.nonzero(lengths >= min_len)[0]
    longest = long_enough[np.argsort(-lengths[long_enough], kind="stable")[:hyp.RUNS_PER_EDGE]]
    return [(int(bounds[i]), int(bounds[i + 1])) for i in longest]


def _box_end(off: np.ndarray, width: int, min_end: int) -> int | None:
    clean = off <= (1 - hyp.CLEAN) * width
    straight = off >= hyp.STRAIGHT * width
    n = len(off)
    for r in range(n - 1):
        if not clean[r]:
            continue
        margin = r + 1 - (np.nonzero(~clean[:r + 1])[0].max() + 1 if (~clean[:r + 1]).any() else 0)
        for end in (r + 1, r + 2):
            window = max(hyp.AFTER, end, int(hyp.BACK * margin))
            if end == r + 2 and clean[r + 1]:
                continue
            if min_end <= end < n and straight[end] and not clean[end:end + window].any() \
                    and off[end:end + hyp.AFTER].mean() >= hyp.STRAIGHT * width:
                return end
    mostly = off <= (1 - hyp.MOSTLY) * width
    if mostly.all():
        return None
    end = int(np.argmin(mostly))
    margin = np.nonzero(clean[:end])[0]
    if len(margin) and margin[-1] + 1 < end:
        end = int(margin[-1]) + 1
    return end


def _judged(e: np.ndarray, c0: int, c1: int, off: np.ndarray, core: bool) -> tuple[int, float] | None:
    """(depth past the inner edge, marks) of the run ``c0``..``c1``, or None when it is no box."""
    rows = e.shape[0]
    limit = int(rows * hyp.MAX_DEPTH)
    width = c1 - c0
    end = _box_end(off, width, max(2, math.ceil(hyp.MIN_DEPTH * rows)))
    if end is None or end < max(2, hyp.MIN_DEPTH * rows):
        return None
    steps = np.abs(e[end, c0:c1] - e[end - 2, c0:c1])
    if core and (steps > hyp.TIGHT_STEP).sum() < hyp.STEP_SHARE * width:
        return None
    if not core and float(steps.mean()) < hyp.MIN_STEP_OUT:
        return None
    past = min(end + 1, limit)
    if off[past] < hyp.STRAIGHT * width:
        return None
    return past, float(off[:end].sum()) / (end * width)


def _flat_core(row: np.ndarray, c0: int, c1: int) -> tuple[float, int, int]:
    colour = float(np.median(row[c0:c1]))
    inside = np.concatenate([[False], np.abs(row[c0:c1] - colour) <= hyp.TIGHT, [False]]).astype(np.int8)
    starts, ends = np.nonzero(np.diff(inside) == 1)[0], np.nonzero(np.diff(inside) == -1)[0]
    if not len(starts):
        return colour, c0, c0
    k = int(np.argmax(ends - starts))
    return colour, c0 + int(starts[k]), c0 + int(ends[k])


def _edge_boxes(e: np.ndarray, edge: str) -> list[hyp.Box]:
    rows, cols = e.shape
    limit = int(rows * hyp.MAX_DEPTH)
    min_len = max(4, int(min(rows, cols) * hyp.MIN_RUN))
    out: list[hyp.Box] = []
    for c0, c1 in _runs(e[1], min_len):
        off = (np.abs(e[:limit + 1, c0:c1] - e[1, c0:c1]) > hyp.BOX_TOLERANCE).sum(axis=1)
        judged = _judged(e, c0, c1, off, core=False)
        if judged is None:
            colour, c0, c1 = _flat_core(e[1], c0, c1)
            if c1 - c0 < min_len:
                continue
            off = (np.abs(e[:limit + 1, c0:c1] - colour) > hyp.TIGHT).sum(axis=1)
            judged = _judged(e, c0, c1, off, core=True)
            if judged is None:
                continue
        past, marks = judged
        out.append(hyp.Box(edge, past, max(0, c0 - 1), min(cols, c1 + 1), cols,
                           hyp.TEXT_MARKS[0] <= marks <= hyp.TEXT_MARKS[1]))
    return out


def numpy_boxes(luma: np.ndarray) -> list[hyp.Box]:
    a = np.asarray(luma, dtype=np.float32)
    found = [b for edge in hyp.EDGES for b in _edge_boxes(hyp._oriented(a, edge), edge)]
    found.sort(key=lambda b: (not b.text, -(b.depth * (b.c1 - b.c0)), b.edge, b.c0))
    kept: list[tuple[hyp.Box, np.ndarray]] = []
    for box in found:                  # the same box: more than SAME_BOX of its pixels in one kept
        r0, r1, c0, c1 = hyp.box_rect(box, a.shape)
        pixels = np.zeros(a.shape, bool)
        pixels[r0:r1, c0:c1] = True
        if not any((pixels & k).sum() > hyp.SAME_BOX * pixels.sum() for _, k in kept):
            kept.append((box, pixels))
    return [box for box, _ in kept[:hyp.MAX_BOXES]]


def numpy_names(boxes: list[hyp.Box]) -> list[str]:
    """In-paint names, each box's ``Box.name`` then ``-2``, ``-3`` for the second and third of a
    name counted along the edge."""
    out = []
    for box in boxes:
        alike = sorted((b.c0, b.c1, b.depth) for b in boxes if b.name == box.name)
        n = alike.index((box.c0, box.c1, box.depth)) + 1
        out.append(box.name if n == 1 else f"{box.name}-{n}")
    return out


# -- pictures -----------------------------------------------------------------------------------

def _worked(im: Image.Image) -> np.ndarray:
    """The luma the hypotheses work on: decoded as the runner decodes it, then reduced."""
    luma, _w, _h, scale, _ = decode_luma(jpeg_bytes(im, 85), max_pixels=10**8)
    return hyp.reduced(luma.astype(np.float32), scale)[0]


def _pictures() -> list[np.ndarray]:
    out = []
    for seed in range(8):
        im = draw_picture(600 + seed, (640, 480) if seed % 2 else (480, 720))
        out += [_worked(im), _worked(caption_box(im, seed, "bottom" if seed % 2 else "top", 0.6, 0.15,
                                                 ("left", "right", "middle")[seed % 3])),
                _worked(corner_logo(im, seed, ("bottom-right", "top-left")[seed % 2])),
                _worked(watermark_bar(im, seed, ("top", "bottom", "left", "right")[seed % 4])),
                _worked(crop(im, 0.05))]
    rng = np.random.default_rng(7)
    flat = np.full((96, 128), 120, np.float32)                                  # no edge ever ends
    stripes = np.repeat(rng.integers(0, 256, (96, 1)), 128, axis=1).astype(np.float32)
    blocky = np.kron(rng.integers(0, 256, (12, 16)), np.ones((8, 8))).astype(np.float32)
    return [*out, flat, stripes, blocky, stripes.T.copy()]


PICTURES = _pictures()


def test_the_compiled_box_finder_finds_numpy_s_boxes() -> None:
    found = [hyp.find_boxes(a) for a in PICTURES]
    assert found == [numpy_boxes(a) for a in PICTURES]
    assert [list(hyp.box_names(f)) for f in found] == [numpy_names(f) for f in found]
    assert sum(len(f) for f in found) >= 20                  # the edited pictures do have boxes
    assert {b.edge for f in found for b in f} == {"top", "bottom", "left", "right"}
    assert any(b.text for f in found for b in f) and any(not b.text for f in found for b in f)


@pytest.mark.parametrize("shape", [(7, 9), (8, 8), (64, 85), (131, 200)])
def test_halving_is_the_mean_of_two_by_two_blocks(shape: tuple[int, int]) -> None:
    a = np.random.default_rng(1).integers(0, 256, shape).astype(np.float32)
    if a.shape[0] % 2:
        a2 = np.concatenate([a, a[-1:]], axis=0)
    else:
        a2 = a
    if a2.shape[1] % 2:
        a2 = np.concatenate([a2, a2[:, -1:]], axis=1)
    expected = (a2[0::2, 0::2] + a2[1::2, 0::2] + a2[0::2, 1::2] + a2[1::2, 1::2]) * 0.25
    assert np.array_equal(halve(a), expected)


def test_the_uncrops_are_each_framing_s_operators_applied_in_turn() -> None:
    for a in PICTURES[::3]:
        rows, cols = a.shape
        s = 4
        names, buffers = hyp.hypothesis_buffers(a, (cols * s, rows * s), s)
        a = a.astype(np.float32)
        mean = float(a.mean())
        fr, fc = hyp.fade_lengths(a - np.float32(mean))
        for k, (name, kr, av, kc, ah) in enumerate(hyp.framings()):
            expected = hyp.uncrop_band(cols, s, kc, ah, fc).cols(
                hyp.uncrop_band(rows, s, kr, av, fr).rows(a - mean)) + mean
            assert names[k] == name
            assert np.abs(buffers[k] - expected).max() < 1e-3
        assert [f"uncrop:{kept:.2f}:{anchor}" for kept, anchor in hyp.UNCROP] == list(names[:len(hyp.UNCROP)])
        assert len(names) == len(buffers) == len(hyp.framings()) + len(hyp.find_boxes(a))
        assert list(names[len(hyp.framings()):]) == numpy_names(numpy_boxes(a)) and len(set(names)) == len(names)


def test_the_warm_up_compiles_what_the_hypotheses_call() -> None:
    """Importing ``kernels`` (the workers' fork server does) loads each loop for the argument
    types the hypotheses pass: hashing pictures afterwards compiles nothing more."""
    from tasman.triage.hashing import kernels

    luma, width, height, scale, _ = decode_luma(jpeg_bytes(caption_box(draw_picture(5, (640, 480)), 5)),
                                                max_pixels=10**8)
    names, _ = hyp.hypothesis_buffers(luma.astype(np.float32), (width, height), scale)
    assert any(n.startswith("inpaint:") for n in names)
    hyp.find_boxes(luma)                                           # uint8, as a caller may hand it
    for fn in (kernels.tent_operator, kernels.fold, kernels.qualities, kernels.halve, kernels.uncrop,
               kernels.edge_boxes, kernels.membrane):
        assert len(fn.signatures) == 1, fn


def test_the_compiled_quality_is_numpy_s_on_every_level() -> None:
    """PDQ's quality (``pdq.qualities``, compiled) against numpy's formula, from 0 to 100."""
    from tasman.triage.hashing.pdq import qualities

    def numpy_qualities(buffers: np.ndarray) -> np.ndarray:
        dv = np.floor(np.abs(buffers[:, :-1, :] - buffers[:, 1:, :]) * 100 / 255).sum(axis=(1, 2))
        dh = np.floor(np.abs(buffers[:, :, :-1] - buffers[:, :, 1:]) * 100 / 255).sum(axis=(1, 2))
        return np.minimum(100, (dv + dh).astype(np.int64) // 90)

    rng = np.random.default_rng(3)
    seen: set[int] = set()
    for _ in range(400):
        ramp = np.linspace(0, rng.uniform(0, 255), 64)[None, None, :]
        noise = rng.random((4, 64, 64)) * 2.55 * 10 ** rng.uniform(-2, 1)
        buffers = (noise + ramp).astype(np.float32)
        ours = qualities(buffers)
        assert np.array_equal(ours, numpy_qualities(buffers))
        seen.update(ours.tolist())
    assert {0, 50, 100} <= seen and len(seen) >= 80                # low, middling and full quality alike


def test_the_compiled_tent_is_numpy_s_to_the_last_bit() -> None:
    """PDQ's axis operator (``pdq.axis_operator``, compiled) against numpy's scatter and cumsum,
    as it was built before: the same float64 weights, the residues past each tent included."""
    from tasman.triage.hashing.kernels import tent_operator

    def numpy_operator(n: int) -> np.ndarray:
        full = (n + 127) // 128
        half = (full + 2) // 2
        k = np.arange(n)
        lo = np.maximum(0, k - (full - half))
        hi = np.minimum(n - 1, k + half - 1)
        cnt = (hi - lo + 1).astype(np.float64)
        picks = ((np.arange(64) + 0.5) * n / 64).astype(np.int64)
        first = np.zeros((64, n))
        for r, c in enumerate(picks):
            first[r, lo[c]:hi[c] + 1] = 1.0 / cnt[c]
        weights = first / cnt
        k_idx, r_idx = np.nonzero(weights.T)
        w = weights.T[k_idx, r_idx]
        diff = np.zeros((n + 1, 64))
        np.add.at(diff, (lo[k_idx], r_idx), w)
        np.add.at(diff, (hi[k_idx] + 1, r_idx), -w)
        out: np.ndarray = np.cumsum(diff, axis=0)[:n].T
        return out

    for n in (*range(1, 200), 255, 256, 257, 640, 1000, 1152, 1296, 2049, 4000):
        assert np.array_equal(tent_operator(n), numpy_operator(n)), n


def test_the_compiled_fold_is_numpy_s_block_sums() -> None:
    """``pdq.folded_operator`` (compiled) against numpy's zero-padded block sums, as it was built
    before: the same float32 weights for every scale a decode or the hypotheses' halving gives."""
    from tasman.triage.hashing.pdq import axis_operator, folded_operator

    def numpy_fold(n: int, m: int, s: int) -> np.ndarray:
        padded = np.zeros((64, m * s))
        width = min(n, m * s)
        padded[:, :width] = axis_operator(n)[:, :width]
        return np.ascontiguousarray(padded.reshape(64, m, s).sum(axis=2), dtype=np.float32)

    for s in (1, 2, 4, 8, 16, 32):
        for m in range(33, 260, 17):
            for n in {m * s, max(1, m * s - s // 2), m * s + 1}:
                assert np.array_equal(folded_operator.__wrapped__(n, m, s), numpy_fold(n, m, s)), (n, m, s)


# -- the in-paint membrane ----------------------------------------------------------------------

def numpy_membrane(a: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """The harmonic fill solved exactly: one equation a pixel of the box (its value times its
    neighbours inside the picture, less each neighbour inside the box, equals the sum of its
    neighbours outside the box), one dense solve."""
    rows, cols = a.shape
    h, w = r1 - r0, c1 - c0
    system = np.zeros((h * w, h * w))
    rhs = np.zeros(h * w)
    for i in range(r0, r1):
        for j in range(c0, c1):
            k = (i - r0) * w + (j - c0)
            for y, x in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
                if not (0 <= y < rows and 0 <= x < cols):
                    continue                                   # the picture's border: a mirror
                system[k, k] += 1
                if r0 <= y < r1 and c0 <= x < c1:
                    system[k, (y - r0) * w + (x - c0)] -= 1
                else:
                    rhs[k] += a[y, x]
    out = a.astype(np.float64)
    out[r0:r1, c0:c1] = np.linalg.solve(system, rhs).reshape(h, w)
    return out


def _membrane_cases() -> list[tuple[np.ndarray, hyp.Box]]:
    cases = [(a, box) for a in PICTURES[:40] for box in hyp.find_boxes(a)]
    rng = np.random.default_rng(11)
    smooth = np.cumsum(np.cumsum(rng.normal(0, 1, (70, 90)), axis=0), axis=1).astype(np.float32)
    smooth = (smooth - smooth.min()) * (255 / np.ptp(smooth))
    for box in (hyp.Box("top", 9, 0, 40, 90), hyp.Box("bottom", 12, 30, 90, 90),      # corner boxes,
                hyp.Box("left", 15, 20, 50, 70), hyp.Box("right", 7, 0, 70, 70),       # a middle one,
                hyp.Box("bottom", 20, 0, 90, 90)):                                     # a full strip
        cases.append((smooth, box))
    return cases


def test_the_membrane_is_the_exact_harmonic_fill_and_touches_nothing_else() -> None:
    """Swept to convergence, the compiled membrane is numpy's exact solution; the shipped fill
    (``hypotheses.MEMBRANE_SWEEPS`` over-relaxed sweeps from ``first_fill``) changes nothing
    outside the box and lies, over all boxes, nearer that solution than its first guess."""
    from tasman.triage.hashing.kernels import membrane

    cases = _membrane_cases()
    assert len(cases) >= 20
    first_off, shipped_off = [], []
    for a, box in cases:
        r0, r1, c0, c1 = hyp.box_rect(box, a.shape)
        exact = numpy_membrane(a, r0, r1, c0, c1)
        start = np.ascontiguousarray(hyp.first_fill(a, box)[r0:r1, c0:c1])
        solved = membrane(a, r0, r1, c0, c1, start, hyp.OMEGA, 1e-6, 20_000)
        assert np.abs(solved - exact).max() < 0.01, box
        outside = np.ones(a.shape, bool)
        outside[r0:r1, c0:c1] = False
        shipped = hyp.inpaint(a, box)
        assert np.array_equal(shipped[outside], a[outside]) and np.array_equal(solved[outside], a[outside])
        first_off.append(np.abs(start - exact[r0:r1, c0:c1]).mean())
        shipped_off.append(np.abs(shipped[r0:r1, c0:c1] - exact[r0:r1, c0:c1]).mean())
    assert np.mean(shipped_off) < 0.5 * np.mean(first_off)
    assert np.median(shipped_off) < 0.5 * np.median(first_off)



def test_an_uncrop_band_is_the_padded_operator_folded_at_every_fade() -> None:
    """Each fade's band, built from the shape shared by all fades, is the padded filter folded
    onto the picture's pixels, built whole: the band reads every pixel the filter does."""
    from tasman.triage.hashing.pdq import folded_operator

    for m, s, kept, anchor in ((64, 8, 0.80, 0.0), (85, 2, 0.86, 0.25), (97, 1, 0.92, 0.5), (127, 4, 1.0, 0.5),
                               (65, 8, 0.90, 1.0)):
        total = max(m, round(m / kept))
        offset = round(anchor * (total - m))
        op = folded_operator(total * s, total, s).astype(np.float64)
        for fade in hyp.FADES:
            weight = np.exp(-np.arange(1, total + 1) / (fade * m))
            whole = op[:, offset:offset + m].copy()
            whole[:, 0] += op[:, :offset] @ weight[:offset][::-1]
            whole[:, -1] += op[:, offset + m:] @ weight[:total - offset - m]
            band = hyp.uncrop_band(m, s, kept, anchor, fade)
            dense = np.zeros((64, m))
            np.add.at(dense, (np.arange(64)[:, None].repeat(band.idx.shape[1], axis=1), band.idx), band.w)
            assert np.abs(dense - whole).max() <= 1e-6 * np.abs(whole).max()
