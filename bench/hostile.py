"""Hostile inputs from the December 2026 review, each run through the real CLI with its wall time
and peak memory measured against the 2 GB target.

Every input is generated here, into a temporary folder, from benign bytes (zeros, brackets, one
colour): nested JSON for ``tasman hashset import`` (VICS) and ``tasman records import`` (chats,
tips), a nested zip bomb, a 169-megapixel PNG, a FIFO and /dev/zero for ``tasman triage``, and a
package whose envelope inflates to gigabytes for ``tasman package verify``.

Peak memory is measured twice: ``/usr/bin/time -v``'s "Maximum resident set size", which is the
largest single process (a worker pool's other processes are not in it), and the total RSS of
the whole process tree sampled with psutil every 50 ms (pages shared between a parent and its
forked workers count once per process, so this total is an upper bound). PASS means: finished
within the timeout, no internal error (exit 1) or signal, and both peaks under 2 GB; a refusal
(exit 5 and one line) is the expected answer to most of these. A run whose tree goes over
``--cap`` (default 4 GB) is killed at once and shown as ``cap``, so that a bomb that is not yet
defused does not take a shared machine's memory.

    .venv/bin/python bench/hostile.py                  # every input
    .venv/bin/python bench/hostile.py --only vics-200k --only chats-deep --timeout 60
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
TARGET = 2 << 30                    # bytes of peak memory
CLI = [sys.executable, "-c", "from tasman.cli.main import main; main()"]
MD5 = "9e107d9d372bb6826bd81d3542a419d6"


@dataclass(frozen=True)
class Hostile:
    name: str
    what: str
    make: Callable[[Path], tuple[list[str], Path]]     # folder -> (CLI arguments after -w WS, the input)


def _deep_text(levels: int) -> str:
    return "[" * levels + "]" * levels


def vics(levels: int) -> Callable[[Path], tuple[list[str], Path]]:
    def make(d: Path) -> tuple[list[str], Path]:
        f = d / f"vics-{levels}.json"
        f.write_text('{"@odata.context": "x", "value": ' + _deep_text(levels) + "}")
        return ["hashset", "import", str(f), "--name", f"deep{levels}", "--format", "vics"], f
    return make


def chats_deep(d: Path) -> tuple[list[str], Path]:
    f = d / "chats.jsonl"
    f.write_text('{"session": "S-1", "counterpart": "x", "messages": ' + _deep_text(200_000) + "}\n")
    return ["records", "import", str(f), "--case", "C1", "--kind", "chats"], f


def tips_deep(d: Path) -> tuple[list[str], Path]:
    f = d / "tips.json"
    f.write_text('{"tips": [' + _deep_text(200_000) + "]}")
    return ["records", "import", str(f), "--case", "C1", "--kind", "tips"], f


def zip_bomb(d: Path, fanout: int = 10, depth: int = 6, leaf: int = 100 << 10) -> tuple[list[str], Path]:
    """``depth`` levels of zips, each holding ``fanout`` copies of the level below; the leaves are
    ``leaf`` bytes of zeros (fanout**depth leaves: 100 GB from a few kilobytes)."""
    data, name = bytes(leaf), ".bin"
    for _ in range(depth):
        buf = d / "level.zip"
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for i in range(fanout):
                z.writestr(f"{i}{name}", data)
        data, name = buf.read_bytes(), ".zip"
        buf.unlink()
    folder = d / "zipbomb"
    folder.mkdir()
    f = folder / "nested.zip"
    f.write_bytes(data)
    return ["triage", "--case", "C1", "--workers", "2", "--out", str(d / "out-zip"), str(folder)], f


def big_png(d: Path, side: int = 13_000) -> tuple[list[str], Path]:
    """169 megapixels of one colour with one drawn square: a few hundred kilobytes on disk."""
    folder = d / "png"
    folder.mkdir()
    f = folder / "wide.png"
    Image.MAX_IMAGE_PIXELS = None
    im = Image.new("L", (side, side), 200)
    ImageDraw.Draw(im).rectangle((side // 4, side // 4, side // 2, side // 2), fill=40)
    im.save(f, optimize=False, compress_level=9)
    del im
    return ["triage", "--case", "C1", "--workers", "2", "--out", str(d / "out-png"), str(folder)], f


def package(d: Path, inflated: int = 2 << 30) -> tuple[list[str], Path]:
    """A package whose deflated envelope.json is ~2 MB and inflates to ``inflated`` bytes of spaces."""
    f = d / "crafted.tasman"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo("envelope.json", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as out:
            out.write(b'{"format": "tasman-referral-package",')
            chunk = b" " * (16 << 20)
            for _ in range(inflated // len(chunk)):
                out.write(chunk)
            out.write(b'"format_version": 1}')
        z.writestr("envelope.sig", b"AAAA")
        z.writestr("payload.age", b"not age")
    return ["package", "verify", str(f)], f


def fifo(d: Path) -> tuple[list[str], Path]:
    folder = d / "fifo"
    folder.mkdir()
    f = folder / "pipe"
    os.mkfifo(f)
    return ["triage", "--case", "C1", "--out", str(d / "out-fifo"), str(f)], f


def dev_zero(d: Path) -> tuple[list[str], Path]:
    return ["triage", "--case", "C1", "--out", str(d / "out-zero"), "/dev/zero"], Path("/dev/zero")


def baseline(d: Path) -> tuple[list[str], Path]:
    return ["hashset", "list"], d


HOSTILE = [
    Hostile("baseline", "not hostile: 'tasman hashset list', the CLI's own start-up cost", baseline),
    Hostile("vics-40k", "VICS export of 40,000 nested arrays (hashset import)", vics(40_000)),
    Hostile("vics-200k", "VICS export of 200,000 nested arrays (hashset import)", vics(200_000)),
    Hostile("chats-deep", "chat JSONL line nested 200,000 deep (records import)", chats_deep),
    Hostile("tips-deep", "tips JSON nested 200,000 deep (records import)", tips_deep),
    Hostile("zip-bomb", "nested zip, fan-out 10, depth 6, zeros (triage)", zip_bomb),
    Hostile("png-169mp", "13,000 x 13,000 PNG of one colour (triage)", big_png),
    Hostile("package", "package with a deflated envelope of 2 GiB (package verify)", package),
    Hostile("fifo", "a FIFO given as evidence (triage)", fifo),
    Hostile("dev-zero", "/dev/zero given as evidence (triage)", dev_zero),
]


@dataclass
class Measured:
    exit: int | None                # None: killed (at the timeout, or over the memory cap)
    seconds: float
    time_peak: int | None           # bytes, /usr/bin/time -v (largest single process)
    tree_peak: int                  # bytes, psutil: the process tree's total RSS
    last_line: str
    capped: bool = False            # killed for going over --cap


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        family = [proc, *proc.children(recursive=True)]
    except psutil.Error:            # the run has just ended
        return 0
    for p in family:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def _kill_tree(proc: psutil.Process) -> None:
    """Kill the run under ``/usr/bin/time`` (so that it still writes its report), then ``time``
    itself if it lingers."""
    try:
        family = proc.children(recursive=True)
    except psutil.Error:
        return
    for p in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(family, timeout=10)
    try:
        proc.wait(timeout=10)
    except psutil.TimeoutExpired:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    except psutil.NoSuchProcess:
        pass


def measure(argv: list[str], ws: Path, timeout: float, scratch: Path, cap: int) -> Measured:
    timefile = scratch / "time.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = ["/usr/bin/time", "-v", "-o", str(timefile), *CLI, "-w", str(ws), *argv]
    started = time.monotonic()
    popen = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    proc = psutil.Process(popen.pid)
    peak = 0
    capped = False
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, capped
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc))
            if peak > cap and not capped:     # a shared machine has no memory to lose to a bomb
                capped = True
                _kill_tree(proc)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        _, err = popen.communicate(timeout=timeout)
        code: int | None = None if capped else popen.returncode
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        _, err = popen.communicate()
        code = None
    seconds = time.monotonic() - started
    stop.set()
    sampler.join()
    report = timefile.read_text() if timefile.exists() else ""
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    lines = [x for x in err.decode("utf-8", "replace").splitlines() if x.strip()]
    if capped or code is None:
        lines.append(f"(killed: {'over the --cap' if capped else f'still running after {timeout:g} s'})")
    return Measured(code, seconds, int(m.group(1)) * 1024 if m else None, peak, lines[-1][:160] if lines else "",
                    capped)


def _setup(ws: Path, scratch: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    listed = scratch / "list.txt"
    listed.write_text(f"{MD5}\n")
    for argv in (["init", str(ws)], ["-w", str(ws), "case", "create", "C1"],
                 ["-w", str(ws), "hashset", "import", str(listed), "--name", "known"]):
        subprocess.run([*CLI, *argv], env=env, check=True, stdout=subprocess.DEVNULL)


def _size(path: Path) -> str:
    if not path.is_file():
        return "-"
    n = path.stat().st_size
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n / 1024:.1f} KB"


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / (1 << 20):,.0f} MB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", action="append", choices=[h.name for h in HOSTILE], metavar="NAME",
                    help="run only this input (repeatable): " + ", ".join(h.name for h in HOSTILE))
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per input before it is killed (default 120)")
    ap.add_argument("--cap", type=float, default=4.0,
                    help="GB of the process tree's RSS at which a run is killed and counted FAIL (default 4)")
    args = ap.parse_args()
    if not Path("/usr/bin/time").exists():
        print("bench/hostile.py needs /usr/bin/time (Debian package 'time')", file=sys.stderr)
        return 2
    chosen = [h for h in HOSTILE if not args.only or h.name in args.only]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="tasman-hostile-") as tmp:
        base = Path(tmp)
        ws = base / "ws"
        _setup(ws, base)
        print(f"{'input':<11} {'size':>9} {'exit':>5} {'wall s':>7} {'time -v':>9} {'tree':>9}  result  last line")
        for h in chosen:
            folder = base / h.name
            folder.mkdir()
            argv, made = h.make(folder)
            m = measure(argv, ws, args.timeout, folder, int(args.cap * (1 << 30)))
            ok = (m.exit is not None and m.exit not in (1,) and m.exit < 128
                  and (m.time_peak or 0) < TARGET and m.tree_peak < TARGET)
            failed += not ok
            code = "cap" if m.capped else "kill" if m.exit is None else str(m.exit)
            print(f"{h.name:<11} {_size(made):>9} {code:>5} {m.seconds:7.1f} {_mb(m.time_peak):>9} "
                  f"{_mb(m.tree_peak):>9}  {'PASS' if ok else 'FAIL':<6}  {m.last_line}", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\n{len(chosen) - failed} of {len(chosen)} within the 2 GB target (PASS); 'time -v' is the largest "
          f"single process, 'tree' the sampled total RSS of every process of the run (an upper bound).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
