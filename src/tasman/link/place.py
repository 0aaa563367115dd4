"""The country a shared name implies, counted once.

The model scores each field apart and adds their weights (Fellegi-Sunter's independence). A name
and a place are not independent: names go with countries (a Rossi is Italian, a Nguyễn
Vietnamese), so two *different* people who share a name are nearly always of one country, where
two random people are of one country once in ten or twenty. The location comparison's u is
measured on random pairs, so a shared name and the same city (or country) count the country
twice, and the more records a case holds, the more namesakes in one city that double count joins:
at 200,000 records, pairs a shared name and the same city put at 0.99-0.999 were one person 94% of
the time (docs/link.md, "The country counted once").

So after prediction, a pair whose names agree (any agreeing level of the name comparison, or a
name inside the other's screen name or email, except the lone first name's level, whose u is
corrected for its place already: ``training.correct_given_u``) and whose location agrees (a
positive weight) loses what the name had already said about the place:
``log2(P(same country | same last name) / q_c)`` for the same city (whose weight goes with the
city's frequency, so with its country's size), ``q_c`` the share of the case's parties in the
pair's country, and ``log2(P / sum q_c^2)`` for the location's other levels (one u for every
country); at most the location's own weight (the place never counts against the pair) and never
below nothing. For a city, that leaves the chance that a namesake lives in the same city *of that
country*, as it should be.

Both quantities are measured on the case when the model is trained and kept with the model
(:data:`KEY`), so an incremental run scores with the same correction; a model without them (an
older run's, or priors only) is applied as it is.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa

from tasman.link.backends import Backend
from tasman.link.explain import PLACE_COLUMN
from tasman.link.settings import GIVEN_LEVEL

# the key of a stored model holding the correction's measures; not Splink's, and not handed to it
KEY = "tasman_place"


def measure(be: Backend, parties: str = "parties") -> dict[str, Any] | None:
    """``{"bits": {country: log2(1/q_c)}, "default": log2(1/sum q_c^2), "same_country": P}`` from
    the case's parties: ``q_c`` the share of the parties with a country that are of ``c``; ``P``
    the share of one country among the pairs of parties that share a last name under *different*
    first names (two records of one person mostly share their first name too, and would count a
    person's own records as namesakes: at 4,000 records, 0.93 where different persons give 0.64).
    None where fewer than two countries, or no such pair."""
    shares = be.query(f"""
        SELECT country, count(*) AS n FROM {parties} WHERE country IS NOT NULL GROUP BY country
    """).to_pylist()
    total = sum(r["n"] for r in shares)
    if len(shares) < 2 or total < 2:
        return None
    got = be.query(f"""
        WITH named AS (SELECT last_name AS l, first_name AS f, country AS c FROM {parties}
                       WHERE last_name IS NOT NULL AND first_name IS NOT NULL AND country IS NOT NULL),
             lc AS (SELECT cast(count(*) AS double) AS n FROM named GROUP BY l, c),
             lcf AS (SELECT cast(count(*) AS double) AS n FROM named GROUP BY l, c, f),
             ll AS (SELECT cast(count(*) AS double) AS n FROM named GROUP BY l),
             lf AS (SELECT cast(count(*) AS double) AS n FROM named GROUP BY l, f)
        SELECT (SELECT sum(n * n) FROM lc) - (SELECT sum(n * n) FROM lcf) AS same,
               (SELECT sum(n * n) FROM ll) - (SELECT sum(n * n) FROM lf) AS pairs
    """).to_pylist()[0]
    if not got["pairs"] or not got["same"]:
        return None
    q = {r["country"]: r["n"] / total for r in shares}
    return {"bits": {c: round(-math.log2(v), 6) for c, v in sorted(q.items())},
            "default": round(-math.log2(sum(v * v for v in q.values())), 6),
            "same_country": round(float(got["same"]) / float(got["pairs"]), 6)}


def _level_weight(splink_dict: dict[str, Any], comparison: str, label: str) -> float | None:
    for comp in splink_dict.get("comparisons", []):
        if comp.get("output_column_name") != comparison:
            continue
        for lv in comp["comparison_levels"]:
            m, u = lv.get("m_probability"), lv.get("u_probability")
            if lv.get("label_for_charts") == label and m and u:
                return math.log2(m / u)
    return None


def correct(be: Backend, predicted: str, out: str, splink_dict: dict[str, Any], place: dict[str, Any] | None,
            floor: float, parties: str = "parties") -> str:
    """Table ``out``: ``predicted`` with the correction taken off ``match_weight`` (and
    ``match_probability`` worked out again), the correction itself (0 or less) as column
    :data:`explain.PLACE_COLUMN`, and the pairs that fall below ``floor`` left out; ``predicted`` is
    dropped. Returns ``out``, or ``predicted`` unchanged where there is nothing to correct with (no
    measures, or no name and location comparisons)."""
    cols = be.query(f"SELECT * FROM {predicted} LIMIT 0").column_names
    if not place or "mw_location" not in cols or "mw_name" not in cols:
        return predicted
    loc = "(p.mw_location + coalesce(p.mw_tf_adj_location, 0))" if "mw_tf_adj_location" in cols else "p.mw_location"
    agrees = ["p.mw_name > 0"]
    if "mw_name_in_alias" in cols:
        given = _level_weight(splink_dict, "name_in_alias", GIVEN_LEVEL)
        skip = f" AND abs(p.mw_name_in_alias - ({given!r})) > 1e-6" if given is not None else ""
        agrees.append(f"(p.mw_name_in_alias > 0{skip})")
    # the same city is weighed by the city's frequency, so by its country's size too: it loses
    # log2(P / q_c) for its country; the location's other levels (the same country, a city nearly
    # the same, an email's provider) have one u for every country, about sum q_c^2: they lose
    # log2(P / sum q_c^2), the ``default``, as a pair of no one country does
    city = _level_weight(splink_dict, "location", "same city")
    by_country = f"abs(p.mw_location - ({city!r})) <= 1e-6" if city is not None else "false"
    same = max(float(place["same_country"]), 1e-9)
    be.load("place_bits", pa.table({
        "country": pa.array(list(place["bits"]), pa.string()),
        "bits": pa.array([float(b) + math.log2(same) for b in place["bits"].values()], pa.float64())}))
    default = float(place["default"]) + math.log2(same)
    keep = [c for c in cols if c not in ("match_weight", "match_probability")]
    floor_weight = math.log2(floor / (1 - floor)) if 0 < floor < 1 else -1e9
    be.create(out, f"""
        SELECT {", ".join(keep)}, match_weight - place_c AS match_weight,
               1.0 / (1.0 + power(2.0, place_c - match_weight)) AS match_probability, -place_c AS {PLACE_COLUMN}
        FROM (
            SELECT p.*, CASE WHEN ({" OR ".join(agrees)}) AND {loc} > 0
                             THEN greatest(0.0, least({loc}, CASE WHEN {by_country} THEN coalesce(b.bits, {default!r})
                                                                  ELSE {default!r} END))
                             ELSE 0.0 END AS place_c
            FROM {predicted} p
            LEFT JOIN (SELECT uid, country FROM {parties}) pl ON pl.uid = p.uid_l
            LEFT JOIN (SELECT uid, country FROM {parties}) pr ON pr.uid = p.uid_r
            LEFT JOIN place_bits b ON b.country = CASE WHEN pl.country <> pr.country THEN NULL
                                                       ELSE coalesce(pl.country, pr.country) END
        ) t
        WHERE place_c = 0 OR match_weight - place_c >= {floor_weight!r}
    """)
    be.drop("place_bits")
    be.drop(predicted)  # the uncorrected scores: not read again
    return out
