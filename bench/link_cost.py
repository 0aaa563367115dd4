"""The cost of a linking change, measured interleaved: normalisation and resolution (rules,
training, prediction, clustering; nothing stored) of one imported case, by two source trees in
turn, each round in a fresh process, so both see the same machine load.

    PYTHONPATH=src python bench/link_cost.py WS_FOLDER --before /work/main/src --after src [--rounds 3]

``WS_FOLDER`` is a workspace with a case ``BENCH`` (``bench/link.py --keep DIR`` leaves one in
``DIR/synth/ws``). Prints per round and tree the wall and CPU seconds (this process and its
workers) of each step, then medians, the spread and the ratio after / before, and the load average
at the start and the end. A developer's tool: it reads another tree's code by its path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from tasman.core.workspace import Workspace
from tasman.link.run import read_input
from tasman.link.resolve import resolve
from tasman.link.settings import LinkSettings

def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

from pathlib import Path
ws = Workspace.open(Path(sys.argv[1]))
out = {}
t0, c0 = time.perf_counter(), cpu()
with ws.session() as s:
    inp = read_input(s, "BENCH")
out["normalise"] = (time.perf_counter() - t0, cpu() - c0)
t0, c0 = time.perf_counter(), cpu()
res = resolve(inp.parties, LinkSettings(), inp.constraints)
out["resolve"] = (time.perf_counter() - t0, cpu() - c0)
out["parties"] = inp.parties.num_rows
out["subjects"] = res.stats["subjects"]
out["probable"] = res.stats["probable_links"]
print(json.dumps(out))
"""


def run(tree: str, folder: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: failed: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--before", required=True, help="source tree (a PYTHONPATH) before the change")
    ap.add_argument("--after", required=True, help="source tree after the change")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"load average at start {load()}", flush=True)
    got: dict[str, list[dict[str, object]]] = {"before": [], "after": []}
    for r in range(args.rounds):
        order = ("before", "after") if r % 2 == 0 else ("after", "before")
        for name in order:
            res = run(getattr(args, name), args.folder)
            got[name].append(res)
            print(f"round {r + 1} {name:<6} parties {res['parties']} subjects {res['subjects']} probable "
                  f"{res['probable']}  normalise {res['normalise'][0]:.1f} s wall / {res['normalise'][1]:.1f} s cpu"  # type: ignore[index]
                  f"  resolve {res['resolve'][0]:.1f} / {res['resolve'][1]:.1f}  (load {load()})",  # type: ignore[index]
                  flush=True)
    print("medians (spread: min-max)")
    for step in ("normalise", "resolve"):
        for i, kind in ((0, "wall"), (1, "cpu")):
            b = [x[step][i] for x in got["before"]]  # type: ignore[index]
            a = [x[step][i] for x in got["after"]]  # type: ignore[index]
            print(f"  {step:<9} {kind}: before {statistics.median(b):.1f} ({min(b):.1f}-{max(b):.1f})  after "
                  f"{statistics.median(a):.1f} ({min(a):.1f}-{max(a):.1f})  ratio "
                  f"{statistics.median(a) / statistics.median(b):.2f}")
    tb = [x["normalise"][1] + x["resolve"][1] for x in got["before"]]  # type: ignore[index]
    ta = [x["normalise"][1] + x["resolve"][1] for x in got["after"]]  # type: ignore[index]
    print(f"  total cpu: before {statistics.median(tb):.1f}  after {statistics.median(ta):.1f}  ratio "
          f"{statistics.median(ta) / statistics.median(tb):.2f}")
    print(f"load average at end {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
