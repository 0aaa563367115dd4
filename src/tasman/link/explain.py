"""Explanations an analyst can read: for a probabilistic link, each field's comparison level and
the weight it added (term-frequency adjustment included); for a deterministic one, the rule
and the identifier shared."""

from __future__ import annotations

import json
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


# a field's part of an explanation by its two weights (level's, term-frequency adjustment's):
# (level, rounded weight, whether it agreed), and the same as JSON text
Memo = dict[str, dict[tuple[float, float], tuple[str, float, bool, str]]]


def _parts(cols: dict[str, list[Any]], labels: LevelLabels, memo: Memo | None
           ) -> list[tuple[str, list[Any], list[Any], dict[tuple[float, float], tuple[str, float, bool, str]]]]:
    n = len(cols["match_weight"])
    names = [name for name, levels in labels.levels.items() if levels and f"mw_{name}" in cols]
    zero = [0.0] * n
    seen = memo if memo is not None else {}
    return [(name, cols[f"mw_{name}"], cols.get(f"mw_tf_adj_{name}") or zero, seen.setdefault(name, {}))
            for name in names]


def _field(labels: LevelLabels, name: str, base: float, tf: float) -> tuple[str, float, bool, str]:
    weight = base + tf
    level, rounded = labels.label(name, base), round(weight, 2)
    return level, rounded, weight > 0, f"{json.dumps(name)}: {json.dumps({'level': level, 'weight': rounded})}"


def explain_columns(cols: dict[str, list[Any]], labels: LevelLabels, memo: Memo | None = None
                    ) -> list[dict[str, Any]]:
    """:func:`explain_probabilistic` for a whole column-wise result (no per-row dictionaries).

    A field's part depends only on its two weights (the level's and the term-frequency
    adjustment), and a field takes few distinct pairs of them (one per level, times the values'
    frequencies): each pair's level, rounded weight and sign are worked out once per ``memo``
    (one per call if none is given; a result read in batches passes the same one to each)."""
    n = len(cols["match_weight"])
    parts = _parts(cols, labels, memo)
    place = cols.get(PLACE_COLUMN) or [0.0] * n
    out = []
    for i in range(n):
        fields: dict[str, Any] = {}
        agreed: list[str] = []
        for name, mws, tfs, seen in parts:
            base = mws[i]
            if base is None:
                continue
            key = (base, tfs[i] or 0.0)
            known = seen.get(key)
            if known is None:
                known = seen[key] = _field(labels, name, *key)
            fields[name] = {"level": known[0], "weight": known[1]}
            if known[2]:
                agreed.append(name)
        taken = round(place[i] or 0.0, 2)
        if taken:  # what rounds to nothing is not shown
            fields[PLACE_FIELD] = {"level": PLACE_LABEL, "weight": taken}
        out.append({"match_weight": round(cols["match_weight"][i], 2),
                    "probability": round(cols["match_probability"][i], 6), "agreed": agreed, "fields": fields})
    return out


def _number(x: float) -> str:
    """A number as ``json.dumps`` writes it."""
    return repr(x) if isinstance(x, float) and math.isfinite(x) else json.dumps(x)


def explain_columns_json(cols: dict[str, list[Any]], labels: LevelLabels, memo: Memo | None = None
                         ) -> list[tuple[float, float, str]]:
    """:func:`explain_columns` as ``(match weight, probability, explanation)`` per row, the
    explanation as the JSON text ``json.dumps`` makes of it, character for character, without
    the dictionaries: each field's part is written once per distinct pair of weights (``memo``)
    and a row's text is those parts joined."""
    n = len(cols["match_weight"])
    parts = _parts(cols, labels, memo)
    quoted = {name: json.dumps(name) for name, *_ in parts}
    place = cols.get(PLACE_COLUMN) or [0.0] * n
    mws_all, ps_all = cols["match_weight"], cols["match_probability"]
    out = []
    for i in range(n):
        texts: list[str] = []
        agreed: list[str] = []
        for name, mws, tfs, seen in parts:
            base = mws[i]
            if base is None:
                continue
            key = (base, tfs[i] or 0.0)
            known = seen.get(key)
            if known is None:
                known = seen[key] = _field(labels, name, *key)
            texts.append(known[3])
            if known[2]:
                agreed.append(quoted[name])
        taken = round(place[i] or 0.0, 2)
        if taken:
            texts.append(f"{json.dumps(PLACE_FIELD)}: {json.dumps({'level': PLACE_LABEL, 'weight': taken})}")
        mw, p = round(mws_all[i], 2), round(ps_all[i], 6)
        out.append((mw, p, f'{{"match_weight": {_number(mw)}, "probability": {_number(p)}, '
                           f'"agreed": [{", ".join(agreed)}], "fields": {{{", ".join(texts)}}}}}'))
    return out


def explain_deterministic(why: list[str]) -> tuple[str, dict[str, Any]]:
    """``(rule name, explanation)`` from ``["emails=a@b.example", ...]``."""
    shared = []
    for item in why:
        kind, _, value = item.partition("=")
        shared.append({"rule": DETERMINISTIC.get(kind, kind), "field": kind, "value": value})
    rule = shared[0]["rule"] if shared else "deterministic"
    return rule, {"shared": shared, "agreed": sorted({s["field"] for s in shared})}
