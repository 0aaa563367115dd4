"""Issue 14's evidence: every typed identifier of a record, places stated in chats, towns placed
by the case's own addresses, the currency of payments, numbers written with a dialling prefix,
and no attribution from a tie. All made up; no database needed (facts are built by hand)."""

from __future__ import annotations

from tasman.attribute.facts import ADDRESS, CITY, COUNTRY, CURRENCY, IP, PHONE, Fact, SubjectFacts
from tasman.attribute.gather import person_facts
from tasman.attribute.places import CasePlaces, locate_town
from tasman.attribute.service import assess, case_context
from tasman.attribute.signals import SIGNALS, Env, Ignored, Vote
from tasman.attribute.signals.currency import currency_countries
from tasman.attribute.weights import default_weights

W = default_weights()


def findings(name: str, fact: Fact, env: Env | None = None) -> list[Vote | Ignored]:
    return list(SIGNALS[name](W.of(name), env or Env()).assess(fact))


def test_currency_points_to_where_it_is_tender_split_between_them() -> None:
    (v,) = findings("currency", Fact(CURRENCY, "pln", "orders.csv#1"))
    assert isinstance(v, Vote) and v.country == "PL" and v.strength == 1.0 and v.value == "PLN"
    eur = findings("currency", Fact(CURRENCY, "EUR", "orders.csv#1"))
    assert {"DE", "FR", "IT"} <= {f.country for f in eur if isinstance(f, Vote)}
    assert all(isinstance(f, Vote) and f.strength == 1 / len(currency_countries()["EUR"]) for f in eur)
    (bad,) = findings("currency", Fact(CURRENCY, "XYZ", "orders.csv#1"))
    assert isinstance(bad, Ignored) and "ISO 4217" in bad.why


def test_currency_only_corroborates_and_stands_alone_otherwise() -> None:
    de = Fact(ADDRESS, "DE", "orders.csv#1", meta={"city": "Berlin"})
    pln = Fact(CURRENCY, "PLN", "orders.csv#1")
    v = assess(SubjectFacts(1, "S-1", [de, pln]), W, Env())
    assert [c.country for c in v.ranked] == ["DE"]
    assert any(n["signal"] == "currency" and "also fits" in n["why"] for n in v.ignored)
    alone = assess(SubjectFacts(1, "S-1", [pln]), W, Env())
    assert alone.top is not None and alone.top.country == "PL"
    assert alone.top.reasons[0].signal == "currency" and "PLN" in alone.top.reasons[0].detail


def test_a_shops_own_currency_is_ignored() -> None:
    subjects = [SubjectFacts(i, f"S-{i}", [Fact(ADDRESS, "DE" if i % 2 else "FR", f"shop.csv#{i}", meta={"city": "x"}),
                                          Fact(CURRENCY, "EUR", f"shop.csv#{i}")]) for i in range(20)]
    subjects += [SubjectFacts(100 + i, f"S-{100 + i}", [Fact(ADDRESS, "PL", f"pl.csv#{i}"),
                                                        Fact(CURRENCY, "PLN", f"pl.csv#{i}")]) for i in range(20)]
    env = case_context(subjects, Env())
    assert env.uniform_currency == {"shop.csv": "EUR"}  # one currency, several countries: the shop's
    (note,) = findings("currency", Fact(CURRENCY, "EUR", "shop.csv#3"), env)
    assert isinstance(note, Ignored) and "the source's currency" in note.why
    assert isinstance(findings("currency", Fact(CURRENCY, "PLN", "pl.csv#3"), env)[0], Vote)


def test_phone_written_with_a_dialling_prefix_is_international() -> None:
    (v,) = findings("phone", Fact(PHONE, "0066812119980", "orders.csv#1"))
    assert isinstance(v, Vote) and v.country == "TH" and v.value == "+66812119980" and v.strength == 1.0
    (de,) = findings("phone", Fact(PHONE, "011 49 151 23456789", "orders.csv#2"))
    assert isinstance(de, Vote) and de.country == "DE"
    # a national number that happens to start like a prefix is read with the record's country first
    (za,) = findings("phone", Fact(PHONE, "011 234 5678", "orders.csv#3", hint="ZA"))
    assert isinstance(za, Vote) and za.country == "ZA" and za.strength < 1.0


def test_every_typed_identifier_of_a_record_is_a_fact() -> None:
    tip = {"username": "fox", "ip": "198.51.100.7", "country": "PH",
           "identifiers": [{"type": "handle", "raw": "fox", "platform": "kik"},
                           {"type": "phone", "raw": "0917 123 4567"}, {"type": "phone", "raw": "+49 151 23456789"},
                           {"type": "ip", "raw": "198.51.100.7"}, {"type": "ip", "raw": "8.8.8.8"},
                           {"type": "iban", "raw": "DE89370400440532013000"}, {"type": "iban", "raw": "nonsense"}]}
    facts = person_facts(tip, "tips.json#T-1")
    phones = [f for f in facts if f.kind == PHONE]
    assert {f.value for f in phones} == {"0917 123 4567", "+49 151 23456789"} and all(f.hint == "PH" for f in phones)
    assert {f.value for f in facts if f.kind == IP} == {"198.51.100.7", "8.8.8.8"}
    assert [f.value for f in facts if f.kind == "iban"] == ["DE89370400440532013000"]
    v = assess(SubjectFacts(1, "S-1", facts), W, Env())
    assert {"PH", "DE"} <= {c.country for c in v.ranked}


def test_places_stated_in_a_chat_are_stated_places_not_an_address() -> None:
    # import read "I live in Dobo" and guessed the country of a town of that name: a statement of
    # the town, not an address in that country
    chat = {"username": "fox", "city": "Dobo", "country": "ID",
            "identifiers": [{"type": "city", "value": "ID:dobo", "raw": "Dobo", "country": "ID", "message": 3}]}
    facts = person_facts(chat, "chats.jsonl#S-1", "chat")
    assert [(f.kind, f.value) for f in facts] == [(CITY, "Dobo")]
    stated = {"username": "fox", "country": "TH",
              "identifiers": [{"type": "country", "value": "TH", "raw": "Thailand", "message": 2}]}
    assert [(f.kind, f.value, f.origin) for f in person_facts(stated, "c#2", "chat")] == [(COUNTRY, "TH", "chat")]
    given = {"username": "fox", "country": "MX"}  # the export's own belief about the session
    assert [(f.kind, f.value) for f in person_facts(given, "c#3", "chat")] == [(ADDRESS, "MX")]


def test_a_town_without_a_country_is_placed_by_the_case_first() -> None:
    case = CasePlaces()
    for _ in range(3):
        case.add("Temaheim", "DE")
    case.add("Roma", "IT")
    assert locate_town("temaheim", case)[0] == [("DE", 1.0)]
    assert locate_town("Temaheim", None)[0] == []  # not in the gazetteer
    assert locate_town("Roma", case)[0] == [("IT", 1.0)]  # the case says which Roma it means
    assert locate_town("Paris", case)[0][0][0] == "FR"  # else the gazetteer
    env = Env(case_places=case)
    (v,) = findings("address", Fact(ADDRESS, "", "orders.csv#9", meta={"city": "Temaheim"}), env)
    assert isinstance(v, Vote) and v.country == "DE" and "3 address records" in v.detail
    assert v.strength == W.of("address").city_only_factor
    (s,) = findings("stated_place", Fact(CITY, "Temaheim", "chats.jsonl#S-1", "chat"), env)
    assert isinstance(s, Vote) and s.country == "DE" and "case" in s.detail


def test_case_context_collects_towns_from_addresses_with_a_country() -> None:
    subjects = [SubjectFacts(1, "S-1", [Fact(ADDRESS, "Deutschland", "o.csv#1", meta={"city": "Temaheim"}),
                                        Fact(ADDRESS, "Deutschland", "o.csv#1", meta={"city": "Temaheim"})]),
                SubjectFacts(2, "S-2", [Fact(ADDRESS, "", "o.csv#2", meta={"city": "Temaheim"})])]
    env = case_context(subjects, Env())
    assert env.case_places is not None and env.case_places.countries("temaheim") == [("DE", 1.0, 1)]
    v = assess(subjects[1], W, env)
    assert v.top is not None and v.top.country == "DE"


def test_a_tie_at_the_top_attributes_nothing() -> None:
    a = Fact(PHONE, "+63 917 123 4567", "a#1")
    b = Fact(PHONE, "+49 151 23456789", "a#2")
    v = assess(SubjectFacts(1, "S-1", [a, b]), W, Env())
    assert v.tied and v.top is None and {c.country for c in v.ranked} == {"PH", "DE"} and v.conflict
    one = assess(SubjectFacts(1, "S-1", [a, b, Fact(ADDRESS, "PH", "a#1")]), W, Env())
    assert not one.tied and one.top is not None and one.top.country == "PH"


def test_probable_link_votes_by_probability_times_confidence() -> None:
    from tasman.attribute.facts import PROBABLE_LINK

    (v,) = findings("probable_link", Fact(PROBABLE_LINK, "S-000007", "probable link of records 1 and 2",
                                          meta={"country": "PL", "probability": 0.8, "confidence": 0.5}))
    assert isinstance(v, Vote) and v.country == "PL" and abs(v.strength - 0.4) < 1e-9 and "S-000007" in v.detail
    (n,) = findings("probable_link", Fact(PROBABLE_LINK, "S-000008", "x", meta={"probability": 0.8}))
    assert isinstance(n, Ignored)


def test_the_case_places_a_stated_town_before_extractions_guess() -> None:
    guessed = Fact(CITY, "ID:dobo", "chat.jsonl!/3", "chat", hint="ID")  # extraction's town of that name
    (v,) = findings("stated_place", guessed)
    assert isinstance(v, Vote) and v.country == "ID" and v.value == "dobo"
    case = CasePlaces()
    case.add("Dobo", "FI")
    (w,) = findings("stated_place", guessed, Env(case_places=case))
    assert isinstance(w, Vote) and w.country == "FI" and "case" in w.detail and w.value == "dobo"
