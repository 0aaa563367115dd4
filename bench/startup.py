"""Start-up benchmark: how long `tasman --help` and `tasman case list` take, from a fresh process.

    PYTHONPATH=src python bench/startup.py [--runs 7] [--target 0.5] [--top 15]

Each command runs ``--runs`` times as ``python -m tasman.cli.main ...`` with this checkout's
``src`` first on the path (``case list`` in a fresh workspace made once, untimed, in a temp
folder). Prints per command the median wall time with its spread (min..max), the median CPU
time (user + system of the child; a loaded machine stretches wall time, not CPU time), the
1-minute load average before and after, and PASS or FAIL against the target (median wall time).
Then the top of ``python -X importtime`` for each command: the imports that cost most
(cumulative microseconds), which is where to look when a command becomes slow to start.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "TASMAN_CACHE_DIR": str(cache), "TASMAN_USER": "bench"}


def _run(args: list[str], env: dict[str, str], extra: list[str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stderr) of one run of the CLI in a new interpreter."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *(extra or []), "-m", "tasman.cli.main", *args], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"tasman {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr


def _importtime(args: list[str], env: dict[str, str], top: int) -> list[tuple[int, str]]:
    _, _, err = _run(args, env, ["-X", "importtime"])
    rows = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), m.group(3)[1:] + m.group(4)))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--target", type=float, default=0.5, help="seconds (median wall time)")
    ap.add_argument("--top", type=int, default=15, help="rows of the import-time table per command")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tasman-startup-") as tmp:
        env = _env(Path(tmp) / "cache")
        ws = Path(tmp) / "ws"
        _run(["init", str(ws)], env)                        # untimed: creates the schema
        commands = {"tasman --help": ["--help"], "tasman case list": ["-w", str(ws), "case", "list"]}
        for args in commands.values():                      # untimed: bytecode and page cache warm
            _run(args, env)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {opts.runs} runs each, "
              f"target {opts.target:.2f} s (median wall time)")
        failed = False
        for name, args in commands.items():
            load0 = os.getloadavg()[0]
            runs = [_run(args, env) for _ in range(opts.runs)]
            load1 = os.getloadavg()[0]
            walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
            median = statistics.median(walls)
            ok = median <= opts.target
            failed |= not ok
            print(f"{name:18} wall median {median:.3f} s (min {min(walls):.3f}, max {max(walls):.3f})  "
                  f"cpu median {statistics.median(cpus):.3f} s  load {load0:.1f}->{load1:.1f}  "
                  f"{'PASS' if ok else 'FAIL'}")
        for name, args in commands.items():
            print(f"\nimport time of `{name}` (cumulative, microseconds; top {opts.top}):")
            for us, module in _importtime(args, env, opts.top):
                print(f"  {us:>9}  {module}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
