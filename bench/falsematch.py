"""False matches at scale: ``--n`` unrelated benign pictures (default 100,000) against a list of
``--list-size`` PDQ hashes (default 1,000,000), through triage's own hashing (``hash_item``:
PDQ, dihedral variants, crop regions, crop/overlay hypotheses) and matcher.

The pictures are drawn in memory at 128-256 px a side (16 sizes, as photos come in a few), with
real variety: drawn scenes (``synth.images``), gradients, text pages, screenshot-like layouts, noise textures,
one in six from the second generator (``bench/pictures2.py``: landscapes, smooth fields, layered
gradients, documents, app screens, textures, at its own aspect ratios), and near-duplicates of
one another (every fifth picture a slightly edited copy of the one before).
The list holds the hashes of ``--listed`` other pictures from the same generators (disjoint
seeds) plus, to fill it, copies of those hashes with 8-48 random bits flipped (dense clusters
around real picture hashes, harder than random hashes). No query is an edit of a listed picture,
so every match is false. A kind the generators draw as one layout many times
(``TEMPLATE_KINDS``: pictures2's app screens, which differ in colour alone at these sizes) is left
out of both sides: two of them are near-duplicates, not unrelated pictures (``--keep-templates``
keeps them). Printed: matches as triage reports them (per kind and per hypothesis), each of them
with the query's kind and PDQ quality and the listed picture nearest to the hash that matched, and
for the hypotheses alone, how many hashes of each lie within 16-31 bits of a listed hash (what
chose ``HYPOTHESIS_THRESHOLD``), and of those within the hypothesis radius (the matcher's own, or
``--hypothesis-radius``) how many have their confident bits within 20-44 of it, scaled to 256
bits (the un-crops' confident-bit rule).

Hashing and matching run on ``--workers`` processes in shards cached under ``--cache``
(``--max-minutes`` per invocation: run the same command again to go on, so that no command runs
for long on a shared machine; shards started before that time are finished, so allow a few
minutes more, and each invocation that matches imports the list again, ~2 minutes for 1,000,000);
the report comes once every shard is matched. ``--n`` smaller reuses the shards already hashed.
The shards are kept apart per version of the drawing code (a digest of this file's generators,
from ``SIZES`` to ``generate``, and of ``pictures2.py``), and the query shards also per version of
``hashing/hypotheses.py`` and ``hashing/kernels.py`` (the box finder's rules), so a change to either
hashes again; the listed pictures are hashed for
their PDQ alone (the list holds nothing else of them), and their shards kept across versions of
the hypotheses. The matching is cached per list, hypothesis radius and ``--keep-templates``
choice.

    PYTHONPATH=src .venv/bin/python bench/falsematch.py [--n 100000] [--list-size 1000000] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import io
import multiprocessing
import os
import pickle
import random
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pictures2
from pictures2 import picture
from tasman.core.workspace import Workspace
from tasman.synth.images import draw_picture
from tasman.triage.hashing import hypotheses
from tasman.triage.hashing.worker import HashOptions, WorkItem, hash_item, one_blas_thread
from tasman.triage.hashsets.store import import_hashset
from tasman.triage.match import load_matcher
from tasman.triage.match.settings import HYPOTHESIS_MASKED_THRESHOLD, HYPOTHESIS_THRESHOLD
from tasman.triage.perceptual.codes import hex_to_bytes
from tasman.triage.perceptual.dihedral import DIHEDRAL
from tasman.triage.types import FileHashes

SHARD = 2000
SIZES = ((128, 128), (160, 120), (120, 160), (192, 144), (144, 192), (200, 150), (224, 168), (256, 192),
         (192, 256), (256, 144), (144, 256), (240, 240), (256, 256), (180, 135), (213, 160), (160, 213))
LISTED_SEED0 = 10_000_000
WORDS = ("report", "meeting", "weather", "market", "garden", "station", "invoice", "river", "notes", "summary",
         "holiday", "library", "schedule", "kitchen", "bicycle", "window", "orange", "mountain", "table", "music")


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(256), rng.randrange(256), rng.randrange(256)


def gradient(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    t = (np.cos(angle) * x / w + np.sin(angle) * y / h)
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    if rng.random() < 0.5:
        t = 0.5 + 0.5 * np.sin(t * rng.uniform(2, 9) + rng.uniform(0, 6))
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    return Image.fromarray((a * (1 - t[..., None]) + b * t[..., None]).astype(np.uint8))


def text_page(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    h = size[1]
    bg = rng.choice(((255, 255, 255), (250, 248, 240), (30, 30, 30), (240, 240, 250)))
    ink = (20, 20, 20) if sum(bg) > 380 else (230, 230, 230)
    im = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=rng.randrange(9, 16))
    y = rng.randrange(4, 20)
    while y < h - 10:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 9)))
        d.text((rng.randrange(4, 16), y), line, fill=ink, font=font)
        y += rng.randrange(12, 22)
    return im


def screenshot(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    im = Image.new("RGB", size, rng.choice(((245, 245, 245), (255, 255, 255), (28, 30, 34))))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w, rng.randrange(12, 30)), fill=_colour(rng))                     # title bar
    if rng.random() < 0.6:
        d.rectangle((0, 0, rng.randrange(w // 6, w // 3), h), fill=_colour(rng))          # side bar
    font = ImageFont.load_default(size=10)
    for _ in range(rng.randrange(3, 10)):                                                 # cards, buttons
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = min(w - 1, x0 + rng.randrange(20, w // 2)), min(h - 1, y0 + rng.randrange(10, h // 3))
        d.rounded_rectangle((x0, y0, max(x0, x1), max(y0, y1)), radius=4, fill=_colour(rng))
        d.text((x0 + 3, y0 + 2), rng.choice(WORDS), fill=(0, 0, 0), font=font)
    return im


def noise(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    g = np.random.default_rng(rng.randrange(2**32))
    small = g.integers(0, 256, (max(2, h // rng.choice((2, 4, 8, 16))), max(2, w // rng.choice((2, 4, 8, 16))), 3))
    im = Image.fromarray(small.astype(np.uint8)).resize(size, Image.Resampling.BICUBIC)
    return im.filter(ImageFilter.GaussianBlur(rng.uniform(0, 2)))


KINDS = ("scene", "gradient", "text", "screenshot", "noise", "pictures2")


def generate(seed: int) -> Image.Image:
    """Picture ``seed``: its kind and size from the seed; every fifth a near-duplicate of the one before."""
    rng = random.Random(seed)
    if seed % 5 == 4:
        base = generate(seed - 1)
        out = base.rotate(rng.uniform(-2, 2), resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128))
        return out.point(lambda v: min(255, int(v * rng.uniform(0.9, 1.1))))
    size = rng.choice(SIZES)
    kind = rng.choice(KINDS)
    if kind == "scene":
        return draw_picture(seed, size)
    if kind == "pictures2":                     # its own aspect ratio, the long side in 5 steps
        long = rng.choice((128, 160, 192, 224, 256))
        return picture(seed, long_side=(long, long))
    return {"gradient": gradient, "text": text_page, "screenshot": screenshot, "noise": noise}[kind](rng, size)


def _hash_range(args: tuple[int, int, bool]) -> list[FileHashes]:
    """Pictures ``start``..``stop`` through the worker; ``full`` False: PDQ alone (the list holds
    nothing else of its pictures: their regions and hypotheses would never be used)."""
    start, stop, full = args
    opts = HashOptions(temp_dir=tempfile.gettempdir(), regions=full, hypotheses=full)
    out = []
    for seed in range(start, stop):
        buf = io.BytesIO()
        generate(seed).convert("RGB").save(buf, "JPEG", quality=rng_quality(seed))
        data = buf.getvalue()
        out.append(hash_item(WorkItem(path=str(seed), size=len(data), data=data), opts).hashes)
    return out


def rng_quality(seed: int) -> int:
    return 60 + seed % 36


# pictures2's app screens are one layout: a status and a navigation bar, rows of a round avatar and
# two lines of words at fixed places, a round button at a fixed place. At 128-256 px no row fits, and
# two of them differ in colour alone, which PDQ ignores by design (it hashes luma structure, and a
# recoloured copy must match): in the first 20,500 queries every plain PDQ match within 31 bits (13)
# was such a screen against a listed one, 2-30 bits apart, quality 70-100, HMA's PdqSignal giving
# the same distances. Those are near-duplicates the generator drew, not false matches; the
# benchmark leaves the kind out of both sides (``--keep-templates`` keeps it). This generator's own
# screenshot-like layouts (random cards on random bars) stay.
TEMPLATE_KINDS = frozenset({"pictures2:app"})


def kind_of(seed: int) -> str:
    """The kind ``generate(seed)`` draws, without drawing it (a near-duplicate has its original's
    kind; a pictures2 picture ``pictures2:`` and pictures2's own kind)."""
    if seed % 5 == 4:
        seed -= 1
    rng = random.Random(seed)
    rng.choice(SIZES)
    kind = rng.choice(KINDS)
    if kind == "pictures2":
        g = np.random.default_rng([seed, 0x5EC0])        # as pictures2.picture draws its kind
        return f"pictures2:{pictures2.KINDS[int(g.integers(len(pictures2.KINDS)))]}"
    return kind


def explain(found: list[tuple[int, str, int, str]], queries: list[FileHashes], listed: list[FileHashes]) -> None:
    """Each false match: the query picture (seed, kind, quality), what matched and how far, and the
    listed picture whose own PDQ is nearest to the hash that matched (a nearer distance in the
    match than to it: the list's row was one of its copies with bits flipped)."""
    if not found:
        return
    quality = {int(q.path): q.pdq_quality for q in queries}
    real = [f for f in listed if f.pdq]
    codes = hex_to_bytes([f.pdq for f in real], 32)
    pairs: Counter[tuple[str, str]] = Counter()
    print(f"{'query':>8} {'kind':20} {'qual':>4}  {'matched by':24} {'dist':>4}  {'nearest listed':>14} "
          f"{'kind':20} {'qual':>4} {'dist':>4}")
    for seed, label, dist, h in sorted(found):
        d = np.unpackbits(codes ^ hex_to_bytes([h], 32), axis=1).sum(axis=1)
        j = int(np.argmin(d))
        lk = kind_of(int(real[j].path))
        pairs[kind_of(seed), lk] += 1
        print(f"{seed:8} {kind_of(seed):20} {quality.get(seed) or 0:4}  {label:24} {dist:4}  {real[j].path:>14} "
              f"{lk:20} {real[j].pdq_quality or 0:4} {int(d[j]):4}")
    print("by (query kind, listed kind):", dict(pairs.most_common()))


def hashed(start: int, n: int, workers: int, cache: Path, deadline: float, label: str,
           shard: int = SHARD, full: bool = True) -> list[FileHashes] | None:
    """Pictures ``start``..``start+n`` hashed, from the shard cache or now; None if the deadline came first."""
    cache.mkdir(parents=True, exist_ok=True)
    shards = [(s, min(s + shard, start + n)) for s in range(start, start + n, shard)]
    todo = [sh for sh in shards if not (cache / f"{sh[0]}-{sh[1]}.pkl").exists()]
    t0, done = time.monotonic(), len(shards) - len(todo)
    if todo:
        with ProcessPoolExecutor(workers, initializer=one_blas_thread) as pool:
            pending = {}
            it = iter(todo)
            for sh in [next(it) for _ in range(min(workers * 2, len(todo)))]:
                pending[pool.submit(_hash_range, (*sh, full))] = sh
            while pending:
                fut = next(as_completed(pending))
                sh = pending.pop(fut)
                (cache / f"{sh[0]}-{sh[1]}.pkl").write_bytes(pickle.dumps(fut.result()))
                done += 1
                rate = (done - (len(shards) - len(todo))) * shard / (time.monotonic() - t0)
                print(f"  {label}: {done}/{len(shards)} shards ({rate:.0f} pictures/s)", flush=True)
                nxt = next(it, None) if time.monotonic() < deadline else None
                if nxt is not None:
                    pending[pool.submit(_hash_range, (*nxt, full))] = nxt
        if done < len(shards):
            return None
    out: list[FileHashes] = []
    for s, e in shards:
        out.extend(pickle.loads((cache / f"{s}-{e}.pkl").read_bytes()))
    return out


def write_list(listed: list[FileHashes], size: int, path: Path, min_quality: int = 0) -> int:
    """The listed pictures' PDQs (of quality ``min_quality`` or more) with their quality, then
    copies with 8-48 random bits flipped up to ``size`` rows (each with its picture's quality)."""
    rng = np.random.default_rng(7)
    kept = [f for f in listed if f.pdq and (f.pdq_quality or 0) >= min_quality]
    real = [f.pdq for f in kept]
    qualities = np.array([f.pdq_quality or 0 for f in kept])
    base = np.frombuffer(b"".join(bytes.fromhex(h) for h in real), dtype=np.uint8).reshape(-1, 32)
    fill = size - len(real)
    chosen = rng.integers(0, len(base), fill)
    picks = base[chosen].copy()
    flips = rng.integers(8, 49, fill)
    bits = np.unpackbits(picks, axis=1)
    for k in range(8, 49):                      # flip k distinct random bits in the rows that drew k
        rows = np.nonzero(flips == k)[0]
        if len(rows):
            cols = np.argsort(rng.random((len(rows), 256)), axis=1)[:, :k]
            bits[rows[:, None], cols] ^= 1
    derived = np.packbits(bits, axis=1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("pdq,quality,category\n")
        for h, q in zip(real, qualities.tolist(), strict=True):
            fh.write(f"{h},{q},1\n")
        for row, q in zip(derived, qualities[chosen].tolist(), strict=True):
            fh.write(f"{row.tobytes().hex()},{q},1\n")
    return len(real)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="unrelated pictures to hash and match")
    ap.add_argument("--list-size", type=int, default=1_000_000)
    ap.add_argument("--listed", type=int, default=20_000, help="pictures whose own hashes seed the list")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tasman-bench-falsematch")
    ap.add_argument("--max-minutes", type=float, default=9.0, help="hashing time for this invocation")
    ap.add_argument("--shard", type=int, default=SHARD, help="pictures a cached shard (keep it when resuming)")
    ap.add_argument("--keep-templates", action="store_true",
                    help="keep the kinds in TEMPLATE_KINDS (one layout drawn many times) on both sides")
    ap.add_argument("--matches-only", action="store_true",
                    help="report the false matches (per kind and hypothesis) alone: skip searching every "
                         "hypothesis hash again for the distance tables (about half the matching time)")
    ap.add_argument("--match-chunk", type=int, default=5000, help="pictures a cached matching chunk")
    ap.add_argument("--list-min-quality", type=int, default=0,
                    help="list only the pictures of this PDQ quality or more (50: as HMA hashes a list; the list "
                         "carries each hash's quality, and the matcher holds those under 50 to its "
                         "low-quality threshold)")
    ap.add_argument("--low-quality-threshold", type=int, default=None,
                    help="the matcher's distance where either side is under quality 50 (-1: no match, HMA's rule)")
    ap.add_argument("--hypothesis-radius", type=int, default=None,
                    help="confirm hypotheses by their confident bits out to this radius (default: the matcher's "
                         "own, lowered for a long list)")
    args = ap.parse_args()
    deadline = time.monotonic() + args.max_minutes * 60
    print(f"{args.n} unrelated pictures vs a {args.list_size}-hash list ({args.listed} listed pictures); "
          f"{args.workers} processes; load average {os.getloadavg()[0]:.1f}", flush=True)
    drawing = inspect.getsource(sys.modules[__name__]).split("\nSIZES = ")[1].split("def _hash_range")[0]
    drawn = hashlib.sha1((drawing + Path(pictures2.__file__).read_text(encoding="utf-8")).encode()).hexdigest()[:8]
    code = Path(hypotheses.__file__)                  # the hypotheses and their compiled loops (the box finder)
    version = hashlib.sha1(code.read_bytes() + (code.parent / "kernels.py").read_bytes()).hexdigest()[:8]
    qcache = args.cache / f"queries-{drawn}-{version}"
    print(f"cache: {args.cache} (pictures drawn by version {drawn}, hypotheses.py and kernels.py {version})",
          flush=True)
    listed = hashed(LISTED_SEED0, args.listed, args.workers, args.cache / f"listed-{drawn}", deadline, "listed",
                    args.shard, full=False)
    if listed is not None and args.n == 0:
        print(f"{len(listed)} listed pictures hashed; --n 0 stops here")
        return
    queries = hashed(0, args.n, args.workers, qcache, deadline, "queries", args.shard) if listed is not None else None
    if listed is None or queries is None:
        print(f"hashing not finished in {args.max_minutes} min: run the same command again to go on "
              f"(cached in {args.cache})")
        return
    left_out = (0, 0)
    if not args.keep_templates:
        kept_q = [q for q in queries if kind_of(int(q.path)) not in TEMPLATE_KINDS]
        kept_l = [f for f in listed if kind_of(int(f.path)) not in TEMPLATE_KINDS]
        left_out = (len(queries) - len(kept_q), len(listed) - len(kept_l))
        queries, listed = kept_q, kept_l
        print(f"left out as one layout drawn many times (see TEMPLATE_KINDS): {left_out[0]} queries and "
              f"{left_out[1]} listed pictures of kinds {sorted(TEMPLATE_KINDS)}; {len(queries)} queries remain",
              flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        listfile = Path(tmp) / "list.csv"
        real = write_list(listed, args.list_size, listfile, args.list_min_quality)
        ws = Workspace.init(Path(tmp) / "ws", actor="bench")
        t0 = time.monotonic()
        with ws.session() as s:
            import_hashset(s, ws.actor, listfile, "big")
        with ws.session() as s:
            global _MATCHER
            _MATCHER = load_matcher(s, ["big"], **({} if args.hypothesis_radius is None else
                                                   {"hypothesis_radius": args.hypothesis_radius,
                                                    "hypothesis_query_us": float("inf")}),
                                    **({} if args.low_quality_threshold is None else
                                       {"low_quality_threshold": args.low_quality_threshold}))
        ws.close()
    print(f"list: {real} picture hashes + {args.list_size - real} derived; imported and indexed in "
          f"{time.monotonic() - t0:.0f} s", flush=True)
    global _QUERIES
    _QUERIES = queries
    global _DIAGNOSE
    _DIAGNOSE = not args.matches_only
    step = args.match_chunk
    chunks = [(i, min(i + step, len(queries))) for i in range(0, len(queries), step)]
    st = _MATCHER.settings
    tag = (f"match4-{args.list_size}-{args.listed}-q{args.list_min_quality}-{HYPOTHESIS_THRESHOLD}-"
           f"{_MATCHER.hypothesis_radius}-g{st.hypothesis_inpaint_gain}-lq{st.low_quality_threshold}-"
           f"f{st.quality_floor}-{'all' if args.keep_templates else 'no-templates'}-c{step}"
           f"{'-m' if args.matches_only else ''}")
    todo = [c for c in chunks if not (qcache / f"{tag}-{c[0]}-{c[1]}.pkl").exists()]
    t0 = time.monotonic()
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:   # children share the index
        waiting = list(todo)
        running = [pool.apply_async(_match_chunk, (waiting.pop(0),)) for _ in range(min(args.workers, len(todo)))]
        n = 0
        while running:
            ready = [r for r in running if r.ready()]
            if not ready:
                time.sleep(0.5)
                continue
            for r in ready:
                running.remove(r)
                chunk, result = r.get()
                (qcache / f"{tag}-{chunk[0]}-{chunk[1]}.pkl").write_bytes(pickle.dumps(result))
                n += 1
                print(f"  matched {n}/{len(todo)} chunks ({n * step / (time.monotonic() - t0):.0f} "
                      f"pictures/s)", flush=True)
                if waiting and time.monotonic() < deadline:       # past it: finish what runs, start nothing
                    running.append(pool.apply_async(_match_chunk, (waiting.pop(0),)))
        if waiting:
            print(f"matching not finished in {args.max_minutes} min: run the same command again to go on")
            return
    kinds: Counter[str] = Counter()
    false_files = 0
    near: dict[str, Counter[int]] = {}
    hashes_per: Counter[str] = Counter()
    found: list[tuple[int, str, int, str]] = []
    confident: dict[str, Counter[int]] = {}
    for c in chunks:
        k, f, nr, hp, fd, conf = pickle.loads((qcache / f"{tag}-{c[0]}-{c[1]}.pkl").read_bytes())
        for g, cnt in conf.items():
            confident.setdefault(g, Counter()).update(cnt)
        kinds.update(k)
        false_files += f
        hashes_per.update(hp)
        found.extend(fd)
        for g, cnt in nr.items():
            near.setdefault(g, Counter()).update(cnt)
    pictures = sum(1 for q in queries if q.pdq)
    with_hyp = sum(1 for q in queries if q.pdq_hypotheses)
    n_hyp = sum(hashes_per.values())
    print(f"{pictures} pictures hashed, {with_hyp} with hypotheses ({n_hyp / max(1, with_hyp):.2f} per picture "
          f"on average; a hypothesis of quality under 50 is dropped)")
    print(f"\nfalse matches as triage reports them: {false_files} of {len(queries)} pictures "
          f"(rate {false_files / len(queries):.2e}); by kind: {dict(kinds) or 'none'}")
    explain(found, queries, listed)
    if args.matches_only:
        print(f"\n{n_hyp} hypothesis hashes; their distance tables were not measured (--matches-only)")
        return
    print(f"\nevery hypothesis hash queried (not only for pictures nothing else matched): how many lie within "
          f"d bits of a listed hash ({n_hyp} hashes; radius in use {HYPOTHESIS_THRESHOLD}):")
    radii = (16, 20, 24, 28, 31)
    print(f"{'hypothesis':26} {'hashes':>8} " + " ".join(f"{'<=' + str(d):>6}" for d in radii))
    for g in sorted(hashes_per):
        dist_c = near.get(g, Counter())
        print(f"{g:26} {hashes_per[g]:8} " + " ".join(f"{sum(c for d, c in dist_c.items() if d <= r):6}"
                                                       for r in radii))
    total = {r: sum(c for dc in near.values() for d, c in dc.items() if d <= r) for r in radii}
    print(f"{'all':26} {n_hyp:8} " + " ".join(f"{total[r]:6}" for r in radii))
    r = _MATCHER.hypothesis_radius
    print(f"\nthe same hashes within {r} bits of a listed hash (the hypothesis radius for this list): how many "
          f"have their confident bits within d (scaled to 256 bits; a match at <= {HYPOTHESIS_MASKED_THRESHOLD})")
    steps = (20, 24, 28, 32, 36, 44)
    print(f"{'hypothesis':26} {'hashes':>8} {'in r':>6} " + " ".join(f"{'<=' + str(d):>6}" for d in steps))
    for g in sorted(hashes_per):
        cc = confident.get(g, Counter())
        print(f"{g:26} {hashes_per[g]:8} {sum(cc.values()):6} "
              + " ".join(f"{sum(c for d, c in cc.items() if d <= t):6}" for t in steps))
    allc = Counter[int]()
    for cc in confident.values():
        allc.update(cc)
    print(f"{'all':26} {n_hyp:8} {sum(allc.values()):6} "
          + " ".join(f"{sum(c for d, c in allc.items() if d <= t):6}" for t in steps))


_MATCHER: Any = None
_QUERIES: list[FileHashes] = []
_DIAGNOSE = True


def _group(name: str) -> str:
    return "inpaint" if name.startswith("inpaint") else name


Found = list[tuple[int, str, int, str]]         # (query seed, matched by, distance, the hash that matched)


def _match_chunk(chunk: tuple[int, int]) -> tuple[tuple[int, int], tuple[Counter[str], int, dict[str, Counter[int]],
                                                                            Counter[str], Found,
                                                                            dict[str, Counter[int]]]]:
    """One chunk of pictures: matched as triage matches them, then every hypothesis hash on its own."""
    one_blas_thread()
    files = _QUERIES[chunk[0]:chunk[1]]
    kinds: Counter[str] = Counter()
    matched = 0
    by_path = {f.path: f for f in files}
    found: Found = []
    for m in _MATCHER.match(files):
        v = str(m.detail.get("variant", ""))
        label = "crop region" if m.match_type == "crop" else "dihedral" if v in DIHEDRAL else v or "plain"
        kinds[label] += 1
        matched += 1
        f = by_path[m.path]
        region = m.detail.get("query_region")
        h = (f.pdq_variants[DIHEDRAL.index(v)] if v in DIHEDRAL and len(f.pdq_variants) == len(DIHEDRAL)
             else dict(f.pdq_hypotheses).get(v) or (f.pdq_regions[region] if region is not None else f.pdq))
        found.append((int(f.path), v if label == "dihedral" else label, m.distance, h or f.pdq or ""))
    names = [_group(n) for q in files for n, _ in q.pdq_hypotheses]
    hexes = [h for q in files for _, h in q.pdq_hypotheses] if _DIAGNOSE else []
    near: dict[str, Counter[int]] = {}
    if hexes:
        qi, _, dist = _MATCHER._pdq.search(hex_to_bytes(hexes, 32))
        best: dict[int, int] = {}
        for q, d in zip(qi.tolist(), dist.tolist(), strict=True):
            best[q] = min(best.get(q, 999), d)
        for q, d in best.items():
            near.setdefault(names[q], Counter())[d] += 1
    masks = [m for q in files for m in (q.pdq_hypothesis_masks if len(q.pdq_hypothesis_masks) == len(q.pdq_hypotheses)
                                        else ("0" * 64,) * len(q.pdq_hypotheses))]
    confident: dict[str, Counter[int]] = {}
    if hexes and _MATCHER._hyp is not None:      # the confident bits of every hash within the hypothesis radius
        index, codes, _ = _MATCHER._hyp
        queries = hex_to_bytes(hexes, 32)
        qmask = hex_to_bytes(masks, 32)
        qi, li, _ = index.search(queries, _MATCHER.hypothesis_radius)
        differ = np.bitwise_count((queries[qi] ^ codes[li]) & qmask[qi]).sum(axis=1)
        bits = np.maximum(1, np.bitwise_count(qmask[qi]).sum(axis=1))
        scaled = (differ * 256 + bits - 1) // bits
        best = {}
        for q, d in zip(qi.tolist(), scaled.tolist(), strict=True):
            best[q] = min(best.get(q, 999), d)
        for q, d in best.items():
            confident.setdefault(names[q], Counter())[d] += 1
    return chunk, (kinds, matched, near, Counter(names), found, confident)

if __name__ == "__main__":
    main()
