"""A lone first name (inside a screen name or an email, a first name given alone, one stated) with
the same place: read with the case's first names, blocked on with the city or the country,
scored at its own level of the alias comparison, and its u corrected for the country a first
name implies."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from tasman.link.backends import open_backend
from tasman.link.keys import uid
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import resolve
from tasman.link.runin import GIVEN_MAX, given_names
from tasman.link.settings import GIVEN_LEVEL, LinkSettings
from tasman.link.training import correct_given_u, given_place_factor


def _rows(handle: str, chat: dict[str, Any] | None = None) -> list[tuple[int, str, dict[str, Any]]]:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Milos Kovac", "city": "Novi Sad", "country": "RS"}),
        (2, "chats", {"username": handle, "platform": "chatroom", "city": "Novi Sad", "country": "RS", **(chat or {})}),
    ]
    others = ["Jovan Petrovic", "Ana Ilic", "Marko Nikolic", "Jelena Pavlovic", "Stefan Djordjevic", "Ivana Ristic"]
    rows += [(10 + i, "customers", {"name": n, "city": "Novi Sad", "country": "RS"}) for i, n in enumerate(others)]
    return rows


def _parties(rows: list[tuple[int, str, dict[str, Any]]]) -> dict[int, dict[str, Any]]:
    return {r["uid"]: r for r in normalise_rows(rows).to_pylist()}


def test_given_names_are_the_case_first_names_beginning_a_token() -> None:
    firsts = frozenset({"milos", "marta", "anna", "annamaria"})
    assert given_names(["milospepper"], firsts) == ["milos"]
    assert given_names(["annamaria", "k"], firsts) == ["annamaria"]   # the longest reading
    assert given_names(["pepper", "xmilos"], firsts) == []            # not at a token's start
    assert given_names(["ann"], firsts | {"ann"}) == []               # fewer than four letters


def test_a_first_name_in_a_screen_name_gets_keys_with_its_place() -> None:
    rows = _parties(_rows("milospepper0"))
    chat, order = rows[uid(2)], rows[uid(1)]
    assert chat["alias_given"] == ["milos"]
    assert (chat["given_block_city"], chat["given_block_country"]) == ("milos|novi sad", "milos|RS")
    assert (order["first_block_city"], order["first_block_country"]) == ("milos|novi sad", "milos|RS")
    assert order["alias_given"] is None and order["given_block_city"] is None  # a named party meets, never offers
    plain = _parties(_rows("bluefox77"))[uid(2)]
    assert plain["alias_given"] is None and plain["given_block_country"] is None
    # a first name given alone, and one the person states ("I'm Milos"), are lone first names too
    alone = _parties([(1, "customers", {"first_name": "Milos", "country": "RS"}),
                      (2, "chats", {"username": "quietfox", "platform": "chatroom",
                                    "stated": [{"kind": "first_name", "value": "Milos"}], "country": "RS"})])
    assert alone[uid(1)]["alias_given"] == ["milos"] and alone[uid(1)]["given_block_country"] == "milos|RS"
    assert alone[uid(2)]["alias_given"] == ["milos"] and alone[uid(2)]["given_block_country"] == "milos|RS"


def test_a_first_name_many_named_parties_share_is_no_blocking_key() -> None:
    rows = _rows("milospepper0", {"city": None})
    rows += [(100 + i, "customers", {"name": f"Milos Surname{chr(97 + i % 26)}{i}", "country": "RS"})
             for i in range(GIVEN_MAX)]
    chat = _parties(rows)[uid(2)]
    assert chat["alias_given"] == ["milos"]          # still compared
    assert chat["given_block_country"] is None       # but 21 named parties offer "milos|RS": not blocked on
    few = _parties(_rows("milospepper0", {"city": None}))[uid(2)]
    assert few["given_block_country"] == "milos|RS" and few["given_block_city"] is None


def test_a_lone_first_name_in_the_same_place_is_scored_at_its_level() -> None:
    res = resolve(normalise_rows(_rows("milospepper0")), LinkSettings(min_parties_to_train=10**6))
    found = [lk for lk in [*res.links, *res.probable] if {lk.a, lk.b} == {uid(1), uid(2)}]
    assert found, "the first name and city were not blocked on"
    assert found[0].explanation["fields"]["name_in_alias"]["level"] == GIVEN_LEVEL
    assert found[0].probability < 0.99  # a first name is weak evidence: for review, never joined by itself
    other = resolve(normalise_rows(_rows("milospepper0", {"city": None, "country": "HR"})),
                    LinkSettings(min_parties_to_train=10**6))
    assert not [lk for lk in [*other.links, *other.probable] if {lk.a, lk.b} == {uid(1), uid(2)}]


def test_the_place_factor_measures_how_first_names_go_with_countries() -> None:
    be = open_backend("duckdb")
    try:
        # each first name held in one country only: two people of one first name are of one country
        tied = [("anna", "PL"), ("anna", "PL"), ("jan", "PL"), ("hans", "DE"), ("hans", "DE"), ("uwe", "DE")]
        be.load("parties", pa.table({"first_name": [f for f, _ in tied], "last_name": ["x"] * len(tied),
                                     "country": [c for _, c in tied]}))
        # pairs of two different parties: 12 of 30 of one country, and each namesake pair is
        assert given_place_factor(be) == pytest.approx(2.5)
        # the same first names in both countries: the name says nothing of the place
        mixed = [("anna", "PL"), ("anna", "DE"), ("hans", "PL"), ("hans", "DE")]
        be.load("parties", pa.table({"first_name": [f for f, _ in mixed], "last_name": ["x"] * len(mixed),
                                     "country": [c for _, c in mixed]}))
        assert given_place_factor(be) == pytest.approx(1.0)
        # no two parties of one first name: nothing to measure (a party is not paired with itself,
        # which would make this 1 / P(same country) = 5)
        unique = [(f"name{i}", ["PL", "DE", "FR", "IT", "ES"][i % 5]) for i in range(50)]
        be.load("parties", pa.table({"first_name": [f for f, _ in unique], "last_name": ["x"] * len(unique),
                                     "country": [c for _, c in unique]}))
        assert given_place_factor(be) == 1.0
    finally:
        be.close()


def test_the_first_name_levels_u_is_corrected_by_the_place_factor() -> None:
    def level(label: str, m: float, u: float) -> SimpleNamespace:
        return SimpleNamespace(_label_for_charts=label, m_probability=m, u_probability=u)

    given = level(GIVEN_LEVEL, 0.3, 0.004)
    swap = level("first name and last initial in the other's screen name or email", 0.1, 0.0002)
    full = level("first and last name in the other's screen name or email", 0.5, 0.00007)
    near = level(GIVEN_LEVEL, 0.006, 0.004)  # m below the corrected u (0.01): it never weighs against
    linker = SimpleNamespace(_settings_obj=SimpleNamespace(
        comparisons=[SimpleNamespace(comparison_levels=[full, swap, given]),
                     SimpleNamespace(comparison_levels=[near])]))
    be = open_backend("duckdb")
    try:
        tied = [("anna", "PL"), ("anna", "PL"), ("jan", "PL"), ("hans", "DE"), ("hans", "DE"), ("uwe", "DE")]
        be.load("parties", pa.table({"first_name": [f for f, _ in tied], "last_name": ["x"] * len(tied),
                                     "country": [c for _, c in tied]}))
        assert correct_given_u(linker, be) == pytest.approx(2.5)
    finally:
        be.close()
    assert given.u_probability == pytest.approx(0.01)
    # the levels with a last name or its initial too are left as sampled (the initial's level
    # corrected as well cost recall on synth: docs/link.md)
    assert swap.u_probability == 0.0002 and full.u_probability == 0.00007
    assert near.u_probability == pytest.approx(0.006)


def test_new_parties_are_read_with_the_stored_parties_names_as_a_full_run_reads_them() -> None:
    """An incremental run normalises only the new records, with the stored parties as context: a
    new chat's screen name is read with a stored customer's first name (and the run-in reading with
    their last name), and a first name the stored parties already offer too often is no key."""
    rows = [*_rows("milospepper0"), (3, "chats", {"username": "milosk", "platform": "chatroom", "country": "RS"})]
    cols = ["uid", "alias_given", "given_block_city", "given_block_country", "alias_first", "alias_block1"]
    together = [r for r in normalise_rows(rows).select(cols).to_pylist() if r["uid"] in (uid(2), uid(3))]
    stored = normalise_rows([r for r in rows if r[0] not in (2, 3)])
    apart = normalise_rows([r for r in rows if r[0] in (2, 3)], context=stored).select(cols).to_pylist()
    assert apart == together and apart[0]["alias_given"] == ["milos"] and apart[1]["alias_first"] == ["milo+k"]
    alone = normalise_rows([r for r in rows if r[0] in (2, 3)]).select(cols).to_pylist()
    assert alone[0]["alias_given"] is None       # without the context nothing names a Milos
    crowd = [(100 + i, "customers", {"name": f"Milos Surname{chr(97 + i % 26)}{i}", "country": "RS"})
             for i in range(GIVEN_MAX)]
    many = normalise_rows([r for r in rows if r[0] not in (2, 3)] + crowd)
    new = normalise_rows([r for r in rows if r[0] == 2], context=many).to_pylist()[0]
    assert new["alias_given"] == ["milos"] and new["given_block_country"] is None
