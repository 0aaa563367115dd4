"""Recall against a partner's list of whole-picture hashes only, per edit, against a plain
HMA-style PDQ matcher (python-threatexchange's PdqSignal, threshold 31) as the peer.

Draws ``--n`` benign pictures from each of two independently written generators
(``tasman.synth.images``: a gradient with hard-edged shapes at ``--size``; ``bench/pictures2.py``:
landscapes, smooth fields, layered gradients, documents, app screens and textures at its own
sizes and aspect ratios), writes their MD5/SHA-1 and one reference PDQ each to a CSV hash
list and imports it (``import_hashset``, what ``tasman hashset import`` runs: no region hashes),
then edits every picture every way (``tasman.synth.edits``: 5% and 10% crops centred and
off-centre, a crop of a framing drawn at random (``crop-any``: 0.80-0.95 of each axis kept,
anywhere along it, so no un-crop framing is favoured), partial-width caption boxes top and
bottom, corner logos, watermark bars, and the standard resize / recompress / grey / blur /
mirror / rotate), hashes each edited JPEG through triage's worker (``hash_item``: PDQ,
dihedral, regions, hypotheses) and matches it with
triage's matcher. A copy counts as found when it matches and its own original is within the
radius of the query kind that matched (so a match to another listed picture is not counted).

Recall is printed per edit for each generator (``--generator`` picks one or both); ``--first``
moves the seeds to a range not used to choose settings.

    PYTHONPATH=src .venv/bin/python bench/croprecall.py [--n 100] [--first 0] [--size 640x480] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pictures2 import picture
from tasman.core.workspace import Workspace
from tasman.synth.edits import HARD, STANDARD, edited, jpeg_bytes
from tasman.synth.images import draw_picture
from tasman.synth.triage_set import reference_pdq
from tasman.triage.hashing.pdq import hamming
from tasman.triage.hashing.worker import HashOptions, WorkItem, hash_item, one_blas_thread
from tasman.triage.hashsets.store import import_hashset
from tasman.triage.match import load_matcher
from tasman.triage.match.matcher import masked_rule
from tasman.triage.match.settings import HYPOTHESIS_MASKED_THRESHOLD, HYPOTHESIS_THRESHOLD, MatchSettings
from tasman.triage.types import FileHashes

EDITS = (*HARD, "crop-any", *STANDARD)     # crop-any: a framing drawn at random (``edits.any_crop``)
SEED0 = 20_000
SEED2 = 90_000
GENERATORS = ("synth", "pictures2")


def original(gen: str, seed: int, size: tuple[int, int]):  # type: ignore[no-untyped-def]
    """Original ``seed`` of generator ``gen`` (``size`` is the synth generator's; pictures2 picks its own)."""
    return draw_picture(SEED0 + seed, size) if gen == "synth" else picture(SEED2 + seed)


def _job(args: tuple[str, int, tuple[int, int]]) -> tuple[str, str, str, list[tuple[str, FileHashes, str]], int]:
    """One original: its list row (md5, sha1, reference PDQ) and every edit's hashes and peer hash."""
    from threatexchange.signal_type.pdq.signal import PdqSignal

    gen, seed, size = args
    im = original(gen, seed, size)
    data = jpeg_bytes(im)
    row = f"{hashlib.md5(data).hexdigest()},{hashlib.sha1(data).hexdigest()},{reference_pdq(data)[0]},1"
    opts = HashOptions(temp_dir=tempfile.gettempdir())
    out = []
    for name in EDITS:
        copy = jpeg_bytes(edited(im, name, seed), 85)
        r = hash_item(WorkItem(path=f"{gen}/{name}/{seed}.jpg", size=len(copy), data=copy), opts)
        out.append((name, r.hashes, PdqSignal.hash_from_bytes(copy)))
    own, quality = reference_pdq(data)
    return gen, row, own, out, quality


def hypothesis_near(fh: FileHashes, name: str, own: str, radius: int, st: MatchSettings) -> bool:
    """Whether hypothesis ``name`` of ``fh`` passes the matcher's rule against its own original's
    hash ``own`` (within the hypothesis threshold, or within ``radius`` by ``matcher.masked_rule``:
    its confident bits agreeing, and for an in-paint nearer than the picture as it is), so that a
    match to another listed picture is not counted."""
    names = [n for n, _ in fh.pdq_hypotheses]
    if name not in names:
        return False
    k = names.index(name)
    d = hamming(fh.pdq_hypotheses[k][1], own)
    if d <= HYPOTHESIS_THRESHOLD:
        return True
    if d > radius or len(fh.pdq_hypothesis_masks) != len(names):
        return False
    q, o, m = (int(x, 16) for x in (fh.pdq_hypotheses[k][1], own, fh.pdq_hypothesis_masks[k]))
    plain = hamming(fh.pdq, own) if fh.pdq else -1
    return masked_rule(name, d, ((q ^ o) & m).bit_count(), m.bit_count(), plain, st)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100,
                    help=f"listed originals per generator (each edited {len(EDITS)} ways)")
    ap.add_argument("--first", type=int, default=0,
                    help="the first original's seed: seeds --first .. --first + --n - 1 (e.g. 40 for a range "
                         "not used to choose settings)")
    ap.add_argument("--generator", choices=(*GENERATORS, "both"), default="both")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    gens = GENERATORS if args.generator == "both" else (args.generator,)
    t0 = time.monotonic()
    print(f"load average {os.getloadavg()[0]:.1f}; seeds {args.first}-{args.first + args.n - 1}", flush=True)
    with ProcessPoolExecutor(args.workers, initializer=one_blas_thread) as pool:
        done = list(pool.map(_job, [(g, s, (w, h)) for g in gens
                                            for s in range(args.first, args.first + args.n)], chunksize=4))
    print(f"{args.n} originals x {len(gens)} generators x {len(EDITS)} edits hashed in {time.monotonic() - t0:.0f} s "
          f"({args.workers} processes)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        listfile = Path(tmp) / "partner.csv"
        listfile.write_text("md5,sha1,pdq,category\n" + "\n".join(row for _, row, _, _, _ in done) + "\n")
        ws = Workspace.init(Path(tmp) / "ws", actor="bench")
        with ws.session() as s:
            import_hashset(s, ws.actor, listfile, "partner")
        with ws.session() as s:
            matcher = load_matcher(s, ["partner"])
        found: dict[str, Counter[str]] = {g: Counter() for g in gens}
        peer: dict[str, Counter[str]] = {g: Counter() for g in gens}
        how: dict[tuple[str, str], Counter[str]] = {(g, e): Counter() for g in gens for e in EDITS}
        for gen, _, own, edits, _ in done:
            files = [fh for _, fh, _ in edits]
            matched = {m.path: m for m in matcher.match(files)}
            for name, fh, te in edits:
                m = matched.get(fh.path)
                if m is not None:
                    v = str(m.detail.get("variant", "")) if m.match_type == "perceptual" else m.match_type
                    near = (":" in v and hypothesis_near(fh, v, own, matcher.hypothesis_radius, matcher.settings)) or (
                        ":" not in v and m.match_type in ("perceptual", "exact")
                        and min(hamming(q, own) for q in (fh.pdq or "0" * 64, *fh.pdq_variants)) <= 31) or (
                        m.match_type == "crop")
                    if near:
                        found[gen][name] += 1
                        how[gen, name][v.split(":")[0] or "plain"] += 1
                if te and hamming(te, own) <= 31:      # the peer gives no hash under its quality bar
                    peer[gen][name] += 1
        ws.close()
    n = args.n
    for gen in gens:
        flat = sum(1 for g, *_, q in done if g == gen and q < 50)
        print(f"\n== {gen}: {flat} of {n} originals have a listed PDQ of quality under 50 (the peer never "
              f"matches them; Tasman within {matcher.settings.low_quality_threshold} bits)")
        print(f"recall per edit ({n} pictures each; hypotheses at <= {HYPOTHESIS_THRESHOLD} bits, or <= "
              f"{matcher.hypothesis_radius} with their confident bits within {HYPOTHESIS_MASKED_THRESHOLD}; "
              "plain at <= 31):")
        print(f"{'edit':16} {'tasman':>7} {'peer':>7}  matched by")
        for name in EDITS:
            target = 0.99 if name in STANDARD else 0.80
            print(f"{name:16} {found[gen][name] / n:7.2f} {peer[gen][name] / n:7.2f}  "
                  f"{dict(how[gen, name].most_common())} (target >= {target})")
        hard = sum(found[gen][e] for e in HARD) / (n * len(HARD))
        std = sum(found[gen][e] for e in STANDARD) / (n * len(STANDARD))
        print(f"crops and overlays: tasman {hard:.2f}, peer {sum(peer[gen][e] for e in HARD) / (n * len(HARD)):.2f}; "
              f"standard edits: tasman {std:.2f}, peer "
              f"{sum(peer[gen][e] for e in STANDARD) / (n * len(STANDARD)):.2f}")
    print(f"load average {os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    main()
