"""Explanations of a whole prediction at once (explain_columns) are those of each row alone; as
JSON text they are those dictionaries dumped; a LinkSet reads as the links built at once."""

from __future__ import annotations

import json
import math
import random

import pyarrow as pa

from tasman.link.explain import (
    PLACE_COLUMN,
    PLACE_FIELD,
    LevelLabels,
    explain_columns,
    explain_columns_json,
    explain_deterministic,
    explain_probabilistic,
    level_labels,
)
from tasman.link.linkset import Link, LinkSet


def _settings() -> dict[str, object]:
    def comp(name: str, probs: list[tuple[float, float]]) -> dict[str, object]:
        levels: list[dict[str, object]] = [{"is_null_level": True}]
        levels += [{"m_probability": m, "u_probability": u, "label_for_charts": f"{name} {i}"}
                   for i, (m, u) in enumerate(probs)]
        return {"output_column_name": name, "comparison_levels": levels}
    return {"comparisons": [comp("name", [(0.6, 0.001), (0.3, 0.01), (0.1, 0.989)]),
                            comp("dob", [(0.9, 0.01), (0.1, 0.99)]),
                            comp("city", [(0.7, 0.05), (0.3, 0.95)])]}


def test_columns_explained_as_rows_are() -> None:
    labels = level_labels(_settings())
    rnd = random.Random(5)
    weights = {name: [w for w, _ in lv] for name, lv in labels.levels.items()}
    n = 400
    cols: dict[str, list[object]] = {"match_weight": [rnd.uniform(-10, 20) for _ in range(n)],
                                     "match_probability": [rnd.random() for _ in range(n)]}
    for name, ws in weights.items():
        cols[f"mw_{name}"] = [None if rnd.random() < 0.1 else rnd.choice(ws) for _ in range(n)]
    # term-frequency adjustments on two fields: a few values repeated, zero, missing, one that
    # makes a positive level weigh below zero
    cols["mw_tf_adj_name"] = [rnd.choice([None, 0.0, 1.5, -2.25, 3.125, -math.log2(1000) - 1]) for _ in range(n)]
    cols["mw_tf_adj_city"] = [rnd.choice([0.0, 0.5, -7.0]) for _ in range(n)]
    got = explain_columns(cols, labels)
    rows = [{k: v[i] for k, v in cols.items()} for i in range(n)]
    assert got == [explain_probabilistic(r, labels) for r in rows]
    assert any(g["fields"].get("name", {}).get("weight", 0) < 0 < w for g, w in zip(got, cols["mw_name"], strict=True)
               if isinstance(w, float))


def _columns(labels: LevelLabels, n: int, seed: int) -> dict[str, list[object]]:
    rnd = random.Random(seed)
    cols: dict[str, list[object]] = {"match_weight": [rnd.uniform(-10, 20) for _ in range(n)],
                                     "match_probability": [rnd.random() for _ in range(n)]}
    for name, lv in labels.levels.items():
        cols[f"mw_{name}"] = [None if rnd.random() < 0.1 else rnd.choice([w for w, _ in lv]) for _ in range(n)]
    cols["mw_tf_adj_name"] = [rnd.choice([None, 0.0, 1.5, -2.25, 3.125, -math.log2(1000) - 1]) for _ in range(n)]
    # the weight taken off for a country counted twice (tasman.link.place): none, or some
    cols[PLACE_COLUMN] = [rnd.choice([0.0, 0.0, -0.004, -2.5, -4.123456]) for _ in range(n)]
    # a probability of 1 and 0, weights that round to an integer, to minus zero, and beyond a float
    cols["match_probability"][:4] = [1.0, 0.0, 1e-9, 0.9999999]
    cols["match_weight"][:4] = [3.999, -0.001, math.inf, -math.inf]
    return cols


def test_columns_as_json_text_are_the_dictionaries_dumped() -> None:
    labels = level_labels(_settings())
    cols = _columns(labels, 500, 11)
    expected = explain_columns(cols, labels)
    got = explain_columns_json(cols, labels)
    assert [text for _, _, text in got] == [json.dumps(e) for e in expected]
    assert [(w, p) for w, p, _ in got] == [(e["match_weight"], e["probability"]) for e in expected]
    assert got[1][2].startswith('{"match_weight": -0.0, ') and '"match_weight": Infinity' in got[2][2]
    placed = [e for e in expected if PLACE_FIELD in e["fields"]]
    assert placed and all(e["fields"][PLACE_FIELD]["weight"] < 0 for e in placed)


def test_a_link_set_reads_as_the_links_built_at_once() -> None:
    labels = level_labels(_settings())
    n = 12_345
    cols = _columns(labels, n, 3)
    cols["a"] = list(range(0, 4 * n, 4))
    cols["b"] = list(range(1, 4 * n + 1, 4))
    table = pa.table(cols)
    whys = [["emails=a@b.example"], ["phones=+3312", "emails=c@d.example"]]
    det = pa.table({"a": [8, 12], "b": [9, 14], "why": whys})
    kept = Link(1, 2, "analyst decision", 99.0, 1.0, {"decision": "kept together"})
    links = LinkSet.listed([kept]) + LinkSet.deterministic(det) + LinkSet.scored(table, labels, "probabilistic")
    expected = [kept] + [Link(a, b, explain_deterministic(why)[0], 99.0, 1.0, explain_deterministic(why)[1])
                         for a, b, why in zip([8, 12], [9, 14], whys, strict=True)]
    expected += [Link(a, b, "probabilistic", e["match_weight"], e["probability"], e)
                 for a, b, e in zip(cols["a"], cols["b"], explain_columns(cols, labels), strict=True)]
    assert len(links) == len(expected) == n + 3
    assert list(links) == expected
    assert list(links) == expected  # read twice, the same
    assert links[0] == kept and links[-1] == expected[-1] and links[5000] == expected[5000]
    assert links[2:5] == expected[2:5]
    assert all(len(b) <= 5000 for b in links.batches())
    stored = [row for batch in links.stored(1000) for row in batch]
    assert stored == [(lk.a, lk.b, lk.rule, lk.weight, lk.probability, json.dumps(lk.explanation)) for lk in expected]
    assert len(LinkSet()) == 0 and list(LinkSet()) == []
