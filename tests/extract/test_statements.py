"""Names and places a person states about themselves in free text (``tasman.extract.statements``)."""

from __future__ import annotations

import pytest

from tasman.extract.statements import self_statements


def _facts(text: str, region: str | None = None) -> set[tuple[str, str]]:
    return {(s.kind, s.value) for s in self_statements(text, region)}


@pytest.mark.parametrize(("text", "kind", "value", "pattern"), [
    ("hey, I'm Marta", "first_name", "Marta", "en:i-am"),
    ("my name is marta kowalska", "name", "marta kowalska", "en:my-name-is"),
    ("call me Marta", "first_name", "Marta", "en:call-me"),
    ("name's Camila", "first_name", "Camila", "en:names"),
    ("Marta here", "first_name", "Marta", "en:x-here"),
    ("Kamau here", "first_name", "Kamau", "en:x-here"),  # also a small city's other name: a name first
    ("me llamo Luis", "first_name", "Luis", "es:me-llamo"),
    ("je m'appelle Léa", "first_name", "Léa", "fr:je-m-appelle"),
    ("ich heiße Jan", "first_name", "Jan", "de:ich-heisse"),
    ("mam na imię Ola", "first_name", "Ola", "pl:mam-na-imie"),
    ("ako si Jayson", "first_name", "Jayson", "tl:ako-si"),
    ("меня зовут Дмитрий", "first_name", "Дмитрий", "ru:menya-zovut"),
    ("Hi, I'm Jan Kowalski", "name", "Jan Kowalski", "en:i-am"),
    ("I'm Chris, Marta's brother", "first_name", "Chris", "en:i-am"),
    ("I live in Poznań", "city", "PL:poznan", "en:live-in"),
    ("mieszkam w Poznaniu", "city", "PL:poznan", "pl:mieszkam-w"),
    ("jestem z Warszawy", "city", "PL:warsaw", "pl:mieszkam-w"),
    ("mieszkam w Krakowie", "city", "PL:krakow", "pl:mieszkam-w"),
    ("Lyon here", "city", "FR:lyon", "en:x-here"),
    ("Beograd here", "city", "RS:belgrade", "en:x-here"),
    ("j'habite à Lyon", "city", "FR:lyon", "fr:j-habite"),
    ("vivo en Lima", "city", "PE:lima", "es:vivo-en"),
    ("moro em Recife", "city", "BR:recife", "pt:moro-em"),
    ("soy de México", "country", "MX", "es:vivo-en"),
    ("im in peru", "country", "PE", "en:in"),
    ("I live in Kovecourt", "place", "kovecourt", "en:live-in"),   # a village the gazetteer does not know
    ("I'm from Nowa Wieś Mała", "place", "nowa wies mala", "en:i-am-from"),
])
def test_stated(text: str, kind: str, value: str, pattern: str) -> None:
    found = [s for s in self_statements(text) if s.kind == kind]
    assert found and found[0].value == value and found[0].pattern == pattern


@pytest.mark.parametrize("text", [
    "I'm fine", "I'm in a hurry", "i'm so tired", "I'm Back", "Im Ready", "im 25", "I'm a student",
    "I'm Polish", "I'm Sure", "I'm Lonely", "I'm Driving", "I'm Catholic", "I'm New here", "call me later",
    "call me on +48 601 234 567", "call me Monday",
    'my friend said "I\'m Tom"', "she told me «je m'appelle Léa»",  # someone else's words, quoted
    "I'm Marta's friend", "I'm Tom's dad",  # a possessive: someone else's name
    "his name is Tom", "my friend is called Tom", "she said her name's Anna",
    "I'm from Google", "from Monday", "from him", "I'm in Trouble", "i live in a flat", "I live in the city",
    "going to Paris next week", "I was in Paris",  # a place mentioned is not where one lives
])
def test_not_stated(text: str) -> None:
    facts = _facts(text)
    assert not {f for f in facts if f[0] in ("name", "first_name")}, facts
    if text.startswith(("I'm from Google", "from", "I'm in Trouble", "i live", "I live", "going", "I was")):
        assert not facts, facts


def test_both_in_one_line_and_an_unknown_inflected_place() -> None:
    assert _facts("me llamo Luis y vivo en Lima") == {("first_name", "Luis"), ("city", "PE:lima")}
    assert _facts("mieszkam w Kovecourcie") == set()  # an inflected form the gazetteer cannot read back: nothing
    assert _facts("x" * 5000 + " I'm Marta") == set()  # a paste, not an introduction
