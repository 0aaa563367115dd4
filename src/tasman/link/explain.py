"""Explanations an analyst can read: for a probabilistic link, each field's comparison level and
the weight it added (term-frequency adjustment included); for a deterministic one, the rule
and the identifier shared."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from tasman.link.settings import DETERMINISTIC

# a prediction's column with the weight taken off for a country counted twice (``tasman.link.place``),
# and how an explanation names it
PLACE_COLUMN = "mw_place"
PLACE_FIELD = "place"
PLACE_LABEL = "the country the shared name already implies, counted once"


class LevelLabels:
    """Each comparison's levels by match weight, to name the level of a scored pair.

    Splink keeps each field's match weight in the prediction but not its level unless every
    input column is kept too; a level is found again from its weight, ``log2(m / u)``, which
    is distinct per level in practice (exactly, when the weight is the stored one)."""

    def __init__(self, splink_settings: dict[str, Any]) -> None:
        self.levels: dict[str, list[tuple[float, str]]] = {}
        for comp in splink_settings["comparisons"]:
            levels: list[tuple[float, str]] = []
            for lv in comp["comparison_levels"]:
                if lv.get("is_null_level"):
                    levels.append((0.0, "missing on one side"))
                    continue
                m, u = lv.get("m_probability"), lv.get("u_probability")
                if m and u:
                    levels.append((math.log2(m / u), lv.get("label_for_charts") or "?"))
            self.levels[comp["output_column_name"]] = levels
        self._exact = {name: {round(w, 6): lab for w, lab in lv} for name, lv in self.levels.items()}

    def __iter__(self) -> Iterator[str]:
        return iter(self.levels)

    def label(self, name: str, weight: float) -> str:
        found = self._exact[name].get(round(weight, 6))
        if found is not None:
            return found
        return min(self.levels[name], key=lambda lv: abs(lv[0] - weight))[1]


def level_labels(splink_settings: dict[str, Any]) -> LevelLabels:
    return LevelLabels(splink_settings)


def explain_probabilistic(row: dict[str, Any], labels: LevelLabels) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    agreed: list[str] = []
    for name, levels in labels.levels.items():
        mw = row.get(f"mw_{name}")
        if mw is None or not levels:
            continue
        base = float(mw)
        weight = base + float(row.get(f"mw_tf_adj_{name}") or 0.0)
        fields[name] = {"level": labels.label(name, base), "weight": round(weight, 2)}
        if weight > 0:
            agreed.append(name)
    return {"match_weight": round(float(row["match_weight"]), 2),
            "probability": round(float(row["match_probability"]), 6), "agreed": agreed, "fields": fields}


def explain_columns(cols: dict[str, list[Any]], labels: LevelLabels) -> list[dict[str, Any]]:
    """:func:`explain_probabilistic` for a whole column-wise result (no per-row dictionaries).

    A field's part depends only on its two weights (the level's and the term-frequency
    adjustment), and a field takes few distinct pairs of them (one per level, times the values'
    frequencies): each pair's level, rounded weight and sign are worked out once per call."""
    n = len(cols["match_weight"])
    names = [name for name, levels in labels.levels.items() if levels and f"mw_{name}" in cols]
    zero = [0.0] * n
    seen: dict[str, dict[tuple[float, float], tuple[str, float, bool]]] = {name: {} for name in names}
    parts = [(name, cols[f"mw_{name}"], cols.get(f"mw_tf_adj_{name}") or zero, seen[name]) for name in names]
    label = labels.label
    place = cols.get(PLACE_COLUMN) or zero
    out = []
    for i in range(n):
        fields: dict[str, Any] = {}
        agreed: list[str] = []
        for name, mws, tfs, memo in parts:
            base = mws[i]
            if base is None:
                continue
            key = (base, tfs[i] or 0.0)
            known = memo.get(key)
            if known is None:
                weight = base + key[1]
                known = memo[key] = (label(name, base), round(weight, 2), weight > 0)
            fields[name] = {"level": known[0], "weight": known[1]}
            if known[2]:
                agreed.append(name)
        if place[i]:
            fields[PLACE_FIELD] = {"level": PLACE_LABEL, "weight": round(place[i], 2)}
        out.append({"match_weight": round(cols["match_weight"][i], 2),
                    "probability": round(cols["match_probability"][i], 6), "agreed": agreed, "fields": fields})
    return out


def explain_deterministic(why: list[str]) -> tuple[str, dict[str, Any]]:
    """``(rule name, explanation)`` from ``["emails=a@b.example", ...]``."""
    shared = []
    for item in why:
        kind, _, value = item.partition("=")
        shared.append({"rule": DETERMINISTIC.get(kind, kind), "field": kind, "value": value})
    rule = shared[0]["rule"] if shared else "deterministic"
    return rule, {"shared": shared, "agreed": sorted({s["field"] for s in shared})}
