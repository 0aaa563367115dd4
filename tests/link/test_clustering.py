"""Clustering and the replay of decisions, without storage."""

from __future__ import annotations

import numpy as np

from tasman.link.clustering import Constraints, cluster, together_edges
from tasman.link.decisions import compile_constraints
from tasman.link.evaluation import pairwise_scores
from tasman.link.keys import uid
from tasman.link.models import Decision


def _groups(c, ids):  # type: ignore[no-untyped-def]
    lab = dict(zip(c.uids.tolist(), c.labels.tolist(), strict=True))
    out: dict[int, set[int]] = {}
    for i in ids:
        out.setdefault(lab[i], set()).add(i)
    return sorted(sorted(g) for g in out.values())


def test_connected_components_and_spanning_forest() -> None:
    uids = np.arange(1, 8)
    a, b = np.array([1, 2, 1, 4, 6]), np.array([2, 3, 3, 5, 7])
    c = cluster(uids, a, b)
    assert _groups(c, range(1, 8)) == [[1, 2, 3], [4, 5], [6, 7]]
    assert c.chosen == [0, 1, 3, 4]  # 1-3 closes a cycle: not needed to explain the subject


def test_apart_refuses_joining_the_two_sides_whatever_path() -> None:
    uids = np.arange(1, 6)
    a, b = np.array([1, 2, 3, 1]), np.array([2, 3, 4, 5])
    c = cluster(uids, a, b, Constraints(apart=[({1}, {4})]))
    assert _groups(c, range(1, 6)) == [[1, 2, 3, 5], [4]] and c.refused == 1


def test_replay_newest_wins() -> None:
    k = [str(i) for i in range(1, 6)]
    u = {i: uid(i) for i in range(1, 6)}
    split = Decision(kind="split", record_ids=[k[0], k[1]], other_record_ids=[k[2]])
    merge = Decision(kind="merge", record_ids=[k[0], k[2]], other_record_ids=[])
    cons, stats = compile_constraints([split])
    assert cons.apart == [({u[1], u[2]}, {u[3]})] and stats["decisions"] == 1
    cons, _ = compile_constraints([split, merge])  # a later merge across the split lifts it
    assert cons.apart == [] and cons.together[0] == sorted([u[1], u[3]])
    cons, _ = compile_constraints([merge, split])  # a later split keeps the parts apart
    ta, tb = together_edges(cons.together)
    c = cluster(np.array(sorted(u.values())), np.array(ta), np.array(tb), cons)
    assert _groups(c, u.values()) == [[u[1], u[2]], [u[3]], [u[4]], [u[5]]]
    cons, stats = compile_constraints([split], present={u[1], u[3]})
    assert cons.apart == [({u[1]}, {u[3]})] and stats["parties_no_longer_present"] == 1


def test_pairwise_scores() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": 2}
    pred = {"a": 10, "b": 10, "c": 11, "d": 11}
    s = pairwise_scores(pred, truth)
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs) == (3, 2, 1)
    assert round(s.f1, 3) == 0.4
