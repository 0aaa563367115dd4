"""Start-up benchmark: how long `tasman --help` and `tasman case list` take, from a fresh process.

    PYTHONPATH=src python bench/startup.py [--runs 7] [--target 0.5] [--top 15] [--base OTHER/src]

Each command runs ``--runs`` times as ``python -m tasman.cli.main ...`` with this checkout's
``src`` first on the path (``case list`` in a fresh workspace made once, untimed, in a temp
folder, and again in one with a signing key, its output piped as a script's would be),
interleaved round by round with three peers that no change to Tasman can make faster: the bare
interpreter (``python -c pass``), ``python -c "import sqlalchemy"`` (what a command on SQLAlchemy
Core alone could not go below) and ``python -c "import sqlalchemy.orm"``, the floor of any command
that opens the database as Tasman does.
Bytecode is written and used as an installed package's would be (``PYTHONDONTWRITEBYTECODE`` is
dropped for the children). Prints per command the median wall time with its spread (min..max),
the median CPU time (user + system of the child; a loaded machine stretches wall time, not CPU
time), its ratio to the SQLAlchemy floor's CPU time, the 1-minute load average before and after,
and PASS or FAIL against the target (median wall time; peers are not judged). ``--base`` adds
the same commands run from another checkout's ``src`` (e.g. ``git archive main src`` unpacked in
a temp folder), interleaved too: before and after a change, in the same run. Then the top of
``python -X importtime`` for each command: the imports that cost most (cumulative microseconds),
which is where to look when a command becomes slow to start.
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


def _env(cache: Path, src: Path = SRC) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "TASMAN_CACHE_DIR": str(cache), "TASMAN_USER": "bench"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)     # an installed package has its bytecode
    return env


PEERS = {"python (bare)": ["-c", "pass"], "import sqlalchemy (core)": ["-c", "import sqlalchemy"],
         "import sqlalchemy.orm": ["-c", "import sqlalchemy.orm"]}
FLOOR = "import sqlalchemy.orm"


def _run(args: list[str], env: dict[str, str], extra: list[str] | None = None,
         python_args: list[str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stderr) of one run of the CLI (or of ``python_args``, a peer)
    in a new interpreter."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    argv = python_args if python_args is not None else ["-m", "tasman.cli.main", *args]
    done = subprocess.run([sys.executable, *(extra or []), *argv], env=env,
                          capture_output=True, text=True, check=False)
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
    ap.add_argument("--base", type=Path, help="another checkout's src folder, run interleaved as a peer")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tasman-startup-") as tmp:
        env = _env(Path(tmp) / "cache")
        ws = Path(tmp) / "ws"
        _run(["init", str(ws)], env)                        # untimed: creates the schema
        keyed = Path(tmp) / "keyed"
        _run(["init", str(keyed)], env)
        _run(["-w", str(keyed), "keys", "generate", "--agency", "Bench Agency", "--country", "GB"], env)
        commands = {"tasman --help": ["--help"], "tasman case list": ["-w", str(ws), "case", "list"],
                    "case list (keyed ws)": ["-w", str(keyed), "case", "list"]}
        for args in commands.values():                      # untimed: bytecode and page cache warm
            _run(args, env)
        for args in PEERS.values():
            _run([], env, python_args=args)
        base_env = _env(Path(tmp) / "cache-base", opts.base.resolve()) if opts.base else None
        based = {f"{name} (base)": args for name, args in commands.items()} if base_env else {}
        for args in based.values():
            assert base_env is not None
            _run(args, base_env)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {opts.runs} rounds (each command and "
              f"peer once a round, interleaved), target {opts.target:.2f} s (median wall time)")
        names = [*commands, *based, *PEERS]
        walls: dict[str, list[float]] = {n: [] for n in names}
        cpus: dict[str, list[float]] = {n: [] for n in names}
        load0 = os.getloadavg()[0]
        for _ in range(opts.runs):
            for name in names:
                if name in commands:
                    wall, cpu, _ = _run(commands[name], env)
                elif name in based and base_env is not None:
                    wall, cpu, _ = _run(based[name], base_env)
                else:
                    wall, cpu, _ = _run([], env, python_args=PEERS[name])
                walls[name].append(wall)
                cpus[name].append(cpu)
        load1 = os.getloadavg()[0]
        floor = statistics.median(cpus[FLOOR])
        failed = False
        for name in names:
            median = statistics.median(walls[name])
            cpu = statistics.median(cpus[name])
            verdict = ""
            if name in commands:
                ok = median <= opts.target
                failed |= not ok
                verdict = "PASS" if ok else "FAIL"
            print(f"{name:25} wall median {median:.3f} s (min {min(walls[name]):.3f}, max {max(walls[name]):.3f})  "
                  f"cpu median {cpu:.3f} s (min {min(cpus[name]):.3f}, max {max(cpus[name]):.3f})  "
                  f"cpu/{FLOOR} {cpu / floor:.2f}x  {verdict}")
        print(f"load average (1 min) {load0:.1f} before, {load1:.1f} after")
        for name, args in commands.items():
            print(f"\nimport time of `{name}` (cumulative, microseconds; top {opts.top}):")
            for us, module in _importtime(args, env, opts.top):
                print(f"  {us:>9}  {module}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
