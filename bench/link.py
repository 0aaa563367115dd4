"""Records import and entity resolution: quality against the truth, time and memory per stage,
beside a plain Splink run on the same records in the same process.

    PYTHONPATH=src python bench/link.py [--records 100000] [--seed 7] [--threshold 0.95]
                                        [--workers 2] [--no-baseline] [--keep DIR] [--json OUT]
                                        [--backend spark [--spark-master URL]]
                                        [--corpus synth|alt|both] [--plain-synth] [--no-checks]
                                        [--review-decisions 200] [--review-floor 0.05] [--sweep]

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

Two corpora, so the figures cannot be tuned to one generator (``--corpus synth|alt|both``):
``synth`` is ``tasman.synth.corpus`` with its field habits (``habits=True``: site-specific chat
platforms, screen names built from names, tips without a service, national mail providers;
``--plain-synth`` for the corpus without them); ``alt`` is ``bench/corpus2.py``, written
independently (other countries, names, errors, formats, platforms, field names: its tables are
imported with their mapping YAMLs). For each the checks (``--no-checks`` skips them) print,
against targets, PASS or FAIL:

- records in subjects: every generated record imported and each of its parties in a subject (100%);
- pairwise precision (>= 0.99) and F1 (>= 0.97) over every party (one in no subject counts alone);
- recall after 200 review decisions (>= 0.97): an analyst working the review queue, simulated
  with the truth of each shown pair only (accept: the two subjects merge; reject: the two records
  are kept apart), the queue read again after each verdict;
- country attribution (>= 0.97 of persons): ``attribute_case`` run; a person is right when the
  country most of their attributed records got is theirs, and a person none of whose records was
  ever attributed counts as wrong (``judge_persons``; the stricter figure by the subject holding
  most of each person is printed beside it).

``--sweep`` also prints, per corpus, pairwise precision, recall and F1 over every party with the
case clustered at the thresholds 0.5, 0.8, 0.9, 0.95 and 0.99 (``threshold_sweep``: the pairs
scored once with the run's stored model, then connected components of the deterministic links
and the pairs at or above each threshold, as a run at that threshold clusters them).

The review queue is ``tasman.link.review``, worked as an analyst works it (attribution runs
first, so the queue sees the subjects' countries): the first pair ``queue`` shows now is decided
through ``review.decide`` by the truth of that pair alone, the queue is read again (a merged
subject is bigger, a settled pair of subjects is gone), 200 times; everything is rolled back at the
end. Without that module (an older tree), a static queue: links stored below the threshold, else
the run's own model predicting again down to ``--review-floor``, decided in order.
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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
from sqlalchemy import func, select

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.link.backends import Backend, open_backend
from tasman.link.evaluation import pairwise_scores
from tasman.link.keys import from_uid
from tasman.link.models import LinkRun, RecordLink, Subject, SubjectRecord
from tasman.link.resolve import resolve
from tasman.link.run import read_input, run_link
from tasman.link.settings import LinkSettings
from tasman.records.importing import import_file
from tasman.synth.corpus import make_corpus, read_countries, read_truth

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus2 import make_alt_corpus, read_key  # bench/ is not a package: its folder is on the path

Party = tuple[str, str, str]  # (source, source id, role)
TARGETS = {"in_subjects": 1.0, "precision": 0.99, "f1": 0.97, "recall_after_review": 0.97, "attribution": 0.97}


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


@dataclass
class Generated:
    """A corpus on disk as the bench reads it: files (with their mapping, if any) and the truth."""

    name: str
    files: list[tuple[str, str, Path, Path | None]]  # (source, kind, path, mapping)
    truth: dict[Party, str]                            # party -> person
    countries: dict[str, str]                          # person -> country
    records: int
    people: int


def generate(name: str, folder: Path, records: int, seed: int, plain: bool = False) -> Generated:
    if name == "synth":
        c = make_corpus(folder, records=records, seed=seed, habits=not plain)
        return Generated(name, [(src, kind, path, None) for src, (kind, path) in c.files.items()],
                         read_truth(c.truth_path), read_countries(c.truth_path), c.records, c.people)
    a = make_alt_corpus(folder, records=records, seed=seed)
    truth, countries = read_key(a.truth_path)
    return Generated(name, [(src, kind, path, mapping) for src, (kind, path, mapping) in a.files.items()],
                     truth, countries, a.records, a.people)


def import_all(ws: Workspace, files: list[tuple[str, str, Path, Path | None]], case: str = "BENCH") -> dict[str, int]:
    import importlib.util

    counts: dict[str, int] = {}
    for source, kind, path, mapping in files:
        if kind == "chats" and importlib.util.find_spec("tasman.extract.scan") is None:
            print(f"    {source}: skipped (chats need tasman.extract.scan from the extraction stage)", flush=True)
            continue
        with ws.session() as s:
            rep = import_file(s, ws.actor, case, path, kind, mapping_path=mapping)
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


# ---- the checks: coverage, pairs, attribution, the review queue --------------------------------

def placed_parties(ws: Workspace, case: str = "BENCH"
                   ) -> tuple[dict[Party, str], dict[int, Party], dict[str, str | None]]:
    """(party -> subject ref, record id -> (source, source id, "")) and subject ref -> country, for
    the case's live subjects."""
    with ws.session() as s:
        from tasman.evidence.cases import get_case

        case_id = get_case(s, case).id
        placed = _placed(s, case_id)
        records = {rid: (src, sid, "") for rid, src, sid in s.execute(
            select(Record.id, Record.source, Record.source_id).where(Record.case_id == case_id))}
        countries = {ref: country for ref, country in s.execute(select(Subject.ref, Subject.country).where(
            Subject.case_id == case_id, Subject.status != "retired"))}
    return placed, records, countries


def _placed(s: Any, case_id: int) -> dict[Party, str]:
    """Party -> the ref of the live subject holding it, as the session sees them now."""
    return {(src, sid, role): ref for ref, src, sid, role in s.execute(
        select(Subject.ref, Record.source, Record.source_id, SubjectRecord.role)
        .join(SubjectRecord, SubjectRecord.subject_id == Subject.id)
        .join(Record, Record.id == SubjectRecord.record_id)
        .where(Subject.case_id == case_id, Subject.status != "retired"))}


def coverage(gen: Generated, placed: dict[Party, str], records: dict[int, Party]) -> dict[str, Any]:
    """Generated records, imported records, and records each of whose parties is in a subject."""
    by_record: dict[tuple[str, str], list[Party]] = {}
    for party in gen.truth:
        by_record.setdefault(party[:2], []).append(party)
    imported = {r[:2] for r in records.values()}
    in_subjects = sum(all(p in placed for p in parties) for rec, parties in by_record.items() if rec in imported)
    missing = Counter(rec[0] for rec, parties in by_record.items() if not all(p in placed for p in parties))
    return {"generated": len(by_record), "imported": len(imported & set(by_record)), "in_subjects": in_subjects,
            "parties": len(gen.truth), "parties_in_subjects": sum(p in placed for p in gen.truth),
            "missing_by_source": dict(missing.most_common())}


def all_party_scores(placed: dict[Party, str], truth: dict[Party, str]) -> dict[str, Any]:
    """Pairwise scores over every party of the truth: one in no subject is a cluster of its own."""
    pred = {p: placed.get(p, ("alone", p)) for p in truth}
    return pairwise_scores(pred, truth).as_dict()


def judge_persons(truth: dict[Party, str], countries_of: dict[str, str], placed: dict[Party, str],
                  subject_country: dict[str, str | None]) -> dict[str, int]:
    """Persons right under two readings of "attribution correct per person":

    - ``right`` (issue 14's): the country most of the person's *attributed* records got is theirs
      (records in an unattributed subject abstain; a tie between countries is wrong; a person none
      of whose records was ever attributed is wrong);
    - ``right_main``: the subject holding most of their parties is attributed to their country (the
      first of equally large subjects; stricter: a split person whose larger part has nothing to go
      on is wrong even when the rest of them is attributed right).
    """
    parties: dict[str, list[Party]] = {}
    for party, person in truth.items():
        parties.setdefault(person, []).append(party)
    right = right_main = unattributed = 0
    for person, country in countries_of.items():
        mine = [placed[p] for p in parties.get(person, []) if p in placed]
        held = Counter(mine)
        main = held.most_common(1)[0][0] if held else None
        right_main += main is not None and subject_country.get(main) == country
        got = Counter(c for c in (subject_country.get(ref) for ref in mine) if c)
        if not got:
            unattributed += 1
            continue
        (best, n), *rest = got.most_common(2)
        right += best == country and not (rest and rest[0][1] == n)
    return {"right": right, "right_main": right_main, "unattributed": unattributed}


def attribution(ws: Workspace, gen: Generated, case: str = "BENCH") -> dict[str, Any]:
    """Attribute the case's subjects and judge every person (``judge_persons``)."""
    from tasman.attribute.service import attribute_case

    with ws.session() as s:
        summary = attribute_case(s, ws.actor, case)
    placed, _records, countries = placed_parties(ws, case)
    judged = judge_persons(gen.truth, gen.countries, placed, countries)
    n = len(gen.countries)
    return {"persons": n, **judged, "accuracy": round(judged["right"] / n, 4) if n else 1.0,
            "accuracy_main_subject": round(judged["right_main"] / n, 4) if n else 1.0,
            "subjects": summary.subjects, "subjects_attributed": summary.attributed}


@dataclass(frozen=True)
class Candidate:
    """A pair of a static queue: two records' parties and the pair's probability."""

    a: Party
    b: Party
    probability: float


def simulate_review_live(review: Any, ws: Workspace, case: str, truth: dict[Party, str],
                         decisions: int) -> dict[str, Any]:
    """An analyst working ``tasman.link.review``'s queue, simulated with the truth: take the first
    pair the queue shows now, accept it (the subjects merge) when the truth puts its two records'
    parties in one person, else reject it (recorded apart), through the module's own verdicts;
    then read the queue again (re-ordered: a merged subject is bigger, a settled pair is gone), up
    to ``decisions``. Nothing but the shown pair's truth is read; everything is rolled back at the
    end, so the kept workspace is as the run left it."""
    made = merged = 0
    with ws.session() as s:
        from tasman.evidence.cases import get_case

        case_id = get_case(s, case).id
        records = {rid: (src, sid) for rid, src, sid in s.execute(
            select(Record.id, Record.source, Record.source_id).where(Record.case_id == case_id))}
        while made < decisions:
            shown = review.queue(s, "bench-review", case, limit=1)
            if not shown:
                break
            pair = shown[0]
            a = truth.get((*records[pair.record_a], pair.role_a))
            b = truth.get((*records[pair.record_b], pair.role_b))
            same = a is not None and a == b
            review.decide(s, "bench-review", case, pair.ref, "accept" if same else "reject",
                          note="simulated with the truth of this pair")
            made += 1
            merged += same
        after = _placed(s, case_id)
        s.rollback()
    return {"decisions": made, "merges": merged, "after": all_party_scores(after, truth)}


def static_queue(ws: Workspace, case: str, records: dict[int, Party], floor: float) -> tuple[str, list[Candidate]]:
    """For a tree without ``tasman.link.review``: links stored below the threshold, else the run's
    own model predicting again down to ``floor``, best probability first, and where they came from."""
    with ws.session() as s:
        run = s.scalars(select(LinkRun).order_by(LinkRun.id.desc()).limit(1)).one()
        stored = s.execute(select(RecordLink.record_a, RecordLink.role_a, RecordLink.record_b, RecordLink.role_b,
                                  RecordLink.probability)
                           .where(RecordLink.run_id == run.id, RecordLink.probability < run.threshold)
                           .order_by(RecordLink.probability.desc())).all()
        if stored:
            return "links stored below the threshold", [
                Candidate((*records[a][:2], ra), (*records[b][:2], rb), float(p)) for a, ra, b, rb, p in stored]
        model, tasman_settings = run.settings.get("splink"), run.settings.get("tasman")
        inp = read_input(s, case)
    if not model or not tasman_settings:
        return "not available", []
    settings = LinkSettings.model_validate(tasman_settings).model_copy(update={"threshold": floor})
    be = open_backend("duckdb")
    try:
        res = resolve(inp.parties, settings, inp.constraints, backend=be, model=model)
        table = res.stats.get("predictions_table")
        if not table:
            return "not available", []
        pairs = be.query(f"SELECT uid_l, uid_r, match_probability FROM {table} ORDER BY match_probability DESC")
    finally:
        be.close()

    def side(u: int) -> Party:
        rid, role = from_uid(u)
        return (*records[rid][:2], role)

    return f"the run's model predicting again down to {floor}", [
        Candidate(side(a), side(b), float(p)) for a, b, p in zip(
            pairs.column("uid_l").to_pylist(), pairs.column("uid_r").to_pylist(),
            pairs.column("match_probability").to_pylist(), strict=True)]


def simulate_review(queue: list[Candidate], placed: dict[Party, str], truth: dict[Party, str],
                    decisions: int) -> dict[str, Any]:
    """A static queue (a tree without ``tasman.link.review``) decided in order with the truth of
    each shown pair: a pair whose sides are already together costs no decision; a true one merges
    its two sides' subjects, a false one changes nothing."""
    label: dict[Party, Any] = {p: placed.get(p, ("alone", p)) for p in truth}
    parent: dict[Any, Any] = {}

    def find(x: Any) -> Any:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    made = merged = 0
    for cand in queue:
        if made >= decisions:
            break
        la, lb = label.get(cand.a, ("alone", cand.a)), label.get(cand.b, ("alone", cand.b))
        if find(la) == find(lb):
            continue
        made += 1
        pa_, pb = truth.get(cand.a), truth.get(cand.b)
        if pa_ is not None and pa_ == pb:
            parent[find(la)] = find(lb)
            merged += 1
    after = pairwise_scores({p: find(lab) for p, lab in label.items()}, truth).as_dict()
    return {"decisions": made, "merges": merged, "after": after}


def run_review(ws: Workspace, case: str, records: dict[int, Party], placed: dict[Party, str],
               truth: dict[Party, str], args: argparse.Namespace) -> dict[str, Any]:
    """The review check: ``tasman.link.review`` worked live (:func:`simulate_review_live`); a tree
    without it, a static queue (:func:`static_queue`, :func:`simulate_review`)."""
    import importlib
    import importlib.util

    with ws.session() as s:
        from tasman.link.models import ProbableLink

        run_id = s.scalar(select(LinkRun.id).order_by(LinkRun.id.desc()).limit(1))
        stored = s.scalar(select(func.count()).select_from(ProbableLink).where(ProbableLink.run_id == run_id))
    if importlib.util.find_spec("tasman.link.review") is not None:
        got = simulate_review_live(importlib.import_module("tasman.link.review"), ws, case, truth,
                                   args.review_decisions)
        return {**got, "source": "tasman.link.review, worked live", "queue": int(stored or 0)}
    source, queue = static_queue(ws, case, records, args.review_floor)
    if not queue:
        return {"source": "not available"}
    return {**simulate_review(queue, placed, truth, args.review_decisions), "source": source, "queue": len(queue)}


SWEEP = (0.5, 0.8, 0.9, 0.95, 0.99)


def threshold_sweep(ws: Workspace, truth: dict[Party, str], thresholds: tuple[float, ...] = SWEEP,
                    case: str = "BENCH", retrain: bool = False) -> list[dict[str, Any]]:
    """Pairwise precision, recall and F1 of the case's subjects clustered at each threshold, as a
    run at that threshold clusters them (the deterministic links, then every pair scored at or
    above it: connected components). The pairs are scored once, with the latest run's stored model
    (``retrain``: trained again with this tree's settings, for a kept folder), down to the lowest
    threshold; every party of the truth counts (one in no subject alone)."""
    import numpy as np

    from tasman.link.clustering import cluster

    with ws.session() as s:
        run = s.scalars(select(LinkRun).order_by(LinkRun.id.desc()).limit(1)).one()
        model = None if retrain else run.settings.get("splink")
        inp = read_input(s, case)
        records = {rid: (src, sid) for rid, src, sid in s.execute(
            select(Record.id, Record.source, Record.source_id).where(Record.case_id == inp.case_id))}
    low = min(thresholds)
    settings = LinkSettings(threshold=max(thresholds), review_threshold=low)
    be = open_backend("duckdb")
    try:
        res = resolve(inp.parties, settings, inp.constraints, backend=be, model=model)
        table = res.stats.get("predictions_table")
        scored = be.query(f"SELECT least(uid_l, uid_r) AS a, greatest(uid_l, uid_r) AS b, match_probability AS p "
                          f"FROM {table} ORDER BY p DESC") if table else None
        det = be.query("SELECT a, b FROM det_edges")
    finally:
        be.close()
    uids = np.sort(inp.parties.column("uid").to_numpy())
    keys: dict[int, Party] = {}
    for u in uids.tolist():
        rid, role = from_uid(u)
        keys[u] = (*records[rid], role)
    da, db = det.column("a").to_numpy(), det.column("b").to_numpy()
    out = []
    for t in sorted(thresholds):
        if scored is not None:
            p = scored.column("p").to_numpy()
            keep = p >= t
            ea = np.concatenate([da, scored.column("a").to_numpy()[keep]])
            eb = np.concatenate([db, scored.column("b").to_numpy()[keep]])
        else:
            ea, eb = da, db
        c = cluster(uids, ea, eb)
        placed = {keys[u]: str(lab) for u, lab in zip(uids.tolist(), c.labels.tolist(), strict=True)}
        sc = all_party_scores(placed, truth)
        out.append({"threshold": t, "precision": sc["precision"], "recall": sc["recall"], "f1": sc["f1"],
                    "subjects": c.count})
    return out


def print_sweep(name: str, rows: list[dict[str, Any]]) -> None:
    print(f"threshold sweep ({name}; every party; deterministic links plus pairs scored at or above):")
    for r in rows:
        print(f"  {r['threshold']:<6} precision {r['precision']:.4f}  recall {r['recall']:.4f}  F1 {r['f1']:.4f}  "
              f"subjects {r['subjects']}")


def run_checks(ws: Workspace, gen: Generated, args: argparse.Namespace) -> dict[str, Any]:
    placed, records, _ = placed_parties(ws)
    cov = coverage(gen, placed, records)
    among = pairwise_scores(placed, gen.truth).as_dict()
    scores = all_party_scores(placed, gen.truth)
    t0 = time.perf_counter()
    attr = attribution(ws, gen)   # first: the queue orders by the subjects' countries, as an analyst sees them
    attr["seconds"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    review = run_review(ws, "BENCH", records, placed, gen.truth, args)
    review["seconds"] = round(time.perf_counter() - t0, 1)
    share = cov["in_subjects"] / cov["generated"] if cov["generated"] else 1.0
    print(f"checks ({gen.name}):")
    print(f"  records: {cov['generated']} generated, {cov['imported']} imported, {cov['in_subjects']} in subjects "
          f"({share:.2%}); parties {cov['parties_in_subjects']} of {cov['parties']} in subjects")
    if cov["missing_by_source"]:
        print(f"    records in no subject by source: {cov['missing_by_source']}")
    print(f"  pairs among the parties in subjects: precision {among['precision']:.4f} recall {among['recall']:.4f} "
          f"F1 {among['f1']:.4f}")
    print(f"  pairs over every party:              precision {scores['precision']:.4f} recall "
          f"{scores['recall']:.4f} F1 {scores['f1']:.4f} ({scores['true_pairs']} true pairs)")
    if "after" in review:
        gap = 1 - scores["recall"]
        got = review["after"]["recall"] - scores["recall"]
        print(f"  review queue ({review['source']}, {review['queue']} probable links, {review['seconds']} s): "
              f"{review['decisions']} decisions, {review['merges']} merges -> recall {review['after']['recall']:.4f} "
              f"(recovers {got / gap if gap > 0 else 1.0:.0%} of the missing recall), precision "
              f"{review['after']['precision']:.4f}")
    else:
        print("  review queue: not available")
    print(f"  attribution: {attr['right']} of {attr['persons']} persons right ({attr['accuracy']:.2%}), "
          f"{attr['unattributed']} never attributed; by the subject holding most of each person "
          f"{attr['right_main']} ({attr['accuracy_main_subject']:.2%}); {attr['subjects_attributed']} of "
          f"{attr['subjects']} subjects attributed ({attr['seconds']} s)")
    results = {
        "in_subjects": (share, share >= TARGETS["in_subjects"]),
        "precision": (scores["precision"], scores["precision"] >= TARGETS["precision"]),
        "f1": (scores["f1"], scores["f1"] >= TARGETS["f1"]),
        "recall_after_review": (review["after"]["recall"] if "after" in review else None,
                                "after" in review and review["after"]["recall"] >= TARGETS["recall_after_review"]),
        "attribution": (attr["accuracy"], attr["accuracy"] >= TARGETS["attribution"]),
    }
    for name, (value, ok) in results.items():
        shown = "n/a" if value is None else f"{value:.4f}"
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<20} {shown:>7}  (target >= {TARGETS[name]})")
    return {"coverage": cov, "among_placed": among, "scores": scores, "review": review, "attribution": attr,
            "checks": {k: {"value": v, "pass": ok} for k, (v, ok) in results.items()}}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_corpus(name: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Generate one corpus, import it, link it (and the peers), score it, run the checks."""
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    gen = generate(name, root / "corpus", args.records, args.seed, args.plain_synth)
    print(f"corpus {name}: generated {gen.records} records of {gen.people} persons in "
          f"{time.perf_counter() - t0:.1f} s (not timed below)", flush=True)
    ws = Workspace.init(root / "ws", db_url=f"sqlite:///{root / 'ws' / 'tasman.db'}", actor="bench")
    with ws.session() as s:
        create_case(s, ws.actor, "BENCH")
    first = len(STAGES)
    with stage("import"):
        counts = import_all(ws, gen.files)
    import_seconds = STAGES[first][1]
    settings = LinkSettings(threshold=args.threshold)
    truth = gen.truth
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
    figures["import_seconds"] = round(import_seconds, 1)
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
    if args.sweep:
        figures["sweep"] = threshold_sweep(ws, truth)
        print_sweep(name, figures["sweep"])
    if not args.no_checks:
        figures["checks"] = run_checks(ws, gen, args)
    ws.close()
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=100_000, help="records per corpus")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=LinkSettings().threshold,
                    help="the link threshold (default: Tasman's own, %(default)s)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain Splink peer")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--backend", choices=["duckdb", "spark"], default="duckdb",
                    help="link on this backend; with spark, DuckDB runs after it as the peer")
    ap.add_argument("--spark-master", default="local[*]", help="Spark master URL for --backend spark")
    ap.add_argument("--corpus", choices=["synth", "alt", "both"], default="synth",
                    help="synth: tasman.synth.corpus; alt: bench/corpus2.py (written independently); both")
    ap.add_argument("--plain-synth", action="store_true",
                    help="the synth corpus without its field habits (as before issue 14)")
    ap.add_argument("--no-checks", action="store_true",
                    help="skip coverage, attribution and review-queue checks (e.g. at a million records)")
    ap.add_argument("--sweep", action="store_true",
                    help=f"also print precision, recall and F1 at the thresholds {', '.join(map(str, SWEEP))}")
    ap.add_argument("--review-decisions", type=int, default=200, help="review decisions simulated with the truth")
    ap.add_argument("--review-floor", type=float, default=0.05,
                    help="lowest probability of a computed review pair (when no queue is stored)")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="tasman-bench-link-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"records {args.records}, seed {args.seed}, threshold {args.threshold}, workers {args.workers}, "
          f"cpus {os.cpu_count()}, folder {root}; {load()}", flush=True)
    names = ["synth", "alt"] if args.corpus == "both" else [args.corpus]
    results = {name: bench_corpus(name, root / name, args) for name in names}
    failed = [f"{name}:{k}" for name, fig in results.items() for k, c in fig.get("checks", {}).get("checks", {}).items()
              if not c["pass"]]
    if not args.no_checks:
        print(f"summary: {'all checks PASS' if not failed else 'FAIL ' + ', '.join(failed)}")
    print(load(), flush=True)
    if args.json:
        doc = results[names[0]] if len(names) == 1 else results
        args.json.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
