"""The resolution pipeline on a parties table, without the database: rules, training,
inference, clustering, explanation. Each step is its own module; this one only wires them
and reports stage by stage (the benchmark times them)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from splink import Linker
from splink.internals.exceptions import SplinkException

from tasman.core.progress import StageHook, no_stage
from tasman.link import blockkeys, frequencies, place
from tasman.link.backends import Backend, open_backend
from tasman.link.clustering import Clusters, Constraints, cluster, together_edges
from tasman.link.explain import PLACE_COLUMN, level_labels
from tasman.link.linkset import DETERMINISTIC_WEIGHT, Link, LinkSet
from tasman.link.normalise import BASIS
from tasman.link.rules import deterministic_edges
from tasman.link.settings import TF_SCALES, LinkSettings, apply_model, apply_priors
from tasman.link.training import prior_lambda, train

TOGETHER, RULE, MODEL = 0, 1, 2
PROBABLE = "probable"  # the rule of a probable link: scored below the threshold, left for review


@dataclass
class SubjectDraft:
    uids: list[int]
    name: str
    identifiers: dict[str, list[str]]


@dataclass
class Resolution:
    clusters: Clusters
    links: Sequence[Link]  # a LinkSet: explained while read (tasman.link.linkset)
    subjects: list[SubjectDraft]
    splink_settings: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    # pairs scored at or above the review threshold but below the link threshold, in different
    # subjects: probable links for an analyst (rule "probable", with their explanation)
    probable: Sequence[Link] = field(default_factory=list)


def resolve(parties: pa.Table, settings: LinkSettings, constraints: Constraints | None = None,
            backend: Backend | None = None, stage: StageHook = no_stage,
            model: dict[str, Any] | None = None, labels: list[tuple[int, int]] | None = None) -> Resolution:
    """``backend``: where the SQL runs (default: a new one of ``settings.backend``, closed after).
    ``model``: the trained Splink model of an earlier run (``Resolution.splink_settings``, stored
    as ``link_runs.settings["splink"]``), used as it is instead of training, on any backend.
    ``labels``: pairs of party uids an analyst found to be the same person (reviewed probable
    links); from ``settings.min_review_labels`` of them, training estimates m from them."""
    own = backend is None
    be = backend or open_backend(settings.backend)
    try:
        return _resolve(be, parties, settings, constraints or Constraints(), stage, model, labels or [])
    finally:
        if own:
            be.close()


def _resolve(be: Backend, parties: pa.Table, settings: LinkSettings, constraints: Constraints,
             stage: StageHook, model: dict[str, Any] | None, labels: list[tuple[int, int]]) -> Resolution:
    n = parties.num_rows
    stats: dict[str, Any] = {"parties": n, "threshold": settings.threshold,
                             "review_threshold": settings.review_threshold}
    engine_parties, capped = blockkeys.capped(parties, settings.max_block_fanout)
    stats["blocking_capped"] = {"limit": settings.max_block_fanout, **capped}
    be.load("parties", engine_parties)
    del engine_parties
    with stage("rules"):
        stats["deterministic"] = deterministic_edges(be, settings)
        det_pairs = _deterministic_pairs(be, parties)
    splink_dict = apply_priors(settings.splink_settings().create_settings_dict(be.dialect))
    splink_dict["probability_two_random_records_match"] = prior_lambda(n, det_pairs, settings.deterministic_recall)
    if model is not None:
        apply_model(splink_dict, model)
    stats["deterministic"]["pairs"] = det_pairs
    predicted = None
    if n >= 2:
        logging.getLogger("splink").setLevel(logging.ERROR)
        # Splink's settings validation only logs (missing columns), and its logger is silenced
        # above: skipped, it costs a fifth of a CPU second of SQL parsing per run
        linker = Linker(be.splink_api().register("parties"), splink_dict, log_level=None, validate_settings=False)
        with stage("train"):
            stats["training"] = train(linker, settings, n, len(labels), _load_labels(be, labels, settings),
                                      be) if model is None else {
                "trained": False, "u": None, "m": [], "lambda": None, "notes": ["an earlier run's model, as it is"]}
        scales = dict((stats["training"].get("tf_scales") if model is None else model.get(TF_SCALES)) or {})
        for col, scale in frequencies.relative_scales(linker, be).items():  # from the model's u, as it is now
            if model is None or col not in scales:
                scales[col] = scale
        tf_columns = frequencies.scaled_tf_tables(be, scales)
        frequencies.register(linker, be, tf_columns)
        with stage("predict"):
            try:
                predicted = linker.inference.predict(
                    threshold_match_probability=min(settings.review_threshold, settings.threshold),
                    warning_mode="never").physical_name
            except SplinkException as exc:  # pragma: no cover - defensive: keep the deterministic links
                stats["predict_error"] = str(exc)
            splink_dict = linker.misc.save_model_to_json()
            splink_dict[TF_SCALES] = {c: scales[c] for c in tf_columns}  # kept with the model (apply_model skips it)
            frequencies.drop(be, tf_columns)
            measures = ((place.measure(be) if stats["training"].get("u") else None) if model is None
                        else model.get(place.KEY))
            if measures:
                splink_dict[place.KEY] = measures  # kept with the model, as the term frequencies' scales are
            if predicted:
                predicted = place.correct(be, predicted, "predictions_placed", splink_dict, measures,
                                          min(settings.review_threshold, settings.threshold))
        stats["predictions_table"] = predicted
        stats["place"] = {"measured": bool(measures), "same_country": (measures or {}).get("same_country")}
    stats["lambda"] = splink_dict["probability_two_random_records_match"]
    with stage("cluster"):
        clusters, links = _cluster(be, parties, predicted, constraints, splink_dict, stats, settings.threshold)
        subjects = _subjects(be, clusters)
        probable = _probable(be, predicted, clusters, splink_dict, settings) if predicted else []
        stats["singletons"] = _singletons(be)
    stats["subjects"] = clusters.count
    stats["links"] = len(links)
    stats["probable_links"] = len(probable)
    return Resolution(clusters=clusters, links=links, subjects=subjects, splink_settings=splink_dict, stats=stats,
                      probable=probable)


def _cluster(be: Backend, parties: pa.Table, predicted: str | None, constraints: Constraints,
             splink_dict: dict[str, Any], stats: dict[str, Any], threshold: float) -> tuple[Clusters, LinkSet]:
    ta, tb = together_edges(constraints.together)
    be.load("together_edges", pa.table({"a": pa.array(ta, pa.int64()), "b": pa.array(tb, pa.int64()),
                                        "w": pa.array(range(len(ta), 0, -1), pa.float64())}))
    model = (f"UNION ALL SELECT least(uid_l, uid_r), greatest(uid_l, uid_r), match_weight, {MODEL} FROM {predicted} "
             f"WHERE match_probability >= {float(threshold)!r}" if predicted else "")
    # strongest first; ties in a fixed order, so every engine gives the same spanning forest
    e = be.query(f"""
        SELECT a, b, src FROM (
            SELECT a, b, 1e12 + w AS w, {TOGETHER} AS src FROM together_edges
            UNION ALL SELECT a, b, {DETERMINISTIC_WEIGHT} * 1e6 AS w, {RULE} AS src FROM det_edges
            {model}
        ) ORDER BY w DESC, src, a, b
    """)
    uids = np.sort(parties.column("uid").to_numpy())
    edge_a = e.column("a").to_numpy()
    edge_b = e.column("b").to_numpy()
    src = e.column("src").to_numpy()
    clusters = cluster(uids, edge_a, edge_b, constraints)
    stats["edges"] = {"together": int((src == TOGETHER).sum()), "deterministic": int((src == RULE).sum()),
                      "model": int((src == MODEL).sum()), "refused_by_decisions": clusters.refused}
    chosen = np.asarray(clusters.chosen, dtype=np.int64)
    if len(chosen) == 0:
        return clusters, LinkSet()
    ca, cb, cs = edge_a[chosen], edge_b[chosen], src[chosen]
    links = LinkSet.listed([Link(a, b, "analyst decision", DETERMINISTIC_WEIGHT, 1.0, {"decision": "kept together"})
                            for a, b in zip(ca[cs == TOGETHER].tolist(), cb[cs == TOGETHER].tolist(), strict=True)])
    sel = pa.table({"a": pa.array(ca[cs == RULE], pa.int64()), "b": pa.array(cb[cs == RULE], pa.int64())})
    be.load("chosen_rule", sel)
    # the links are explained when read (stored), from these tables: not held as Python objects
    links += LinkSet.deterministic(
        be.query("SELECT d.a, d.b, d.why FROM det_edges d JOIN chosen_rule c ON d.a = c.a AND d.b = c.b ORDER BY 1, 2"))
    if predicted:
        sel = pa.table({"a": pa.array(ca[cs == MODEL], pa.int64()), "b": pa.array(cb[cs == MODEL], pa.int64())})
        be.load("chosen_model", sel)
        links += _explained(be, predicted, "chosen_model", splink_dict, "probabilistic")
    return clusters, links


def _deterministic_pairs(be: Backend, parties: pa.Table) -> int:
    """Pairs inside the groups the deterministic rules form (for the prior probability); the
    groups of two or more parties are left in table ``det_identity(uid, grp)`` (term frequencies
    per identity, ``tasman.link.frequencies``)."""
    e = be.query("SELECT a, b FROM det_edges")
    if e.num_rows == 0:
        be.load("det_identity", pa.table({"uid": pa.array([], pa.int64()), "grp": pa.array([], pa.int64())}))
        return 0
    c = cluster(np.sort(parties.column("uid").to_numpy()), e.column("a").to_numpy(), e.column("b").to_numpy())
    sizes = np.bincount(c.labels)
    labels = np.asarray(c.labels)
    grouped = sizes[labels] > 1
    be.load("det_identity", pa.table({"uid": pa.array(np.asarray(c.uids)[grouped], pa.int64()),
                                      "grp": pa.array(labels[grouped], pa.int64())}))
    return int((sizes * (sizes - 1) // 2).sum())


def _explained(be: Backend, predicted: str, pairs: str, splink_dict: dict[str, Any], rule: str) -> LinkSet:
    """Links with their explanations for the pairs of table ``pairs(a, b)`` (a < b) in the predictions:
    the weights their explanations are made of, read from the engine column-wise, explained when read."""
    labels = level_labels(splink_dict)
    present = set(be.query(f"SELECT * FROM {predicted} LIMIT 0").column_names)
    cols = ", ".join(["match_weight", "match_probability"]
                     + [f"mw_{c}" for c in labels]
                     + [f"mw_tf_adj_{c}" for c in labels if f"mw_tf_adj_{c}" in present]
                     + [c for c in (PLACE_COLUMN,) if c in present])
    result = be.query(f"""
        SELECT least(p.uid_l, p.uid_r) AS a, greatest(p.uid_l, p.uid_r) AS b, {cols}
        FROM {predicted} p JOIN {pairs} c ON least(p.uid_l, p.uid_r) = c.a AND greatest(p.uid_l, p.uid_r) = c.b
        ORDER BY a, b
    """)
    return LinkSet.scored(result, labels, rule)


def _probable(be: Backend, predicted: str, clusters: Clusters, splink_dict: dict[str, Any],
              settings: LinkSettings) -> LinkSet:
    """Pairs scored between the review threshold and the threshold whose parties the run left in
    different subjects (``members`` holds each party's subject label)."""
    if settings.review_threshold >= settings.threshold:
        return LinkSet()
    be.create("probable_pairs", f"""
        SELECT DISTINCT least(p.uid_l, p.uid_r) AS a, greatest(p.uid_l, p.uid_r) AS b
        FROM {predicted} p JOIN members ml ON ml.uid = p.uid_l JOIN members mr ON mr.uid = p.uid_r
        WHERE p.match_probability < {float(settings.threshold)!r} AND ml.label <> mr.label
    """)
    try:
        return _explained(be, predicted, "probable_pairs", splink_dict, PROBABLE)
    finally:
        be.drop("probable_pairs")


def _singletons(be: Backend) -> dict[str, Any]:
    """How many parties are alone in their subject, by what they had to link on."""
    rows = be.query("""
        SELECT p.basis, count(*) AS n FROM parties p JOIN members m ON m.uid = p.uid
        WHERE m.label IN (SELECT label FROM members GROUP BY label HAVING count(*) = 1)
        GROUP BY p.basis ORDER BY n DESC, p.basis
    """).to_pylist()
    return {"parties": sum(r["n"] for r in rows),
            "why": {BASIS.get(r["basis"], r["basis"]): r["n"] for r in rows}}


def _load_labels(be: Backend, labels: list[tuple[int, int]], settings: LinkSettings) -> str:
    """The reviewed "same person" pairs as a table the linker reads (none below the minimum)."""
    if len(labels) < settings.min_review_labels:
        return ""
    be.load("review_labels", pa.table({"uid_l": pa.array([a for a, _ in labels], pa.int64()),
                                       "uid_r": pa.array([b for _, b in labels], pa.int64())}))
    return "review_labels"


def _subjects(be: Backend, clusters: Clusters) -> list[SubjectDraft]:
    be.load("members", pa.table({"uid": pa.array(clusters.uids, pa.int64()),
                                 "label": pa.array(clusters.labels, pa.int64())}))
    empty = "[]::VARCHAR[]"
    # the name: the most frequent one, the first in sort order among equally frequent ones
    rows = be.query(f"""
        WITH names AS (
            SELECT m.label, p.display_name AS name, count(*) AS n
            FROM members m JOIN parties p ON p.uid = m.uid WHERE p.display_name IS NOT NULL
            GROUP BY m.label, p.display_name
        ), named AS (
            SELECT label, name FROM (
                SELECT label, name, row_number() OVER (PARTITION BY label ORDER BY n DESC, name) AS r FROM names
            ) WHERE r = 1
        )
        SELECT m.label, list_sort(list(m.uid)) AS uids, max(nm.name) AS name,
               list_sort(list_distinct(flatten(list(coalesce(p.emails, {empty}))))) AS emails,
               list_sort(list_distinct(flatten(list(coalesce(p.phones, {empty}))))) AS phones,
               list_sort(list_distinct(flatten(list(list_concat(coalesce(p.handles, {empty}),
                                                                 coalesce(p.site_handles, {empty})))))) AS handles,
               list_sort(list_distinct(flatten(list(coalesce(p.payrefs, {empty}))))) AS payrefs,
               list_sort(list_distinct(list(p.country))) AS countries
        FROM members m JOIN parties p ON p.uid = m.uid LEFT JOIN named nm ON nm.label = m.label
        GROUP BY m.label ORDER BY m.label
    """).to_pylist()
    return [SubjectDraft(uids=r["uids"], name=r["name"] or "",
                         identifiers={k: [v for v in r[k] if v] for k in
                                      ("emails", "phones", "handles", "payrefs", "countries") if r[k]})
            for r in rows]
