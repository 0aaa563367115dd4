"""Matching benchmark: Tasman's PDQ index against FAISS IndexBinaryMultiHash, perceptual recall
and false matches on generated benign pictures, the crop stage, and hash-set import time.

    PYTHONPATH=src .venv/bin/python bench/match.py                  # full sizes, many minutes
    PYTHONPATH=src .venv/bin/python bench/match.py --skip big pictures import     # MIH vs FAISS at 1M
    PYTHONPATH=src .venv/bin/python bench/match.py --skip index pictures import --big-multihash   # 10M file
    PYTHONPATH=src .venv/bin/python bench/match.py --list-size 100000 --big 1000000 --pictures 200 --import-rows 100000
    PYTHONPATH=src .venv/bin/python bench/match.py --skip big pictures import --batch 1 16 256 0   # per call size

Everything is measured in this run on the same data; index timings are interleaved over --rounds
rounds (medians, min and max, the load average printed), single-threaded on both sides (numpy
and FAISS with one OpenMP thread). Lists mix the dihedral PDQs of generated benign pictures, near
copies of them and random hashes; lookups mix altered copies of listed pictures, listed hashes
moved 0-31 bits and unrelated hashes, and recall is checked against FAISS IndexBinaryFlat.
In the MIH vs FAISS timing, MIH answers all --queries lookups and FAISS (~60x slower) a random
subset of --faiss-queries (600) of them: rates are per lookup; which side runs first alternates
round by round. --batch sets the lookups a call (one or more sizes): the compiled loop's lead
depends on it (a 1-query call gains nothing from walking each table once a call).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tasman.core.workspace import Workspace
from tasman.synth.images import draw_picture
from tasman.triage.hashing.pictures import hash_picture
from tasman.triage.hashing.regions import region_buffers
from tasman.triage.hashsets.store import build_hashset, import_hashset
from tasman.triage.match import dihedral_variants, load_matcher, pdq_hash
from tasman.triage.perceptual.pdqindex import FaissIndex, MihIndex
from tasman.triage.perceptual.regions import region_hashes
from tasman.triage.types import FileHashes

RADIUS = 31
RUNNER = "runner: "      # queries hashed the way ``tasman triage`` hashes them


# ---------------------------------------------------------------- index speed
def flip_bits(codes: np.ndarray, rng: np.random.Generator, low: int, high: int) -> np.ndarray:
    """Each row with ``low..high`` random bit positions flipped (positions may repeat: a repeat
    cancels, so the distance is at most the count drawn; the true distance is measured anyway)."""
    out = codes.copy()
    for lo in range(0, len(codes), 65536):
        part = out[lo:lo + 65536]
        bits = np.unpackbits(part, axis=1).astype(bool)
        k = rng.integers(low, high + 1, len(part))
        pos = rng.integers(0, 256, (len(part), max(high, 1)))
        use = np.arange(max(high, 1))[None, :] < k[:, None]
        rows = np.repeat(np.arange(len(part)), use.sum(axis=1))
        np.logical_xor.at(bits, (rows, pos[use]), True)
        out[lo:lo + len(part)] = np.packbits(bits, axis=1)
    return out


def picture_job(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A generated benign picture's eight dihedral PDQs (listed) and those of three altered copies
    (queries: JPEG quality 30, half size, brighter), as (8, 32) and (24, 32) uint8."""
    from tasman.triage.perceptual.codes import hex_to_bytes

    img = draw_picture(seed, (320, 240))
    listed = hex_to_bytes(dihedral_variants(img)[0], 32)
    copies = [TRANSFORMS[t](img) for t in ("recompress", "resize", "brightness")]
    return listed, np.concatenate([hex_to_bytes(dihedral_variants(c)[0], 32) for c in copies])


def realistic_list(n: int, pictures: int, workers: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` hashes: the dihedral PDQs of ``pictures`` generated pictures with 1-4 near copies each
    (4-40 bits away, as re-encodings of a listed picture are), families of 2-5 near copies
    around random centres (a fifth of the list), the rest uniform random bits; shuffled. Returns
    the list and the altered copies' hashes (queries whose true neighbours are in the list)."""
    rng = np.random.default_rng(seed)
    own = altered = np.zeros((0, 32), np.uint8)
    if pictures:
        with ProcessPoolExecutor(workers) as pool:
            made = list(pool.map(picture_job, range(3_000_000, 3_000_000 + pictures), chunksize=16))
        own = np.concatenate([m[0] for m in made])
        altered = np.concatenate([m[1] for m in made])
    copies = flip_bits(np.repeat(own, rng.integers(1, 5, len(own)), axis=0), rng, 4, 40)
    centres = rng.integers(0, 256, (max(0, n // 5 - len(copies)) // 3, 32), dtype=np.uint8)
    family = flip_bits(np.repeat(centres, rng.integers(1, 5, len(centres)), axis=0), rng, 4, 40)
    parts = [own, copies, centres, family]
    rest = rng.integers(0, 256, (max(0, n - sum(len(p) for p in parts)), 32), dtype=np.uint8)
    codes = np.concatenate([*parts, rest])[:n]
    return codes[rng.permutation(len(codes))], altered


def query_mix(codes: np.ndarray, altered: np.ndarray, q: int, seed: int = 2) -> np.ndarray:
    """Lookups as triage makes them: a third altered copies of listed pictures (8 dihedral hashes
    a picture), a third listed hashes moved 0-31 bits (planted, known distances), a third
    unrelated (most files on a seized device match nothing)."""
    rng = np.random.default_rng(seed)
    third = q // 3
    a = altered[:third] if len(altered) >= third else altered
    planted = flip_bits(codes[rng.choice(len(codes), third, replace=False)], rng, 0, RADIUS)
    unrelated = rng.integers(0, 256, (q - len(a) - third, 32), dtype=np.uint8)
    return np.concatenate([a, planted, unrelated])


def brute_force(codes: np.ndarray, queries: np.ndarray) -> set[tuple[int, int]]:
    """Every (query, listed) pair within RADIUS by FAISS IndexBinaryFlat (an exhaustive scan)."""
    import faiss

    flat = faiss.IndexBinaryFlat(256)
    flat.add(codes)
    lims, _, ids = flat.range_search(queries, RADIUS + 1)
    qi = np.repeat(np.arange(len(queries)), np.diff(lims).astype(np.int64))
    return set(zip(qi.tolist(), ids.tolist(), strict=True))


def pairs(hits: tuple[np.ndarray, ...]) -> set[tuple[int, int]]:
    return set(zip(hits[0].tolist(), hits[1].tolist(), strict=True))


def clock(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def spread(values: list[float], fmt: str = ",.0f") -> str:
    return f"median {statistics.median(values):{fmt}} (min {min(values):{fmt}}, max {max(values):{fmt}})"


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def bench_index(n: int, q: int, faiss_q: int, rounds: int, pictures: int, workers: int,
                batches: list[int] | None = None) -> None:
    """Tasman's MIH against FAISS IndexBinaryMultiHash(256, 16, 16) nflip=1 on the same list,
    timed interleaved for ``rounds`` rounds (which side runs first alternates round by round);
    recall of both against FAISS IndexBinaryFlat (brute force) on the FAISS lookups. MIH answers
    all ``q`` lookups, FAISS (~60x slower) a random subset of ``faiss_q`` of them (600 by
    default): rates are per lookup. ``batches``: queries a call (each size timed on both sides;
    0 or none: one call with every lookup). The compiled loop's gain over the previous one grows
    with the call size (it walks each table once a call), so a 1-query call is slower per lookup."""
    import faiss

    faiss.omp_set_num_threads(1)
    codes, altered = realistic_list(n, pictures, workers)
    queries = query_mix(codes, altered, q)
    t = time.perf_counter()
    mih = MihIndex(codes, RADIUS)
    mih_build = time.perf_counter() - t
    t = time.perf_counter()
    peer = FaissIndex(codes, RADIUS, 16, 16)
    peer_build = time.perf_counter() - t
    sample = queries[np.random.default_rng(3).permutation(len(queries))[:faiss_q]]
    truth = brute_force(codes, sample)
    mih.search(queries[:1])         # numba's compiled loop loaded (or compiled) outside the timing
    peer.search(sample[:1])
    sizes = [b if b > 0 else len(queries) for b in (batches or [0])]

    def timed_calls(index: MihIndex | FaissIndex, lookups: np.ndarray, size: int) -> tuple[float, float]:
        """Lookups a second and a CPU-second, ``size`` lookups a call."""
        c = time.process_time()
        wall = clock(lambda: [index.search(lookups[lo:lo + size]) for lo in range(0, len(lookups), size)])
        return len(lookups) / wall, len(lookups) / (time.process_time() - c)

    print(f"\n== PDQ range search, radius {RADIUS}, {n:,} hashes ({pictures * 8:,} dihedral PDQs of generated "
          f"pictures with 1-4 near copies each, a fifth in families of near copies, the rest random); "
          f"MIH {len(queries):,} lookups, FAISS {len(sample):,} of them; calls of {sizes} lookups ==")
    for size in sizes:
        mih_rate, peer_rate, ratios, mih_cpu, peer_cpu, cpu_ratios = [], [], [], [], [], []
        for r in range(rounds):
            if r % 2 == 0:
                a, ac = timed_calls(mih, queries, size)
                b, bc = timed_calls(peer, sample, min(size, len(sample)))
            else:
                b, bc = timed_calls(peer, sample, min(size, len(sample)))
                a, ac = timed_calls(mih, queries, size)
            mih_rate.append(a)
            peer_rate.append(b)
            ratios.append(a / b)
            mih_cpu.append(ac)
            peer_cpu.append(bc)
            cpu_ratios.append(ac / bc)
            print(f"  {size} a call, round {r + 1} ({'MIH' if r % 2 == 0 else 'FAISS'} first): MIH {a:,.0f}/s "
                  f"({ac:,.0f}/CPU-s), FAISS MultiHash {b:,.0f}/s ({bc:,.0f}/CPU-s), ratio {a / b:.1f}x "
                  f"(CPU {ac / bc:.1f}x)  ({load_average()})")
        print(f"{size} lookups a call: per CPU-second MIH {spread(mih_cpu)}, FAISS MultiHash {spread(peer_cpu)}; "
              f"ratio MIH/MultiHash {spread(ratios, '.1f')}, per CPU-second {spread(cpu_ratios, '.1f')}  "
              f"(target >= 20x)  ({load_average()})")
    print(f"tasman MIH ({mih.m} substrings, flips {[t.flips for t in mih.tables]}): recall vs brute force "
          f"{'EQUAL' if pairs(mih.search(sample)) == truth else 'DIFFERENT'} "
          f"({len(truth)} true pairs in {len(sample)} lookups); build {mih_build:.1f} s; {q} lookups")
    print(f"FAISS IndexBinaryMultiHash(256,16,16) nflip=1: recall vs brute force "
          f"{'EQUAL' if pairs(peer.search(sample)) == truth else 'DIFFERENT'}; build {peer_build:.1f} s; "
          f"{len(sample)} lookups")


def _worker_lookups(folder: str, queries: np.ndarray, rounds: int,
                    numpy_too: bool = False) -> tuple[list[float], int, int, list[float], list[float]]:
    """In a fresh process: open the index through the cache (mapped), time the lookups, and
    report the peak resident memory (mapped pages of the shared files included). With
    ``numpy_too``, each round also times numpy's passes (the search before the compiled loop)
    right after, and their lookups per CPU-second come last."""
    t = time.perf_counter()
    index = MihIndex.open(Path(folder))
    opened = time.perf_counter() - t
    index.search(queries[:1])           # compiled (or loaded from numba's cache) outside the timing
    rates, cpu, numpy_cpu = [], [], []
    for _ in range(rounds):
        c = time.process_time()
        rates.append(len(queries) / clock(lambda: index.search(queries)))
        cpu.append(len(queries) / (time.process_time() - c))
        if numpy_too:
            index.use_compiled = False
            c = time.process_time()
            index.search(queries)
            numpy_cpu.append(len(queries) / (time.process_time() - c))
            index.use_compiled = True
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    peak = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM"))
    return rates, peak * 1024, int(opened * 1000), cpu, numpy_cpu


def bench_big(n: int, q: int, flat_q: int, multihash: bool, rounds: int, pictures: int, workers: int) -> None:
    """Issue 19: a ``n``-hash index built into a file, opened (mapped) in a fresh process,
    lookups/s and resident memory there; a 1% change taken as a delta and tombstones; FAISS
    IndexBinaryMultiHash and IndexBinaryFlat on the same list."""
    import faiss

    from tasman.triage.match.indexcache import IndexCache

    faiss.omp_set_num_threads(1)
    t = time.perf_counter()
    codes, altered = realistic_list(n, pictures, workers)
    queries = query_mix(codes, altered, q)
    print(f"\n== {n:,}-hash PDQ index, radius {RADIUS} (list drawn in {time.perf_counter() - t:.0f} s) ==")
    root = Path(tempfile.mkdtemp(prefix="tasman-bench-pdqindex-"))
    cache = IndexCache(root)
    t = time.perf_counter()
    index, _ = cache.open_or_build(codes, RADIUS)
    build = time.perf_counter() - t
    folder = root / json_main(root)
    size = sum(f.stat().st_size for f in folder.iterdir())
    t = time.perf_counter()
    cache.open_or_build(codes, RADIUS)
    reopen = time.perf_counter() - t
    print(f"built and saved in {build:.0f} s ({size / 2**30:.2f} GiB of files); opened again by content key "
          f"(digest of the list + mmap) in {reopen:.1f} s  (target < 120 s)")
    sample = queries[np.random.default_rng(3).permutation(len(queries))[:flat_q]]
    t = time.perf_counter()
    truth = brute_force(codes, sample)
    flat_s = time.perf_counter() - t
    got = pairs(index.search(sample))
    print(f"recall vs FAISS IndexBinaryFlat (brute force) on {len(sample)} lookups: "
          f"{'EQUAL' if got == truth else 'DIFFERENT'} ({len(truth)} true pairs); Flat took {flat_s:.1f} s "
          f"= {len(sample) / flat_s:,.1f} lookups/s")
    del index
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        one = pool.apply(_worker_lookups, (str(folder), queries, rounds, True))
        print(f"one process (index mapped from the file): lookups/s {spread(one[0])}, per CPU-second "
              f"{spread(one[3])}; opened in {one[2]} ms; peak resident {one[1] / 2**30:.2f} GiB "
              f"(target >= 4,000/s, < 4 GiB)  ({load_average()})")
        ratio = [a / b for a, b in zip(one[3], one[4], strict=True)]
        print(f"  numpy's passes (no compiled loop), same process, rounds alternated: per CPU-second "
              f"{spread(one[4])}; compiled/numpy {spread(ratio, '.2f')}")
        both = [pool.apply_async(_worker_lookups, (str(folder), queries, rounds)) for _ in range(2)]
        res = [b.get() for b in both]
        total = [a + b for a, b in zip(res[0][0], res[1][0], strict=True)]
        print(f"two processes mapping the same files at once: lookups/s together {spread(total)}; "
              f"peak resident each {res[0][1] / 2**30:.2f} / {res[1][1] / 2**30:.2f} GiB (shared pages)")
    # a 1% change: 0.5% removed, 0.5% added (near copies of listed hashes and new ones)
    rng = np.random.default_rng(8)
    change = n // 200
    gone = rng.choice(n, change, replace=False)
    new = np.concatenate([np.delete(codes, gone, axis=0), flip_bits(codes[rng.choice(n, change // 2)], rng, 1, 20),
                          rng.integers(0, 256, (change - change // 2, 32), dtype=np.uint8)])
    t = time.perf_counter()
    live, rows = cache.open_or_build(new, RADIUS)
    derive = time.perf_counter() - t
    truth_new = brute_force(new, sample)
    got_new = {(a, int(rows[b])) for a, b in pairs(live.search(sample))}
    rates = [len(queries) / clock(lambda: live.search(queries)) for _ in range(rounds)]
    print(f"1% change ({change:,} removed, {change:,} added): {cache.last} in {derive:.1f} s (no rebuild); "
          f"lookups/s {spread(rates)}; recall vs brute force on the new list "
          f"{'EQUAL' if got_new == truth_new else 'DIFFERENT'}")
    flat_rate = len(sample) / flat_s
    if multihash:
        t = time.perf_counter()
        peer = FaissIndex(codes, RADIUS, 16, 16)
        peer_build = time.perf_counter() - t
        small = sample[:max(20, len(sample) // 5)]
        peer_rates = [len(small) / clock(lambda: peer.search(small)) for _ in range(rounds)]
        ok = pairs(peer.search(small)) == {p for p in truth if p[0] < len(small)}
        print(f"FAISS IndexBinaryMultiHash(256,16,16) nflip=1 on the same list: build {peer_build:.0f} s, "
              f"lookups/s {spread(peer_rates)} ({len(small)} lookups), recall {'EQUAL' if ok else 'DIFFERENT'}; "
              f"MIH/MultiHash {statistics.median(one[0]) / statistics.median(peer_rates):.0f}x")
    print(f"FAISS IndexBinaryFlat on the same list: {flat_rate:,.1f} lookups/s; MIH/Flat "
          f"{statistics.median(one[0]) / flat_rate:,.0f}x  ({load_average()})")


def json_main(root: Path) -> str:
    return next(p.name for p in root.glob("main-*"))


# ---------------------------------------------------------------- pictures
def caption(img: Image.Image, seed: int) -> Image.Image:
    rng = random.Random(seed)
    w, h = img.size
    strip = int(h * rng.uniform(0.08, 0.2))
    top = rng.random() < 0.5
    bg = rng.choice([(255, 255, 255), (0, 0, 0), (250, 230, 40)])
    out = Image.new("RGB", (w, h + strip), bg)
    out.paste(img, (0, strip if top else 0))
    font = ImageFont.load_default(size=max(10, strip // 2))
    fg = (0, 0, 0) if sum(bg) > 300 else (255, 255, 255)
    ImageDraw.Draw(out).text((rng.randrange(4, 30), (0 if top else h) + strip // 5), f"caption {seed} lorem",
                             fill=fg, font=font)
    return out


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def crop5(img: Image.Image) -> Image.Image:
    w, h = img.size
    return img.crop((round(w * 0.05), round(h * 0.05), round(w * 0.95), round(h * 0.95)))


TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "resize": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.BILINEAR),
    "recompress": lambda im: jpeg(im, 30),
    "grayscale": lambda im: ImageOps.grayscale(im).convert("RGB"),
    "brightness": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "blur": lambda im: im.filter(ImageFilter.GaussianBlur(1.5)),
    "thumbnail": lambda im: im.resize((128, round(128 * im.height / im.width)), Image.Resampling.LANCZOS),
    "flip": ImageOps.mirror,
    "rotate": lambda im: im.transpose(Image.Transpose.ROTATE_90),
}
CROPS: dict[str, Callable[[Image.Image, int], Image.Image]] = {
    "crop 5% a side": lambda im, s: crop5(im),
    "caption strip": caption,
    "crop + caption": lambda im, s: caption(crop5(im), s),
}


def hashes(name: str, img: Image.Image, regions: bool) -> FileHashes:
    variants, quality = dihedral_variants(img)
    return FileHashes(path=name, size=0, pdq=variants[0], pdq_quality=quality, pdq_variants=variants[1:],
                      pdq_regions=region_hashes(img) if regions else ())


def runner_hashes(name: str, img: Image.Image) -> FileHashes:
    """What ``tasman triage`` computes for the picture saved as a JPEG (quality 90): the reduced-scale
    decode, the folded PDQ and the crop stage's fast regions (``hashing.pictures.hash_picture``)."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=90)
    pic = hash_picture(buf.getvalue(), max_pixels=1 << 30, regions=region_buffers)
    return FileHashes(path=name, size=0, pdq=pic.pdq, pdq_quality=pic.quality, pdq_variants=pic.variants[1:],
                      pdq_regions=pic.regions)


def listed_job(args: tuple[int, tuple[int, int], str, int]) -> list[tuple[str, FileHashes]]:
    seed, size, folder, min_quality = args
    img = draw_picture(seed, size)
    if pdq_hash(img)[1] < min_quality:
        return []                      # too flat to be listed: PDQ would never let it claim a match
    img.save(Path(folder) / f"{seed}.png")
    out = []
    for t, f in TRANSFORMS.items():
        copy = f(img)
        out += [(t, hashes(f"{seed}/{t}", copy, False)), (RUNNER + t, runner_hashes(f"{seed}/{t}", copy))]
    for t, g in CROPS.items():
        copy = g(img, seed)
        out += [(t, hashes(f"{seed}/{t}", copy, True)), (RUNNER + t, runner_hashes(f"{seed}/{t}", copy))]
    return out


def unrelated_job(args: tuple[int, tuple[int, int]]) -> tuple[FileHashes, FileHashes]:
    seed, size = args
    img = draw_picture(seed, size)
    return hashes(f"u{seed}", img, True), runner_hashes(f"u{seed}", img)


def bench_pictures(ws: Workspace, n: int, n_unrelated: int, size: tuple[int, int], workers: int,
                   min_quality: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tasman-bench-lab-"))
    t = time.perf_counter()
    queries: dict[str, list[FileHashes]] = {}
    listed = skipped = 0
    seed = 0
    with ProcessPoolExecutor(workers) as pool:
        while listed < n:
            batch = [(s, size, str(folder), min_quality) for s in range(seed, seed + (n - listed) + 16)]
            seed += len(batch)
            for result in pool.map(listed_job, batch, chunksize=8):
                if not result:
                    skipped += 1
                elif listed < n:
                    listed += 1
                    for t_name, fh in result:
                        queries.setdefault(t_name, []).append(fh)
                else:              # one too many: keep the listed folder and the queries in step
                    Path(folder, f"{result[0][1].path.split('/')[0]}.png").unlink()
        both = list(pool.map(unrelated_job, [(1_000_000 + s, size) for s in range(n_unrelated)], chunksize=8))
    unrelated, unrelated_runner = [u for u, _ in both], [r for _, r in both]
    prep = time.perf_counter() - t
    with ws.session() as s:
        built = build_hashset(s, ws.actor, folder, "lab", category="1")
        pdq_only = load_matcher(s, ["lab"], crop=False)
        with_crop = load_matcher(s, ["lab"], crop=True)
    print(f"\n== Perceptual matching: {listed} listed generated pictures ({size[0]}x{size[1]}, "
          f"PDQ quality >= {min_quality}; "
          f"{skipped} flatter seeds skipped), {n_unrelated} unrelated; prepared in {prep:.0f} s, "
          f"list built in {built.seconds:.0f} s ==")
    total_hits = total = 0
    for name in TRANSFORMS:
        got = {m.path for m in pdq_only.match(queries[name]) if m.match_type == "perceptual"}
        total_hits += len(got)
        total += len(queries[name])
        print(f"{name:>12}: recall {len(got) / len(queries[name]):.4f}")
    print(f"{'all eight':>12}: recall {total_hits / total:.4f}  (target >= 0.99)")
    fp_pdq = len(pdq_only.match(unrelated))
    fp_crop = len(with_crop.match(unrelated))
    print(f"false matches among {n_unrelated} unrelated pictures: PDQ {fp_pdq}, PDQ + crop stage {fp_crop}  (target 0)")
    dists = nearest_unrelated(unrelated, with_crop)
    print(f"closest unrelated pair (any query hash incl. regions vs any listed hash): {dists} bits")
    sample = [draw_picture(2_000_000 + i, size) for i in range(50)]
    t_dihedral = statistics.median(timed(lambda im: dihedral_variants(im), sample))
    t_regions = statistics.median(timed(lambda im: region_hashes(im), sample))
    print(f"cost a picture ({size[0]}x{size[1]}): 8 dihedral PDQs {t_dihedral * 1000:.1f} ms, "
          f"region_hashes {t_regions * 1000:.1f} ms")
    for name in CROPS:
        base = {m.path for m in pdq_only.match(queries[name])}
        crop = {m.path for m in with_crop.match(queries[name])}
        print(f"{name:>15}: recall without crop stage {len(base) / listed:.4f}, with it {len(crop) / listed:.4f}")
    print("the same through the runner's own hashing (each copy saved as a JPEG of quality 90, decoded at "
          "reduced scale, folded PDQ, fast regions):")
    hits = sum(len({m.path for m in pdq_only.match(queries[RUNNER + name]) if m.match_type == "perceptual"})
               for name in TRANSFORMS)
    print(f"{'all eight':>15}: recall {hits / total:.4f}; false matches among the unrelated: PDQ "
          f"{len(pdq_only.match(unrelated_runner))}, PDQ + crop stage {len(with_crop.match(unrelated_runner))}")
    for name in CROPS:
        base = {m.path for m in pdq_only.match(queries[RUNNER + name])}
        crop = {m.path for m in with_crop.match(queries[RUNNER + name])}
        print(f"{name:>15}: recall without crop stage {len(base) / listed:.4f}, with it {len(crop) / listed:.4f}")


def timed(fn: Callable[[Image.Image], object], items: list[Image.Image]) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return out


def nearest_unrelated(unrelated: list[FileHashes], matcher: object) -> int:
    """The smallest distance between any unrelated query hash and any listed hash (margin to 31)."""
    index = matcher._pdq  # type: ignore[attr-defined]
    from tasman.triage.perceptual.codes import hamming, hex_to_bytes

    q = hex_to_bytes([h for f in unrelated for h in (f.pdq or "", *f.pdq_variants, *f.pdq_regions) if h], 32)
    listed = index.codes
    best = 256
    for i in range(0, len(q), 64):
        block = q[i:i + 64]
        d = hamming(np.repeat(block, len(listed), axis=0), np.tile(listed, (len(block), 1)))
        best = min(best, int(d.min()))
    return best


# ---------------------------------------------------------------- import
def write_list(path: Path, rows: int, changed: int = 0) -> None:
    """``rows`` random rows; with ``changed``, the first ``changed`` rows are swapped for new ones
    (the next version of the list: +changed -changed)."""
    rng, fresh = random.Random(5), random.Random(6)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("md5,sha1,pdq,category\n")
        for i in range(rows):
            r = fresh if i < changed else rng
            if i < changed:
                rng.getrandbits(128), rng.getrandbits(160), rng.getrandbits(256)
            fh.write(f"{r.getrandbits(128):032x},{r.getrandbits(160):040x},{r.getrandbits(256):064x},1\n")


def bench_import(rows: int, repeats: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tasman-bench-import-"))
    lst, nxt = folder / "list.csv", folder / "list-v2.csv"
    write_list(lst, rows)
    write_list(nxt, rows, changed=rows // 100)
    print(f"\n== Hash-set import: {rows:,} rows (md5, sha1, pdq, category), {lst.stat().st_size / 1e6:.0f} MB CSV ==")
    backends = [("SQLite", None)]
    if os.environ.get("TASMAN_TEST_DATABASE_URL"):
        backends.append(("PostgreSQL", os.environ["TASMAN_TEST_DATABASE_URL"]))
    for label, url in backends:
        first, again, loads = [], [], []
        for r in range(repeats):
            db = url and fresh_pg(url, r)
            ws = Workspace.init(folder / f"ws-{label}-{r}", db_url=db or None, actor="bench")
            with ws.session() as s:
                first.append(import_hashset(s, ws.actor, lst, "big").seconds)
            with ws.session() as s:
                res = import_hashset(s, ws.actor, nxt, "big")
                again.append(res.seconds)
            t = time.perf_counter()
            with ws.session() as s:
                load_matcher(s, ["big"])
            loads.append(time.perf_counter() - t)
            ws.close()
            if db:
                drop_pg(url, db)
        print(f"{label:>10}: import {statistics.median(first):.1f} s, "
              f"re-import of a version with 1% changed {statistics.median(again):.1f} s "
              f"(+{res.added:,} -{res.removed:,}), "
              f"load_matcher {statistics.median(loads):.1f} s  (target: well under 60 s)")


def fresh_pg(admin_url: str, n: int) -> str:
    from sqlalchemy import create_engine, text

    from tasman.core.db import normalise_url

    name = f"tasman_bench_{os.getpid()}_{n}"
    eng = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return normalise_url(admin_url).rsplit("/", 1)[0] + "/" + name


def drop_pg(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    from tasman.core.db import normalise_url

    eng = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    eng.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list-size", type=int, default=1_000_000, help="PDQ hashes in the index (MIH vs FAISS)")
    ap.add_argument("--queries", type=int, default=6000, help="lookups for the Tasman index")
    ap.add_argument("--faiss-queries", type=int, default=600,
                    help="lookups for FAISS (slower; recall checked on these)")
    ap.add_argument("--index-pictures", type=int, default=1000,
                    help="generated pictures whose dihedral PDQs (and near copies) are in the index's list")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (medians and spread)")
    ap.add_argument("--batch", type=int, nargs="+", default=[0], metavar="N",
                    help="lookups a call in the MIH vs FAISS timing, one or more sizes (0: all in one call)")
    ap.add_argument("--big", type=int, default=10_000_000, help="hashes in the file-backed index (issue 19)")
    ap.add_argument("--big-flat-queries", type=int, default=200, help="lookups checked by brute force at --big")
    ap.add_argument("--big-multihash", action="store_true",
                    help="also build FAISS IndexBinaryMultiHash at --big (minutes, ~2 GB)")
    ap.add_argument("--pictures", type=int, default=1000, help="listed generated pictures")
    ap.add_argument("--unrelated", type=int, default=1000, help="unrelated generated pictures")
    ap.add_argument("--picture-size", type=int, nargs=2, default=(320, 240), metavar=("W", "H"))
    ap.add_argument("--import-rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of the index searches (median)")
    ap.add_argument("--import-repeats", type=int, default=1, help="imports a backend (median)")
    ap.add_argument("--min-listed-quality", type=int, default=80,
                    help="PDQ quality a generated picture needs to be listed (the matcher's own bar is 50)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes drawing/hashing pictures")
    ap.add_argument("--skip", nargs="*", default=[], choices=["index", "big", "pictures", "import"])
    args = ap.parse_args()
    if "index" not in args.skip:
        bench_index(args.list_size, args.queries, args.faiss_queries, args.rounds, args.index_pictures, args.workers,
                    args.batch)
    if "big" not in args.skip:
        bench_big(args.big, args.queries, args.big_flat_queries, args.big_multihash, args.rounds,
                  args.index_pictures, args.workers)
    if "pictures" not in args.skip:
        ws = Workspace.init(Path(tempfile.mkdtemp(prefix="tasman-bench-ws-")) / "ws", actor="bench")
        bench_pictures(ws, args.pictures, args.unrelated, tuple(args.picture_size), args.workers,
                       args.min_listed_quality)
        ws.close()
    if "import" not in args.skip:
        bench_import(args.import_rows, max(1, args.import_repeats))


if __name__ == "__main__":
    main()
