"""A hash-steered un-crop search, studied offline: how many crops it would bring within the
hypotheses' threshold, and how far it pulls unrelated hashes in (issue 15, seventh pass).

The shipped un-crops are sixteen fixed framings (``hypotheses.framings()``); a crop whose framing
nobody chose (``edits.any_crop``, ``crop-any``) lands on none of them. Steered, the search starts
from the shipped framing nearest a listed hash by the soft distance (what the matcher's hypothesis query returns, within
a start radius) and moves the framing (kept share and place along each axis, coarse to fine:
steps of 0.04 / 0.25 down to 0.005 / 1/32) while the soft distance to that listed hash falls
(the confident-weighted disagreement: each differing bit counted by its coefficient's distance
from the median), keeping the nearest whole-hash distance met. Every framing is hashed from the
reduced luma with the shipped border fill (``hypotheses.uncrop_plan``, ``kernels.uncrop``).

Printed per generator and edit, over originals of quality 50 or more (``--n`` seeds from
``--first``): the share of copies whose best shipped framing is within 28 bits of their own
original (``fixed``), the share whose best is within each start radius (``start R``), and the
share within 28 after the search from those (``steered R``); in brackets, the shares the matcher's
rule at a short list's radius (52: within 28, or within 52 with the confident bits agreeing)
accepts from the sixteen, and from the sixteen or the searched framing; then, for the false-match side, the
steered distances reached from (a) the nearest unrelated original of the same list, from any
start distance, and (b) the copy's best shipped framing's own hash with R random bits flipped (a
listed hash that is R bits away and unrelated to the picture's structure), and the CPU per search.

    PYTHONPATH=src .venv/bin/python bench/steerstudy.py [--n 40] [--first 0] [--generator both] [--radius 36,52,72]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pictures2 import picture
from tasman.synth.edits import edited, jpeg_bytes
from tasman.synth.images import draw_picture
from tasman.synth.triage_set import reference_pdq
from tasman.triage.hashing import hypotheses, kernels
from tasman.triage.hashing.pdq import _DCT
from tasman.triage.hashing.pictures import decode_luma

SEED0 = 20_000         # bench/croprecall.py's seeds, so the copies are the same
SEED2 = 90_000
THRESHOLD = 28
EDITS = ("crop-any", "crop5", "crop10", "crop10-off")
Framing = tuple[float, float, float, float]     # kept share and place down the rows, then along the columns
STEPS = ((0.04, 0.25), (0.02, 0.125), (0.01, 0.0625), (0.005, 0.03125))


def bits_of(hex_hash: str) -> np.ndarray:
    """The 256 bits of a hex PDQ in coefficient order (``pdq.to_hexes`` reversed)."""
    return np.unpackbits(np.frombuffer(bytes.fromhex(hex_hash), np.uint8))[::-1].astype(bool)


class Reduced:
    """A copy's luma as the hypotheses see it (halved to about 64 pixels, mean-centred, its fades)."""

    def __init__(self, data: bytes) -> None:
        luma, _, _, scale, _ = decode_luma(data, max_pixels=10**8, min_side=64)
        a, self.s = hypotheses.reduced(luma.astype(np.float32), scale)
        self.rows, self.cols = a.shape
        self.mean = np.float32(a.mean())
        self.centred = a - self.mean
        self.fades = hypotheses.fade_lengths(self.centred)

    def coefficients(self, frames: list[Framing]) -> np.ndarray:
        """The 256 DCT coefficients of each framing's un-crop (shares to 0.005, places to 1/32)."""
        named = tuple((f"f{k}", round(kr / 0.005) * 0.005, round(ar * 32) / 32, round(kc / 0.005) * 0.005,
                       round(ac * 32) / 32) for k, (kr, ar, kc, ac) in enumerate(frames))
        plan = hypotheses.uncrop_plan(self.rows, self.cols, self.s, named, self.fades)
        b = kernels.uncrop(self.centred, self.mean, plan.ridx, plan.rw, plan.pick, plan.cidx, plan.cw)
        return np.asarray((_DCT @ b @ _DCT.T).reshape(len(frames), 256))


def distances(coefs: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(whole-hash distance, soft distance) of each row of coefficients to ``target``'s bits."""
    median = np.partition(coefs, 127, axis=1)[:, 127:128]
    differ = (coefs > median) != target
    far = np.abs(coefs - median)
    return differ.sum(1), (far / far.mean(1, keepdims=True) * differ).sum(1)


SHIPPED: list[Framing] = [(kr, av, kc, ah) for _, kr, av, kc, ah in hypotheses.framings()]


def rule(coefs: np.ndarray, target: np.ndarray, radius: int) -> bool:
    """The matcher's rule for an un-crop: within 28 bits, or within ``radius`` with at most 28 of
    256 (scaled) of its confident bits (``hypotheses.MASK_BITS``, ``pdq.masks_of_dcts``) differing."""
    median = np.partition(coefs, 127)[127]
    differ = (coefs > median) != target
    d = int(differ.sum())
    if d <= THRESHOLD:
        return True
    far = np.abs(coefs - median)
    confident = np.argsort(-far, kind="stable")[:hypotheses.MASK_BITS]
    return d <= radius and int(differ[confident].sum()) * 256 <= THRESHOLD * hypotheses.MASK_BITS


def steer(pic: Reduced, target: np.ndarray, start: Framing) -> tuple[int, int, np.ndarray]:
    """(nearest whole-hash distance met, framings hashed, that framing's coefficients) searching
    from ``start``."""
    coefs = pic.coefficients([start])
    ham, soft = distances(coefs, target)
    best, best_soft, nearest, hashed, at = start, float(soft[0]), int(ham[0]), 1, coefs[0]
    for dk, da in STEPS:
        for _ in range(6):
            around = []
            for i, d in ((0, dk), (1, da), (2, dk), (3, da)):
                for sign in (-1, 1):
                    v = list(best)
                    v[i] = min(1.0, max(0.7 if i in (0, 2) else 0.0, v[i] + sign * d))
                    around.append((v[0], v[1], v[2], v[3]))
            coefs = pic.coefficients(around)
            ham, soft = distances(coefs, target)
            hashed += len(around)
            if int(ham.min()) < nearest:
                nearest, at = int(ham.min()), coefs[int(np.argmin(ham))]
            k = int(np.argmin(soft))
            if soft[k] >= best_soft:
                break
            best, best_soft = around[k], float(soft[k])
    return nearest, hashed, at


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--generator", choices=("synth", "pictures2", "both"), default="both")
    ap.add_argument("--radius", default="36,52,72", help="start radii (the matcher's hypothesis radius: 52 on "
                                                           "short lists, 36 at 1,000,000 hashes)")
    ap.add_argument("--edits", default=",".join(EDITS))
    args = ap.parse_args()
    radii = [int(r) for r in args.radius.split(",")]
    gens = ("synth", "pictures2") if args.generator == "both" else (args.generator,)
    rng = np.random.default_rng(args.first)
    print(f"load average {os.getloadavg()[0]:.1f}; seeds {args.first}-{args.first + args.n - 1}", flush=True)
    for gen in gens:
        originals = {}
        for seed in range(args.first, args.first + args.n):
            im = draw_picture(SEED0 + seed, (640, 480)) if gen == "synth" else picture(SEED2 + seed)
            own, quality = reference_pdq(jpeg_bytes(im))
            if quality >= 50:
                originals[seed] = (im, own)
        listed = {seed: bits_of(own) for seed, (_, own) in originals.items()}
        for edit in args.edits.split(","):
            fixed, started, steered = 0, dict.fromkeys(radii, 0), dict.fromkeys(radii, 0)
            masked, fixed_rule = dict.fromkeys(radii, 0), 0
            unrelated: list[tuple[int, int]] = []
            flipped: dict[int, list[int]] = {r: [] for r in radii}
            cpu, searches, hashed = 0.0, 0, 0
            for seed, (im, _) in originals.items():
                pic = Reduced(jpeg_bytes(edited(im, edit, seed), 85))
                shipped = pic.coefficients(SHIPPED)
                ham, soft = distances(shipped, listed[seed])
                d0, k0 = int(ham.min()), int(np.argmin(soft))
                fixed += d0 <= THRESHOLD
                fixed_rule += any(rule(c, listed[seed], 52) for c in shipped)
                t0 = time.process_time()
                got, n, at = steer(pic, listed[seed], SHIPPED[k0])
                cpu += time.process_time() - t0
                searches, hashed = searches + 1, hashed + n
                for r in radii:
                    if d0 <= r:
                        started[r] += 1
                        steered[r] += min(got, d0) <= THRESHOLD
                        masked[r] += rule(at, listed[seed], 52) or any(
                            rule(c, listed[seed], 52) for c in shipped[ham <= 52])
                # (a) the nearest unrelated original of this list, whatever its start distance
                other = min((int(distances(shipped, b)[0].min()), s) for s, b in listed.items() if s != seed)
                _, osoft = distances(shipped, listed[other[1]])
                unrelated.append((other[0], steer(pic, listed[other[1]], SHIPPED[int(np.argmin(osoft))])[0]))
                # (b) a listed hash r bits from the best shipped framing's own hash, unrelated to the picture
                own_bits = shipped[int(np.argmin(ham))] > np.partition(shipped[int(np.argmin(ham))], 127)[127]
                for r in radii:
                    t = own_bits.copy()
                    t[rng.choice(256, r, replace=False)] ^= True
                    flipped[r].append(steer(pic, t, SHIPPED[int(np.argmin(ham))])[0])
            m = len(originals)
            print(f"{gen:9} {edit:10} {m:2d} copies: fixed <= {THRESHOLD} {fixed / m:.2f} (rule {fixed_rule / m:.2f}); "
                  + "; ".join(f"start {r} {started[r] / m:.2f} steered {steered[r] / m:.2f} (rule {masked[r] / m:.2f})"
                              for r in radii), flush=True)
            u = np.array(unrelated)
            print(f"{'':9} {'':10} unrelated nearest: start {u[:, 0].min()}-{int(np.median(u[:, 0]))} (min-median), "
                  f"steered {u[:, 1].min()}-{int(np.median(u[:, 1]))}; "
                  + "; ".join(f"{r} bits flipped: steered min {min(v)} median {int(np.median(v))}"
                              for r, v in flipped.items())
                  + f"; {cpu / searches * 1000:.1f} CPU-ms and {hashed / searches:.0f} framings a search", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
