"""The model's comparisons and blocking (issue 14, linkmodel): term frequencies corrected as u is,
a first name alone meeting the surname in its screen name, a named party of no known place meeting
nameless parties of any country, a nameless party's blocking keys read per screen name and email."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from tasman.link import frequencies
from tasman.link.backends import open_backend
from tasman.link.keys import uid
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import resolve
from tasman.link.settings import TF_SCALES, LinkSettings
from tasman.link.training import U_FLOOR, correct_u

UNTRAINED = {"min_parties_to_train": 10**6, "threshold": 0.999999999, "review_threshold": 0.001}


def _pair(res: Any, a: int, b: int) -> Any:
    found = [lk for lk in [*res.links, *res.probable] if {lk.a, lk.b} == {uid(a), uid(b)}]
    return found[0] if found else None


# -- term frequencies corrected as u is ---------------------------------------------------------------------

def test_scaled_term_frequencies() -> None:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (i, "customers", {"name": n, "country": "PL"})
        for i, n in enumerate(["Jan Nowak", "Jan Nowak", "Jan Nowak", "Ewa Lis", "Anna Mazur", None], start=1)]
    be = open_backend("duckdb")
    try:
        be.load("parties", normalise_rows(rows))
        assert frequencies.scaled_tf_tables(be, {"name_key": 0.5, "city": 1.0, "last_name": 0.0}) == ["name_key"]
        tf = {r["name_key"]: r["tf_name_key"] for r in be.query("SELECT * FROM __tasman_tf_name_key").to_pylist()}
        assert tf == pytest.approx({"jan nowak": 0.5 * 3 / 5, "ewa lis": 0.5 / 5, "anna mazur": 0.5 / 5})
        frequencies.drop(be, ["name_key"])
    finally:
        be.close()


def _level(col: str | None, m: float, u: float, exact: bool = True) -> SimpleNamespace:
    return SimpleNamespace(is_null_level=False, m_probability=m, u_probability=u, _has_tf_adjustments=col is not None,
                           _tf_adjustment_input_column_name=col, _is_exact_match=exact,
                           _exact_match_colnames=[col] if exact else [])


def test_correct_u_gives_each_frequency_column_its_correction() -> None:
    same = _level("name_key", 0.5, 0.003)
    fuzzy = _level("last_name", 0.3, 0.002, exact=False)  # adjusted by last_name, but not an exact match on it
    gone = _level("handle_name", 0.9, 0.001)                # all of it the same person: the floor
    linker = SimpleNamespace(_settings_obj=SimpleNamespace(_probability_two_random_records_match=0.002,
                                                           comparisons=[SimpleNamespace(comparison_levels=[
                                                               same, fuzzy, gone, _level(None, 0.1, 0.99)])]))
    scales: dict[str, float] = {}
    correct_u(linker, scales)
    assert scales == pytest.approx({"name_key": (0.003 - 0.002 * 0.5) / 0.998 / 0.003, "handle_name": U_FLOOR})


def _namesakes() -> list[tuple[int, str, dict[str, Any]]]:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Kees Broeters", "city": "Kovecourt", "country": "BE"}),
        (2, "tips", {"name": "Kees Broeters"}),
    ]
    # a name four different people have, each once
    rows += [(10 + i, "customers", {"name": "Jan Peeters", "city": c, "country": "BE"})
             for i, c in enumerate(["Gent", "Brugge", "Leuven", "Namen"])]
    rows += [(20 + i, "customers", {"name": n, "city": "Gent", "country": "BE"}) for i, n in
             enumerate(["Ann Claes", "Luc Wouters", "Els Maes", "Tom Jacobs", "Sien Goossens", "Bart Willems"])]
    return rows


def test_a_stored_correction_raises_the_weight_of_an_agreeing_value() -> None:
    table = normalise_rows(_namesakes())
    plain = resolve(table, LinkSettings(**UNTRAINED))
    model = dict(plain.splink_settings)
    # untrained: nothing corrected (the relative scales of the alias levels weighed by how common a name is)
    assert set(model[TF_SCALES]) == {"alias_key", "first_name"}
    rare, common = _pair(plain, 1, 2), _pair(plain, 10, 11)
    assert rare.explanation["fields"]["name"]["weight"] > common.explanation["fields"]["name"]["weight"]
    model[TF_SCALES] = {"name_key": 0.25}
    again = resolve(table, LinkSettings(**UNTRAINED), model=model)
    assert again.splink_settings[TF_SCALES]["name_key"] == 0.25
    gained = _pair(again, 1, 2).explanation["fields"]["name"]["weight"] - rare.explanation["fields"]["name"]["weight"]
    assert gained == pytest.approx(math.log2(4), abs=0.02)  # a quarter of the frequency: two bits
    assert _pair(again, 1, 2).probability > rare.probability
    # the common name keeps its order below the rare one: four people hold it
    assert _pair(again, 10, 11).explanation["fields"]["name"]["weight"] < \
        _pair(again, 1, 2).explanation["fields"]["name"]["weight"]


# -- a first name alone: its screen names and emails get a nameless party's blocking keys ------------------

def test_a_first_name_alone_meets_the_full_name_in_its_screen_name() -> None:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Marta Kowalska", "city": "Gdansk", "country": "PL"}),
        (2, "tips", {"name": "Marta", "username": "m.kowalska", "platform": "forum.pl"}),  # a first name only
        (3, "customers", {"name": "Magda Nowak", "city": "Gdansk", "country": "PL"}),     # look-alike: same initial
    ]
    rows += [(10 + i, "customers", {"name": n, "city": "Gdansk", "country": "PL"})
             for i, n in enumerate(["Jan Nowak", "Anna Lis", "Ewa Wojcik", "Adam Mazur"])]
    table = normalise_rows(rows)
    parts = {r["uid"]: r for r in table.to_pylist()}
    assert parts[uid(2)]["alias_block1"] == "kowa+m|*"
    res = resolve(table, LinkSettings(**UNTRAINED))
    first_only = _pair(res, 1, 2)  # blocked on the screen name's last name and initial
    assert first_only is not None
    assert first_only.explanation["fields"]["name_in_alias"]["level"] == \
        "last name and initial in the other's screen name or email"
    assert first_only.explanation["fields"]["name_in_alias"]["weight"] > 0
    assert _pair(res, 2, 3) is None  # "Magda Nowak": nothing of the screen name's surname


# -- a named party of no known place meets nameless parties of any country --------------------------------

def test_a_named_party_of_no_place_meets_a_screen_name_of_a_country() -> None:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "tips", {"name": "Marta Kowalska"}),                                      # no place at all
        (2, "chats", {"username": "mart_kowal77", "platform": "Czat.pl", "country": "PL"}),
        (3, "tips", {"name": "Marek Kowalczyk"}),                                     # look-alike: kowa+m too
        (4, "tips", {"name": "Jan Nowak"}),
    ]
    table = normalise_rows(rows)
    parts = {r["uid"]: r for r in table.to_pylist()}
    assert parts[uid(1)]["name_block_placeless"] == "kowa+m" and parts[uid(2)]["alias_block1"] == "kowa+m|PL"
    assert parts[uid(4)]["name_block_placeless"] == "nowa+j"
    res = resolve(table, LinkSettings(**UNTRAINED))
    pair = _pair(res, 1, 2)
    assert pair is not None
    assert pair.explanation["fields"]["name_in_alias"]["level"] == \
        "first and last name in the other's screen name or email"
    look_alike = _pair(res, 2, 3)  # blocked on the same key, but only the last name and initial meet
    assert look_alike is not None and look_alike.probability < pair.probability
    assert _pair(res, 2, 4) is None  # another name is not brought in


def test_a_named_party_with_a_place_keeps_to_its_country() -> None:
    (p,) = normalise_rows([(1, "customers", {"name": "Marta Kowalska", "country": "PL"})]).to_pylist()
    assert p["name_block_placeless"] is None and p["name_block"] == "kowa+m|PL"
    # its key meets the nameless parties of its country only, not those of every country (``QP``)
    assert "NA|kowa+m|PL" in p["block_keys"] and not any(k.startswith("QP|") for k in p["block_keys"])


# -- a nameless party's two blocking keys: those a name of the case offers, each text apart ---------------

def test_blocking_keys_come_from_each_screen_name_and_email_apart() -> None:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "tips", {"name": "Emeka Veleemi", "country": "NG"}),
        # two texts: the two longest tokens of both together are a word and a surname (bamb+v, vele+b)
        (2, "customers", {"email": "emeka.veleemi.97@correo.example", "username": "bamboobamboo6056",
                          "platform": "shop", "country": "NG"}),
        (3, "customers", {"email": "lucky.delta782@correo.example", "username": "bamboobamboo6056",
                          "platform": "shop", "country": "NG"}),  # look-alike: no name of the case in it
        (4, "customers", {"name": "Ada Okafor", "country": "NG"}),
    ]
    table = normalise_rows(rows)
    parts = {r["uid"]: r for r in table.to_pylist()}
    assert parts[uid(2)]["alias_block1"] == "vele+e|NG"  # the email's own reading, offered by the tip
    assert "vele+e|NG" not in (parts[uid(3)]["alias_block1"], parts[uid(3)]["alias_block2"])
    res = resolve(table, LinkSettings(**UNTRAINED))
    pair = _pair(res, 1, 2)
    assert pair is not None
    assert pair.explanation["fields"]["name_in_alias"]["level"] == \
        "first and last name in the other's screen name or email"
    assert _pair(res, 1, 3) is None


# -- a name inside a screen name weighed by how common the name is ------------------------------------------

def test_a_rare_name_in_a_screen_name_weighs_more_than_a_common_one() -> None:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Kees Broeters", "country": "BE"}),
        (2, "chats", {"username": "kees_broeters7", "platform": "forum", "country": "BE"}),
        (3, "chats", {"username": "jan_peeters7", "platform": "forum", "country": "BE"}),
    ]
    # a name four different people have, each once
    rows += [(10 + i, "customers", {"name": "Jan Peeters", "country": "BE"}) for i in range(4)]
    rows += [(20 + i, "customers", {"name": n, "country": "BE"}) for i, n in
             enumerate(["Ann Claes", "Luc Wouters", "Els Maes", "Tom Jacobs", "Sien Goossens", "Bart Willems"])]
    table = normalise_rows(rows)
    parts = {r["uid"]: r for r in table.to_pylist()}
    assert parts[uid(1)]["alias_key"] == "broe+kees" and parts[uid(2)]["alias_key"] is None
    res = resolve(table, LinkSettings(**UNTRAINED))
    rare, common = _pair(res, 1, 2), _pair(res, 3, 10)
    level = "first and last name in the other's screen name or email"
    assert rare.explanation["fields"]["name_in_alias"]["level"] == common.explanation["fields"]["name_in_alias"][
        "level"] == level
    # one person of fourteen holds the rare name, four the common one: two bits apart
    weight = {k: p.explanation["fields"]["name_in_alias"]["weight"] for k, p in (("rare", rare), ("common", common))}
    gap = weight["rare"] - weight["common"]
    assert gap == pytest.approx(math.log2(4), abs=0.05)
    assert rare.probability > common.probability


def test_a_screen_name_on_no_known_platform_weighs_by_its_frequency_around_the_levels_own_weight() -> None:
    """The level comes after the same account on a known platform and on one site, so its own u is
    below the frequency of the screen names that reach it: the frequency moves the weight around the
    level's log2(m / u) (rarer than the average agreeing name: more), never replaces that u."""
    level = "same screen name, other or unknown platform"
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "chats", {"username": "skylark_77", "platform": "hobby forum"}),
        (2, "tips", {"username": "skylark_77", "platform": "city board"}),
    ]
    rows += [(10 + i, "chats", {"username": "sunny", "platform": f"site {i}"}) for i in range(4)]
    rows += [(20 + i, "chats", {"username": f"user_{i}x", "platform": "hobby forum"}) for i in range(8)]
    res = resolve(normalise_rows(rows), LinkSettings(**UNTRAINED))
    rare, common = _pair(res, 1, 2), _pair(res, 10, 11)
    assert rare.explanation["fields"]["handles"]["level"] == common.explanation["fields"]["handles"]["level"] == level
    levels = {lv.get("label_for_charts"): lv for c in res.splink_settings["comparisons"]
              if c["output_column_name"] == "handles" for lv in c["comparison_levels"]}
    own = math.log2(levels[level]["m_probability"] / levels[level]["u_probability"])
    n, held = 14, {"skylark_77": 2, "sunny": 4}          # holders of each screen name among the 14 parties
    agree = sum(k * k for k in list(held.values()) + [1] * 8) / n / n  # two random holders agree, on average
    weight = {k: p.explanation["fields"]["handles"]["weight"] for k, p in (("rare", rare), ("common", common))}
    assert weight["rare"] == pytest.approx(own + math.log2(agree / (2 / n)), abs=0.05)
    assert weight["common"] == pytest.approx(own + math.log2(agree / (4 / n)), abs=0.05)
    assert weight["rare"] > own > weight["common"]


def test_the_alias_comparison_is_for_a_side_without_a_full_name() -> None:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Kees Broeters", "country": "BE", "city": "Gent", "dob": "1980-01-01"}),
        # named, with a screen name holding the other's name: the names are compared already
        (2, "customers", {"name": "Jan Peeters", "username": "kees_broeters7", "platform": "forum", "country": "BE",
                          "city": "Gent", "dob": "1980-01-01"}),
        (3, "customers", {"name": "Kees", "username": "kees_broeters7", "platform": "forum", "country": "BE"}),
    ]
    rows += [(20 + i, "customers", {"name": n, "country": "BE"}) for i, n in
             enumerate(["Ann Claes", "Luc Wouters", "Els Maes", "Tom Jacobs", "Sien Goossens", "Bart Willems"])]
    res = resolve(normalise_rows(rows), LinkSettings(**UNTRAINED))
    named = _pair(res, 1, 2).explanation["fields"]["name_in_alias"]  # blocked on date of birth and city
    assert named["weight"] == 0 and named["level"] != "first and last name in the other's screen name or email"
    first_only = _pair(res, 1, 3).explanation["fields"]["name_in_alias"]  # a first name alone: compared
    assert first_only["level"] == "first and last name in the other's screen name or email" and first_only["weight"] > 0
