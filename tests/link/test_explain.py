"""Explanations of a whole prediction at once (explain_columns) are those of each row alone."""

from __future__ import annotations

import math
import random

from tasman.link.explain import explain_columns, explain_probabilistic, level_labels


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
