"""The cost of a linking change, measured interleaved: normalisation and resolution (rules,
training, prediction, clustering; nothing stored) of one imported case, by two source trees in
turn, each round in a fresh process, so both see the same machine load.

    PYTHONPATH=src python bench/link_cost.py WS_FOLDER --before /work/main/src --after src [--rounds 3] \
        [--dump DIR]

``WS_FOLDER`` is a workspace with a case ``BENCH`` (``bench/link.py --keep DIR`` leaves one in
``DIR/synth/ws``). The child reads the case's records from the workspace's database with plain
SQL (no migration, no ORM), so an older tree, whose code cannot open a newer schema, is measured
on the same case. Prints per round and tree the wall and CPU seconds (this process, its threads
and its workers) of each stage (normalise, rules, train, predict, cluster, and the rest of the resolution outside
them: loading the parties, the term-frequency tables), then medians, the
spread and the ratio after / before, and the load average at the start and the end.

``--dump DIR`` writes each tree's result of its first round (outside the timed part) to
``DIR/before.json`` and ``DIR/after.json`` (subjects as their parties' uids, the links and the
probable links with their explanations) and says whether the two give the same subjects, the
same links and the same probable links. A developer's tool: it reads another tree's code by its
path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

CHILD = r"""
import json, resource, sys, time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import yaml

from tasman.link.normalise import normalise_rows
from tasman.link.resolve import resolve
from tasman.link.settings import LinkSettings

def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

out = {}

@contextmanager
def stage(name):
    t0, c0 = time.perf_counter(), cpu()
    try:
        yield
    finally:
        out[name] = (time.perf_counter() - t0, cpu() - c0)

folder, dump = Path(sys.argv[1]), sys.argv[2]
config = yaml.safe_load((folder / "tasman.yaml").read_text(encoding="utf-8")) or {}
engine = sa.create_engine(config.get("database_url") or f"sqlite:///{folder / 'tasman.db'}")
with engine.connect() as con:
    case_id = con.execute(sa.text("SELECT id FROM cases WHERE ref = 'BENCH'")).scalar_one()
    with stage("normalise"):
        rows = con.execute(sa.text("SELECT id, kind, CAST(fields AS TEXT) FROM records WHERE case_id = :c "
                                   "ORDER BY id"), {"c": case_id}).fetchall()
        parties = normalise_rows(((r[0], r[1], r[2]) for r in rows))
with stage("resolve"):
    res = resolve(parties, LinkSettings(), None, stage=stage)
out["other"] = tuple(x - sum(out[s][i] for s in ("rules", "train", "predict", "cluster") if s in out)
                     for i, x in enumerate(out["resolve"]))
out["parties"] = parties.num_rows
out["subjects"] = res.stats["subjects"]
out["probable"] = len(getattr(res, "probable", []) or [])
if dump:
    uids = res.clusters.uids.tolist()
    groups = {}
    for uid, label in zip(uids, res.clusters.labels.tolist()):
        groups.setdefault(label, []).append(uid)
    def links(ls):
        return sorted([[l.a, l.b, l.rule, l.weight, l.probability, l.explanation] for l in ls],
                      key=lambda x: (x[0], x[1], x[2]))
    Path(dump).write_text(json.dumps({
        "subjects": sorted(sorted(g) for g in groups.values()),
        "names": sorted([sorted(s.uids), s.name, s.identifiers] for s in res.subjects),
        "links": links(res.links), "probable": links(getattr(res, "probable", []) or []),
        "stats": {k: res.stats.get(k) for k in ("subjects", "links", "probable_links", "edges", "lambda",
                                                 "singletons", "deterministic")},
    }, default=str))
print(json.dumps(out))
"""

STAGES = ("normalise", "rules", "train", "predict", "cluster", "other")


def run(tree: str, folder: Path, dump: Path | None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(dump or "")], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: failed: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def total(res: dict[str, Any], i: int) -> float:
    """Normalisation and the whole resolution (its stages and what runs between them)."""
    return float(res["normalise"][i] + res["resolve"][i])


def compare(before: Path, after: Path) -> list[str]:
    """What differs between two dumps (empty: the same subjects, links and probable links)."""
    b, a = json.loads(before.read_text()), json.loads(after.read_text())
    diffs = []
    for key in ("subjects", "names", "links", "probable"):
        if b[key] != a[key]:
            sb = {json.dumps(x) for x in b[key]}
            sa = {json.dumps(x) for x in a[key]}
            diffs.append(f"{key}: {len(b[key])} before, {len(a[key])} after; {len(sb - sa)} only before, "
                         f"{len(sa - sb)} only after")
    return diffs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--before", required=True, help="source tree (a PYTHONPATH) before the change")
    ap.add_argument("--after", required=True, help="source tree after the change")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dump", type=Path, help="write both results (first round) here and compare them")
    args = ap.parse_args()
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
    print(f"load average at start {load()}", flush=True)
    got: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for r in range(args.rounds):
        order = ("before", "after") if r % 2 == 0 else ("after", "before")
        for name in order:
            dump = args.dump / f"{name}.json" if args.dump and not got[name] else None
            res = run(getattr(args, name), args.folder, dump)
            got[name].append(res)
            steps = "  ".join(f"{s} {res[s][1]:.2f}" for s in STAGES if s in res)
            print(f"round {r + 1} {name:<6} parties {res['parties']} subjects {res['subjects']} probable "
                  f"{res['probable']}  cpu s: {steps}  total {total(res, 1):.2f} (wall {total(res, 0):.1f})"
                  f"  (load {load()})", flush=True)
    print("cpu s, medians (spread: min-max)")
    for step in STAGES:
        b = [x[step][1] for x in got["before"] if step in x]
        a = [x[step][1] for x in got["after"] if step in x]
        if a and b:
            print(f"  {step:<9} before {statistics.median(b):.2f} ({min(b):.2f}-{max(b):.2f})  after "
                  f"{statistics.median(a):.2f} ({min(a):.2f}-{max(a):.2f})  ratio "
                  f"{statistics.median(a) / statistics.median(b):.2f}")
    tb = [total(x, 1) for x in got["before"]]
    ta = [total(x, 1) for x in got["after"]]
    print(f"  total     before {statistics.median(tb):.2f} ({min(tb):.2f}-{max(tb):.2f})  after "
          f"{statistics.median(ta):.2f} ({min(ta):.2f}-{max(ta):.2f})  ratio "
          f"{statistics.median(ta) / statistics.median(tb):.2f}")
    print(f"load average at end {load()}")
    if args.dump:
        diffs = compare(args.dump / "before.json", args.dump / "after.json")
        print("results: the same subjects, links and probable links" if not diffs else
              "results differ: " + "; ".join(diffs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
