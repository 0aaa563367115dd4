"""Why un-crop hypotheses miss: distance from the listed original's PDQ of a cropped copy's
guesses, per way of filling the lost border and per framing guessed, on both picture generators.

For every original (``tasman.synth.images`` and ``bench/pictures2.py``) and crop edit
(``tasman.synth.edits``: 5% and 10% a side centred, and the same shares off-centre), the cropped
JPEG is decoded as triage decodes it (``decode_luma``, then ``hypotheses.reduced``), padded back
out with each method at the true framing, and at a grid of framings around it (kept share
0.76-0.96 of each side, same anchor), and hashed. Printed: per method, the median distance at the
true framing and the share within 24 / 28 / 31 bits; per framing, how far a wrong guess lands.

With ``--sets``, every edit of ``tasman.synth.edits`` (crops and overlays) is hashed through
triage's worker with a superset of un-crop framings, and recall (the copy's best hash within d
bits of its own original, plain hashes at <= 31 always counted) is printed per edit for each
candidate set of hypotheses and radius: what chose ``hypotheses.UNCROP`` and the radius.

``--cost`` times ``hash_picture`` in one process without hypotheses, with the ten framings of
both axes alone and with the shipped sixteen (the one-axis trims too), interleaved.

``--fill`` compares ways of filling an overlay (caption boxes, corner logos, watermark bars): each
overlaid copy is filled at its true box (known from the difference with its original, one working
pixel of margin) and at the boxes ``find_boxes`` finds, by each fill, and the share of copies
brought within 28 bits of their original, and the share the matcher's rule would accept (within
28, or within 52 with its confident bits within 28 and 8 bits nearer than the copy itself;
plain <= 31 counted at the found boxes), is printed per edit.

``--grid``: crops of a framing drawn at random (``edits.any_crop``: what no set of framings was
chosen for), each padded back out at every framing of a separable grid of 961; the share some
framing finds (the ceiling), the share the shipped ten and sixteen find, and a greedy cover of
framings chosen on seeds ``--first`` .. and measured on the next ``--n`` seeds too (what shaped
``hypotheses.TRIMS``).

    PYTHONPATH=src .venv/bin/python bench/hypostudy.py [--n 40] [--workers 2] [--sets | --cost | --fill | --grid]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pictures2 import picture
from tasman.synth.edits import CROP_ANCHORS, crop, jpeg_bytes
from tasman.synth.images import draw_picture
from tasman.synth.triage_set import reference_pdq
from tasman.triage.hashing.hypotheses import FADE, MASK_BITS, fade_lengths, reduced
from tasman.triage.hashing.pdq import (
    _DCT,
    confident_masks,
    downsample,
    folded_operator,
    hamming,
    hashes_of_buffers,
    masks_of_dcts,
    to_hexes,
)
from tasman.triage.hashing.pictures import decode_luma

CROPS = (("crop5", 0.05, False), ("crop5-off", 0.05, True), ("crop10", 0.10, False), ("crop10-off", 0.10, True))
GRID = (0.76, 0.78, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96)


def _fade_pad(a: np.ndarray, before: tuple[int, int], after: tuple[int, int], base: str, fade: float,
              fade_cols: float | None = None) -> np.ndarray:
    """``a`` (centred on 0) padded by ``base`` ('edge' or 'symmetric'), fading to 0 with distance
    (over ``fade`` of the rows, and ``fade_cols`` of the columns, ``fade`` when None)."""
    p = np.pad(a, ((before[0], after[0]), (before[1], after[1])), mode=base)  # type: ignore[call-overload]
    if fade <= 0:
        return p
    rows, cols = a.shape
    r = np.arange(p.shape[0]) - before[0]
    c = np.arange(p.shape[1]) - before[1]
    dr = np.maximum(0, np.maximum(-r, r - (rows - 1)))
    dc = np.maximum(0, np.maximum(-c, c - (cols - 1)))
    return p * np.exp(-dr / (fade * rows))[:, None] * np.exp(-dc / ((fade_cols or fade) * cols))[None, :]


def _band(a: np.ndarray, k: int) -> np.ndarray:
    """``a`` with its outer ``k`` rows and columns replaced by their mean across the band (a smoother edge)."""
    out = a.copy()
    out[:k] = a[:k].mean(axis=0)
    out[-k:] = a[-k:].mean(axis=0)
    out[:, :k] = out[:, :k].mean(axis=1, keepdims=True)
    out[:, -k:] = out[:, -k:].mean(axis=1, keepdims=True)
    return out


def padded(a: np.ndarray, kept: float, av: float, ah: float, method: str) -> np.ndarray:
    rows, cols = a.shape
    tr, tc = max(rows, round(rows / kept)), max(cols, round(cols / kept))
    top, left = round(av * (tr - rows)), round(ah * (tc - cols))
    before, after = (top, left), (tr - rows - top, tc - cols - left)
    m = float(a.mean())
    c = a - m
    if method == "mean":
        p = np.pad(c, ((before[0], after[0]), (before[1], after[1])))
    elif method == "edge":
        p = _fade_pad(c, before, after, "edge", 0)
    elif method == "reflect":
        p = _fade_pad(c, before, after, "symmetric", 0)
    elif method == "adaptive":                 # the shipped method: each axis's own correlation length
        p = _fade_pad(c, before, after, "edge", *fade_lengths(c))
    elif method.startswith("fade"):            # fade (0.06, the fade before), fade.03, fade.12 ...: fixed fades
        p = _fade_pad(c, before, after, "edge", float(method[4:] or FADE))
    elif method.startswith("rfade"):
        p = _fade_pad(c, before, after, "symmetric", float(method[5:] or FADE))
    elif method.startswith("band"):            # band mean edge, faded
        p = _fade_pad(_band(c, max(1, round(min(rows, cols) * 0.04))), before, after, "edge", FADE)
        p[before[0]:before[0] + rows, before[1]:before[1] + cols] = c
    else:
        raise ValueError(method)
    return p + m


METHODS = ("mean", "edge", "reflect", "fade", "fade.03", "fade.12", "fade.25", "fade.5", "rfade", "band", "adaptive")
RADIUS = [52]                                  # the rule's radius (--radius: 36 is the matcher's for 1,000,000 hashes)


def _rule(h: str, mask: str, own: str) -> bool:
    """Whether an un-crop hash ``h`` (confident bits ``mask``) passes the matcher's rule against
    ``own``: within 28 bits, or within the radius (52 on a short list) with its confident bits
    within 28 of 256."""
    d = hamming(h, own)
    m = int(mask, 16)
    differ = ((int(h, 16) ^ int(own, 16)) & m).bit_count()
    return d <= HYP_T or (d <= RADIUS[0] and differ * 256 <= HYP_T * m.bit_count())


def _job(args: tuple[str, int]) -> list[tuple[str, str, str, float, int, bool]]:
    """(generator, edit, method-or-'grid', kept, distance, passes the rule) rows for one original."""
    gen, seed = args
    im: Image.Image = draw_picture(20_000 + seed, (640, 480)) if gen == "synth" else picture(90_000 + seed)
    own, quality = reference_pdq(jpeg_bytes(im))
    out: list[tuple[str, str, str, float, int, bool]] = []
    if quality < 50:                           # held to 16 bits by the matcher: no hypothesis is asked for them
        return out
    for name, cut, off in CROPS:
        anchor = random.Random(seed * 7919 + len(name)).choice(CROP_ANCHORS[1:]) if off else "centre"
        copy = jpeg_bytes(crop(im, cut, anchor), 85)
        luma, _w, _h, scale, _ = decode_luma(copy, max_pixels=10**8, min_side=160)
        a, s = reduced(luma.astype(np.float32), scale)
        plain = hamming(downsample_hash(a, s), own)
        out.append((gen, name, "plain", 0.0, plain, plain <= 31))
        if anchor == "centre":
            av = ah = 0.5
        else:                                  # the edit cuts at ``anchor``: the kept part is at the other corner
            vert, horiz = anchor.split("-")
            av, ah = (1.0 if vert == "top" else 0.0), (1.0 if horiz == "left" else 0.0)
        true = 1 - 2 * cut
        for method in METHODS:
            h, m = masked_hash(padded(a, true, av, ah, method), s)
            out.append((gen, name, method, true, hamming(h, own), _rule(h, m, own)))
        for kept in GRID:
            h, m = masked_hash(padded(a, kept, av, ah, "adaptive"), s)
            out.append((gen, name, "grid", kept, hamming(h, own), _rule(h, m, own)))
    return out


def downsample_hash(a: np.ndarray, s: int) -> str:
    rows, cols = a.shape
    return hashes_of_buffers(downsample(a.astype(np.float32), (cols * s, rows * s), s)[None])[0][0]


def masked_hash(a: np.ndarray, s: int) -> tuple[str, str]:
    """PDQ of ``a`` (reduced by ``s``) and its confident-bit mask (``MASK_BITS`` bits)."""
    rows, cols = a.shape
    buf = downsample(a.astype(np.float32), (cols * s, rows * s), s)[None]
    return hashes_of_buffers(buf)[0][0], confident_masks(buf, MASK_BITS)[0]


SUPERSET = tuple((k, a) for k in (0.95, 0.90, 0.85, 0.80) for a in ("centre",)) + tuple(
    (k, a) for k in (0.90, 0.80) for a in ("top-left", "top-right", "bottom-left", "bottom-right"))
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
SETS = {
    "shipped-before": {(0.90, "centre"), (0.80, "centre"), *((0.90, c) for c in CORNERS)},
    "+0.80 corners": {(0.90, "centre"), (0.80, "centre"), *((0.90, c) for c in CORNERS), *((0.80, c) for c in CORNERS)},
    "+0.85,0.95": {(0.95, "centre"), (0.90, "centre"), (0.85, "centre"), (0.80, "centre"),
                   *((0.90, c) for c in CORNERS), *((0.80, c) for c in CORNERS)},
}


def _sets_job(args: tuple[str, int]) -> list[tuple[str, str, int, dict[str, int]]]:
    """(generator, edit, plain distance, {hypothesis: distance}) for every hard edit of one original."""
    from tasman.synth.edits import HARD, edited
    from tasman.triage.hashing import hypotheses
    from tasman.triage.hashing.worker import HashOptions, WorkItem, hash_item

    hypotheses.UNCROP = SUPERSET
    gen, seed = args
    im: Image.Image = draw_picture(20_000 + seed, (640, 480)) if gen == "synth" else picture(90_000 + seed)
    own = reference_pdq(jpeg_bytes(im))[0]
    opts = HashOptions(temp_dir="/tmp")
    out = []
    for name in HARD:
        copy = jpeg_bytes(edited(im, name, seed), 85)
        fh = hash_item(WorkItem(path=name, size=len(copy), data=copy), opts).hashes
        plain = min(hamming(q, own) for q in (fh.pdq or "0" * 64, *fh.pdq_variants))
        out.append((gen, name, plain, {n: hamming(h, own) for n, h in fh.pdq_hypotheses}))
    return out


def sets_report(n: int, workers: int) -> None:
    from tasman.synth.edits import HARD

    jobs = [(g, s) for g in ("synth", "pictures2") for s in range(n)]
    with ProcessPoolExecutor(workers) as pool:
        rows = [r for part in pool.map(_sets_job, jobs, chunksize=2) for r in part]
    for gen in ("synth", "pictures2"):
        print(f"\n== {gen}: recall per edit ({n} originals) for each set of un-crop framings and radius "
              "(in-paints and plain <= 31 always in)")
        head = " ".join(f"{e:>11}" for e in HARD)
        print(f"{'set':16} {'radius':>6} {head}")
        for label, framings in SETS.items():
            names = {f"uncrop:{k:.2f}:{a}" for k, a in framings}
            for radius in (24, 28, 31):
                cells = []
                for e in HARD:
                    hit = [plain <= 31 or any(d <= radius for h, d in hyp.items()
                                               if h in names or h.startswith("inpaint"))
                           for g, name, plain, hyp in rows if g == gen and name == e]
                    cells.append(f"{np.mean(hit):11.2f}")
                print(f"{label:16} {radius:6} " + " ".join(cells))
        print(f"-- {gen}: share of copies each hypothesis alone brings within 28 bits")
        for label, pick in (("plain (<= 31)", None), ("any in-paint", "inpaint"), ("any un-crop", "uncrop")):
            cells = [f"{np.mean([(p <= 31) if pick is None else any(d <= 28 for h, d in hyp.items() if h.startswith(pick)) for g, name, p, hyp in rows if g == gen and name == e]):11.2f}"  # noqa: E501
                     for e in HARD]
            print(f"{label:23} " + " ".join(cells))
        names = sorted({h for g, _, _, hyp in rows if g == gen for h in hyp})
        for h in names:
            cells = [f"{np.mean([hyp.get(h, 999) <= 28 for g, name, _, hyp in rows if g == gen and name == e]):11.2f}"
                     for e in HARD]
            print(f"{h:23} " + " ".join(cells))


def cost_report(n: int, rounds: int) -> None:
    """CPU-ms a picture of ``hash_picture`` without hypotheses, with the ten framings alone (no
    one-axis trims), with the shipped sixteen and two in-paints (``MAX_BOXES`` before the seventh
    pass) and as shipped, interleaved over ``rounds`` rounds in this one process."""
    import time

    from tasman.triage.hashing import hypotheses
    from tasman.triage.hashing.pictures import hash_picture

    datas = [jpeg_bytes(draw_picture(30_000 + k, (1152, 864)) if k % 2 else picture(30_000 + k)) for k in range(n)]
    trims = hypotheses.TRIMS

    boxes = hypotheses.MAX_BOXES

    def run(on: bool, with_trims: tuple[tuple[str, float, float], ...], max_boxes: int = boxes) -> float:
        hypotheses.TRIMS, hypotheses.MAX_BOXES = with_trims, max_boxes
        t = time.process_time()
        for d in datas:
            hash_picture(d, max_pixels=10**8, hypotheses=on)
        return (time.process_time() - t) / len(datas) * 1000

    run(True, trims), run(True, ()), run(False, trims)                # warm-up: operators built once
    ten, all_ = len(hypotheses.UNCROP), len(hypotheses.UNCROP) + len(trims)
    got: dict[str, list[float]] = {"no hypotheses": [], f"{ten} framings": [], f"{all_} framings, 2 boxes": [],
                                   f"{all_} framings, {boxes} boxes": []}
    load = [os.getloadavg()[0]]
    for _ in range(rounds):
        for runs, args in zip(got.values(), ((False, trims), (True, ()), (True, trims, 2), (True, trims)),
                              strict=True):
            runs.append(run(*args))
    load.append(os.getloadavg()[0])
    hypotheses.TRIMS, hypotheses.MAX_BOXES = trims, boxes
    print(f"hash_picture, CPU-ms a picture ({n} pictures of both generators, {rounds} interleaved rounds, "
          f"load average {load[0]:.1f} -> {load[1]:.1f}):")
    for label, runs in got.items():
        print(f"  {label:26} median {np.median(runs):.2f} (spread {min(runs):.2f}-{max(runs):.2f})")


def _fills() -> dict[str, object]:
    """The fills compared by ``--fill``, each (luma, Box) -> filled luma."""
    from tasman.triage.hashing import hypotheses as hyp
    from tasman.triage.hashing.kernels import membrane

    def converged(a: np.ndarray, box: object) -> np.ndarray:
        r0, r1, c0, c1 = hyp.box_rect(box, a.shape)  # type: ignore[arg-type]
        start = np.ascontiguousarray(hyp.first_fill(a, box)[r0:r1, c0:c1])  # type: ignore[arg-type]
        out: np.ndarray = membrane(np.ascontiguousarray(a, np.float32), r0, r1, c0, c1, start, hyp.OMEGA, 0.001, 2000)
        return out

    def repeated(a: np.ndarray, box: object) -> np.ndarray:
        out = np.array(a, np.float32)
        e = hyp._oriented(out, box.edge)  # type: ignore[attr-defined]
        e[:box.depth, box.c0:box.c1] = e[min(e.shape[0] - 1, box.depth), box.c0:box.c1]  # type: ignore[attr-defined]
        return out

    def ring(a: np.ndarray, box: object) -> np.ndarray:
        out = np.array(a, np.float32)
        r0, r1, c0, c1 = hyp.box_rect(box, a.shape)  # type: ignore[arg-type]
        around = np.pad(out, 1, mode="edge")[r0:r1 + 2, c0:c1 + 2].copy()
        around[1:-1, 1:-1] = np.nan
        out[r0:r1, c0:c1] = np.nanmean(around)
        return out

    return {"first guess": hyp.first_fill, "membrane (shipped)": hyp.inpaint, "membrane converged": converged,
            "row past repeated": repeated, "mean around": ring}


def _true_box(before: Image.Image, after: Image.Image, shape: tuple[int, int]) -> object | None:
    """The overlay's box in the working luma's frame (``shape``), from where ``after`` differs from
    ``before``, one working pixel wider on its inner sides; None when nothing differs."""
    from tasman.triage.hashing import hypotheses as hyp

    diff = np.abs(np.asarray(after.convert("L"), np.float32) - np.asarray(before.convert("L"), np.float32)) > 8
    ys, xs = np.nonzero(diff)
    if not len(ys):
        return None
    h, w = diff.shape
    rows, cols = shape
    r0, r1 = max(0, int(ys.min() * rows / h) - 1), min(rows, int(np.ceil((ys.max() + 1) * rows / h)) + 1)
    c0, c1 = max(0, int(xs.min() * cols / w) - 1), min(cols, int(np.ceil((xs.max() + 1) * cols / w)) + 1)
    r0, c0 = (0 if r0 <= 1 else r0), (0 if c0 <= 1 else c0)
    r1, c1 = (rows if r1 >= rows - 1 else r1), (cols if c1 >= cols - 1 else c1)
    shallow = {"top": r1 / rows if r0 == 0 else 2.0, "bottom": (rows - r0) / rows if r1 == rows else 2.0,
               "left": c1 / cols if c0 == 0 else 2.0, "right": (cols - c0) / cols if c1 == cols else 2.0}
    edge = min(shallow, key=lambda e: shallow[e])
    if shallow[edge] > 1:
        return None
    if edge == "top":
        return hyp.Box(edge, r1, c0, c1, cols)
    if edge == "bottom":
        return hyp.Box(edge, rows - r0, c0, c1, cols)
    if edge == "left":
        return hyp.Box(edge, c1, r0, r1, rows)
    return hyp.Box(edge, cols - c0, r0, r1, rows)


def _fill_job(args: tuple[str, int]) -> list[tuple[str, str, str, str, int, bool]]:
    """(generator, edit, 'true'/'found', fill, distance, passes the rule) for every overlay of one original."""
    from tasman.synth.edits import HARD, edited
    from tasman.triage.hashing import hypotheses as hyp
    from tasman.triage.hashing.pdq import confident_masks

    gen, seed = args
    im: Image.Image = draw_picture(20_000 + seed, (640, 480)) if gen == "synth" else picture(90_000 + seed)
    own, quality = reference_pdq(jpeg_bytes(im))
    if quality < 50:
        return []
    out = []
    for name in (e for e in HARD if not e.startswith("crop")):
        after = edited(im, name, seed)
        copy = jpeg_bytes(after, 85)
        luma, _w, _h, scale, _ = decode_luma(copy, max_pixels=10**8, min_side=160)
        a, s = reduced(luma.astype(np.float32), scale)
        rows, cols = a.shape
        plain = hamming(downsample_hash(a, s), own)
        true = _true_box(im, after, a.shape)
        for where, boxes in (("true", [true] if true is not None else []), ("found", hyp.find_boxes(a))):
            for label, fill in _fills().items():
                best, ok = 256, where == "found" and plain <= 31
                for box in boxes:
                    buf = downsample(fill(a, box).astype(np.float32), (cols * s, rows * s), s)[None]  # type: ignore[operator]
                    hx = hashes_of_buffers(buf)[0][0]
                    d = hamming(hx, own)
                    mask = int(confident_masks(buf, 128)[0], 16)
                    masked = ((int(hx, 16) ^ int(own, 16)) & mask).bit_count() * 2
                    best = min(best, d)
                    ok |= d <= 28 or (d <= 52 and masked <= 28 and plain - d >= 8)
                out.append((gen, name, where, label, best, ok))
    return out


def fill_report(n: int, workers: int) -> None:
    jobs = [(g, s) for g in ("synth", "pictures2") for s in range(n)]
    with ProcessPoolExecutor(workers) as pool:
        rows = [r for part in pool.map(_fill_job, jobs, chunksize=2) for r in part]
    edits = ("caption-bottom", "caption-top", "logo", "bar")
    for gen in ("synth", "pictures2"):
        for where in ("true", "found"):
            print(f"\n== {gen}, at the {where} box: share within 28 bits / share the rule accepts "
                  f"(originals of quality >= 50 of {n})")
            print(f"{'fill':20} " + " ".join(f"{e:>16}" for e in edits))
            for label in _fills():
                cells = []
                for e in edits:
                    got = [(d, ok) for g, ed, w, lb, d, ok in rows if (g, ed, w, lb) == (gen, e, where, label)]
                    cells.append(f"{np.mean([d <= 28 for d, _ in got]):.2f} / {np.mean([ok for _, ok in got]):.2f}"
                                 if got else "-")
                print(f"{label:20} " + " ".join(f"{c:>16}" for c in cells))


MASK_KS = (192, 160, 128, 96)


Hyp = tuple[str, str, int, dict[int, str]]


def _mask_job(args: tuple[str, int]) -> tuple[str, int, str, list[tuple[str, int, list[Hyp]]]]:
    """(generator, seed, own PDQ, per edit: (edit, plain distance, [(hypothesis, hex, quality,
    {K: mask of its K confident bits})])) for every edit of one original (none for a copy whose
    own PDQ is under quality 50: the matcher asks nothing for it)."""
    from tasman.synth.edits import HARD, STANDARD, edited
    from tasman.triage.hashing.hypotheses import hypothesis_buffers
    from tasman.triage.hashing.pdq import confident_masks
    from tasman.triage.hashing.pictures import hash_picture

    gen, seed = args
    im: Image.Image = draw_picture(20_000 + seed, (640, 480)) if gen == "synth" else picture(90_000 + seed)
    own = reference_pdq(jpeg_bytes(im))[0]
    out = []
    for name in (*HARD, *STANDARD):
        copy = jpeg_bytes(edited(im, name, seed), 85)
        pic = hash_picture(copy, max_pixels=10**8)
        plain = hamming(pic.pdq, own) if pic.quality >= 50 else 999
        luma, w, h, scale, _ = decode_luma(copy, max_pixels=10**8, min_side=160)
        names, buffers = hypothesis_buffers(luma.astype(np.float32), (w, h), scale)
        masks = {k: confident_masks(buffers, k) for k in MASK_KS}
        hashed = hashes_of_buffers(buffers) if pic.quality >= 50 else []
        out.append((name, plain, [(n, hx, q, {k: masks[k][j] for k in MASK_KS})
                                  for j, (n, (hx, q)) in enumerate(zip(names, hashed, strict=False))]))
    return gen, seed, own, out


def _own(args: tuple[str, int]) -> tuple[str, int]:
    gen, seed = args
    im: Image.Image = draw_picture(20_000 + seed, (640, 480)) if gen == "synth" else picture(90_000 + seed)
    return reference_pdq(jpeg_bytes(im))


def mask_report(n: int, others: int, workers: int) -> None:
    """Recall per edit and false pairs for the masked distance (a hypothesis's K confident bits,
    scaled to 256) against the full distance, for several K, thresholds and radii."""
    from tasman.synth.edits import HARD, STANDARD

    jobs = [(g, s) for g in ("synth", "pictures2") for s in range(n)]
    with ProcessPoolExecutor(workers) as pool:
        rows = list(pool.map(_mask_job, jobs, chunksize=1))
        extra = list(pool.map(_own, [(g, s) for g in ("synth", "pictures2") for s in range(1000, 1000 + others)],
                              chunksize=8))
    seeds = [(g, s) for g in ("synth", "pictures2") for s in range(1000, 1000 + others)]
    listed = [(g, s, own) for g, s, own, _ in rows] + [
        (g, s, h) for (g, s), (h, q) in zip(seeds, extra, strict=True) if q >= 50]
    codes = np.stack([np.frombuffer(bytes.fromhex(h), np.uint8) for _, _, h in listed])
    where = {(g, s): i for i, (g, s, _) in enumerate(listed)}
    hyps = [(g, s, e, plain, hn, hx, q, mk) for g, s, _, edits in rows for e, plain, hs in edits
            for hn, hx, q, mk in hs if q >= 50]
    qcodes = np.stack([np.frombuffer(bytes.fromhex(h[5]), np.uint8) for h in hyps])
    full = np.bitwise_count(qcodes[:, None, :] ^ codes[None]).sum(-1)              # (hypotheses, listed)
    own_col = np.array([where[g, s] for g, s, *_ in hyps])
    print(f"{len(hyps)} hypothesis hashes (quality >= 50) of {len(rows)} originals x "
          f"{len(HARD) + len(STANDARD)} edits, against {len(listed)} listed pictures "
          f"({len(hyps) * (len(listed) - 1)} unrelated pairs)")
    edits = (*HARD, "recompress")
    for k in (256, *MASK_KS):
        if k == 256:
            conf = full * 1.0
        else:
            m = np.stack([np.frombuffer(bytes.fromhex(h[7][k]), np.uint8) for h in hyps])
            conf = np.zeros(full.shape)
            for lo in range(0, len(hyps), 1000):
                conf[lo:lo + 1000] = np.bitwise_count((qcodes[lo:lo + 1000, None] ^ codes[None]) & m[lo:lo + 1000, None]
                                                      ).sum(-1) * 256.0 / k
        unrelated = np.ones(full.shape, bool)
        unrelated[np.arange(len(hyps)), own_col] = False
        print(f"\n== confident bits K={k}: unrelated pairs' scaled distance: min {conf[unrelated].min():.0f}; "
              f"the 10th and 100th smallest {np.sort(conf[unrelated])[9]:.0f}, {np.sort(conf[unrelated])[99]:.0f}")
        print(f"{'T':>3} {'R':>3} {'false':>5} | " + " ".join(f"{e[:9]:>9}" for e in edits) + "  (synth | pictures2)")
        for t in (24, 28, 32):
            for r in (28, 44, 52, 64):
                ok = (full <= HYP_T) | ((full <= r) & (conf <= t))
                false = int((ok & unrelated).sum())
                hit = ok[np.arange(len(hyps)), own_col]
                cells = []
                for gen in ("synth", "pictures2"):
                    for e in edits:
                        found = {s for (g, s, ed, plain, *_), h in zip(hyps, hit, strict=True)
                                 if g == gen and ed == e and h}
                        found |= {s for g, s, _, es in rows if g == gen
                                  for ed, plain, _ in es if ed == e and plain <= 31}
                        cells.append(f"{len(found) / n:9.2f}")
                print(f"{t:3} {r:3} {false:5} | " + " ".join(cells[:len(edits)]) + " | "
                      + " ".join(cells[len(edits):]))


GRID_KEPT = (0.80, 0.83, 0.86, 0.89, 0.92, 0.95)
GRID_PLACE = (0.0, 0.25, 0.5, 0.75, 1.0)
GRID_AXIS = ((1.0, 0.5), *((k, a) for k in GRID_KEPT for a in GRID_PLACE))   # per axis: (kept, place)
GRID_CROPS = 4                                 # random-framing crops an original


def _axis_op(n: int, s: int, kept: float, place: float, fade: float) -> np.ndarray:
    """64 x n: the un-crop's padding along an axis of ``n`` reduced pixels (``fade`` of it), then PDQ's filter."""
    total = max(n, round(n / kept))
    off = round(place * (total - n))
    pad = np.zeros((total, n))
    pad[off:off + n] = np.eye(n)
    weight = np.exp(-np.arange(1, total + 1) / (fade * n))
    pad[:off, 0] = weight[:off][::-1]
    pad[off + n:, n - 1] = weight[:total - off - n]
    return folded_operator(total * s, total, s).astype(np.float64) @ pad


def _grid_job(args: tuple[str, int]) -> list[tuple[str, np.ndarray]]:
    """(generator, passes) for each random-framing crop of one original of quality >= 50: whether
    each framing of the grid (rows x columns of :data:`GRID_AXIS`) passes the rule at radius
    :data:`RADIUS`."""
    from tasman.synth.edits import any_crop

    gen, seed = args
    im: Image.Image = draw_picture(20_000 + seed, (640, 480)) if gen == "synth" else picture(90_000 + seed)
    own, quality = reference_pdq(jpeg_bytes(im))
    if quality < 50:
        return []
    o = int(own, 16)
    rng = random.Random(seed * 31 + 7)
    out = []
    for _ in range(GRID_CROPS):
        luma, _w, _h, scale, _ = decode_luma(jpeg_bytes(any_crop(im, rng), 85), max_pixels=10**8, min_side=160)
        a, s = reduced(luma.astype(np.float32), scale)
        c = (a - a.mean()).astype(np.float64)
        fr, fc = fade_lengths(c)
        rows = np.stack([_axis_op(c.shape[0], s, k, p, fr) for k, p in GRID_AXIS])
        cols = np.stack([_axis_op(c.shape[1], s, k, p, fc) for k, p in GRID_AXIS])
        bufs = np.einsum("ark,bck->abrc", rows @ c, cols).reshape(-1, 64, 64)    # the mean: DCT skips DC
        dcts = (_DCT @ bufs @ _DCT.T).astype(np.float32)
        ok = []
        for h, m in zip(to_hexes(dcts), masks_of_dcts(dcts, MASK_BITS), strict=True):
            q, mm = int(h, 16), int(m, 16)
            d = (q ^ o).bit_count()
            ok.append(d <= HYP_T or (d <= RADIUS[0] and ((q ^ o) & mm).bit_count() * 256 <= HYP_T * MASK_BITS))
        out.append((gen, np.array(ok)))
    return out


def grid_report(n: int, first: int, workers: int, radius: int) -> None:
    """Crops of a framing drawn at random (``edits.any_crop``), :data:`GRID_CROPS` an original of
    seeds ``first`` .. ``first + n - 1`` (chosen on) and the next ``n`` (held out), each padded
    back out at every framing of a separable grid (each axis whole, or kept
    :data:`GRID_KEPT` at :data:`GRID_PLACE` along it: 961 framings), with the shipped fade: the
    share some framing brings within the rule (the ceiling of any set of framings), the share
    the shipped sets find, and a greedy cover chosen on the first seeds, measured on both."""
    from tasman.triage.hashing.hypotheses import UNCROP, framings

    def nearest(kept: float, place: float) -> tuple[float, float]:
        return (1.0, 0.5) if kept >= 1 else (min(GRID_KEPT, key=lambda k: abs(k - kept)), place)

    idx = {(r, c): i for i, (r, c) in enumerate((r, c) for r in GRID_AXIS for c in GRID_AXIS)}
    ten = [idx[nearest(kr, av), nearest(kc, ah)] for _, kr, av, kc, ah in framings()[:len(UNCROP)]]
    sixteen = [idx[nearest(kr, av), nearest(kc, ah)] for _, kr, av, kc, ah in framings()]
    parts = {}
    for label, lo in (("chosen on", first), ("held out", first + n)):
        jobs = [(g, s) for g in ("synth", "pictures2") for s in range(lo, lo + n)]
        with ProcessPoolExecutor(workers, initializer=RADIUS.__setitem__, initargs=(0, radius)) as pool:
            rows = [r for part in pool.map(_grid_job, jobs, chunksize=2) for r in part]
        parts[label] = (np.array([g for g, _ in rows]), np.stack([ok for _, ok in rows]), f"{lo}-{lo + n - 1}")
    print(f"random-framing crops (edits.any_crop, {GRID_CROPS} an original of quality >= 50), the rule at radius "
          f"{radius}; shares of copies found (all / synth / pictures2); 0.89 stands for 0.90 on the grid")

    def share(label: str, cols: list[int]) -> str:
        gens, ok, _ = parts[label]
        hit = ok[:, cols].any(axis=1) if cols else ok.any(axis=1)
        return f"{hit.mean():.2f} / {hit[gens == 'synth'].mean():.2f} / {hit[gens == 'pictures2'].mean():.2f}"

    print(f"{'framings':40} " + " ".join(f"{lab + ' ' + parts[lab][2]:>24}" for lab in parts))
    for name, cols in (("all 961 (the ceiling)", []), ("the ten", ten), ("the sixteen (shipped)", sixteen)):
        print(f"{name:40} " + " ".join(f"{share(lab, cols):>24}" for lab in parts))
    _, ok, _ = parts["chosen on"]
    chosen: list[int] = []
    covered = np.zeros(len(ok), bool)
    names = [(r, c) for r in GRID_AXIS for c in GRID_AXIS]
    for step in range(40):
        gain = (ok & ~covered[:, None]).sum(axis=0)
        j = int(gain.argmax())
        if gain[j] == 0:
            break
        chosen.append(j)
        covered |= ok[:, j]
        if step + 1 in (1, 2, 4, 6, 10, 16, 20, 30, 40):
            label = f"greedy {step + 1} (last {names[j]})"
            print(f"{label:40} " + " ".join(f"{share(lab, chosen):>24}" for lab in parts))


HYP_T = 28


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=40, help="originals per generator")
    ap.add_argument("--first", type=int, default=0,
                    help="the first original's seed (default mode only: seeds --first .. --first + --n - 1)")
    ap.add_argument("--radius", type=int, default=52,
                    help="default mode: the rule's radius (52 a short list's, 36 that of 1,000,000 hashes)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--sets", action="store_true", help="recall per set of framings and radius instead")
    ap.add_argument("--cost", action="store_true", help="CPU cost a picture of the hypotheses instead (one process)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds for --cost")
    ap.add_argument("--mask", action="store_true",
                    help="recall and false pairs of the masked (confident-bit) distance instead")
    ap.add_argument("--others", type=int, default=300, help="unrelated listed originals per generator for --mask")
    ap.add_argument("--fill", action="store_true", help="ways of filling an overlay, at its true and found boxes")
    ap.add_argument("--grid", action="store_true",
                    help="random-framing crops against a grid of 961 framings (seeds --first.. and the next --n)")
    args = ap.parse_args()
    if args.grid:
        grid_report(args.n, args.first, args.workers, args.radius)
        return
    if args.fill:
        fill_report(args.n, args.workers)
        return
    if args.mask:
        mask_report(args.n, args.others, args.workers)
        return
    if args.cost:
        cost_report(args.n, args.rounds)
        return
    if args.sets:
        sets_report(args.n, args.workers)
        return
    jobs = [(g, s) for g in ("synth", "pictures2") for s in range(args.first, args.first + args.n)]
    RADIUS[0] = args.radius
    with ProcessPoolExecutor(args.workers, initializer=RADIUS.__setitem__, initargs=(0, args.radius)) as pool:
        rows = [r for part in pool.map(_job, jobs, chunksize=2) for r in part]
    by: dict[tuple[str, str, str, float], list[tuple[int, bool]]] = defaultdict(list)
    for gen, name, method, kept, d, ok in rows:
        by[gen, name, method, kept].append((d, ok))
    print(f"seeds {args.first}-{args.first + args.n - 1}; originals of PDQ quality 50 or more only")
    for gen in ("synth", "pictures2"):
        print(f"\n== {gen}: distance of each guess at the true framing (median; share <= 24 / 28 / 31 bits; "
              f"share the rule accepts: <= 28, or <= {args.radius} with the confident bits <= 28 of 256)")
        print(f"{'method':10} " + " ".join(f"{n:>27}" for n, _, _ in CROPS))
        for method in ("plain", *METHODS):
            cells = []
            for name, cut, _ in CROPS:
                got = by[gen, name, method, 0.0 if method == "plain" else 1 - 2 * cut]
                d = np.array([x for x, _ in got])
                shares = "/".join(f"{np.mean(d <= r):.2f}" for r in (24, 28, 31))
                cells.append(f"{np.median(d):5.0f} {shares} {np.mean([ok for _, ok in got]):.2f}")
            print(f"{method:10} " + " ".join(f"{c:>27}" for c in cells))
        print(f"-- {gen}: 'adaptive' guesses at other framings (median; share <= 28; share the rule accepts)")
        print(f"{'kept':10} " + " ".join(f"{n:>27}" for n, _, _ in CROPS))
        for kept in GRID:
            cells = []
            for name, _, _ in CROPS:
                got = by[gen, name, "grid", kept]
                d = np.array([x for x, _ in got])
                cells.append(f"{np.median(d):5.0f} {np.mean(d <= 28):.2f} {np.mean([ok for _, ok in got]):.2f}")
            print(f"{kept:<10.2f} " + " ".join(f"{c:>27}" for c in cells))


if __name__ == "__main__":
    main()
