"""Names run together in a screen name (``martakowal``, ``kowalskamarta``), read with the case's own
names: the cuts, the keys they give, and a chat known only by such a screen name meeting the
same person's order (blocked, scored, explained with the alias comparison)."""

from __future__ import annotations

from typing import Any

from tasman.link.keys import uid
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import resolve
from tasman.link.runin import cuts, first_and_initial
from tasman.link.settings import LinkSettings

WORDS = frozenset({"marta", "kowalska", "maria", "anna", "nowak", "milos"})
PREFIXES = frozenset(w[:4] for w in WORDS if len(w) >= 4)


def test_cuts_need_a_name_of_the_case_on_both_sides() -> None:
    assert cuts("martakowal", WORDS, PREFIXES) == [("marta", "kowal")]   # a truncated surname: its prefix
    assert cuts("kowalskamarta", WORDS, PREFIXES) == [("kowalska", "marta")]
    assert cuts("mariak", WORDS, PREFIXES) == []   # a first name and an initial: a surname written first meets it
    assert cuts("milospepper", WORDS, PREFIXES) == []                   # a word, not a name of the case
    assert cuts("annowak", WORDS, PREFIXES) == []                       # "ann" is no name here
    assert cuts("marta", WORDS, PREFIXES) == []                         # too short to hold two


def _rows(handle: str) -> list[tuple[int, str, dict[str, Any]]]:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Marta Kowalska", "email": "marta.k@o2.pl", "city": "Gdansk", "country": "PL"}),
        (2, "chats", {"username": handle, "platform": "Czat.pl", "country": "PL"}),
    ]
    others = ["Jan Nowak", "Anna Lis", "Piotr Zielinski", "Ewa Wojcik", "Adam Mazur", "Olga Krol"]
    rows += [(10 + i, "customers", {"name": n, "city": "Gdansk", "country": "PL"}) for i, n in enumerate(others)]
    return rows


def test_run_in_keys_are_added_to_nameless_parties_only() -> None:
    table = normalise_rows(_rows("martakowal77"))
    rows = {r["uid"]: r for r in table.to_pylist()}
    chat = rows[uid(2)]
    assert "kowa+mart" in chat["alias_full"] and "kowa" in chat["alias_last"]
    mariak = {r["uid"]: r for r in normalise_rows(_rows("mariak87")).to_pylist()}[uid(2)]
    assert "mari+k" not in mariak["alias_init"]  # "maria" is no name of this case: no cut
    assert chat["alias_block1"] == "mart+k|PL" and chat["alias_block2"] == "kowa+m|PL"
    assert rows[uid(1)]["alias_full"] is None  # a named party keeps only what its aliases add to its name
    plain = {r["uid"]: r for r in normalise_rows(_rows("bluefox77")).to_pylist()}[uid(2)]
    assert plain["alias_full"] is None and plain["alias_block1"] == "luef+b|PL"  # nothing to cut: as before


def test_a_chat_with_a_run_in_name_meets_the_order() -> None:
    res = resolve(normalise_rows(_rows("martakowal77")), LinkSettings(min_parties_to_train=10**6))
    found = [lk for lk in [*res.links, *res.probable] if {lk.a, lk.b} == {uid(1), uid(2)}]
    assert found, "the run-in screen name was not blocked against the order"
    level = found[0].explanation["fields"]["name_in_alias"]["level"]
    assert level == "first and last name in the other's screen name or email"
    # without the cut, the lone token is read as an initial and a surname ("arta"): never scored
    res2 = resolve(normalise_rows(_rows("bluefox77")), LinkSettings(min_parties_to_train=10**6))
    assert not [lk for lk in [*res2.links, *res2.probable] if {lk.a, lk.b} == {uid(1), uid(2)}]


def test_a_first_name_and_a_last_initial_run_together() -> None:
    assert first_and_initial("martak", frozenset({"marta"})) == ("marta", "k")
    assert first_and_initial("martak", frozenset({"anna"})) is None   # no first name of the case
    assert first_and_initial("annak", frozenset({"anna"})) == ("anna", "k")
    assert first_and_initial("mark", frozenset({"mar"})) is None       # a first name of three letters: too short
    chat = {r["uid"]: r for r in normalise_rows(_rows("martak87")).to_pylist()}[uid(2)]
    assert chat["alias_first"] == ["mart+k"] and chat["alias_block1"] == "mart+k|PL"
    res = resolve(normalise_rows(_rows("martak87")), LinkSettings(min_parties_to_train=10**6, threshold=0.999999999,
                                                                  review_threshold=0.001))
    found = [lk for lk in [*res.links, *res.probable] if {lk.a, lk.b} == {uid(1), uid(2)}]
    assert found, "the screen name's first name and initial were not blocked against the order"
    assert found[0].explanation["fields"]["name_in_alias"]["level"] == \
        "first name and last initial in the other's screen name or email"
    # a first name of the case before a letter is never read as a last name and an initial
    named = {r["uid"]: r for r in normalise_rows(_rows("nowakj5")).to_pylist()}[uid(2)]
    assert named["alias_first"] is None  # "nowak" is a last name here, not a first name
