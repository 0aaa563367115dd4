"""Records import and entity resolution: quality against the truth, time and memory per stage,
beside a plain Splink run on the same records in the same process.

    PYTHONPATH=src python bench/link.py [--records 100000] [--seed 7] [--threshold 0.99]
                                        [--workers 2] [--no-baseline] [--keep DIR] [--json OUT]
                                        [--backend spark [--spark-master URL]]

Generates the synthetic corpus (src/tasman/synth/corpus.py), imports every file into a fresh
SQLite workspace, links it with ``tasman.link.run.run_link`` and prints per stage the wall time
and the peak resident memory of the process and its workers; then pairwise precision, recall
and F1 of the stored subjects against the generator's truth. The peer is Splink as its tutorial
uses it: lower-cased raw columns, ``NameComparison``/``DateOfBirthComparison``/``EmailComparison``,
blocking on name, date of birth, email and phone, u by random sampling, m by EM, clustering at
0.95; its time and figures are printed beside Tasman's.

With ``--backend spark`` the case is linked with Splink on Spark (``--spark-master``, default
``local[*]``; the session's start is not timed), then again on DuckDB in the same process as
the peer, and the two are printed stage by stage with their ratio. The engines' training draws
different random samples, so their subjects may differ slightly; both are scored.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
from sqlalchemy import select

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.link.backends import Backend, open_backend
from tasman.link.evaluation import pairwise_scores
from tasman.link.models import Subject, SubjectRecord
from tasman.link.run import run_link
from tasman.link.settings import LinkSettings
from tasman.records.importing import import_file
from tasman.synth.corpus import make_corpus, read_truth


class Peak:
    """Samples the resident memory of this process and its children (the normalise workers)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        total = self.proc.memory_info().rss
        for c in self.proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += c.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __enter__(self) -> Peak:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


STAGES: list[tuple[str, float, int]] = []


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    gc.collect()
    t0 = time.perf_counter()
    with Peak() as peak:
        yield
    STAGES.append((name, time.perf_counter() - t0, peak.peak))
    print(f"  {name:<10} {time.perf_counter() - t0:8.1f} s   peak {peak.peak / 2**20:8.0f} MiB", flush=True)


def import_all(ws: Workspace, files: dict[str, tuple[str, Path]]) -> dict[str, int]:
    import importlib.util

    counts: dict[str, int] = {}
    for source, (kind, path) in files.items():
        if kind == "chats" and importlib.util.find_spec("tasman.extract.scan") is None:
            print(f"    {source}: skipped (chats need tasman.extract.scan from the extraction stage)", flush=True)
            continue
        with ws.session() as s:
            rep = import_file(s, ws.actor, "BENCH", path, kind)
        counts[source] = rep.imported
        if rep.skipped:
            print(f"    {source}: {rep.skipped} rows skipped", flush=True)
    return counts


def stored_scores(ws: Workspace, truth: dict[tuple[str, str, str], str]) -> dict[str, Any]:
    with ws.session() as s:
        pred = {(src, sid, role): ref for ref, src, sid, role in s.execute(
            select(Subject.ref, Record.source, Record.source_id, SubjectRecord.role)
            .join(SubjectRecord, SubjectRecord.subject_id == Subject.id)
            .join(Record, Record.id == SubjectRecord.record_id))}
    return pairwise_scores(pred, truth).as_dict()


# ---- the peer: Splink as its tutorial uses it ---------------------------------------------------

def baseline_table(ws: Workspace) -> tuple[pa.Table, list[tuple[str, str, str]]]:
    """Raw fields, lower-cased and split the obvious way (no typed cleaning)."""
    cols: dict[str, list[Any]] = {c: [] for c in ("unique_id", "first_name", "last_name", "dob", "city", "email",
                                                  "phone")}
    keys: list[tuple[str, str, str]] = []
    with ws.session() as s:
        for source, sid, kind, fields in s.execute(
                select(Record.source, Record.source_id, Record.kind, Record.fields).execution_options(yield_per=20000)):
            roles = ("sender", "beneficiary") if kind == "transactions" else ("",)
            for role in roles:
                p = f"{role}_" if role else ""
                name = str(fields.get(p + "name") or "").lower().replace(",", " ").split()
                first = str(fields.get(p + "first_name") or (name[0] if name else "")).lower() or None
                last = str(fields.get(p + "last_name") or (name[-1] if len(name) > 1 else "")).lower() or None
                listed = [i.get("value") or i.get("raw") for i in fields.get("identifiers") or []
                          if i.get("type") == "email"]
                email = fields.get(p + "email") or (listed[0] if listed and not role else None)
                phone = "".join(ch for ch in str(fields.get(p + "phone") or "") if ch.isdigit()) or None
                cols["unique_id"].append(len(keys))
                cols["first_name"].append(first)
                cols["last_name"].append(last)
                cols["dob"].append(fields.get(p + "dob"))
                cols["city"].append(str(fields.get(p + "city") or "").lower() or None)
                cols["email"].append(str(email).lower() if email else None)
                cols["phone"].append(phone)
                keys.append((source, sid, role))
    return pa.table(cols), keys


def run_baseline(table: pa.Table) -> tuple[Any, float]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
                     cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
                     cl.DateOfBirthComparison("dob", input_is_string=True),
                     cl.ExactMatch("city").configure(term_frequency_adjustments=True),
                     cl.EmailComparison("email"), cl.ExactMatch("phone")],
        blocking_rules_to_generate_predictions=[block_on("first_name", "last_name"), block_on("dob"),
                                                block_on("email"), block_on("phone")],
        retain_matching_columns=False)
    linker = Linker(db.register(table), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob"), block_on("email")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    pred = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.95)
    result = clusters.as_pyarrow_table().select(["unique_id", "cluster_id"])
    return result, time.perf_counter() - t0


def link_once(ws: Workspace, settings: LinkSettings, workers: int, truth: dict[tuple[str, str, str], str],
              backend: Backend | None) -> dict[str, Any]:
    """One ``run_link`` of the case, timed stage by stage and scored against the truth."""
    first = len(STAGES)
    t_link = time.perf_counter()
    with ws.session() as s:
        result = run_link(s, ws.actor, "BENCH", settings=settings, stage=stage, workers=workers, backend=backend)
    link_total = time.perf_counter() - t_link
    stages = STAGES[first:]
    scores = stored_scores(ws, truth)
    figures: dict[str, Any] = {
        "parties": result.stats["parties"], "subjects": result.stats["subjects"],
        "link_seconds": round(link_total, 1), "scores": scores,
        "stages": [{"stage": n, "seconds": round(t, 1), "peak_mib": round(m / 2**20)} for n, t, m in stages],
        "peak_mib": round(max(m for _, _, m in stages) / 2**20),
        "edges": result.stats["edges"], "lambda": result.stats.get("lambda"),
    }
    print(f"Tasman: {figures['parties']} parties -> {figures['subjects']} subjects in {link_total:.1f} s "
          f"(import excluded), peak {figures['peak_mib']} MiB")
    print(f"  pairwise precision {scores['precision']:.4f}  recall {scores['recall']:.4f}  F1 {scores['f1']:.4f} "
          f"({scores['true_pairs']} true pairs)", flush=True)
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=0.99)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain Splink peer")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--backend", choices=["duckdb", "spark"], default="duckdb",
                    help="link on this backend; with spark, DuckDB runs after it as the peer")
    ap.add_argument("--spark-master", default="local[*]", help="Spark master URL for --backend spark")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="tasman-bench-link-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"records {args.records}, seed {args.seed}, threshold {args.threshold}, workers {args.workers}, "
          f"cpus {os.cpu_count()}, folder {root}", flush=True)
    t0 = time.perf_counter()
    corpus = make_corpus(root / "corpus", records=args.records, seed=args.seed)
    print(f"  generated {corpus.records} records of {corpus.people} persons in {time.perf_counter() - t0:.1f} s "
          "(not timed below)", flush=True)
    ws = Workspace.init(root / "ws", db_url=f"sqlite:///{root / 'ws' / 'tasman.db'}", actor="bench")
    with ws.session() as s:
        create_case(s, ws.actor, "BENCH")
    with stage("import"):
        counts = import_all(ws, corpus.files)
    settings = LinkSettings(threshold=args.threshold)
    truth = read_truth(corpus.truth_path)
    engine = None
    if args.backend != "duckdb":
        engine = open_backend(args.backend, master=args.spark_master)
        t0 = time.perf_counter()
        engine.splink_api()  # start the session (the JVM) before the clock
        print(f"  {args.backend} session on {args.spark_master} started in {time.perf_counter() - t0:.1f} s "
              "(not timed below)", flush=True)
    print(f"link on {args.backend}:", flush=True)
    figures = link_once(ws, settings, args.workers, truth, engine)
    figures["records"] = sum(counts.values())
    figures["import_seconds"] = round(STAGES[0][1], 1)
    if engine is not None:
        engine.close()
        print("link on duckdb (the peer, same records, same process):", flush=True)
        peer = link_once(ws, settings, args.workers, truth, None)
        figures = {"records": figures["records"], args.backend: figures, "duckdb": peer}
        print(f"stage        {args.backend:>8} {'duckdb':>8}  ratio")
        for other, duck in zip(figures[args.backend]["stages"], peer["stages"], strict=True):
            print(f"  {other['stage']:<10} {other['seconds']:8.1f} {duck['seconds']:8.1f}  "
                  f"{other['seconds'] / max(duck['seconds'], 0.05):5.1f}")
        ours, theirs = figures[args.backend], peer
        print(f"  {'total':<10} {ours['link_seconds']:8.1f} {theirs['link_seconds']:8.1f}  "
              f"{ours['link_seconds'] / theirs['link_seconds']:5.1f}   F1 {ours['scores']['f1']:.4f} vs "
              f"{theirs['scores']['f1']:.4f}; subjects {ours['subjects']} vs {theirs['subjects']}", flush=True)
        link_total, scores = theirs["link_seconds"], theirs["scores"]
    else:
        link_total, scores = figures["link_seconds"], figures["scores"]
    if not args.no_baseline:
        gc.collect()
        with Peak() as peak:
            table, keys = baseline_table(ws)
            clusters, seconds = run_baseline(table)
        pred = {keys[u]: c for u, c in zip(clusters.column("unique_id").to_pylist(),
                                           clusters.column("cluster_id").to_pylist(), strict=True)}
        base = pairwise_scores(pred, truth).as_dict()
        figures["baseline"] = {"seconds": round(seconds, 1), "peak_mib": round(peak.peak / 2**20), "scores": base}
        print(f"plain Splink: {seconds:.1f} s (same records, prepared columns excluded), peak {peak.peak / 2**20:.0f} "
              f"MiB; precision {base['precision']:.4f} recall {base['recall']:.4f} F1 {base['f1']:.4f}")
        print(f"  time ratio Tasman link / plain Splink: {link_total / seconds:.2f}; F1 {scores['f1']:.4f} vs "
              f"{base['f1']:.4f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
