"""Splink on Spark gives the subjects DuckDB gives: same parties, same parameters, same threshold ->
the same partition into subjects, the same links and the same explanations (match weights may
differ in the last bits of a float). Spark runs locally on two cores, one session for the run."""

from __future__ import annotations

import importlib.util
import json
import socket
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from tasman.core.errors import ExitCode, InputError
from tasman.core.workspace import Workspace
from tasman.link.backends import Backend, open_backend
from tasman.link.explain import level_labels
from tasman.link.models import LinkRun, RecordLink
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import Resolution, resolve
from tasman.link.settings import LinkSettings
from tasman.records.importers import Options, importer_for
from tasman.synth.corpus import Corpus, make_corpus

from .conftest import import_corpus, usable

# With spark.io.encryption.enabled PySpark hands data to the JVM over a socket it never closes
# (pyspark.core.context._serialize_to_jvm): its ResourceWarning is PySpark's, not ours.
SPARK_SOCKET = "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(SPARK_SOCKET)]
PRIORS = LinkSettings(min_parties_to_train=10**6)
WEIGHT_TOLERANCE = 0.011  # explanations round weights to 0.01: a last-bit difference may flip one rounding


# Neighbours in one town whose pairs reach the name levels a small corpus rarely does (two people
# of one family name, a nickname, a typo with swapped order...), so that each level is compared.
NEIGHBOURS = [("Anna Novak", "1980-02-03"), ("Boris Novak", "1971-05-06"), ("Alena Novak", "1990-07-08"),
              ("Bill Novak", "1985-01-01"), ("William Novak", "1962-03-04"), ("Anna Novakova", "1980-02-03"),
              ("Novak Ana", "1980-02-03"), ("Anna Marie Nowak", "1975-09-09"), ("Anna Marie Novak", "1999-09-09"),
              ("Anna Smith", "1980-02-03"), ("Carl Jones", "1980-02-03")]


def _parties(corpus: Corpus) -> pa.Table:
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for _source, (kind, path) in usable(corpus).items():
        for _sid, fields in importer_for(kind).parse(path, Options()).rows:
            rows.append((len(rows) + 1, kind, fields))
    for name, dob in NEIGHBOURS:
        rows.append((len(rows) + 1, "customers", {"name": name, "dob": dob, "city": "Brno", "country": "CZ"}))
    return normalise_rows(rows)


def _partition(res: Resolution) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for uid, label in zip(res.clusters.uids.tolist(), res.clusters.labels.tolist(), strict=True):
        groups.setdefault(label, set()).add(uid)
    return {frozenset(g) for g in groups.values()}


def _same_number(a: Any, b: Any, key: str) -> bool:
    tolerance = WEIGHT_TOLERANCE if key in ("match_weight", "weight") else 1e-6
    return abs(float(a) - float(b)) <= tolerance


def _assert_same_explanation(a: Any, b: Any, key: str = "") -> None:
    """Equal, numbers within float noise (weights) and nothing else allowed to differ."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (a, b)
        for k in a:
            _assert_same_explanation(a[k], b[k], k)
    elif isinstance(a, float) or isinstance(b, float):
        assert _same_number(a, b, key), (key, a, b)
    else:
        assert a == b, (key, a, b)


def _assert_same_resolution(duck: Resolution, spark: Resolution) -> None:
    assert _partition(spark) == _partition(duck)
    assert [(s.uids, s.name, s.identifiers) for s in spark.subjects] == [
        (s.uids, s.name, s.identifiers) for s in duck.subjects]
    assert spark.stats["edges"] == duck.stats["edges"]
    assert spark.stats["deterministic"] == duck.stats["deterministic"]
    d_links = {(lk.a, lk.b): lk for lk in duck.links}
    s_links = {(lk.a, lk.b): lk for lk in spark.links}
    assert s_links.keys() == d_links.keys()  # the same spanning forest: the same links explain each subject
    rules = set()
    for key, d in d_links.items():
        s = s_links[key]
        assert s.rule == d.rule
        assert abs(s.weight - d.weight) <= 1e-6 * max(1.0, abs(d.weight)) and abs(s.probability - d.probability) < 1e-9
        _assert_same_explanation(d.explanation, s.explanation)
        rules.add(d.rule)
    # the comparison is worth something: both kinds of link, several subjects of several parties
    assert "probabilistic" in rules and len(rules) >= 2, rules
    assert sum(len(s.uids) > 1 for s in duck.subjects) >= 10


def _scored(res: Resolution, be: Backend) -> dict[tuple[int, int], dict[str, Any]]:
    """Splink's scored pairs, every column: each comparison's weight (which names its level),
    term-frequency adjustments, the blocking rule that found the pair, the match weight."""
    rows = be.query(f"SELECT * FROM {res.stats['predictions_table']}").to_pylist()
    return {(r["uid_l"], r["uid_r"]): r for r in rows}


def _assert_same_scores(duck: dict[tuple[int, int], dict[str, Any]],
                        spark: dict[tuple[int, int], dict[str, Any]]) -> None:
    assert spark.keys() == duck.keys() and len(duck) > 100
    for pair, d in duck.items():
        s = spark[pair]
        assert s.keys() == d.keys(), pair
        for col, value in d.items():
            if isinstance(value, float):
                assert s[col] == pytest.approx(value, rel=1e-9, abs=1e-9), (pair, col)
            else:
                assert s[col] == value, (pair, col)


def test_spark_gives_the_same_subjects_as_duckdb_with_the_same_model(spark: Any, tmp_path: Path) -> None:
    """Trained on DuckDB, then Spark links the same parties with DuckDB's estimates: the same
    subjects and explanations at the usual threshold, and at a threshold low enough to keep
    nearly every blocked pair, the same score for each pair, comparison level by level.

    (Training samples pairs at random and each engine draws its own sample, so two engines' own
    estimates differ a little; the documented priors of a small case are the same on both, which the
    command test below covers. Training on Spark is slow in local mode, about a minute even for this
    corpus, and is run by ``bench/link.py --backend spark``.)"""
    parties = _parties(make_corpus(tmp_path, records=400, seed=6))
    settings = LinkSettings(min_parties_to_train=100, u_max_pairs=5e4, em_max_pairs=5e4)
    weak = settings.model_copy(update={"threshold": 1e-9})
    from tasman.link.backends.duckdb import DuckDBBackend
    from tasman.link.backends.spark import SparkBackend

    with DuckDBBackend() as be:
        duck = resolve(parties, settings, backend=be)
        duck_scores = _scored(resolve(parties, weak, backend=be, model=duck.splink_settings), be)
    assert duck.stats["training"]["trained"] is True and duck.stats["training"]["m"]
    with SparkBackend(spark=spark) as be:
        on_spark = resolve(parties, settings, backend=be, model=duck.splink_settings)
        spark_scores = _scored(resolve(parties, weak, backend=be, model=duck.splink_settings), be)
    assert on_spark.splink_settings["sql_dialect"] == "spark" and duck.splink_settings["sql_dialect"] == "duckdb"
    assert on_spark.stats["lambda"] == duck.stats["lambda"]
    _assert_same_resolution(duck, on_spark)
    _assert_same_scores(duck_scores, spark_scores)
    labels = level_labels(duck.splink_settings)
    reached = {labels.label("name", r["mw_name"]) for r in duck_scores.values()}  # a level's weight names it
    assert reached == {label for _, label in labels.levels["name"]}  # every level of the name comparison


def test_a_model_of_other_settings_is_refused(tmp_path: Path) -> None:
    rows = [(1, "customers", {"name": "Ann Bell", "email": "ann@example.org"}),
            (2, "customers", {"name": "Ann Bell", "email": "ann@example.org"})]
    model = resolve(normalise_rows(rows), PRIORS).splink_settings
    model["comparisons"] = model["comparisons"][1:]
    with pytest.raises(InputError, match="trained with other settings"):
        resolve(normalise_rows(rows), PRIORS, model=model)


def test_link_command_on_spark_keeps_every_subject(spark: Any, ws: Workspace, run_cli,  # type: ignore[no-untyped-def]
                                                   small_corpus: Corpus) -> None:
    """A DuckDB run, then a Spark run on the same case: every subject keeps its reference and its
    records (the store compares memberships), and the run records where it ran."""
    import_corpus(ws, small_corpus)
    w = ["-w", ws.root]
    first = run_cli(*w, "--json", "link", "--case", "C1")
    assert first.exit_code == 0, first.output
    duck_links = _stored_links(ws)
    r = run_cli(*w, "--json", "link", "--case", "C1", "--backend", "spark", "--spark-master", "local[2]")
    assert r.exit_code == 0, r.output
    second = json.loads(r.stdout)
    assert second["subjects"] == json.loads(first.stdout)["subjects"]
    assert second["stored"]["unchanged"] == second["subjects"] and second["stored"]["new_refs"] == 0
    with ws.session() as s:
        run = s.get(LinkRun, second["run"])
        assert run is not None and run.settings["tasman"]["backend"] == "spark"
        assert run.settings["splink"]["sql_dialect"] == "spark"
    spark_links = _stored_links(ws)
    assert spark_links.keys() == duck_links.keys() and any(r == "probabilistic" for r, _ in duck_links.values())
    for key, (rule, explanation) in duck_links.items():
        assert spark_links[key][0] == rule
        _assert_same_explanation(explanation, spark_links[key][1])
    assert spark.sparkContext._jsc is not None  # a session the command did not start is left running


def _stored_links(ws: Workspace) -> dict[tuple[int, str, int, str], tuple[str, dict[str, Any]]]:
    with ws.session() as s:
        return {(lk.record_a, lk.role_a, lk.record_b, lk.role_b): (lk.rule, lk.explanation)
                for lk in s.scalars(select(RecordLink))}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None, reason="needs pyspark")
def test_unreachable_master_or_no_java_is_one_line(ws: Workspace, run_cli, small_corpus: Corpus,  # type: ignore[no-untyped-def]
                                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import_corpus(ws, small_corpus)
    w = ["-w", ws.root]
    master = f"spark://127.0.0.1:{_closed_port()}"
    r = run_cli(*w, "link", "--case", "C1", "--backend", "spark", "--spark-master", master)
    assert r.exit_code == ExitCode.BAD_INPUT and f"Spark master {master} is unreachable" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    r = run_cli(*w, "link", "--case", "C1", "--spark-master", master)
    assert r.exit_code == ExitCode.BAD_INPUT and "need --backend spark" in r.stderr
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    r = run_cli(*w, "link", "--case", "C1", "--backend", "spark")
    assert r.exit_code == ExitCode.BAD_INPUT and "needs Java 17" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    with pytest.raises(InputError, match="needs Java 17"):
        open_backend("spark", master="local[1]")
    with ws.session() as s:  # nothing was started, nothing stored
        assert s.scalar(select(func.count()).select_from(LinkRun)) == 0


def test_trainings_own_queries_give_duckdbs_figures_on_spark(spark: Any, tmp_path: Path) -> None:
    """The corrections training measures from the case with its own SQL (written for DuckDB,
    translated for Spark by sqlglot): the screen names' chance share, the first names' place
    factor and the names' chance share (whole names and their prefixes) come out the same on both
    engines."""
    from tasman.link.backends.duckdb import DuckDBBackend
    from tasman.link.backends.spark import SparkBackend
    from tasman.link.training import given_place_factor, name_chance, screen_name_chance

    parties = _parties(make_corpus(tmp_path, records=400, seed=6))
    figures = []
    for backend in (DuckDBBackend(), SparkBackend(spark=spark)):
        with backend as be:
            be.load("parties", parties)
            figures.append((screen_name_chance(be), given_place_factor(be),
                            [name_chance(be), name_chance(be, column="alias_key")]))
    (duck_chance, duck_factor, duck_names), (spark_chance, spark_factor, spark_names) = figures
    assert duck_chance["names"] > 0 and duck_factor > 1     # both measured something
    assert all(n["names"] > 0 and n["pairs"] > 0 for n in duck_names)
    assert spark_chance == pytest.approx(duck_chance) and spark_factor == pytest.approx(duck_factor)
    assert spark_names == [pytest.approx(n) for n in duck_names]
