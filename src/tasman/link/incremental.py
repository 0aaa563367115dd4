"""Incremental linking: the parties of records added since the last run, blocked and scored
against every stored party and one another with the stored (trained) model, through Splink's
own ``predict_between`` and ``predict_within`` (Splink 5's means for incremental linkage); only
the subjects they join change.

Guarantees:

- every new party ends in a subject: one it joins, or one of its own (counted, with why, in the
  run's ``singletons``);
- a subject no new party joins is not written at all: its reference, members, name and run stay;
- the subjects a new party joins are clustered the way a full run clusters (Kruskal, strongest
  edge first, analysts' "apart" decisions refusing an edge), with every touched subject's current
  members held together first: a stored subject is never split by an incremental run (only a
  full run, or an analyst, splits);
- when a new party joins several stored subjects, the one with the most members keeps its
  reference (among equals the oldest, the lowest reference); the others are retired (kept, empty,
  status ``retired``), as a full run retires them.

What it does not do: revisit pairs of stored parties (a full run with a retrained model may
split or join stored subjects differently; ``tasman link --full``), or notice that a strong
identifier the new records repeat is now shared by more than ``max_group`` parties (a full run
would stop using it for the stored parties too). The benchmark (``bench/incremental.py``)
measures how far the two partitions are apart."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker
from sqlalchemy import Table, bindparam, exists, select, update
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError
from tasman.core.models import AuditEvent, Record
from tasman.core.progress import StageHook, no_stage
from tasman.core.timeutil import utcnow
from tasman.evidence.cases import get_case
from tasman.link import blockkeys, frequencies, partycache, place
from tasman.link.backends import Backend, open_backend
from tasman.link.clustering import Clusters, Constraints, cluster
from tasman.link.decisions import compile_constraints, list_decisions
from tasman.link.explain import explain_deterministic
from tasman.link.keys import ROLES, from_uid
from tasman.link.models import Decision, LinkRun, ProbableLink, Subject, SubjectRecord
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import (
    DETERMINISTIC_WEIGHT,
    MODEL,
    PROBABLE,
    RULE,
    Link,
    SubjectDraft,
    _explained,
    _singletons,
    _subjects,
)
from tasman.link.rules import deterministic_edges
from tasman.link.settings import DETERMINISTIC, TF_SCALES, LinkSettings, apply_model, apply_priors
from tasman.link.subjects import CHUNK, REF_FORMAT, insert_chunked, next_ref_number, store_links

KEEP = -1  # the edges that hold a touched subject's current members together (taken first, never stored)
MODES = ("auto", "incremental", "full")


class CannotIncrement(InputError):
    """The case cannot be linked incrementally (the reason says why); a full run can."""


@dataclass
class IncrementalInput:
    case_id: int
    case_ref: str
    previous_run: int
    model: dict[str, Any]
    old: pa.Table                # the stored parties, normalised
    new: pa.Table                # the parties of the records added since
    member_uids: np.ndarray      # every stored party (sorted) ...
    member_sids: np.ndarray      # ... and its subject
    decision_ids: list[int]
    constraints: Constraints
    decision_stats: dict[str, Any]
    started_at: datetime
    cache: str = "used"          # used | rebuilt (the stored parties normalised again)


@dataclass
class IncrementalResolution:
    clusters: Clusters           # the new parties and the touched subjects' members
    subjects: list[SubjectDraft]  # one per cluster, in label order
    links: list[Link]
    probable: Sequence[Link]     # a LinkSet (tasman.link.linkset): explained while stored
    stats: dict[str, Any] = field(default_factory=dict)


# -- deciding ------------------------------------------------------------------------------------

def _comparable(tasman: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tasman.items() if k != "backend"}


def previous_run(session: Session, case_id: int) -> LinkRun | None:
    return session.scalar(select(LinkRun).where(LinkRun.case_id == case_id).order_by(LinkRun.id.desc()).limit(1))


def _records_changed_since(session: Session, case_ref: str, run_id: int) -> int:
    """Records whose fields an import changed after run ``run_id`` (from the audit log: an
    import counts the records it updated)."""
    seq = session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "link.run", AuditEvent.case_ref == case_ref,
                                                      AuditEvent.target == f"run {run_id}"))
    if seq is None:
        return -1
    changed = 0
    for details in session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "records.import", AuditEvent.case_ref == case_ref, AuditEvent.seq > seq)):
        try:
            changed += int(json.loads(details).get("updated", 0) or 0)
        except (ValueError, TypeError, AttributeError):
            return -1
    return changed


def _new_records(case_id: int) -> Any:
    return select(Record.id, Record.kind, Record.fields).where(
        Record.case_id == case_id, ~exists().where(SubjectRecord.record_id == Record.id))


def plan(session: Session, case_ref: str, settings: LinkSettings, mode: str = "auto") -> tuple[str, str]:
    """``("incremental" | "full", why)``. ``auto`` links incrementally when an earlier run with the
    same settings exists and records were only added since; ``incremental`` insists
    (``CannotIncrement`` naming the reason otherwise); ``full`` always re-links everything."""
    if mode not in MODES:
        raise InputError(f"link mode {mode!r} is not one of {', '.join(MODES)}")
    if mode == "full":
        return "full", "asked for"
    case = get_case(session, case_ref)
    reason = _why_not(session, case.id, case.ref, settings)
    newest = _new_records(case.id).order_by(Record.id.desc()).limit(1)  # added records come last: found at once
    if reason is None and mode == "auto" and session.scalar(newest) is None:
        return "full", "no records added since the last run"
    if reason is None:
        return "incremental", "records added since the last run" if mode == "auto" else "asked for"
    if mode == "incremental":
        raise CannotIncrement(f"cannot link case {case.ref} incrementally: {reason}; run 'tasman link --full'")
    return "full", reason


def _why_not(session: Session, case_id: int, case_ref: str, settings: LinkSettings) -> str | None:
    if settings.backend != "duckdb":
        return f"incremental linking runs on the duckdb backend, not {settings.backend}"
    prev = previous_run(session, case_id)
    if prev is None:
        return "the case was never linked"
    if not (prev.settings or {}).get("splink"):
        return f"run {prev.id} saved no model"
    if _comparable((prev.settings or {}).get("tasman", {})) != _comparable(settings.model_dump(mode="json")):
        return f"the settings differ from run {prev.id}'s"
    changed = _records_changed_since(session, case_ref, prev.id)
    if changed:
        return (f"{changed} records were changed since run {prev.id}" if changed > 0
                else f"the audit log does not show what changed since run {prev.id}")
    return None


# -- reading -------------------------------------------------------------------------------------

def read_input(session: Session, case_ref: str, root: Path | None, stage: StageHook = no_stage,
               workers: int | None = None) -> IncrementalInput:
    """The reads of an incremental run: the stored memberships, the stored parties (from the
    cache when it holds exactly them, else normalised again), the new parties, the decisions."""
    started = utcnow()
    case = get_case(session, case_ref)
    prev = previous_run(session, case.id)
    if prev is None:  # plan() checked; a run deleted since
        raise CannotIncrement(f"cannot link case {case.ref} incrementally: it was never linked")
    m_uids, m_sids = _memberships(session, case.id)
    with stage("normalise"):
        old = partycache.read(root, case.id, m_uids)
        how = "used"
        if old is not None:
            new = normalise_rows(((r[0], r[1], r[2]) for r in session.execute(
                _new_records(case.id).order_by(Record.id))), workers=workers, context=old)
        else:
            how = "rebuilt"
            from tasman.link.run import load_parties  # one reader of the case's records

            everything = load_parties(session, case.id, workers)
            stored = pc.is_in(everything.column("uid"), value_set=pa.array(m_uids, pa.int64()))
            old, new = everything.filter(stored), everything.filter(pc.invert(stored))
            if old.num_rows != len(m_uids):
                raise CannotIncrement(f"cannot link case {case.ref} incrementally: {len(m_uids) - old.num_rows} "
                                      "stored members are no longer parties of its records; run 'tasman link --full'")
    present = _Present(m_uids, new.column("uid").to_numpy())
    decided = list_decisions(session, case.id)
    constraints, decision_stats = compile_constraints(decided, present)
    return IncrementalInput(case.id, case.ref, prev.id, dict(prev.settings["splink"]), old, new, m_uids, m_sids,
                            [d.id for d in decided], constraints, decision_stats, started, how)


class _Present:
    """``uid in present``: a stored party (``stored``, sorted) or a new one, without a set of a
    million integers (``compile_constraints`` asks only about the decisions' parties)."""

    def __init__(self, stored: np.ndarray, new: np.ndarray) -> None:
        self.stored = stored
        self.new = set(new.tolist())

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        i = int(np.searchsorted(self.stored, value))
        return (i < len(self.stored) and int(self.stored[i]) == value) or value in self.new


def _memberships(session: Session, case_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Every stored party of the case (its uid, sorted) and its subject's id: two integer columns,
    the uid computed by the database (``keys.uid``), fetched as the driver's plain tuples (a
    million ORM rows take seconds to make)."""
    roles = " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(ROLES) if r)
    sql = (f"SELECT m.record_id * 4 + CASE m.role {roles} ELSE 0 END, m.subject_id "
           f"FROM {SubjectRecord.__tablename__} m JOIN {Subject.__tablename__} s ON s.id = m.subject_id "
           f"WHERE s.case_id = {int(case_id)}")
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    pairs = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows)).reshape(-1, 2)
    order = np.argsort(pairs[:, 0], kind="stable")
    return np.ascontiguousarray(pairs[order, 0]), np.ascontiguousarray(pairs[order, 1])


# -- computing -----------------------------------------------------------------------------------

def compute(inp: IncrementalInput, settings: LinkSettings, backend: Backend | None = None,
            stage: StageHook = no_stage) -> IncrementalResolution:
    own = backend is None
    be = backend or open_backend(settings.backend)
    try:
        return _compute(be, inp, settings, stage)
    finally:
        if own:
            be.close()


def _compute(be: Backend, inp: IncrementalInput, settings: LinkSettings, stage: StageHook) -> IncrementalResolution:
    new_n = inp.new.num_rows
    stats: dict[str, Any] = {"mode": "incremental", "previous_run": inp.previous_run, "cache": inp.cache,
                             "parties": inp.old.num_rows + new_n, "new_parties": new_n,
                             "threshold": settings.threshold, "review_threshold": settings.review_threshold}
    be.load("old_parties", inp.old)  # each side loaded once; "parties" (the whole case) reads both
    # the new parties' blocking keys capped by the whole case's counts (the stored parties' keys
    # stay: a pair needs both its keys), so the pairs scored are those a full run would score
    new_keyed, capped = blockkeys.capped(inp.new, settings.max_block_fanout, context=inp.old)
    stats["blocking_capped"] = {"limit": settings.max_block_fanout, **capped}
    be.load("new_parties", new_keyed)
    del new_keyed
    be.view("parties", "SELECT * FROM old_parties UNION ALL SELECT * FROM new_parties")
    be.load("old_members", pa.table({"uid": pa.array(inp.member_uids, pa.int64()),
                                     "sid": pa.array(inp.member_sids, pa.int64())}))
    splink_dict = apply_model(apply_priors(settings.splink_settings().create_settings_dict(be.dialect)), inp.model)
    with stage("rules"):
        stats["deterministic"] = _deterministic(be, settings)
    with stage("predict"):
        _predict(be, settings, splink_dict, new_n, inp.model.get(TF_SCALES))
        if new_n:  # the country a shared name implies, counted once, as the full run that trained the model did
            placed = place.correct(be, "inc_pred", "inc_pred_placed", splink_dict, inp.model.get(place.KEY),
                                   min(settings.review_threshold, settings.threshold))
            if placed != "inc_pred":
                be.create("inc_pred", f"SELECT * FROM {placed}")
                be.drop(placed)
    with stage("cluster"):
        clusters, links, touched = _cluster(be, inp, settings, splink_dict, stats)
        subjects = _subjects(be, clusters)
        probable = _probable(be, splink_dict, settings)
        stats["singletons"] = _singletons(be)
    stats["lambda"] = splink_dict["probability_two_random_records_match"]
    stats["subjects_reached"] = len(touched)  # by an edge (one refused by a decision included)
    stats["links"] = len(links)
    stats["probable_links"] = len(probable)
    stats["training"] = {"trained": False, "notes": [f"run {inp.previous_run}'s model, as it is"]}
    return IncrementalResolution(clusters, subjects, links, probable, stats)


def _deterministic(be: Backend, settings: LinkSettings) -> dict[str, Any]:
    """``det_edges`` between a new party and any other: the rules of a full run on the parties
    holding an identifier a new party holds (so a group's size, and its star's root, are those of
    the whole case), keeping the edges with a new end."""
    cols = [c for c in settings.deterministic if c in DETERMINISTIC]
    if cols:
        def ids(table: str) -> str:
            return " UNION ALL ".join(f"SELECT uid, '{c}' AS kind, unnest({c}) AS value FROM {table} "
                                      f"WHERE {c} IS NOT NULL" for c in cols)
        be.create("inc_new_ids", f"SELECT DISTINCT kind, value FROM ({ids('new_parties')})")
        be.create("inc_det_parties", f"""
            SELECT * FROM parties WHERE uid IN (SELECT uid FROM new_parties) OR uid IN (
                SELECT i.uid FROM ({ids('parties')}) i JOIN inc_new_ids n ON i.kind = n.kind AND i.value = n.value)
        """)
        be.drop("inc_new_ids")
    else:
        be.create("inc_det_parties", "SELECT * FROM parties WHERE uid IN (SELECT uid FROM new_parties)")
    report = deterministic_edges(be, settings, parties="inc_det_parties")
    be.create("det_edges", """SELECT * FROM det_edges WHERE a IN (SELECT uid FROM new_parties)
                              OR b IN (SELECT uid FROM new_parties)""")
    be.drop("inc_det_parties")
    report["edges"] = _count(be, "det_edges")
    return report


def _count(be: Backend, table: str) -> int:
    return int(be.query(f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py())


def _predict(be: Backend, settings: LinkSettings, splink_dict: dict[str, Any], new_n: int,
             scales: dict[str, float] | None = None) -> None:
    """``inc_pred``: the pairs of a new party and a stored one (Splink's ``predict_between``) and of
    two new parties (``predict_within``) that the stored model scores at or above the review
    threshold, blocked with the run's own rules; term frequencies from the whole case, as a full
    run has them. Each pair once, the lower uid on the left, as ``predict`` gives them."""
    empty = ("SELECT NULL::BIGINT AS uid_l, NULL::BIGINT AS uid_r, NULL::DOUBLE AS match_weight, "
             "NULL::DOUBLE AS match_probability WHERE false")
    if new_n == 0:
        be.create("inc_pred", empty)
        return
    logging.getLogger("splink").setLevel(logging.ERROR)
    api = be.splink_api()
    linker = Linker(api.register("parties"), splink_dict, log_level=None, validate_settings=False)  # as resolve
    linker._intermediate_table_cache.invalidate_cache()  # the cache is the engine's: no earlier linker's tables
    scaled = frequencies.scaled_tf_tables(be, scales or {})  # corrected as the full run's (frequencies.py)
    frequencies.register(linker, be, scaled)
    for column in linker._settings_obj._term_frequency_columns:
        if column.name not in scaled:
            linker.table_management.compute_tf_table(column.name)
    floor = float(min(settings.review_threshold, settings.threshold))
    new_df = api.register("new_parties")
    between = linker.inference.predict_between(api.register("old_parties"), new_df, threshold_match_probability=floor,
                                               warning_mode="never")
    within = linker.inference.predict_within(new_df, threshold_match_probability=floor, warning_mode="never")
    be.create("inc_pred", f"""
        SELECT * REPLACE (least(uid_l, uid_r) AS uid_l, greatest(uid_l, uid_r) AS uid_r)
        FROM (SELECT * FROM {between.physical_name} UNION ALL BY NAME SELECT * FROM {within.physical_name})
        WHERE uid_l <> uid_r
    """)
    for df in (between, within):
        df.drop_table_from_database_and_remove_from_cache()
    frequencies.drop(be, scaled)


def _cluster(be: Backend, inp: IncrementalInput, settings: LinkSettings, splink_dict: dict[str, Any],
             stats: dict[str, Any]) -> tuple[Clusters, list[Link], set[int]]:
    """Kruskal on the new parties and the touched subjects' members: each touched subject's
    members first (held together), then the deterministic edges, then the model's by weight."""
    threshold = float(settings.threshold)
    be.create("inc_edges", f"""
        SELECT a, b, {DETERMINISTIC_WEIGHT} * 1e6 AS w, {RULE} AS src FROM det_edges
        UNION ALL SELECT uid_l, uid_r, match_weight, {MODEL} FROM inc_pred WHERE match_probability >= {threshold!r}
    """)
    touched = {int(s) for s in be.query("""
        SELECT DISTINCT m.sid FROM old_members m JOIN (SELECT a AS u FROM inc_edges UNION SELECT b FROM inc_edges) e
        ON e.u = m.uid""").column("sid").to_pylist()}
    keep_a: list[int] = []
    keep_b: list[int] = []
    mask = np.isin(inp.member_sids, np.fromiter(touched, dtype=np.int64, count=len(touched)))
    held_uids, held_sids = inp.member_uids[mask], inp.member_sids[mask]
    order = np.lexsort((held_uids, held_sids))
    hu, hs = held_uids[order], held_sids[order]
    same = hs[1:] == hs[:-1]
    keep_a, keep_b = hu[:-1][same].tolist(), hu[1:][same].tolist()
    e = be.query("SELECT a, b, src FROM inc_edges ORDER BY w DESC, src, a, b")
    nodes = np.union1d(inp.new.column("uid").to_numpy(), hu)
    edge_a = np.concatenate([np.asarray(keep_a, dtype=np.int64), e.column("a").to_numpy()])
    edge_b = np.concatenate([np.asarray(keep_b, dtype=np.int64), e.column("b").to_numpy()])
    src = np.concatenate([np.full(len(keep_a), KEEP, dtype=np.int64), e.column("src").to_numpy()])
    clusters = cluster(nodes, edge_a, edge_b, inp.constraints)
    stats["edges"] = {"together": 0, "deterministic": int((src == RULE).sum()), "model": int((src == MODEL).sum()),
                      "held": len(keep_a), "refused_by_decisions": clusters.refused}
    chosen = np.asarray(clusters.chosen, dtype=np.int64)
    links: list[Link] = []
    if len(chosen) == 0:
        return clusters, links, touched
    ca, cb, cs = edge_a[chosen], edge_b[chosen], src[chosen]
    be.load("chosen_rule", pa.table({"a": pa.array(ca[cs == RULE], pa.int64()),
                                     "b": pa.array(cb[cs == RULE], pa.int64())}))
    det = be.query("SELECT d.a, d.b, d.why FROM det_edges d JOIN chosen_rule c ON d.a = c.a AND d.b = c.b "
                   "ORDER BY 1, 2")
    for a, b, why in zip(det.column("a").to_pylist(), det.column("b").to_pylist(), det.column("why").to_pylist(),
                         strict=True):
        rule, expl = explain_deterministic(why)
        links.append(Link(a, b, rule, DETERMINISTIC_WEIGHT, 1.0, expl))
    if (cs == MODEL).any():
        be.load("chosen_model", pa.table({"a": pa.array(ca[cs == MODEL], pa.int64()),
                                          "b": pa.array(cb[cs == MODEL], pa.int64())}))
        links += _explained(be, "inc_pred", "chosen_model", splink_dict, "probabilistic")
    return clusters, links, touched


def _probable(be: Backend, splink_dict: dict[str, Any], settings: LinkSettings) -> Sequence[Link]:
    """Scored pairs below the threshold whose two sides are in different subjects after the run
    (``members``: the clustered parties' labels; any other party is in its stored subject)."""
    if settings.review_threshold >= settings.threshold or not _count(be, "inc_pred"):
        return []
    be.create("inc_labels", """
        SELECT uid, label FROM members
        UNION ALL SELECT m.uid, -1 - m.sid AS label FROM old_members m
        WHERE m.uid NOT IN (SELECT uid FROM members)
          AND m.uid IN (SELECT uid_l FROM inc_pred UNION SELECT uid_r FROM inc_pred)
    """)
    be.create("probable_pairs", f"""
        SELECT DISTINCT p.uid_l AS a, p.uid_r AS b FROM inc_pred p
        JOIN inc_labels ml ON ml.uid = p.uid_l JOIN inc_labels mr ON mr.uid = p.uid_r
        WHERE p.match_probability < {float(settings.threshold)!r} AND ml.label <> mr.label
    """)
    try:
        return _explained(be, "inc_pred", "probable_pairs", splink_dict, PROBABLE)
    finally:
        be.drop("probable_pairs")
        be.drop("inc_labels")


# -- storing -------------------------------------------------------------------------------------

@dataclass
class _Plan:
    survivor: dict[int, int]            # cluster label -> the stored subject that keeps its reference
    retired: dict[int, int]             # stored subject -> the subject that took its members
    changed: set[int]                   # cluster labels whose subject changes (written)
    new: list[int]                      # cluster labels that become new subjects
    touched: set[int] = field(default_factory=set)  # stored subjects that change (grown or retired)


def _plan(inp: IncrementalInput, res: IncrementalResolution) -> _Plan:
    uids, sids = inp.member_uids, inp.member_sids
    p = _Plan({}, {}, set(), [])
    held = np.fromiter((u for d in res.subjects for u in d.uids), dtype=np.int64)
    at = np.minimum(np.searchsorted(uids, held), max(len(uids) - 1, 0))
    stored = uids[at] == held if len(uids) else np.zeros(len(held), dtype=bool)
    sid_of = dict(zip(held[stored].tolist(), sids[at[stored]].tolist(), strict=True))  # the clustered stored parties
    reached = np.unique(sids[at[stored]])
    counted, counts = np.unique(sids[np.isin(sids, reached)], return_counts=True)
    size = dict(zip(counted.tolist(), counts.tolist(), strict=True))  # the members of the stored subjects reached
    for label, d in enumerate(res.subjects):
        olds = Counter(sid_of[u] for u in d.uids if u in sid_of)
        if not olds:
            p.new.append(label)
            p.changed.add(label)
            continue
        # the most members, then the oldest (ids and references grow together)
        keep = min(olds, key=lambda s: (-size[s], s))
        p.survivor[label] = keep
        for s in olds:
            if s != keep:
                p.retired[s] = keep
        if len(olds) > 1 or len(d.uids) != size[keep]:
            p.changed.add(label)
            p.touched.update(olds)
    return p


def store(session: Session, actor: str, inp: IncrementalInput, settings: LinkSettings,
          res: IncrementalResolution, stage: StageHook = no_stage, why: str = "") -> tuple[int, dict[str, Any]]:
    """Write the run, the changed subjects, the new members, links and probable links, and the
    audit entry, in the caller's transaction; the order of locks is ``run.store``'s."""
    from tasman.link.run import DecisionsChanged

    p = _plan(inp, res)
    run = LinkRun(case_id=inp.case_id, threshold=settings.threshold, actor=actor, settings={}, stats={},
                  started_at=inp.started_at)
    session.add(run)
    session.flush()
    active_before = len(np.unique(inp.member_sids))
    stored = {"subjects": active_before - len(p.retired) + len(p.new), "kept_refs": active_before - len(p.retired),
              "new_refs": len(p.new), "retired": len(p.retired), "touched": len(p.touched),
              "unchanged": active_before - len(p.touched)}
    audit.record(session, actor, "link.run", case_ref=inp.case_ref, target=f"run {run.id}", mode="incremental",
                 threshold=settings.threshold, parties=res.stats["parties"], new_parties=res.stats["new_parties"],
                 touched_subjects=stored["touched"], kept_refs=stored["kept_refs"], new_refs=stored["new_refs"],
                 retired=stored["retired"], links=len(res.links), decisions=inp.decision_stats["decisions"])
    if list(session.scalars(select(Decision.id).where(Decision.case_id == inp.case_id).order_by(Decision.id))
            ) != inp.decision_ids:
        raise DecisionsChanged(f"analysts recorded decisions on case {inp.case_ref} while linking ran; "
                               "run linking again to replay them")
    with stage("store"):
        _write(session, inp, run, res, p)
    run.settings = {"tasman": settings.model_dump(mode="json"), "splink": inp.model}
    run.stats = {**res.stats, "mode_reason": why, "subjects": stored["subjects"], "decisions": inp.decision_stats,
                 "stored": stored}
    run.finish()
    session.flush()
    return run.id, run.stats


def _write(session: Session, inp: IncrementalInput, run: LinkRun, res: IncrementalResolution, p: _Plan) -> None:
    subjects: Table = Subject.__table__  # type: ignore[assignment]
    members_t: Table = SubjectRecord.__table__  # type: ignore[assignment]
    sid_of_new: dict[int, int] = {}
    number = next_ref_number(session, inp.case_id)
    new_rows: list[dict[str, Any]] = []
    for label in p.new:
        d = res.subjects[label]
        new_rows.append({"case_id": inp.case_id, "ref": REF_FORMAT.format(number), "name": d.name[:300],
                         "run_id": run.id, "status": "proposed", "identifiers": d.identifiers})
        number += 1
    insert_chunked(session, subjects, new_rows)
    if new_rows:
        refs = [r["ref"] for r in new_rows]
        by_ref: dict[str, int] = {}
        for i in range(0, len(refs), CHUNK):
            for ref, sid in session.execute(select(subjects.c.ref, subjects.c.id).where(
                    subjects.c.case_id == inp.case_id, subjects.c.ref.in_(refs[i:i + CHUNK]))):
                by_ref[ref] = sid
        sid_of_new = {label: by_ref[row["ref"]] for label, row in zip(p.new, new_rows, strict=True)}
    upd = (update(subjects).where(subjects.c.id == bindparam("sid"))
           .values(name=bindparam("name"), run_id=bindparam("run_id"), status=bindparam("status"),
                   identifiers=bindparam("identifiers")))
    status = dict(session.execute(select(subjects.c.id, subjects.c.status).where(
        subjects.c.id.in_(list({p.survivor[label] for label in p.changed if label in p.survivor}) or [-1])
    )).all())
    updates = [{"sid": p.survivor[label], "name": res.subjects[label].name[:300], "run_id": run.id,
                "status": status[p.survivor[label]], "identifiers": res.subjects[label].identifiers}
               for label in sorted(p.changed) if label in p.survivor]
    retired = [{"sid": s, "name": "", "run_id": run.id, "status": "retired", "identifiers": {}}
               for s in sorted(p.retired)]
    for chunked in (updates, retired):
        for i in range(0, len(chunked), CHUNK):
            session.execute(upd, chunked[i:i + CHUNK])
    moves = [{"old": s, "new": keep} for s, keep in sorted(p.retired.items())]
    if moves:
        session.execute(update(members_t).where(members_t.c.subject_id == bindparam("old"))
                        .values(subject_id=bindparam("new")), moves)
    new_uids = set(inp.new.column("uid").to_pylist())

    def members() -> Iterator[dict[str, Any]]:
        for label, d in enumerate(res.subjects):
            target = sid_of_new.get(label) or p.survivor.get(label)
            for u in d.uids:
                if u in new_uids:
                    rid, role = from_uid(u)
                    yield {"subject_id": target, "record_id": rid, "role": role}

    insert_chunked(session, members_t, members())
    # links: this run's are added to the earlier runs' (they still explain the stored subjects);
    # probable links: the earlier ones move to this run (the review queue reads the latest run's)
    earlier = select(LinkRun.id).where(LinkRun.case_id == inp.case_id, LinkRun.id != run.id)
    probable_t: Table = ProbableLink.__table__  # type: ignore[assignment]
    session.execute(update(probable_t).where(probable_t.c.run_id.in_(earlier)).values(run_id=run.id))
    store_links(session, run.id, res.links, res.probable)


__all__ = ["MODES", "CannotIncrement", "IncrementalInput", "compute", "plan", "read_input", "store"]
