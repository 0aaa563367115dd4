"""Matching benchmark: Tasman's PDQ index against FAISS IndexBinaryMultiHash, perceptual recall
and false matches on generated benign pictures, the crop stage, and hash-set import time.

    PYTHONPATH=src .venv/bin/python bench/match.py                  # full sizes, a few minutes
    PYTHONPATH=src .venv/bin/python bench/match.py --list-size 100000 --pictures 200 --import-rows 100000

Everything is measured in this run on the same data; timings are medians of --repeats runs,
single-threaded on both sides (numpy and FAISS with one OpenMP thread).
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
from tasman.triage.match.pdqindex import FaissIndex, MihIndex
from tasman.triage.match.regions import region_hashes
from tasman.triage.types import FileHashes

RADIUS = 31
RUNNER = "runner: "      # queries hashed the way ``tasman triage`` hashes them


# ---------------------------------------------------------------- index speed
def planted(n: int, q: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    targets = rng.choice(n, q, replace=False)
    bits = np.unpackbits(codes[targets], axis=1)
    for i in range(q):
        flip = rng.choice(256, int(rng.integers(0, RADIUS + 1)), replace=False)   # 0..31 bits away
        bits[i, flip] ^= 1
    return codes, np.packbits(bits, axis=1), targets


def timed_search(search: Callable[[np.ndarray], tuple[np.ndarray, ...]], queries: np.ndarray, repeats: int,
                 batch: int) -> tuple[float, tuple[np.ndarray, ...]]:
    runs, last = [], ()
    for _ in range(repeats):
        t = time.perf_counter()
        parts = [search(queries[i:i + batch]) for i in range(0, len(queries), batch)]
        runs.append(time.perf_counter() - t)
        offsets = np.cumsum([0] + [batch] * (len(parts) - 1))
        last = (np.concatenate([p[0] + o for p, o in zip(parts, offsets, strict=True)]),
                np.concatenate([p[1] for p in parts]))
    return len(queries) / statistics.median(runs), last


def recall(hits: tuple[np.ndarray, ...], targets: np.ndarray) -> float:
    found = set(zip(hits[0].tolist(), hits[1].tolist(), strict=True))
    return sum((i, int(t)) in found for i, t in enumerate(targets)) / len(targets)


def bench_index(n: int, q: int, faiss_q: int, repeats: int) -> None:
    import faiss

    faiss.omp_set_num_threads(1)
    codes, queries, targets = planted(n, q)
    t = time.perf_counter()
    mih = MihIndex(codes, RADIUS)
    mih_build = time.perf_counter() - t
    t = time.perf_counter()
    peer = FaissIndex(codes, RADIUS, 16, 16)
    peer_build = time.perf_counter() - t
    mih_qps, mih_hits = timed_search(mih.search, queries, repeats, 1000)
    peer_qps, peer_hits = timed_search(peer.search, queries[:faiss_q], repeats, 1000)
    print(f"\n== PDQ range search, radius {RADIUS}, {n:,} random hashes, neighbours planted at 0-{RADIUS} bits ==")
    print(f"tasman MIH ({mih.m} substrings, {mih.flips} flips): {mih_qps:10,.0f} queries/s  "
          f"recall {recall(mih_hits, targets):.3f}  build {mih_build:.1f} s  ({q} queries)")
    print(f"FAISS IndexBinaryMultiHash(256,16,16) nflip=1:   {peer_qps:10,.0f} queries/s  "
          f"recall {recall(peer_hits, targets[:faiss_q]):.3f}  build {peer_build:.1f} s  ({faiss_q} queries)")
    print(f"ratio: {mih_qps / peer_qps:.1f}x  (target >= 5x)")


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
    from tasman.triage.match.codes import hamming, hex_to_bytes

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
    ap.add_argument("--list-size", type=int, default=1_000_000, help="random PDQ hashes in the index")
    ap.add_argument("--queries", type=int, default=5000, help="planted queries for the Tasman index")
    ap.add_argument("--faiss-queries", type=int, default=1000, help="planted queries for FAISS (slower)")
    ap.add_argument("--pictures", type=int, default=1000, help="listed generated pictures")
    ap.add_argument("--unrelated", type=int, default=1000, help="unrelated generated pictures")
    ap.add_argument("--picture-size", type=int, nargs=2, default=(320, 240), metavar=("W", "H"))
    ap.add_argument("--import-rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of the index searches (median)")
    ap.add_argument("--import-repeats", type=int, default=1, help="imports a backend (median)")
    ap.add_argument("--min-listed-quality", type=int, default=80,
                    help="PDQ quality a generated picture needs to be listed (the matcher's own bar is 50)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes drawing/hashing pictures")
    ap.add_argument("--skip", nargs="*", default=[], choices=["index", "pictures", "import"])
    args = ap.parse_args()
    if "index" not in args.skip:
        bench_index(args.list_size, args.queries, args.faiss_queries, args.repeats)
    if "pictures" not in args.skip:
        ws = Workspace.init(Path(tempfile.mkdtemp(prefix="tasman-bench-ws-")) / "ws", actor="bench")
        bench_pictures(ws, args.pictures, args.unrelated, tuple(args.picture_size), args.workers,
                       args.min_listed_quality)
        ws.close()
    if "import" not in args.skip:
        bench_import(args.import_rows, max(1, args.import_repeats))


if __name__ == "__main__":
    main()
