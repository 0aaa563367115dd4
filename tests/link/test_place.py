"""The country a shared name implies, counted once (``tasman.link.place``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tasman.link import place
from tasman.link.backends import open_backend
from tasman.link.explain import PLACE_COLUMN, PLACE_FIELD, explain_columns, level_labels
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import resolve
from tasman.link.settings import GIVEN_LEVEL, LinkSettings
from tasman.records.importers import Options, importer_for
from tasman.synth.corpus import make_corpus

from .conftest import usable


def _parties(rows: list[tuple[int, str | None, str | None, str | None]]) -> pa.Table:
    return pa.table({"uid": pa.array([r[0] for r in rows], pa.int64()),
                     "first_name": pa.array([r[1] for r in rows], pa.string()),
                     "last_name": pa.array([r[2] for r in rows], pa.string()),
                     "country": pa.array([r[3] for r in rows], pa.string())})


def test_measure_reads_country_shares_and_how_often_namesakes_share_a_country() -> None:
    rows = [(1, "anna", "rossi", "IT"), (2, "anna", "rossi", "IT"),   # one person's two records
            (3, "marco", "rossi", "IT"), (4, "luca", "rossi", "PL"), (5, "x", "bianchi", "IT"),
            (6, "y", "bianchi", "IT"), (7, "z", "nowak", "PL"), (8, "w", "nowak", "PL"),
            (9, "anna", "rossi", None)]
    with open_backend("duckdb") as be:
        be.load("parties", _parties(rows))
        got = place.measure(be)
    assert got is not None
    assert got["bits"]["IT"] == pytest.approx(-math.log2(5 / 8), abs=1e-6)
    assert got["bits"]["PL"] == pytest.approx(-math.log2(3 / 8), abs=1e-6)
    assert got["default"] == pytest.approx(-math.log2((5 / 8) ** 2 + (3 / 8) ** 2), abs=1e-6)
    # ordered pairs sharing a last name under different first names: rossi 10 (anna x2 / marco /
    # luca), bianchi 2, nowak 2; of one country: anna-marco 4, bianchi 2, nowak 2 (the two Annas,
    # one person, do not count)
    assert got["same_country"] == pytest.approx(8 / 14, abs=1e-6)


def test_measure_needs_two_countries() -> None:
    with open_backend("duckdb") as be:
        be.load("parties", _parties([(1, "a", "rossi", "IT"), (2, "b", "rossi", "IT")]))
        assert place.measure(be) is None


GIVEN_M, GIVEN_U = 0.08, 0.01
CITY_M, CITY_U = 0.8, 0.01


def _model() -> dict:
    return {"comparisons": [
        {"output_column_name": "location", "comparison_levels": [
            {"label_for_charts": "same city", "m_probability": CITY_M, "u_probability": CITY_U},
            {"label_for_charts": "same country, city unknown", "m_probability": 0.2, "u_probability": 0.01}]},
        {"output_column_name": "name_in_alias", "comparison_levels": [
            {"label_for_charts": "first and last name in the other's screen name or email",
             "m_probability": 0.6, "u_probability": 1e-5},
            {"label_for_charts": GIVEN_LEVEL, "m_probability": GIVEN_M, "u_probability": GIVEN_U}]}]}


def _predicted(rows: list[tuple[int, int, float, float, float, float, float]]) -> pa.Table:
    names = ["uid_l", "uid_r", "match_weight", "mw_name", "mw_location", "mw_tf_adj_location", "mw_name_in_alias"]
    cols = {n: pa.array([r[i] for r in rows], pa.int64() if i < 2 else pa.float64()) for i, n in enumerate(names)}
    cols["match_probability"] = pa.array([2 ** r[2] / (1 + 2 ** r[2]) for r in rows], pa.float64())
    return pa.table(cols)


def test_a_shared_name_and_place_lose_what_the_name_said_of_the_country() -> None:
    measures = {"bits": {"IT": 3.0, "PL": 5.0, "XX": 0.5}, "default": 4.0, "same_country": 0.5}  # log2 0.5 = -1
    given, city = math.log2(GIVEN_M / GIVEN_U), math.log2(CITY_M / CITY_U)
    countries = {1: "IT", 2: "IT", 3: "PL", 7: "IT", 8: "IT", 10: "PL", 13: "XX", 14: "XX", 15: "IT", 16: "PL",
                 17: "IT", 18: "IT"}
    parties = _parties([(u, None, None, countries.get(u)) for u in range(1, 19)])
    rows = [
        (1, 2, 12.0, 15.0, city, 0.5, 0.0),     # same name, same city in IT: -(3 - 1)
        (3, 4, 12.0, 15.0, city, 0.0, 0.0),     # the country of the side that has one (PL): -(5 - 1)
        (9, 10, 12.0, 15.0, city, 0.0, 0.0),    # the same, the country on the right only
        (5, 6, 12.0, 0.0, 4.0, 0.0, 14.0),      # a name in a screen name, no country: -(4 - 1)
        (17, 18, 12.0, 15.0, 4.0, 0.0, 0.0),    # same country, city unknown: one u for every country, -(4 - 1)
        (11, 12, 12.0, 15.0, city, -4.0, 0.0),  # a common city: capped at the place's own weight, tf included
        (13, 14, 12.0, 15.0, city, 0.0, 0.0),   # a country so common that P < q_c: nothing, never a gain
        (15, 16, 12.0, 15.0, city, 0.0, 0.0),   # two countries stated: no one country's share, -(4 - 1)
        (7, 8, 12.0, 2.0, -10.0, 0.0, 0.0),     # another country: nothing to take
        (1, 7, 12.0, -6.0, city, 0.0, 0.0),     # names disagree: nothing
        (2, 8, 12.0, 0.0, city, 0.0, given),    # the lone first name's level: corrected in its u already
        (1, 8, 7.5, 15.0, city, 0.0, 0.0),      # falls below the floor (p 0.99: 6.63 bits) once corrected
    ]
    with open_backend("duckdb") as be:
        be.load("parties", parties)
        be.load("pred", _predicted(rows))
        out = place.correct(be, "pred", "pred_placed", _model(), measures, floor=0.99)
        got = {(r["uid_l"], r["uid_r"]): r for r in be.query(f"SELECT * FROM {out}").to_pylist()}
    assert out == "pred_placed"
    expected = {(1, 2): -2.0, (3, 4): -4.0, (9, 10): -4.0, (5, 6): -3.0, (17, 18): -3.0, (11, 12): -(city - 4.0),
                (13, 14): 0.0, (15, 16): -3.0, (7, 8): 0.0, (1, 7): 0.0, (2, 8): 0.0}
    assert set(got) == set(expected)                      # (1, 8) left out below the floor
    for pair, taken in expected.items():
        row = got[pair]
        assert row[PLACE_COLUMN] == pytest.approx(taken), pair
        assert row["match_weight"] == pytest.approx(12.0 + taken)
        assert row["match_probability"] == pytest.approx(2 ** row["match_weight"] / (1 + 2 ** row["match_weight"]))


def test_without_measures_the_predictions_are_left_as_they_are() -> None:
    with open_backend("duckdb") as be:
        be.load("parties", _parties([(1, "a", "rossi", "IT"), (2, "b", "rossi", "IT")]))
        be.load("pred", _predicted([(1, 2, 12.0, 15.0, 9.0, 0.0, 0.0)]))
        assert place.correct(be, "pred", "pred_placed", _model(), None, floor=0.99) == "pred"
        assert be.query("SELECT match_weight FROM pred").column(0).to_pylist() == [12.0]


def test_the_explanation_names_the_correction() -> None:
    settings = {"comparisons": [{"output_column_name": "name", "comparison_levels": [
        {"label_for_charts": "same name", "m_probability": 0.8, "u_probability": 0.0001},
        {"label_for_charts": "else", "m_probability": 0.2, "u_probability": 0.9999}]}]}
    labels = level_labels(settings)
    same = math.log2(0.8 / 0.0001)
    cols = {"match_weight": [5.0, 9.0], "match_probability": [0.97, 0.998], "mw_name": [same, same],
            PLACE_COLUMN: [-2.5, 0.0]}
    out = explain_columns(cols, labels)
    assert out[0]["fields"][PLACE_FIELD] == {"level": "the country the shared name already implies, counted once",
                                             "weight": -2.5}
    assert PLACE_FIELD not in out[1]["fields"]
    assert out[0]["fields"]["name"]["level"] == "same name"


def test_a_trained_run_measures_the_correction_keeps_it_with_the_model_and_explains_it(tmp_path: Path) -> None:
    """Trained on a corpus, the run keeps the measures with its model; pairs of a shared name and
    place lose weight and say so; the same model applied again scores the same; without the
    measures the same pairs score higher."""
    corpus = make_corpus(tmp_path, records=1200, seed=6)
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for _source, (kind, path) in usable(corpus).items():
        for _sid, fields in importer_for(kind).parse(path, Options()).rows:
            rows.append((len(rows) + 1, kind, fields))
    parties = normalise_rows(rows)
    settings = LinkSettings(min_parties_to_train=100, review_threshold=0.05)
    trained = resolve(parties, settings)
    measures = trained.splink_settings[place.KEY]
    assert len(measures["bits"]) >= 2 and 0 < measures["same_country"] <= 1
    explained = trained.links + trained.probable
    taken = [lk for lk in explained if PLACE_FIELD in lk.explanation.get("fields", {})]
    assert taken, "no pair of a shared name and place"
    assert all(lk.explanation["fields"][PLACE_FIELD]["weight"] < 0 for lk in taken)

    def scores(res: Any) -> dict[tuple[int, int], float]:
        return {(lk.a, lk.b): lk.weight for lk in res.links + res.probable if lk.rule != "analyst decision"}

    again = resolve(parties, settings, model=trained.splink_settings)
    assert again.clusters.count == trained.clusters.count
    assert scores(again) == pytest.approx(scores(trained))
    bare = resolve(parties, settings, model={k: v for k, v in trained.splink_settings.items() if k != place.KEY})
    uncorrected = scores(bare)
    both = [lk for lk in taken if (lk.a, lk.b) in uncorrected]
    assert both
    for lk in both:   # the weight lost is the one the explanation names (both rounded to 0.01)
        assert uncorrected[(lk.a, lk.b)] + lk.explanation["fields"][PLACE_FIELD]["weight"] == pytest.approx(
            lk.weight, abs=0.02)
