"""Incremental linking: new records into a standing case, against a full re-link of the same case
measured interleaved in the same run.

    PYTHONPATH=src python bench/incremental.py [--records 100000] [--new 1000] [--rounds 3]
                                               [--seed 7] [--workers 2] [--keep DIR]
                                               [--profile DIR] [--no-full] [--db-url URL]

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

Every link run (the base case's full link, each round's incremental and full run) is printed with
its wall time and CPU seconds per stage and its peak resident memory, of the process and its
workers (the base case's full link is the million-record figure of docs/link.md when
``--records 1000000``). ``--profile DIR`` writes each incremental run's cProfile statistics (CPU
time) there (``round-N.pstats``) and prints its 25 most expensive functions (the profiler's own
cost inflates that run's figures). ``--no-full`` skips the rounds' full re-links (no F1 gap).

The base case is expensive at a million records (generating, importing, linking: a quarter of an
hour or more): with ``--keep DIR`` it is kept after its full link as a snapshot (``DIR/base``: the
workspace and the generator's truth), and a later run with the same ``--keep DIR`` and the same
``--records --new --rounds --seed`` starts from a copy of it (SQLite workspaces only;
``--db-url`` names another database, e.g. PostgreSQL, which is always built afresh).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import select, text

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.evidence.cases import get_case
from tasman.link.evaluation import pairwise_scores
from tasman.link.models import Subject, SubjectRecord
from tasman.link.run import link_case
from tasman.synth.corpus import read_truth

sys.path.insert(0, str(Path(__file__).resolve().parent))
from link import generate, import_all  # bench/ is not a package: its folder is on the path

Party = tuple[str, str, str]


class Meter:
    """Peak resident memory and CPU seconds of this process and its workers (the normalisation
    pool's processes are children of the fork server, a child of this one), sampled in a thread:
    a worker's CPU time is its last sample, so one that lives less than ``interval`` is missed."""

    def __init__(self, interval: float = 0.1) -> None:
        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self.cpu_seen: dict[int, float] = {}  # descendant pid -> its CPU seconds when last sampled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        rss = self.proc.memory_info().rss
        for c in self.proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                rss += c.memory_info().rss
                t = c.cpu_times()
                self.cpu_seen[c.pid] = t.user + t.system
        self.peak = max(self.peak, rss)

    def cpu(self) -> float:
        """CPU seconds so far: this process's and every descendant's seen."""
        t = self.proc.cpu_times()
        return t.user + t.system + sum(self.cpu_seen.values())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Meter:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


class Stages:
    """A stage hook for ``link_case`` that keeps each stage's wall time and CPU seconds (of the
    process and its workers, from ``meter``), and the whole run's peak memory."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.times: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Any:
        self.meter.sample()
        t0, c0 = time.perf_counter(), self.meter.cpu()
        try:
            yield
        finally:
            self.meter.sample()
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t0
            self.cpu[name] = self.cpu.get(name, 0.0) + self.meter.cpu() - c0

    def __str__(self) -> str:
        return ", ".join(f"{k} {v:.1f} s ({self.cpu[k]:.1f} CPU s)" for k, v in self.times.items())


def metered(ws: Workspace, mode: str, workers: int, profile: Path | None = None) -> dict[str, Any]:
    """One ``link_case`` run in ``mode``, with its wall time, CPU seconds and peak memory (the
    process and its workers), per stage and in all; with ``profile``, cProfile's statistics."""
    with Meter() as meter:
        stages = Stages(meter)
        t0, c0 = time.perf_counter(), meter.cpu()
        prof = cProfile.Profile(time.process_time) if profile else None  # CPU time (all threads): load-proof
        if prof:
            prof.enable()
        try:
            res = link_case(ws, "BENCH", workers=workers, mode=mode, stage=stages)
        finally:
            if prof:
                prof.disable()
        wall, cpu = time.perf_counter() - t0, meter.cpu() - c0
    if prof and profile:
        prof.dump_stats(profile)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue(), flush=True)
    return {"result": res, "wall": wall, "cpu": cpu, "peak_mib": meter.peak / 2**20, "stages": stages}


def describe(m: dict[str, Any]) -> str:
    return (f"{m['wall']:.1f} s, {m['cpu']:.1f} CPU s, peak {m['peak_mib']:.0f} MiB; stages: {m['stages']}; "
            f"{load()}")


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


def base_case(root: Path, args: argparse.Namespace, total: int, k: int) -> tuple[Workspace, dict[Party, str]]:
    """The standing case linked in full, and the generator's truth: from ``root/base`` when an
    earlier run with the same parameters left it there, else generated, imported, linked (and,
    with ``--keep`` on SQLite, left there for the next run)."""
    snap, ws_dir = root / "base", root / "ws"
    params = {"records": args.records, "new": args.new, "rounds": args.rounds, "seed": args.seed}
    state = snap / "state.json"
    sqlite = not args.db_url
    if args.keep and sqlite and state.is_file() and json.loads(state.read_text())["params"] == params:
        shutil.rmtree(ws_dir, ignore_errors=True)
        t0 = time.perf_counter()
        shutil.copytree(snap / "ws", ws_dir)
        info = json.loads(state.read_text())
        print(f"  base case from {snap} (copied in {time.perf_counter() - t0:.1f} s): {info['base']}", flush=True)
        return Workspace.open(ws_dir, actor="bench"), read_truth(snap / "truth.csv")
    shutil.rmtree(ws_dir, ignore_errors=True)
    gen = generate("synth", root / "corpus", total, args.seed, plain=True)
    ws = Workspace.init(ws_dir, db_url=args.db_url, actor="bench")
    with ws.session() as s:
        create_case(s, ws.actor, "SRC")
        create_case(s, ws.actor, "BENCH")
    t0 = time.perf_counter()
    import_all(ws, gen.files, case="SRC")
    print(f"  import {time.perf_counter() - t0:.1f} s", flush=True)
    base = copy_records(ws, "SRC", "BENCH", k, None)
    m = metered(ws, "full", args.workers)
    line = (f"{base} records, {m['result'].stats['parties']} parties, {m['result'].stats['subjects']} subjects, "
            f"full link {describe(m)}")
    print(f"  base case: {line}", flush=True)
    if args.keep and sqlite:
        ws.close()
        shutil.rmtree(snap, ignore_errors=True)
        snap.mkdir(parents=True)
        shutil.copy2(root / "corpus" / "truth.csv", snap / "truth.csv")
        shutil.copytree(ws_dir, snap / "ws")
        state.write_text(json.dumps({"params": params, "base": line}))
        ws = Workspace.open(ws_dir, actor="bench")
    return ws, gen.truth


def main() -> int:
    global ROUNDS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=100_000, help="records in the standing case")
    ap.add_argument("--new", type=int, default=1_000, help="records added per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (and the base case's snapshot)")
    ap.add_argument("--profile", type=Path, help="write each incremental run's cProfile statistics in this folder")
    ap.add_argument("--no-full", action="store_true",
                    help="skip the rounds' full re-link (the peer): time and profile the incremental run alone")
    ap.add_argument("--db-url", help="the workspace's database (default: SQLite in the work folder)")
    args = ap.parse_args()
    ROUNDS = args.rounds
    total = args.records + args.rounds * args.new
    k = max(2, round(total / (args.rounds * args.new)))
    root = args.keep or Path(tempfile.mkdtemp(prefix="tasman-bench-incr-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"incremental linking: {args.records} + {args.rounds} x {args.new} records, seed {args.seed}; {load()}",
          flush=True)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    ws, truth = base_case(root, args, total, k)
    rows: list[dict[str, Any]] = []
    for r in range(args.rounds):
        before = groups(placed(ws, "BENCH"))
        added = copy_records(ws, "SRC", "BENCH", k, r)
        load_before = os.getloadavg()[0]
        prof = args.profile / f"round-{r + 1}.pstats" if args.profile else None
        m_inc = metered(ws, "incremental", args.workers, prof)
        inc, t_inc = m_inc["result"], m_inc["wall"]
        p_inc = placed(ws, "BENCH")
        after = groups(p_inc)
        members = sum(after.get(ref) == m for ref, m in before.items()) / len(before)
        refs = sum(ref in after and after[ref] >= m for ref, m in before.items()) / len(before)
        if args.no_full:
            f_inc = pairwise_scores(p_inc, {p: truth[p] for p in p_inc if p in truth}).as_dict()["f1"]
            print(f"  round {r + 1}: +{added} records ({inc.stats['new_parties']} parties, "
                  f"{inc.stats['stored']['touched']} subjects touched, cache {inc.stats['cache']}); incremental "
                  f"{t_inc:.1f} s; refs unchanged {refs:.4f} (members too {members:.4f}); F1 incremental {f_inc:.4f}; "
                  f"load before {load_before:.2f}\n    incremental: {describe(m_inc)}", flush=True)
            continue
        m_full = metered(ws, "full", args.workers)
        t_full = m_full["wall"]
        p_full = placed(ws, "BENCH")
        known = {p: truth[p] for p in p_full if p in truth}
        f_inc = pairwise_scores(p_inc, known).as_dict()["f1"]
        f_full = pairwise_scores(p_full, known).as_dict()["f1"]
        agree = pairwise_scores(p_inc, p_full).as_dict()["f1"]
        row = {"added": added, "new_parties": inc.stats["new_parties"], "incremental_s": t_inc, "full_s": t_full,
               "ratio": t_full / t_inc, "refs_unchanged": refs, "members_unchanged": members, "f1_incremental": f_inc,
               "f1_full": f_full, "agreement_f1": agree, "touched": inc.stats["stored"]["touched"],
               "cache": inc.stats["cache"], "load": load_before, "incremental_cpu": m_inc["cpu"],
               "full_cpu": m_full["cpu"]}
        rows.append(row)
        print(f"  round {r + 1}: +{added} records ({row['new_parties']} parties, {row['touched']} subjects touched, "
              f"cache {row['cache']}); incremental {t_inc:.1f} s, full {t_full:.1f} s (x{row['ratio']:.1f}); "
              f"refs unchanged {refs:.4f} (members too {members:.4f}); F1 incremental {f_inc:.4f}, full {f_full:.4f}, "
              f"agreement {agree:.4f}; load before {load_before:.2f}", flush=True)
        print(f"    incremental: {describe(m_inc)}", flush=True)
        print(f"    full: {describe(m_full)}", flush=True)

    if not rows:  # --no-full
        ws.close()
        return 0

    def med(key: str) -> str:
        vals = [row[key] for row in rows]
        return f"{statistics.median(vals):.4g} (min {min(vals):.4g}, max {max(vals):.4g})"

    print(f"medians over {len(rows)} rounds: incremental {med('incremental_s')} s ({med('incremental_cpu')} CPU s); "
          f"full {med('full_s')} s ({med('full_cpu')} CPU s); "
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
