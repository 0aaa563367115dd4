"""Scan throughput of ``tasman.extract`` beside a one-pass-per-pattern ``re`` baseline, measured
in the same run on the same generated corpus, plus precision/recall per type.

    python bench/extract.py            # 1 GB corpus, all cores
    python bench/extract.py --quick    # 64 MB, for a look
    python bench/extract.py --size 256M --workers 2 --repeat 3

Both sides read the same files in the same 8 MiB windows in the same number of worker
processes and validate candidates with the same detectors (checksums, phonenumbers, context);
only the candidate search differs: one multi-pattern pass (Hyperscan) against one ``re.finditer``
pass per pattern. Two corpora of the same size: "known" (lines recur, as in logs; the validators'
caches answer most values) and "new" (every identifier line made anew, caches emptied before each
file), scanned in interleaved rounds; figures are medians over ``--repeat`` rounds, with the ratio
of the two per CPU-second.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from tasman.extract.detectors.base import Buffer, Found
from tasman.extract.quality import evaluate
from tasman.extract.scan import _resolve, _with_context, default_scanner
from tasman.extract.sources.text import windows
from tasman.synth.identifiers import _FILLER, _Gen, _log_line, make_corpus, make_doc

FILE_SIZE = 16 * 1024 * 1024
_PROSE_WORDS = ("the a of and to in is was for on that with as it by at from this be are have not or but had they "
          "which one you were all we when there can an their been has more if will would who so out up about "
          "into than them only some could time these two may then do first any my now such like our over man me "
          "even most made after also did many before must through back years where much your way well down "
          "should because each just those people how too little state good very make world still own see men "
          "work long get here between both life being under never day same another know while last might us "
          "great old year off come since against go came right used take three meeting weather parcel files "
          "afternoon tomorrow train station market garden")
_PROSE = _PROSE_WORDS.split()


def _size(text: str) -> int:
    m = re.fullmatch(r"(\d+)([KMG]?)", text.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"size {text!r}: use e.g. 64M or 1G")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]


def _messages(g: _Gen, ip_lines: int, docs: int) -> list[str]:
    """Log lines with a client IP, then labelled messages (identifiers and decoys)."""
    return [f"{_log_line(g)} client={g.ip()[0]}" for _ in range(ip_lines)] + [make_doc(g).text for _ in range(docs)]


def _order_rows(g: _Gen, r: random.Random, rows: int) -> list[str]:
    """CSV order rows with an e-mail address."""
    out = []
    for _ in range(rows):
        email, _t = g.email()
        name = f"{r.choice(_PROSE)} {r.choice(_PROSE)}"
        out.append(f"{g.digits(8)},{name},{email},{r.randint(1, 500)}.{g.digits(2)},EUR")
    return out


def make_corpus_files(root: Path, total: int, seed: int = 3, fresh: bool = False) -> list[Path]:
    """Mixed text: prose, log lines (a tenth with a client IP), chat-like messages with
    identifiers and decoys, CSV order rows (about one identifier per kilobyte).

    Lines are drawn from a pool of about 20,000, so each identifier line recurs (as lines do in
    logs and repeated messages, but far more often). ``fresh``: the lines with identifiers are
    made anew for every block instead, so identifiers and the words around them do not recur
    and the caches of the validators cannot help."""
    g = _Gen(seed)
    r = random.Random(seed)
    prose = [" ".join(r.choice(_PROSE) for _ in range(r.randint(8, 30))).capitalize() + "." for _ in range(12000)]
    logs = [_log_line(g) for _ in range(5000)]
    messages = _messages(g, 500, 1000)
    filler = [r.choice(_FILLER) for _ in range(1000)]
    pool = prose + logs + messages + filler + _order_rows(g, r, 300)
    plain = prose + logs + filler
    files = []
    written = 0
    n = 0
    while written < total:
        size = min(FILE_SIZE, total - written)
        p = root / f"mixed_{n:03d}.txt"
        with p.open("w", encoding="utf-8") as fh:
            left = size
            while left > 0:
                if fresh:  # the pool's share of identifier lines (1,800 of 19,800), all new
                    lines = r.choices(plain, k=1818) + _messages(g, 51, 101) + _order_rows(g, r, 30)
                    r.shuffle(lines)
                else:
                    lines = r.choices(pool, k=2000)
                block = "\n".join(lines) + "\n"
                data = block[:left]
                fh.write(data)
                left -= len(data.encode("utf-8"))
        files.append(p)
        written += p.stat().st_size
        n += 1
    return files


# ---- the two scanners, run in worker processes ------------------------------------------------


def clear_caches() -> None:
    """Empty every bounded validator cache (``functools.lru_cache``) of ``tasman.extract``, so that
    a ``--fresh`` file is scanned with nothing remembered from the files or runs before it."""
    for name, module in list(sys.modules.items()):
        if name.startswith("tasman.extract"):
            for obj in list(vars(module).values()):
                info = getattr(obj, "cache_info", None)
                if callable(info) and info().maxsize is not None:
                    obj.cache_clear()


def scan_file_tasman(path: str, fresh: bool = False) -> tuple[int, int, float]:
    sc = default_scanner()
    if fresh:
        clear_caches()
    cpu = time.process_time()
    finds = 0
    with open(path, "rb") as fh:
        for _offset, data, a, b in windows(fh):
            finds += sum(1 for f in sc.scan_bytes(data) if a <= f.start < b)
    return os.path.getsize(path), finds, time.process_time() - cpu


_BASELINE: list[tuple[re.Pattern[bytes], object, int]] | None = None


def _baseline() -> list[tuple[re.Pattern[bytes], object, int]]:
    global _BASELINE
    if _BASELINE is None:
        sc = default_scanner()
        _BASELINE = [(re.compile(spec.regex, re.I if spec.caseless else 0), det, i)
                     for det in sc.detectors for i, spec in enumerate(det.patterns) if not spec.regional]
    return _BASELINE


def scan_file_re(path: str, fresh: bool = False) -> tuple[int, int, float]:
    patterns = _baseline()
    if fresh:
        clear_caches()
    cpu = time.process_time()
    finds = 0
    with open(path, "rb") as fh:
        for _offset, data, a, b in windows(fh):
            buf = Buffer(data + b"\n")
            got: list[Found] = []
            for rx, det, i in patterns:  # one pass over the window per pattern
                for m in rx.finditer(buf.data):
                    got.extend(det.detect(buf, i, m.start(), [m.end()]))  # type: ignore[attr-defined]
            finds += sum(1 for f in _with_context(_resolve(got), buf) if a <= f.start < b)
    return os.path.getsize(path), finds, time.process_time() - cpu


def _warm(_: int) -> int:
    default_scanner().scan_bytes(b"warm up: a@example.org +44 7911 123456 in Leeds")
    _baseline()
    return 0


def timed(pool: ProcessPoolExecutor, fn: object, files: list[Path], fresh: bool) -> tuple[float, int, int, float]:
    """(wall seconds, bytes, identifiers, CPU seconds summed over the workers)."""
    t = time.perf_counter()
    results = list(pool.map(partial(fn, fresh=fresh), [str(f) for f in files]))  # type: ignore[call-arg]
    dt = time.perf_counter() - t
    return dt, sum(r[0] for r in results), sum(r[1] for r in results), sum(r[2] for r in results)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=_size, default=_size("1G"), help="size of each corpus (default 1G)")
    ap.add_argument("--quick", action="store_true", help="64 MB corpora, 1 baseline repeat")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (each: the known corpus, then the new one)")
    ap.add_argument("--baseline-repeat", type=int, default=1, help="repeats of the (slow) re baseline (0: none)")
    ap.add_argument("--docs", type=int, default=3000, help="labelled documents for precision/recall (0: none)")
    ap.add_argument("--only", choices=("known", "new"), default=None,
                    help="one corpus only: 'known' (lines recur, the validators' caches answer most values) or "
                         "'new' (identifier lines made anew for every block, every file scanned with empty "
                         "validator caches: what identifiers never seen before cost); default both, interleaved")
    ap.add_argument("--fresh", action="store_true", help="the same as --only new")
    args = ap.parse_args()
    size = _size("64M") if args.quick else args.size
    kinds = ["new"] if args.fresh else [args.only] if args.only else ["known", "new"]
    with tempfile.TemporaryDirectory(prefix="tasman-bench-extract-") as tmp:
        corpora: dict[str, list[Path]] = {}
        for kind in kinds:
            t = time.perf_counter()
            root = Path(tmp) / kind
            root.mkdir()
            corpora[kind] = make_corpus_files(root, size, fresh=kind == "new")
            total = sum(f.stat().st_size for f in corpora[kind])
            what = "identifier lines made anew" if kind == "new" else "lines recur"
            print(f"{kind} corpus ({what}): {total / 1e6:.0f} MB in {len(corpora[kind])} files, generated in "
                  f"{time.perf_counter() - t:.0f} s", flush=True)
        print(f"{args.workers} worker processes on {os.cpu_count()} cores", flush=True)
        ours: dict[str, list[float]] = {k: [] for k in kinds}
        ours_cpu: dict[str, list[float]] = {k: [] for k in kinds}
        found: dict[str, int] = {}
        loads: list[float] = []
        theirs, theirs_cpu = [], []
        n_theirs = 0
        with ProcessPoolExecutor(args.workers) as pool:
            list(pool.map(_warm, range(args.workers * 2)))
            for i in range(args.repeat):
                for kind in kinds:  # interleaved: both corpora see the same load, round by round
                    dt, nbytes, found[kind], cpu = timed(pool, scan_file_tasman, corpora[kind], kind == "new")
                    ours[kind].append(nbytes / 1e6 / dt)
                    ours_cpu[kind].append(nbytes / 1e6 / cpu)
                    loads.append(os.getloadavg()[0])
                    print(f"  round {i + 1}, {kind:5} corpus: {ours[kind][-1]:.1f} MB/s wall, "
                          f"{ours_cpu[kind][-1]:.1f} MB per CPU-second ({found[kind]} identifiers, "
                          f"load {loads[-1]:.1f})", flush=True)
            base_kind = kinds[0]
            for i in range(args.baseline_repeat):
                dt, nbytes, n_theirs, cpu = timed(pool, scan_file_re, corpora[base_kind], base_kind == "new")
                theirs.append(nbytes / 1e6 / dt)
                theirs_cpu.append(nbytes / 1e6 / cpu)
                print(f"  re baseline run {i + 1} ({base_kind} corpus): {theirs[-1]:.1f} MB/s wall, "
                      f"{theirs_cpu[-1]:.1f} MB per CPU-second ({n_theirs} identifiers)", flush=True)
    print()
    print("                                wall MB/s   wall/core   MB per CPU-second (per core): median [min-max]")
    for kind in kinds:
        mine, mine_cpu = statistics.median(ours[kind]), statistics.median(ours_cpu[kind])
        print(f"tasman, {kind:5} corpus           {mine:9.1f}   {mine / args.workers:9.1f}   {mine_cpu:9.1f} "
              f"[{min(ours_cpu[kind]):.1f}-{max(ours_cpu[kind]):.1f}]")
    mine, mine_cpu = statistics.median(ours[base_kind]), statistics.median(ours_cpu[base_kind])
    if theirs:
        base, base_cpu = statistics.median(theirs), statistics.median(theirs_cpu)
        print(f"re, one pass per pattern ({base_kind}) {base:6.1f}   {base / args.workers:9.1f}   {base_cpu:9.1f}")
        print(f"ratio to the baseline ({base_kind} corpus): wall {mine / base:.1f}x, CPU {mine_cpu / base_cpu:.1f}x; "
              f"identifiers found: {found[base_kind]} vs {n_theirs}")
    print(f"load average {min(loads):.1f}-{max(loads):.1f} (median {statistics.median(loads):.1f})")
    if len(kinds) == 2:
        ratios = [k / n for k, n in zip(ours_cpu["known"], ours_cpu["new"], strict=True)]
        cost = statistics.median(ratios)
        print(f"new identifiers cost {cost:.2f}x known ones per CPU-second (median of the rounds' ratios, "
              f"{min(ratios):.2f}-{max(ratios):.2f}): target <= 2x {'met' if cost <= 2 else 'NOT met'}")
    head = f"targets: >= 5x baseline: {'met' if mine / base >= 5 else 'NOT met'}; " if theirs else "targets: "
    per_core = ", ".join(f"{k} {'met' if statistics.median(ours_cpu[k]) >= 30 else 'NOT met'}" for k in kinds)
    print(f"{head}>= 30 MB per CPU-second per core: {per_core}")
    if not args.docs:
        return 0
    print()
    t = time.perf_counter()
    ev = evaluate(make_corpus(args.docs, seed=2024))
    print(f"precision / recall on {args.docs} labelled documents ({time.perf_counter() - t:.0f} s):")
    print(ev.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
