"""A name inside a screen name or an email, an email provider's country: the keys, and a chat
known only by its screen name meeting the same person's order (blocked, scored, explained)."""

from __future__ import annotations

from typing import Any

from tasman.link.aliases import alias_tokens, block_keys, email_country, name_block_key, token_keys
from tasman.link.keys import uid
from tasman.link.normalise import normalise_rows, parties
from tasman.link.resolve import resolve
from tasman.link.settings import LinkSettings


def test_tokens_and_keys() -> None:
    assert alias_tokens(["mart_kowal77", "m.kowalska", "Kowalska.Marta"]) == ["mart", "kowal", "m", "kowalska",
                                                                               "marta"]
    full, init, last = token_keys(("mart", "kowal"))
    assert "kowa+mart" in full and "kowa" in last
    assert "kowa+m" not in init  # four letters of a first name: they must agree, an initial is not enough
    assert "kowa+m" in token_keys(("ma", "kowal"))[1] and "kowa+m" in token_keys(("m", "kowal"))[1]
    assert "andr+l" not in token_keys(("ludina", "andrpov"))[1]  # "Ludina" is not "Lena Andreev"
    assert "kowa+m" in token_keys(("mkowalska",))[1]  # a lone token: initial and last name
    assert token_keys(("ab", "cd")) == (set(), set(), set())  # too short to be a last name


def test_email_countries() -> None:
    assert email_country("m.kowalska@o2.pl") == "PL" and email_country("x@web.de") == "DE"
    assert email_country("x@mail.ru") == "RU" and email_country("x@firma.co.uk") == "GB"
    assert email_country("x@gmail.com") is None and email_country("x@startup.io") is None


def test_own_name_is_not_credited_again() -> None:
    (p,) = parties(1, "customers", {"name": "Marco Moretti", "email": "moretti.marco@post.example"})
    assert p["alias_full"] is None and p["alias_init"] is None  # its email says only its own name
    (q,) = parties(2, "chats", {"username": "mart_kowal77", "platform": "Czat.pl", "country": "PL"})
    assert q["alias_full"] == ["kowa+mart", "mart+kowa"] and q["alias_block1"] == "kowa+m|PL"
    assert q["site_handles"] == ["czat:mart_kowal77"] and q["handles"] is None and q["basis"] == "screen name on a site"


def _rows() -> list[tuple[int, str, dict[str, Any]]]:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Marta Kowalska", "email": "marta.k@o2.pl", "city": "Gdansk", "country": "PL"}),
        (2, "chats", {"username": "mart_kowal77", "platform": "Czat.pl", "country": "PL"}),
    ]
    others = ["Jan Nowak", "Anna Lis", "Piotr Zielinski", "Ewa Wojcik", "Adam Mazur", "Olga Krol"]
    rows += [(10 + i, "customers", {"name": n, "city": "Gdansk", "country": "PL"}) for i, n in enumerate(others)]
    return rows


def test_a_chat_known_by_its_screen_name_meets_the_order() -> None:
    table = normalise_rows(_rows())
    res = resolve(table, LinkSettings(min_parties_to_train=10**6))
    together = {frozenset((lk.a, lk.b)) for lk in res.links}
    assert frozenset((uid(1), uid(2))) in together  # blocked on kowa+m|PL, joined on the name in the handle
    (lk,) = [lk for lk in res.links if {lk.a, lk.b} == {uid(1), uid(2)}]
    level = lk.explanation["fields"]["name_in_alias"]["level"]
    assert level == "first and last name in the other's screen name or email"
    assert lk.explanation["fields"]["location"]["level"] == "same country, city unknown"


def test_an_email_provider_is_a_place() -> None:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Marta Kowalska", "city": "Gdansk", "country": "PL"}),
        (2, "tips", {"name": "Marta Kowalska", "email": "mk1988@o2.pl"}),  # no stated place: the provider's
    ]
    res = resolve(normalise_rows(rows), LinkSettings(min_parties_to_train=10**6, threshold=0.999999999,
                                                     review_threshold=0.01))
    (pl,) = res.probable
    assert pl.explanation["fields"]["location"]["level"] == "email provider in the other's country"
    assert pl.explanation["fields"]["location"]["weight"] > 0


def test_a_pair_below_the_threshold_is_a_probable_link() -> None:
    table = normalise_rows(_rows())
    res = resolve(table, LinkSettings(min_parties_to_train=10**6, threshold=0.999999999, review_threshold=0.01))
    assert not any({lk.a, lk.b} == {uid(1), uid(2)} for lk in res.links)
    (pl,) = [p for p in res.probable if {p.a, p.b} == {uid(1), uid(2)}]
    assert pl.rule == "probable" and 0.01 <= pl.probability < 0.999999999
    assert pl.explanation["fields"]["name_in_alias"]["weight"] > 0
    assert res.stats["probable_links"] == len(res.probable) >= 1


def test_block_keys_read_an_initial_and_need_no_country() -> None:
    assert block_keys(["s", "haklund"], None) == ["hakl+s|*"]  # an initial is a token too; no country: any
    assert block_keys(["mart", "kowal"], "PL") == ["kowa+m|PL", "mart+k|PL"]
    assert name_block_key("sofia", "haklund", None) is None
    assert name_block_key("sofia", "haklund", None, any_country=True) == "hakl+s|*"
    (p,) = parties(1, "customers", {"name": "Sofia Haklund", "city": "Uppsala", "country": "SE"})
    assert p["name_block"] == "hakl+s|SE" and p["name_block_any"] == "hakl+s|*"


def _placeless_rows() -> list[tuple[int, str, dict[str, Any]]]:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Sofia Haklund", "city": "Uppsala", "country": "SE"}),
        (2, "chats", {"username": "s.haklund"}),           # no country, no platform: nothing but the name
        (3, "tips", {"username": "sofia_haklund88"}),      # another nameless party with the same name
    ]
    others = ["Jan Nowak", "Anna Lis", "Piotr Zielinski", "Ewa Wojcik", "Adam Mazur", "Olga Krol"]
    rows += [(10 + i, "customers", {"name": n, "city": "Uppsala", "country": "SE"}) for i, n in enumerate(others)]
    return rows


def test_a_screen_name_of_no_country_meets_the_named_party_and_its_like() -> None:
    res = resolve(normalise_rows(_placeless_rows()), LinkSettings(min_parties_to_train=10**6, threshold=0.999999999,
                                                                  review_threshold=0.01))
    probable = {frozenset((p.a, p.b)): p for p in res.probable}
    pair = probable[frozenset((uid(1), uid(2)))]  # blocked on hakl+s|* against the customer's any-country key
    assert pair.explanation["fields"]["name_in_alias"]["level"] == "last name and initial in the other's screen " \
        "name or email"
    assert frozenset((uid(2), uid(3))) in probable  # two nameless parties: the same last name and initial
    assert not any(uid(10) in k for k in probable)  # another name is not brought in


def test_a_first_name_and_last_initial_in_a_screen_name() -> None:
    rows: list[tuple[int, str, dict[str, Any]]] = [
        (1, "customers", {"name": "Sofia Haklund", "city": "Uppsala", "country": "SE"}),
        (2, "chats", {"username": "sofia_h88"}),  # first name and last initial, no country
        (3, "customers", {"name": "Jan Nowak", "city": "Uppsala", "country": "SE"}),
    ]
    table = normalise_rows(rows)
    named = table.to_pylist()[0]
    assert named["name_block_swap"] == "sofi+h|SE" and named["name_block_swap_any"] == "sofi+h|*"
    res = resolve(table, LinkSettings(min_parties_to_train=10**6, threshold=0.999999999, review_threshold=0.01))
    (pair,) = [p for p in res.probable if {p.a, p.b} == {uid(1), uid(2)}]
    assert pair.explanation["fields"]["name_in_alias"]["level"] == "first name and last initial in the other's " \
        "screen name or email"
    assert pair.explanation["fields"]["name_in_alias"]["weight"] > 0
