"""u by random sampling in one pass (link/usample.py) gives Splink's own u values, whichever way
Splink's stopping rule goes for a comparison: at the probe, after some tenths, or never."""

from __future__ import annotations

import io
import logging
import random
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator

from tasman.link.usample import estimate_u

PAIRS = 400_000.0


def _table(n: int = 2_000, seed: int = 3) -> pa.Table:
    rnd = random.Random(seed)
    return pa.table({
        "uid": list(range(n)),
        "common": [rnd.choice("abc") for _ in range(n)],              # every level seen in the probe
        "middling": [str(rnd.randrange(1500)) for _ in range(n)],     # agreement seen enough after a few tenths
        "rare": [str(i // 2) if i < 40 else f"u{i}" for i in range(n)],  # agreement never seen enough
        "maybe": [None if rnd.random() < 0.3 else str(rnd.randrange(40)) for _ in range(n)],
    })


def _linker(con: duckdb.DuckDBPyConnection) -> Linker:
    settings = SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="uid",
        comparisons=[cl.ExactMatch("common"), cl.ExactMatch("middling"), cl.ExactMatch("rare"),
                     cl.LevenshteinAtThresholds("maybe", [1])],
        blocking_rules_to_generate_predictions=["l.common = r.common"])
    return Linker(DuckDBAPI(con).register("t"), settings, log_level=None)


def _u(linker: Linker) -> list[tuple[str, Any]]:
    return [(c.output_column_name, lv.u_probability) for c in linker._settings_obj.comparisons
            for lv in c.comparison_levels if not lv.is_null_level]


def test_one_pass_gives_splinks_u_on_every_path() -> None:
    con = duckdb.connect()
    con.register("incoming", _table())
    con.execute("CREATE TABLE t AS SELECT * FROM incoming")
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    splink_u = logging.getLogger("splink.internals.estimate_u")
    level, propagate = splink_u.level, splink_u.propagate
    splink_u.addHandler(handler)
    splink_u.setLevel(logging.INFO)
    splink_u.propagate = False
    try:
        theirs = _linker(con)
        theirs.training.estimate_u_using_random_sampling(max_pairs=PAIRS, seed=7)
    finally:
        splink_u.removeHandler(handler)
        splink_u.setLevel(level)
        splink_u.propagate = propagate
    said = log.getvalue()
    # the three ways Splink stops (or not) all happened, one comparison at least each
    probe_failed, exits = said.count("Probe did not converge"), said.count("Exiting early")
    at_probe = 4 - probe_failed
    after_tenths = exits - at_probe
    never = probe_failed - after_tenths
    assert min(at_probe, after_tenths, never) >= 1, (at_probe, after_tenths, never)
    ours = _linker(con)
    estimate_u(ours, PAIRS, seed=7)
    assert _u(ours) == _u(theirs)
    assert all(u is not None for _, u in _u(ours))


def test_another_seed_another_sample() -> None:
    con = duckdb.connect()
    con.register("incoming", _table())
    con.execute("CREATE TABLE t AS SELECT * FROM incoming")
    a, b = _linker(con), _linker(con)
    estimate_u(a, PAIRS, seed=7)
    estimate_u(b, PAIRS, seed=8)
    assert _u(a) != _u(b)


@pytest.mark.parametrize("pairs", [5_000.0, 5e6])
def test_small_and_whole_samples(pairs: float) -> None:
    """A sample of a few parties, and one of every party (the proportion capped at one)."""
    con = duckdb.connect()
    con.register("incoming", _table(n=300))
    con.execute("CREATE TABLE t AS SELECT * FROM incoming")
    theirs, ours = _linker(con), _linker(con)
    logging.getLogger("splink").setLevel(logging.ERROR)
    theirs.training.estimate_u_using_random_sampling(max_pairs=pairs, seed=1)
    estimate_u(ours, pairs, seed=1)
    assert _u(ours) == _u(theirs)
