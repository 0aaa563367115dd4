from __future__ import annotations

from tasman.link.keys import from_uid, key_of_uid, parse_party_key, uid, uid_of_key
from tasman.link.normalise import name_parts, normalise_rows, parties, payref


def _one(fields: dict[str, object], kind: str = "customers") -> dict[str, object]:
    (p,) = parties(7, kind, fields)
    return p


def test_phones_use_the_records_country_for_national_formats() -> None:
    assert _one({"name": "Ann Lee", "phone": "0151 23456789", "country": "Deutschland"})["phones"] == ["+4915123456789"]
    assert _one({"name": "Ann Lee", "phone": "(202) 555-0143", "country": "USA"})["phones"] == ["+12025550143"]
    assert _one({"name": "Ann Lee", "phone": "0049 151 23456789"})["phones"] is None  # 00 needs a country to dial from
    assert _one({"name": "Ann Lee", "phone": "+49 151 23456789"})["phones"] == ["+4915123456789"]
    assert _one({"name": "Ann Lee", "phone": "12"})["phones"] is None


def test_emails_names_countries() -> None:
    p = _one({"first_name": "Дмитрий", "last_name": "Иванов", "email": "D.Ivanov@Mail.EXAMPLE", "country": "España",
              "city": "Málaga", "postcode": "29 001"})
    assert p["emails"] == ["d.ivanov@mail.example"]
    assert (p["first_name"], p["last_name"], p["name_key"]) == ("dmitrij", "ivanov", "dmitrij ivanov")
    assert p["first_forms"] == ["dmitrij"]
    assert (p["country"], p["city"], p["postcode"]) == ("ES", "malaga", "29001")
    assert _one({"name": "Müller, Jürgen"})["name_key"] == _one({"name": "Jürgen Müller"})["name_key"]
    assert _one({"name": "MÜLLER Jürgen"})["name_key"] == "jurgen muller"
    assert _one({"name": "Bill Smith"})["first_forms"] == ["bill", "william"]


def test_name_parts_particles_and_two_surnames() -> None:
    assert name_parts("Daan de Jong", None, None)[:3] == ("daan", "jong", ["daan", "jong"])
    assert name_parts(None, "José", "García López")[:2] == ("jose", "garcia")
    assert name_parts("José García López", None, None)[:2] == ("jose", "lopez")
    assert name_parts("", None, None) == (None, None, [], None)


def test_payment_references() -> None:
    assert payref("DE89 3704 0044 0532 0130 00") == ("iban:DE89370400440532013000", None)
    assert payref("Ann.Lee@Example.org") == ("paypal:ann.lee@example.org", "ann.lee@example.org")
    assert payref("**** **** **** 1234") == (None, None)
    assert payref("ACC-12345678") == ("ref:ACC12345678", None)
    assert payref("cash") == (None, None)
    p = _one({"name": "Ann Lee", "payment_ref": "ann.lee@example.org"})
    assert p["payrefs"] == ["paypal:ann.lee@example.org"] and p["emails"] == ["ann.lee@example.org"]


def test_identifier_lists_and_handles() -> None:
    p = _one({"username": "AnnLee99", "platform": "Kik", "identifiers": [
        {"type": "email", "raw": "ann@example.org"}, {"type": "phone", "raw": "+63 917 123 4567"},
        {"type": "handle", "raw": "ann_tg", "platform": "telegram"}, {"type": "ip", "raw": "203.0.113.9"},
        {"type": "handle", "value": "skype:live:ann"}]}, kind="tips")
    assert p["handles"] == ["kik:annlee99", "skype:live:ann", "telegram:ann_tg"]
    assert p["emails"] == ["ann@example.org"] and p["phones"] == ["+639171234567"]
    assert p["name_key"] is None


def test_a_transfer_has_two_parties_and_a_record_with_nothing_is_still_a_party() -> None:
    tx = {"sender_name": "Bob Ray", "sender_phone": "+1 202 555 0143", "beneficiary_name": "Maria Santos",
          "beneficiary_phone": "0917 123 4567", "beneficiary_country": "PH", "amount": "50.00"}
    s, b = parties(9, "transactions", tx)
    assert from_uid(s["uid"]) == (9, "sender") and from_uid(b["uid"]) == (9, "beneficiary")
    assert b["phones"] == ["+639171234567"] and b["country"] == "PH"
    (alone,) = parties(9, "customers", {"amount": "5"})  # nothing to link on: still someone's record
    assert alone["uid"] == 36 and alone["basis"] == "nothing" and alone["name_key"] is None
    # a transfer's side that is not given at all is no party; a transfer with neither is its sender's
    assert [from_uid(p["uid"])[1] for p in parties(9, "transactions", {"sender_name": "Bob Ray"})] == ["sender"]
    assert [from_uid(p["uid"])[1] for p in parties(9, "transactions", {"amount": "5"})] == ["sender"]
    table = normalise_rows([(1, "transactions", tx), (2, "customers", '{"name": "Ann Lee"}')])
    assert table.num_rows == 3


def test_party_keys() -> None:
    assert key_of_uid(uid(12, "beneficiary")) == "12:beneficiary" and uid_of_key("12") == uid(12)
    assert parse_party_key("5:sender") == (5, "sender")


def test_blank_or_punctuation_is_no_country() -> None:
    assert _one({"name": "Ann Lee", "country": "-"})["country"] is None
    assert _one({"name": "Ann Lee", "country": "Éire"})["country"] == "IE"


def test_fast_paths_agree_with_the_shared_cleaners() -> None:
    import random

    from tasman.extract.identifiers import clean_email, clean_phone
    from tasman.link.normalise import _email, _phone
    from tasman.synth.people import format_phone, make_people, reset_registry

    rng = random.Random(3)
    reset_registry()
    people = make_people(rng, 150)
    emails = [e for p in people for e in p.emails] + ["A.B@Example.ORG", "x@mail.local", "a..b@example.com",
                                                     "Ünïcode@example.org", "a@b@example.org", "<c@example.net>"]
    for e in emails:
        ident = clean_email(e)
        assert _email(e) == (ident.value.lower() if ident else None), e
    for p in people:
        for ph in p.phones:
            for raw in (format_phone(rng, ph), format_phone(rng, ph, national_ok=False), ph, "12", "+1 (555) 0100 x12"):
                region = p.country if rng.random() < 0.7 else None
                ident = clean_phone(raw, region) or (clean_phone(raw, None) if region else None)
                assert _phone(raw, region) == (ident.value if ident else None), (raw, region)


def test_normalising_on_workers_gives_the_rows_in_order_as_in_one_process() -> None:
    rows = [(i, "customers", {"name": f"Person {chr(65 + i % 26)}{i}", "email": f"p{i}@mail.example",
                              "phone": f"+49 151 2345{i:04d}", "country": "DE"}) for i in range(1, 41)]
    alone = normalise_rows(rows, workers=1)
    spread = normalise_rows(rows, workers=2, parallel_above=10, chunk=7)     # 6 batches on 2 workers
    assert spread.num_rows == alone.num_rows == 40
    assert spread.column("uid").to_pylist() == [uid(i, "") for i in range(1, 41)]
    assert spread.equals(alone)


def test_a_party_is_normalised_the_same_whatever_the_process_hash_seed() -> None:
    """A full re-link gives the same partition on the same data: no key may follow the order of a
    Python set (string hashes, hence set order, change with each process's PYTHONHASHSEED)."""
    import json
    import os
    import subprocess
    import sys

    code = ("import json; from tasman.link.normalise import normalise_rows; "
            "ids = [{'type': 'email', 'value': e} for e in ['fatima.peters@a.eg', 'bruno.costa@b.pt', "
            "'lena.schmidt@c.de', 'omar.haddad@d.eg']]; "
            "rows = [(1, 'chats', {'identifiers': ids, 'country': 'EG'})]; "
            "print(json.dumps(normalise_rows(rows, workers=0).select(['alias_block1', 'alias_block2', "
            "'alias_full', 'alias_last']).to_pylist()))")
    seen = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        seen.add(out.stdout.strip())
    assert len(seen) == 1, seen
    assert json.loads(seen.pop())[0]["alias_block1"] is not None


def test_the_collector_is_left_as_it_was_found() -> None:
    """Normalising pauses the cyclic garbage collector for each batch of parties and gives it back
    as it was: on when on, off when a caller had turned it off; also when a record fails."""
    import gc

    import pytest

    rows = [(1, "customers", {"name": "Ann Bell", "email": "ann@example.org"})]
    assert gc.isenabled()
    assert normalise_rows(rows).num_rows == 1 and gc.isenabled()
    with pytest.raises(ValueError):
        normalise_rows([(1, "customers", "{not json")])
    assert gc.isenabled()
    gc.disable()
    try:
        assert normalise_rows(rows).num_rows == 1 and not gc.isenabled()
    finally:
        gc.enable()
