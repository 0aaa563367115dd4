# mypy: ignore-errors
# (numba compiles this module with its own typing: numpy scalars that mypy cannot follow)
"""The hashing's compiled loops (numba): PDQ's quality of a stack of buffers, and the crop/overlay
hypotheses' halving of the luma, the un-crops' banded products, box finder and in-paint membrane,
each one call a picture (the membrane one call a box).

numpy's way of doing the same work was a few dozen small calls a picture (sixteen banded
products, a dozen calls per flat run on each edge for the box finder, a dozen passes over the
buffers for the quality), each costing its call overhead or a pass over memory on a picture of
about 64 x 85 pixels: most of the hypotheses' cost. Here each is one pass of plain loops; the
sums run in float32 as numpy's did, so buffers differ from numpy's only in the order of additions
(a few 1e-5 grey levels), and the box finder's and the quality's decisions are the same
operations on the same values (the luma is whole grey levels halved, so every sum is exact).

Compiled on first use and cached on disk (``cache=True``, as ``perceptual.mihkernel``). Every
setting comes in as an argument, so the cache never holds a stale constant of ``hypotheses``."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, boundscheck=False)
def tent_operator(n):
    """``pdq.axis_operator(n)`` (64 x n, float64): PDQ's two box passes along ``n`` pixels and its
    64-point decimation, each output's weights scattered as differences and summed down the
    pixels in the order numpy's scatter (``np.add.at``) and running sum (``np.cumsum``) took,
    so every weight is the same float, the residue past a tent included."""
    full = (n + 127) // 128                        # computeJaroszFilterWindowSize(n, 64)
    half = (full + 2) // 2
    lo = np.empty(n, np.int64)
    hi = np.empty(n, np.int64)
    cnt = np.empty(n, np.float64)
    for k in range(n):
        lo[k] = max(0, k - (full - half))
        hi[k] = min(n - 1, k + half - 1)
        cnt[k] = hi[k] - lo[k] + 1
    out = np.empty((64, n), np.float64)
    diff = np.zeros(n + 1, np.float64)
    for r in range(64):
        c = np.int64((r + 0.5) * n / 64)
        first = 1.0 / cnt[c]
        diff[:] = 0.0
        for k in range(lo[c], hi[c] + 1):
            diff[lo[k]] += first / cnt[k]
        for k in range(lo[c], hi[c] + 1):
            diff[hi[k] + 1] += -(first / cnt[k])
        total = 0.0
        for j in range(n):
            total += diff[j]
            out[r, j] = total
    return out


@njit(cache=True, nogil=True, boundscheck=False)
def fold(op, m, s):
    """``op`` (64 x n, float64) folded onto ``m`` pixels of ``s`` each (float32, 64 x m): each
    block's weights summed, the pixels past ``n`` counting as zero (``pdq.folded_operator``)."""
    n = op.shape[1]
    out = np.empty((op.shape[0], m), np.float32)
    for r in range(op.shape[0]):
        for j in range(m):
            total = 0.0
            for x in range(j * s, min(n, (j + 1) * s)):
                total += op[r, x]
            out[r, j] = total
    return out


@njit(cache=True, nogil=True, boundscheck=False)
def qualities(buffers):
    """PDQ's quality of each 64x64 buffer (k x 64 x 64, float32): the sum of
    ``floor(|u - v| * 100 / 255)`` over neighbouring values down and across, // 90, at most
    100, in float32 arithmetic as ``pdq.qualities`` computes it with numpy."""
    k, rows, cols = buffers.shape
    out = np.empty(k, np.int64)
    hundred = np.float32(100)
    scale = np.float32(255)
    for b in range(k):
        total = 0                      # whole numbers: truncating a magnitude is its floor
        for i in range(rows - 1):
            for j in range(cols):
                total += np.int32(abs(buffers[b, i, j] - buffers[b, i + 1, j]) * hundred / scale)
        for i in range(rows):
            for j in range(cols - 1):
                total += np.int32(abs(buffers[b, i, j] - buffers[b, i, j + 1]) * hundred / scale)
        out[b] = min(100, total // 90)
    return out


@njit(cache=True, nogil=True, boundscheck=False)
def halve(a):
    """``a`` (float32) halved: means of 2 x 2 blocks, an odd last row or column repeated."""
    rows, cols = a.shape
    r2 = (rows + 1) // 2
    c2 = (cols + 1) // 2
    out = np.empty((r2, c2), np.float32)
    quarter = np.float32(0.25)
    for i in range(r2):
        i0 = 2 * i
        i1 = min(i0 + 1, rows - 1)
        for j in range(c2):
            j0 = 2 * j
            j1 = min(j0 + 1, cols - 1)
            out[i, j] = (a[i0, j0] + a[i1, j0] + a[i0, j1] + a[i1, j1]) * quarter
    return out


@njit(cache=True, nogil=True, boundscheck=False, inline="always")
def _banded(src, idx, w, acc):
    """``acc`` = sum over k of ``w[k]`` times row ``idx[k]`` of ``src``: one output line of a
    banded operator."""
    acc[:] = 0
    for k in range(idx.shape[0]):
        wk = w[k]
        row = src[idx[k]]
        for c in range(acc.shape[0]):
            acc[c] += wk * row[c]


@njit(cache=True, nogil=True, boundscheck=False)
def uncrop(centred, mean, ridx, rw, pick, cidx, cw):
    """The un-crop buffers (f x 64 x 64, float32): banded operator ``p`` (``ridx``, ``rw``:
    p x 64 x K) down the rows of ``centred``, then operator ``f`` (``cidx``, ``cw``) along the
    columns of row pass ``pick[f]``, plus ``mean``."""
    cols = centred.shape[1]
    passes, out_rows, _ = ridx.shape
    tmp = np.empty((passes, cols, out_rows), np.float32)      # each row pass, transposed
    acc = np.empty(cols, np.float32)
    for p in range(passes):
        for r in range(out_rows):
            _banded(centred, ridx[p, r], rw[p, r], acc)
            for c in range(cols):
                tmp[p, c, r] = acc[c]
    frames, out_cols, _ = cidx.shape
    out = np.empty((frames, out_rows, out_cols), np.float32)
    acc2 = np.empty(out_rows, np.float32)
    for f in range(frames):
        t = tmp[pick[f]]
        for c in range(out_cols):
            _banded(t, cidx[f, c], cw[f, c], acc2)
            for r in range(out_rows):
                out[f, r, c] = acc2[r] + mean
    return out


@njit(cache=True, nogil=True, boundscheck=False)
def _edge_rows(a, edge, n):
    """The first ``n`` rows of ``a`` seen with ``edge`` (0 top, 1 bottom, 2 left, 3 right) as row 0."""
    rows, cols = a.shape
    length = cols if edge < 2 else rows
    e = np.empty((n, length), np.float32)
    for i in range(n):
        for j in range(length):
            if edge == 0:
                e[i, j] = a[i, j]
            elif edge == 1:
                e[i, j] = a[rows - 1 - i, j]
            elif edge == 2:
                e[i, j] = a[j, i]
            else:
                e[i, j] = a[j, cols - 1 - i]
    return e


@njit(cache=True, nogil=True, boundscheck=False)
def _off(e, i, c0, c1, tolerance):
    """Pixels of row ``i`` in columns ``c0``..``c1`` further than ``tolerance`` from row 1's."""
    n = 0
    for j in range(c0, c1):
        n += abs(e[i, j] - e[1, j]) > tolerance
    return n


@njit(cache=True, nogil=True, boundscheck=False)
def _box_end(off, width, min_end, clean_off, straight, mostly_off, after, back):
    """Where a box ends (``hypotheses.find_boxes``), -1 for no end in reach; ``off`` holds, per row
    from the edge, the run's pixels off the box's colour. The first clean row (its margin) followed,
    within one mixed row and at ``min_end`` or deeper, by a straight inner edge that the box's
    colour does not come back from cleanly within as many rows as the box is deep, nor within
    ``back`` times the clean rows just before that edge (text lines between clean rows stay inside
    the box, however dense, and a line of text is often deeper than the margin above it); failing
    that, the first row not mostly the box's colour, cut back to the clean margin before it."""
    n = off.shape[0]
    margin = 0
    for r in range(n - 1):
        if not off[r] <= clean_off * width:
            margin = 0
            continue
        margin += 1                                  # clean rows up to r
        for d in range(1, 3):
            end = r + d
            if end < min_end or end >= n or not off[end] >= straight * width:
                continue
            if d == 2 and off[r + 1] <= clean_off * width:
                continue                             # not a mixed row: the next r, with its longer margin
            comes_back = False
            for i in range(end, min(n, end + max(after, end, int(back * margin)))):
                if off[i] <= clean_off * width:
                    comes_back = True
                    break
            if comes_back:
                continue
            total = 0.0
            k = 0
            for i in range(end, min(n, end + after)):
                total += off[i]
                k += 1
            if total / k >= straight * width:
                return end
    first = -1
    for i in range(n):
        if not off[i] <= mostly_off * width:
            first = i
            break
    if first < 0:
        return -1
    last_clean = -1
    for i in range(first):
        if off[i] <= clean_off * width:
            last_clean = i
    if last_clean >= 0 and last_clean + 1 < first:
        first = last_clean + 1                       # the box's clean margin ends it
    return first


@njit(cache=True, nogil=True, boundscheck=False)
def _judged(e, c0, c1, off, rows, limit, min_depth, mostly_off, clean_off, straight, after, back, step_min,
            step_share):
    """(the box's depth past its inner edge, its marks' share) for the run ``c0``..``c1`` of row 1
    whose pixels off the box's colour are counted per row in ``off``, or (-1, 0) when it is no box:
    no end in reach, too shallow, no step out of it (``step_share`` 0: the mean step at least
    ``step_min``, a gradient has none; else ``step_share`` of its columns stepping more than
    ``step_min``), or no straight inner edge past it."""
    width = c1 - c0
    end = _box_end(off, width, max(2, int(np.ceil(min_depth * rows))), clean_off, straight, mostly_off, after,
                   back)
    if end < 0:
        return -1, 0.0                               # no end in reach: flat content, not a box
    if end < max(2.0, min_depth * rows):
        return -1, 0.0
    if step_share == 0.0:
        step = 0.0
        for j in range(c0, c1):
            step += abs(e[end, j] - e[end - 2, j])
        if step / width < step_min:
            return -1, 0.0                           # a slow change (a gradient), not a box's edge
    else:
        stepping = 0
        for j in range(c0, c1):
            stepping += abs(e[end, j] - e[end - 2, j]) > step_min
        if stepping < step_share * width:
            return -1, 0.0
    past = min(end + 1, limit)
    if off[past] < straight * width:
        return -1, 0.0                               # no straight inner edge: a drawn shape
    total = 0
    for i in range(end):
        total += off[i]
    return past, total / (end * width)


@njit(cache=True, nogil=True, boundscheck=False)
def _flat_core(e, c0, c1, tight):
    """(colour, k0, k1): the median of row 1's run ``c0``..``c1`` and the longest stretch of the
    run within ``tight`` of it (the first of equals)."""
    colour = np.median(e[1, c0:c1])
    k0 = c0
    k1 = c0
    start = -1
    for j in range(c0, c1 + 1):
        inside = j < c1 and abs(e[1, j] - colour) <= tight
        if inside and start < 0:
            start = j
        elif not inside and start >= 0:
            if j - start > k1 - k0:
                k0 = start
                k1 = j
            start = -1
    return colour, k0, k1


@njit(cache=True, nogil=True, boundscheck=False)
def edge_boxes(a, edges, max_depth, min_run, runs_per_edge, flat_step, tolerance, mostly_off, clean_off,
               min_depth, min_step_out, straight, marks_lo, marks_hi, after, back, tight, tight_step, step_share):
    """The boxes on ``edges`` (codes as in :func:`_edge_rows`), k x 6 int64: edge, depth, c0, c1,
    the edge's length, text (1 or 0); the rules and their settings are ``hypotheses.find_boxes``'s.
    A run that is no box by those rules is judged once more as its flat core (``_flat_core``: the
    columns within ``tight`` of its median colour), each pixel against that one colour within
    ``tight``, its inner edge a step of more than ``tight_step`` on ``step_share`` of its columns:
    a flat box whose colour is near the background's at one end. (Judging every run's core too,
    and taking the larger box, found the same share of copies: docs/triage.md.)"""
    out = np.empty((len(edges) * runs_per_edge, 6), np.int64)
    n_out = 0
    for edge in edges:
        rows = a.shape[0] if edge < 2 else a.shape[1]
        limit = int(rows * max_depth)
        e = _edge_rows(a, edge, limit + 1)
        cols = e.shape[1]
        min_len = max(4, int(min(rows, cols) * min_run))      # of the short side: a corner logo on a long edge
        # the flat runs of row 1: neighbours at most flat_step apart
        starts = np.empty(cols, np.int64)
        ends = np.empty(cols, np.int64)
        n_runs = 0
        start = 0
        for j in range(1, cols + 1):
            if j == cols or abs(e[1, j] - e[1, j - 1]) > flat_step:
                if j - start >= min_len:
                    starts[n_runs] = start
                    ends[n_runs] = j
                    n_runs += 1
                start = j
        used = np.zeros(n_runs, np.bool_)
        off = np.empty(limit + 1, np.int64)
        for _ in range(min(runs_per_edge, n_runs)):
            best = -1                                # the longest run left, the first of equals
            for k in range(n_runs):
                if not used[k] and (best < 0 or ends[k] - starts[k] > ends[best] - starts[best]):
                    best = k
            used[best] = True
            c0 = starts[best]
            c1 = ends[best]
            for i in range(limit + 1):
                off[i] = _off(e, i, c0, c1, tolerance)
            past, marks = _judged(e, c0, c1, off, rows, limit, min_depth, mostly_off, clean_off, straight, after,
                                  back, min_step_out, 0.0)
            if past < 0:                             # no box: perhaps its flat core is one
                colour, k0, k1 = _flat_core(e, c0, c1, tight)
                if k1 - k0 < min_len:
                    continue
                for i in range(limit + 1):
                    n = 0
                    for j in range(k0, k1):
                        n += abs(e[i, j] - colour) > tight
                    off[i] = n
                past, marks = _judged(e, k0, k1, off, rows, limit, min_depth, mostly_off, clean_off, straight,
                                      after, back, tight_step, step_share)
                if past < 0:
                    continue
                c0 = k0
                c1 = k1
            out[n_out, 0] = edge
            out[n_out, 1] = past
            out[n_out, 2] = max(0, c0 - 1)
            out[n_out, 3] = min(cols, c1 + 1)
            out[n_out, 4] = cols
            out[n_out, 5] = 1 if marks_lo <= marks <= marks_hi else 0
            n_out += 1
    return out[:n_out]


@njit(cache=True, nogil=True, boundscheck=False)
def membrane(a, r0, r1, c0, c1, start, omega, tol, max_sweeps):
    """A copy of ``a`` (float32) with rows ``r0``..``r1``, columns ``c0``..``c1`` (exclusive)
    filled harmonically: each filled pixel the mean of its four neighbours (those inside the
    picture: the picture's border is a mirror), the pixels around the box held. Gauss-Seidel
    sweeps over-relaxed by ``omega`` from ``start`` (the box's first guess, float32, its shape),
    in float64, until no pixel moves more than ``tol`` or after ``max_sweeps``; the solution of
    the same linear system as ``hypotheses``'s reference in tests/triage/hashing/test_kernels.py."""
    rows, cols = a.shape
    out = a.copy()
    u = np.empty((rows, cols), np.float64)
    for i in range(rows):
        for j in range(cols):
            u[i, j] = a[i, j]
    for i in range(r0, r1):
        for j in range(c0, c1):
            u[i, j] = start[i - r0, j - c0]
    for _ in range(max_sweeps):
        moved = 0.0
        for i in range(r0, r1):
            for j in range(c0, c1):
                total = 0.0
                n = 0
                if i > 0:
                    total += u[i - 1, j]
                    n += 1
                if i < rows - 1:
                    total += u[i + 1, j]
                    n += 1
                if j > 0:
                    total += u[i, j - 1]
                    n += 1
                if j < cols - 1:
                    total += u[i, j + 1]
                    n += 1
                mean = total * 0.25 if n == 4 else total / n     # the same float: 4 is a power of 2
                step = omega * (mean - u[i, j])
                u[i, j] += step
                if abs(step) > moved:
                    moved = abs(step)
        if moved <= tol:
            break
    for i in range(r0, r1):
        for j in range(c0, c1):
            out[i, j] = u[i, j]
    return out


def _warm() -> None:
    """Each loop run once on a small picture, with the argument types ``hypotheses`` passes, so
    that a process importing this module (the triage workers' fork server: ``pipeline._PRELOAD``)
    has them loaded from numba's cache, or compiled, before its workers are forked."""
    a = np.zeros((9, 9), np.float32)
    qualities(np.zeros((1, 64, 64), np.float32))
    fold(tent_operator(64), 8, 8)
    halve(a)
    idx = np.zeros((1, 64, 2), np.int64)
    w = np.zeros((1, 64, 2), np.float32)
    uncrop(a, np.float32(0), idx, w, np.zeros(1, np.int64), idx, w)
    membrane(a, 0, 2, 1, 3, np.zeros((2, 2), np.float32), 1.8, 0.01, 10)
    edge_boxes(a, np.arange(4, dtype=np.int64), 0.35, 0.12, 3, 10.0, 24.0, 0.7, 0.03, 0.03, 14.0, 0.7, 0.02, 0.45, 3,
               2.0, 6.0, 12.0, 0.5)


_warm()
