"""u corrected for the true matches among random pairs: the mixture taken apart, never below the floor."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from tasman.link import training
from tasman.link.backends import open_backend
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import resolve
from tasman.link.settings import FULL_ALIAS_LEVEL, SAME_NAME_LEVEL, LinkSettings
from tasman.link.training import (
    SCREEN_NAMES,
    SHARE_MIN,
    U_FLOOR,
    correct_u,
    name_chance,
    screen_name_chance,
    wilson_upper,
)
from tasman.records.importers import Options, importer_for
from tasman.synth.corpus import make_corpus

from .conftest import usable


def _linker(lam: float, levels: list[SimpleNamespace]) -> SimpleNamespace:
    return SimpleNamespace(_settings_obj=SimpleNamespace(_probability_two_random_records_match=lam,
                                                         comparisons=[SimpleNamespace(comparison_levels=levels)]))


def test_u_loses_the_matches_among_random_pairs() -> None:
    null = SimpleNamespace(is_null_level=True)
    agree = SimpleNamespace(is_null_level=False, m_probability=0.5, u_probability=0.003)
    shared = SimpleNamespace(is_null_level=False, m_probability=0.9, u_probability=0.001)  # all of it matches
    other = SimpleNamespace(is_null_level=False, m_probability=0.1, u_probability=0.996)
    assert correct_u(_linker(0.002, [null, agree, shared, other])) == 3
    assert agree.u_probability == pytest.approx((0.003 - 0.002 * 0.5) / 0.998)
    assert shared.u_probability == pytest.approx(U_FLOOR * 0.001)  # never below the floor
    assert other.u_probability == pytest.approx((0.996 - 0.002 * 0.1) / 0.998)


def test_nothing_changes_without_a_prior() -> None:
    level = SimpleNamespace(is_null_level=False, m_probability=0.5, u_probability=0.003)
    assert correct_u(_linker(0.0, [level])) == 0 and level.u_probability == 0.003


def _comparison(name: str, levels: list[SimpleNamespace]) -> SimpleNamespace:
    return SimpleNamespace(output_column_name=name, comparison_levels=levels)


def test_a_measured_share_of_chance_agreements_replaces_the_floor_for_its_comparison() -> None:
    def levels() -> list[SimpleNamespace]:
        return [SimpleNamespace(is_null_level=True),
                SimpleNamespace(is_null_level=False, m_probability=0.5, u_probability=0.0003),  # all matches
                SimpleNamespace(is_null_level=False, m_probability=0.1, u_probability=0.0002),  # some chance
                SimpleNamespace(is_null_level=False, m_probability=0.4, u_probability=0.9995)]  # else
    handles, other = levels(), levels()
    linker = SimpleNamespace(_settings_obj=SimpleNamespace(
        _probability_two_random_records_match=0.001,
        comparisons=[_comparison(SCREEN_NAMES, handles), _comparison("payrefs", other)]))
    correct_u(linker, floors={SCREEN_NAMES: 0.01})
    # the screen names' agreeing levels: the sampled value times the measured share, whatever lambda m says
    assert handles[1].u_probability == pytest.approx(0.0003 * 0.01)
    assert handles[2].u_probability == pytest.approx(0.0002 * 0.01)
    # its "else" level, and every other comparison, corrected as before
    assert handles[3].u_probability == pytest.approx((0.9995 - 0.001 * 0.4) / 0.999)
    assert other[1].u_probability == pytest.approx(U_FLOOR * 0.0003)
    assert other[2].u_probability == pytest.approx((0.0002 - 0.001 * 0.1) / 0.999)
    # a share at or above the floor changes nothing: the correction stands
    again = levels()
    linker._settings_obj.comparisons = [_comparison(SCREEN_NAMES, again)]
    correct_u(linker, floors={SCREEN_NAMES: 0.5})
    assert again[1].u_probability == pytest.approx(U_FLOOR * 0.0003)


def test_a_measured_share_of_chance_names_replaces_the_floor_only_where_the_correction_cannot_tell() -> None:
    def level(label: str, m: float, u: float) -> SimpleNamespace:
        return SimpleNamespace(is_null_level=False, m_probability=m, u_probability=u, _label_for_charts=label)
    same = level(SAME_NAME_LEVEL, 0.75, 0.0008)       # lambda m is all of it: the floor would hold a fifth
    alias = level(FULL_ALIAS_LEVEL, 0.6, 0.0008)      # the same
    other = level("two or more name parts shared", 0.5, 0.0006)  # no share measured for it: the floor
    linker = SimpleNamespace(_settings_obj=SimpleNamespace(
        _probability_two_random_records_match=0.0012,
        comparisons=[_comparison("name", [same, other, level("else", 0.1, 0.99)]),
                     _comparison("name_in_alias", [alias, level("else", 0.1, 0.99)])]))
    shares = {SAME_NAME_LEVEL: 0.004, FULL_ALIAS_LEVEL: 0.004}
    applied: list[str] = []
    correct_u(linker, shares=shares, applied=applied)
    assert applied == [SAME_NAME_LEVEL, FULL_ALIAS_LEVEL]
    assert same.u_probability == pytest.approx(0.0008 * 0.004)
    assert alias.u_probability == pytest.approx(0.0008 * 0.004)
    assert other.u_probability == pytest.approx(U_FLOOR * 0.0006)
    # where the correction can tell (a large case: lambda small), the share is not used
    resolvable = level(SAME_NAME_LEVEL, 0.75, 0.0008)
    linker._settings_obj._probability_two_random_records_match = 0.0001
    linker._settings_obj.comparisons = [_comparison("name", [resolvable, level("else", 0.1, 0.99)])]
    applied = []
    correct_u(linker, shares=shares, applied=applied)
    assert applied == []
    assert resolvable.u_probability == pytest.approx((0.0008 - 0.0001 * 0.75) / 0.9999)
    # a share measured as none at all keeps a thousandth; one above the floor raises u above it
    for share, want in ((0.0, SHARE_MIN), (0.5, 0.5)):
        again = level(SAME_NAME_LEVEL, 0.75, 0.0008)
        linker._settings_obj._probability_two_random_records_match = 0.0012
        linker._settings_obj.comparisons = [_comparison("name", [again, level("else", 0.1, 0.99)])]
        correct_u(linker, shares={SAME_NAME_LEVEL: share})
        assert again.u_probability == pytest.approx(0.0008 * want)


def _named(rows: list[tuple[str | None, str | None]]) -> pa.Table:
    return pa.table({"uid": list(range(len(rows))), "name_key": [n for n, _ in rows], "dob": [d for _, d in rows]},
                    schema=pa.schema([("uid", pa.int64()), ("name_key", pa.string()), ("dob", pa.string())]))


def _brute(rows: list[tuple[str | None, str | None]]) -> tuple[int, int, float]:
    held = [(n, int(d[:4])) for n, d in rows if n and d]
    pairs = [(a, b) for i, a in enumerate(held) for b in held[i + 1:]]
    same = [(a, b) for a, b in pairs if a[0] == b[0]]
    differ = sum(abs(a[1] - b[1]) > 1 for a, b in same)
    cells = sorted(set(held))  # each name's year once
    cell_pairs = [(a, b) for i, a in enumerate(cells) for b in cells[i + 1:]]
    expected = sum(abs(a[1] - b[1]) > 1 for a, b in cell_pairs) / len(cell_pairs)
    return len(same), differ, expected


def test_the_share_of_chance_names_is_read_from_the_birth_years_namesakes_give() -> None:
    years = [1950 + 3 * i for i in range(15)]  # random people: mostly more than a year apart
    be = open_backend("duckdb")
    try:
        # one person's records: the same name and year (a month apart, or a year: a typo in the day,
        # the year next to it), and parties without a date of birth or a name (they say nothing)
        one = [(f"name {i}", f"{y}-0{1 + k}-1{k}") for i, y in enumerate(years) for k in range(3)]
        one += [(f"name {i}", f"{y + 1}-01-01") for i, y in enumerate(years)]
        one += [("name 0", None), (None, "1970-01-01")]
        be.load("parties", _named(one))
        got = name_chance(be)
        pairs, differ, expected = _brute(one)
        assert (got["pairs"], got["differ"]) == (pairs, differ) == (15 * 6, 0)
        assert got["expected"] == pytest.approx(expected, abs=1e-4)
        assert (got["names"], got["names_differ"]) == (15, 0)
        assert got["share"] == pytest.approx(max(wilson_upper(0, 15), wilson_upper(0, pairs)) / expected)
        assert 0 < got["share"] < U_FLOOR
        # one person's three hundred records under one name weigh what one name does: the names'
        # reading keeps the namesakes' share that the pairs' reading (44,850 more pairs) drowns
        namesakes = [(f"name {i}", f"{years[(i + k) % 15]}-05-05") for i in range(15) for k in range(2)]
        namesakes += [("prolific", "1980-01-01")] * 300
        be.load("parties", _named(namesakes))
        got = name_chance(be)
        assert (got["names"], got["names_differ"]) == (16, 15) and got["pairs"] == 15 + 300 * 299 // 2
        assert got["expected"] > 0.8  # his one year counted once among the people's
        assert got["share"] == 1.0
        assert wilson_upper(got["differ"], got["pairs"]) / got["expected"] < 0.01
        # namesakes: each name held by people born decades apart, as often as random people are
        mixed = [(f"name {i}", f"{years[(i + k) % 15]}-05-05") for i in range(15) for k in range(3)]
        be.load("parties", _named(mixed))
        got = name_chance(be)
        pairs, differ, expected = _brute(mixed)
        assert (got["pairs"], got["differ"]) == (pairs, differ) and differ == pairs
        assert got["share"] == 1.0
        # no two parties of one name with a date of birth: nothing measured
        be.load("parties", _named([("a", "1970-01-01"), ("b", "1980-01-01"), ("a", None)]))
        assert name_chance(be) == {"names": 0, "names_differ": 0, "pairs": 0, "differ": 0, "expected": 1.0,
                                   "share": 1.0}
    finally:
        be.close()


def test_the_share_of_chance_name_prefixes_reads_its_own_column() -> None:
    """Different names with the same prefixes (``mart+mari``) are two people more often than one
    whole name is: the alias level's share is read from ``alias_key``, not ``name_key``."""
    rows = [("maria martinez", "mart+mari", "1970-01-01"), ("maria martinez", "mart+mari", "1970-06-01"),
            ("marie martefebvre", "mart+mari", "1990-01-01"), ("marie martefebvre", "mart+mari", "1990-02-02")]
    table = pa.table({"uid": list(range(4)), "name_key": [r[0] for r in rows], "alias_key": [r[1] for r in rows],
                      "dob": [r[2] for r in rows]})
    be = open_backend("duckdb")
    try:
        be.load("parties", table)
        whole, prefixes = name_chance(be), name_chance(be, column="alias_key")
        assert (whole["pairs"], whole["differ"]) == (2, 0)
        assert (prefixes["pairs"], prefixes["differ"]) == (6, 4)
        assert prefixes["share"] > whole["share"]
    finally:
        be.close()


def _screen_names(rows: list[tuple[list[str] | None, str | None]]) -> pa.Table:
    return pa.table({"uid": list(range(len(rows))), "handle_names": [h for h, _ in rows],
                     "country": [c for _, c in rows]}, schema=pa.schema([
                         ("uid", pa.int64()), ("handle_names", pa.list_(pa.string())), ("country", pa.string())]))


def test_the_share_of_chance_screen_names_is_read_from_the_countries_they_state() -> None:
    countries = ["PL", "DE", "FR", "IT"]
    be = open_backend("duckdb")
    try:
        # 20 screen names, each held by two parties of one country (and one party without a country,
        # which says nothing): one person's records, nothing differs
        one = [([f"name{i}"], countries[i % 4]) for i in range(20) for _ in range(2)] + [(["name0"], None)]
        be.load("parties", _screen_names(one))
        got = screen_name_chance(be)
        assert got["names"] == 20 and got["differ"] == 0
        assert got["expected"] == pytest.approx(20 * 0.75)  # strangers: 1 - 4 x 0.25^2 of pairs span two
        assert got["share"] == pytest.approx(wilson_upper(0, 20) * 20 / 15)  # never quite none
        assert 0 < got["share"] < U_FLOOR
        # the same screen names held in two countries each: as often as random people differ, or more
        mixed = [([f"name{i}"], countries[(i + k) % 4]) for i in range(20) for k in range(2)]
        be.load("parties", _screen_names(mixed))
        assert screen_name_chance(be)["share"] == 1.0
        # a party that lists a screen name twice is one holder of it; one name measures nothing
        be.load("parties", _screen_names([(["a", "a"], "PL"), (["a"], "PL"), (None, "DE")]))
        got = screen_name_chance(be)
        assert got["names"] == 1 and got["share"] == 1.0
        # screen names without a country, or empty, measure nothing: the share is 1 and the floor stands
        be.load("parties", _screen_names([(["a", "b"], None), (["a"], None), ([""], "PL"), ([""], "DE")]))
        got = screen_name_chance(be)
        assert got["names"] == 0 and got["share"] == 1.0
    finally:
        be.close()


def test_one_prolific_holder_weighs_as_one_screen_name() -> None:
    """A thousand records of one person under one name do not make every screen name look like
    one person's: each name counts once, and the countries' shares are read per name."""
    countries = ["PL", "DE", "FR", "IT"]
    one = [([f"name{i}"], countries[i % 4]) for i in range(20) for _ in range(2)]
    namesakes = [(["sk8rboi"], ("GB", "US")[i % 2]) for i in range(8)]     # eight people, one name
    big = [(["mart_kowal77"], "PL")] * 1000
    be = open_backend("duckdb")
    try:
        figures = []
        for rows in (one, one + big, one + namesakes, one + namesakes + big):
            be.load("parties", _screen_names(rows))
            figures.append(screen_name_chance(be)["share"])
    finally:
        be.close()
    alone, with_big, with_namesakes, both = figures
    assert with_big == pytest.approx(alone, rel=0.1)            # the prolific person changes little
    assert both == pytest.approx(with_namesakes, rel=0.1)
    assert with_namesakes > 1.3 * alone                         # the namesakes count


def _habits_parties(tmp_path: Path) -> pa.Table:
    """The parties of a 1,200-record synthetic corpus with its field habits (chats on sites' own
    platforms, several records a person), imported as the CLI would."""
    corpus = make_corpus(tmp_path, records=1200, seed=6, habits=True)
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for _source, (kind, path) in usable(corpus).items():
        for _sid, fields in importer_for(kind).parse(path, Options()).rows:
            rows.append((len(rows) + 1, kind, fields))
    return normalise_rows(rows)


def test_a_trained_model_weighs_screen_names_by_the_share_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    """On a corpus with chats on sites' own platforms, training measures the share and the screen-name
    comparison's agreeing levels get a lower u than the floor gave them; nothing else changes."""
    parties = _habits_parties(tmp_path)
    settings = LinkSettings(min_parties_to_train=100)

    def u_values(model: dict[str, Any]) -> dict[str, list[float]]:
        return {c["output_column_name"]: [lv["u_probability"] for lv in c["comparison_levels"]
                                          if not lv.get("is_null_level")] for c in model["comparisons"]}

    measured = resolve(parties, settings)
    chance = measured.stats["training"]["screen_name_chance"]
    assert chance["names"] > 0 and chance["share"] < U_FLOOR
    monkeypatch.setattr(training, "screen_name_chance", lambda backend, parties="parties": {
        "names": 0, "differ": 0, "expected": 0.0, "share": 1.0})
    floored = resolve(parties, settings)
    got, before = u_values(measured.splink_settings), u_values(floored.splink_settings)
    assert all(a < b for a, b in zip(got[SCREEN_NAMES][:-1], before[SCREEN_NAMES][:-1], strict=True))
    assert got[SCREEN_NAMES][-1] == pytest.approx(before[SCREEN_NAMES][-1])  # "other screen names"
    for name in got.keys() - {SCREEN_NAMES}:
        assert got[name] == pytest.approx(before[name]), name


def test_a_trained_model_takes_the_names_measured_share_where_the_floor_would_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a small corpus (several records a person) the correction cannot tell a whole name's chance
    from one person's records: the same name takes the share measured on ``name_key``, a name inside
    a screen name the share of ``alias_key``, and the same name's term frequencies follow."""
    parties = _habits_parties(tmp_path)
    settings = LinkSettings(min_parties_to_train=100)
    measured = resolve(parties, settings)
    report = measured.stats["training"]
    shares = {SAME_NAME_LEVEL: report["name_chance"]["share"], FULL_ALIAS_LEVEL: report["name_key_chance"]["share"]}
    assert report["shares_used_for"] and set(report["shares_used_for"]) <= set(shares)
    assert all(share < U_FLOOR for share in shares.values())
    assert shares[SAME_NAME_LEVEL] != shares[FULL_ALIAS_LEVEL]

    # the same run with shares that say what the floor says
    floor = {"names": 0, "names_differ": 0, "pairs": 0, "differ": 0, "expected": 0.0, "share": U_FLOOR}
    monkeypatch.setattr(training, "name_chance", lambda backend, parties="parties", column="name_key": floor)
    floored = resolve(parties, settings)
    assert floored.stats["training"]["shares_used_for"] == report["shares_used_for"]

    def u_of(model: dict[str, Any]) -> dict[str, float]:
        return {lv["label_for_charts"]: lv["u_probability"] for c in model["comparisons"]
                for lv in c["comparison_levels"] if not lv.get("is_null_level")}
    got, before = u_of(measured.splink_settings), u_of(floored.splink_settings)
    for label in report["shares_used_for"]:
        assert got[label] / before[label] == pytest.approx(shares[label] / U_FLOOR, rel=1e-6), label
    for label in got.keys() - set(report["shares_used_for"]):
        assert got[label] == pytest.approx(before[label]), label
    if SAME_NAME_LEVEL in report["shares_used_for"]:
        assert report["tf_scales"]["name_key"] == pytest.approx(shares[SAME_NAME_LEVEL])
        assert floored.stats["training"]["tf_scales"]["name_key"] == pytest.approx(U_FLOOR)


def test_wilson_upper_bound() -> None:
    assert wilson_upper(0, 20) == pytest.approx(1.645 ** 2 / (20 + 1.645 ** 2))   # none of n: z^2 / (n + z^2)
    assert wilson_upper(5, 5) == 1.0
    assert 0.5 < wilson_upper(10, 20) < 0.7
    for hits, n in ((0, 0), (3, 2), (-1, 5)):
        with pytest.raises(ValueError):
            wilson_upper(hits, n)
