"""Incremental linking: new records into a standing case, against a full re-link of the same case
measured interleaved in the same run.

    PYTHONPATH=src python bench/incremental.py [--records 100000] [--new 1000] [--rounds 3]
                                               [--seed 7] [--workers 2] [--keep DIR]

Generates the synthetic corpus (``tasman.synth.corpus``, without its field habits) of
``records + rounds x new`` records, imports it once into a SQLite workspace (case SRC), copies
all but ``rounds`` batches of about ``new`` records (every k-th record, so each batch spans every
source) into case BENCH and links it in full. Then, per round: the next batch is added, the case
is linked incrementally (``link_case(mode="incremental")``, timed), then in full
(``mode="full"``, timed: the peer, which also leaves a fresh model for the next round). Printed
per round and as medians with their spread, with the load average:

- the incremental run's wall time, the full run's, and their ratio (target: incremental under 60 s
  for 10,000 new records into 1,000,000);
- refs unchanged: of the subjects before the round, the share whose reference still names them
  after the incremental run (untouched, or grown by new records; not retired into another:
  target >= 99%), and the share with the same reference and the same members (a new record of a
  known person grows that person's subject, so this falls with the share of records added);
- the incremental run's time per stage (normalise: cache and new records, rules, predict,
  cluster, store);
- pairwise F1 against the generator's truth of the incremental and of the full partition (target:
  within 0.005 of each other), and their agreement (pairwise F1 of one against the other).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.evidence.cases import get_case
from tasman.link.evaluation import pairwise_scores
from tasman.link.models import Subject, SubjectRecord
from tasman.link.run import link_case

sys.path.insert(0, str(Path(__file__).resolve().parent))
from link import generate, import_all  # bench/ is not a package: its folder is on the path

Party = tuple[str, str, str]


class Stages:
    """A stage hook for ``link_case`` that keeps each stage's wall time."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Any:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t0

    def __str__(self) -> str:
        return ", ".join(f"{k} {v:.1f} s" for k, v in self.times.items())


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def copy_records(ws: Workspace, src: str, dst: str, k: int, batch: int | None) -> int:
    """Copy SRC's records into DST: the base (``batch`` None: ids not divisible by ``k``, nor by
    ``k`` with any batch), or batch ``b`` (ids with ``(id / k) % rounds == b``, divisible by k)."""
    with ws.session() as s:
        a, b = get_case(s, src).id, get_case(s, dst).id
        where = f"id % {k} <> 0" if batch is None else f"id % {k} = 0 AND (id / {k}) % {ROUNDS} = {batch}"
        n = s.execute(text(f"""INSERT INTO records (case_id, kind, source, source_id, fields, imported_at)
                               SELECT {b}, kind, source, source_id, fields, imported_at FROM records
                               WHERE case_id = {a} AND {where} ORDER BY id""")).rowcount
    return int(n)


def placed(ws: Workspace, case: str) -> dict[Party, str]:
    with ws.session() as s:
        cid = get_case(s, case).id
        return {(src, sid, role): ref for ref, src, sid, role in s.execute(
            select(Subject.ref, Record.source, Record.source_id, SubjectRecord.role)
            .join(SubjectRecord, SubjectRecord.subject_id == Subject.id)
            .join(Record, Record.id == SubjectRecord.record_id).where(Subject.case_id == cid))}


def groups(p: dict[Party, str]) -> dict[str, frozenset[Party]]:
    out: dict[str, set[Party]] = {}
    for party, ref in p.items():
        out.setdefault(ref, set()).add(party)
    return {r: frozenset(m) for r, m in out.items()}


ROUNDS = 3


def main() -> int:
    global ROUNDS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=100_000, help="records in the standing case")
    ap.add_argument("--new", type=int, default=1_000, help="records added per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args()
    ROUNDS = args.rounds
    total = args.records + args.rounds * args.new
    k = max(2, round(total / (args.rounds * args.new)))
    root = args.keep or Path(tempfile.mkdtemp(prefix="tasman-bench-incr-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"incremental linking: {args.records} + {args.rounds} x {args.new} records, seed {args.seed}; {load()}",
          flush=True)
    gen = generate("synth", root / "corpus", total, args.seed, plain=True)
    ws = Workspace.init(root / "ws", actor="bench")
    with ws.session() as s:
        create_case(s, ws.actor, "SRC")
        create_case(s, ws.actor, "BENCH")
    t0 = time.perf_counter()
    import_all(ws, gen.files, case="SRC")
    print(f"  import {time.perf_counter() - t0:.1f} s", flush=True)
    base = copy_records(ws, "SRC", "BENCH", k, None)
    t0 = time.perf_counter()
    first = link_case(ws, "BENCH", workers=args.workers, mode="full")
    print(f"  base case: {base} records, {first.stats['subjects']} subjects, full link "
          f"{time.perf_counter() - t0:.1f} s; {load()}", flush=True)
    rows: list[dict[str, Any]] = []
    for r in range(args.rounds):
        before = groups(placed(ws, "BENCH"))
        added = copy_records(ws, "SRC", "BENCH", k, r)
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        stages = Stages()
        inc = link_case(ws, "BENCH", workers=args.workers, mode="incremental", stage=stages)
        t_inc = time.perf_counter() - t0
        p_inc = placed(ws, "BENCH")
        after = groups(p_inc)
        members = sum(after.get(ref) == m for ref, m in before.items()) / len(before)
        refs = sum(ref in after and after[ref] >= m for ref, m in before.items()) / len(before)
        t0 = time.perf_counter()
        link_case(ws, "BENCH", workers=args.workers, mode="full")
        t_full = time.perf_counter() - t0
        p_full = placed(ws, "BENCH")
        truth = {p: gen.truth[p] for p in p_full if p in gen.truth}
        f_inc = pairwise_scores(p_inc, truth).as_dict()["f1"]
        f_full = pairwise_scores(p_full, truth).as_dict()["f1"]
        agree = pairwise_scores(p_inc, p_full).as_dict()["f1"]
        row = {"added": added, "new_parties": inc.stats["new_parties"], "incremental_s": t_inc, "full_s": t_full,
               "ratio": t_full / t_inc, "refs_unchanged": refs, "members_unchanged": members, "f1_incremental": f_inc,
               "f1_full": f_full, "agreement_f1": agree, "touched": inc.stats["stored"]["touched"],
               "cache": inc.stats["cache"], "load": load_before}
        rows.append(row)
        print(f"  round {r + 1}: +{added} records ({row['new_parties']} parties, {row['touched']} subjects touched, "
              f"cache {row['cache']}); incremental {t_inc:.1f} s, full {t_full:.1f} s (x{row['ratio']:.1f}); "
              f"refs unchanged {refs:.4f} (members too {members:.4f}); F1 incremental {f_inc:.4f}, full {f_full:.4f}, "
              f"agreement {agree:.4f}; load before {load_before:.2f}", flush=True)
        print(f"    incremental stages: {stages}", flush=True)

    def med(key: str) -> str:
        vals = [row[key] for row in rows]
        return f"{statistics.median(vals):.4g} (min {min(vals):.4g}, max {max(vals):.4g})"

    print(f"medians over {len(rows)} rounds: incremental {med('incremental_s')} s; full {med('full_s')} s; "
          f"full/incremental x{med('ratio')}; refs unchanged {med('refs_unchanged')}; "
          f"F1 gap {statistics.median(abs(r['f1_incremental'] - r['f1_full']) for r in rows):.4f}; "
          f"agreement {med('agreement_f1')}; {load()}", flush=True)
    checks = {
        "refs unchanged >= 0.99": min(r["refs_unchanged"] for r in rows) >= 0.99,
        "F1 within 0.005 of full": max(abs(r["f1_incremental"] - r["f1_full"]) for r in rows) <= 0.005,
    }
    if args.records >= 1_000_000 and args.new >= 10_000:
        checks["incremental under 60 s"] = statistics.median(r["incremental_s"] for r in rows) < 60
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'} {name}")
    ws.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
