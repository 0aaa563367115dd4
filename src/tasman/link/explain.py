"""Explanations an analyst can read: for a probabilistic link, each field's comparison level and
the weight it added (term-frequency adjustment included); for a deterministic one, the rule
and the identifier shared."""

from __future__ import annotations

import math
from typing import Any

from tasman.link.settings import DETERMINISTIC


def level_labels(splink_settings: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """``{comparison: [(match weight, label)...]}`` from a (trained) Splink settings dictionary.

    Splink keeps each field's match weight in the prediction but not its level unless every
    input column is kept too; a level is found again from its weight, ``log2(m / u)``, which
    is distinct per level in practice."""
    out: dict[str, list[tuple[float, str]]] = {}
    for comp in splink_settings["comparisons"]:
        levels: list[tuple[float, str]] = []
        for lv in comp["comparison_levels"]:
            if lv.get("is_null_level"):
                levels.append((0.0, "missing on one side"))
                continue
            m, u = lv.get("m_probability"), lv.get("u_probability")
            if m and u:
                levels.append((math.log2(m / u), lv.get("label_for_charts") or "?"))
        out[comp["output_column_name"]] = levels
    return out


def explain_probabilistic(row: dict[str, Any], labels: dict[str, list[tuple[float, str]]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    agreed: list[str] = []
    for name, levels in labels.items():
        mw = row.get(f"mw_{name}")
        if mw is None or not levels:
            continue
        base = float(mw)
        label = min(levels, key=lambda lv: abs(lv[0] - base))[1]
        weight = base + float(row.get(f"mw_tf_adj_{name}") or 0.0)
        fields[name] = {"level": label, "weight": round(weight, 2)}
        if weight > 0:
            agreed.append(name)
    return {"match_weight": round(float(row["match_weight"]), 2),
            "probability": round(float(row["match_probability"]), 6), "agreed": agreed, "fields": fields}


def explain_deterministic(why: list[str]) -> tuple[str, dict[str, Any]]:
    """``(rule name, explanation)`` from ``["emails=a@b.example", ...]``."""
    shared = []
    for item in why:
        kind, _, value = item.partition("=")
        shared.append({"rule": DETERMINISTIC.get(kind, kind), "field": kind, "value": value})
    rule = shared[0]["rule"] if shared else "deterministic"
    return rule, {"shared": shared, "agreed": sorted({s["field"] for s in shared})}
