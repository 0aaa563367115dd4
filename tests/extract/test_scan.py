from __future__ import annotations

import pytest

from tasman.extract.detectors import EmailDetector, HandleDetector, IbanDetector, IpDetector, PhoneDetector
from tasman.extract.identifiers import IdType
from tasman.extract.scan import Scanner, scan_text


def values(text: str, region: str | None = None, t: IdType | None = None) -> set[tuple[str, str]]:
    return {(f.type.value, f.value) for f in scan_text(text, region=region) if t is None or f.type is t}


def test_one_pass_finds_every_type() -> None:
    text = ("mail John.Doe@Example.COM, call +44 7911 123456, IP 8.8.8.8, IBAN DE89 3704 0044 0532 0130 00, "
            "card 4111 1111 1111 1111, eth 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed, "
            "btc bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq, Western Union MTCN 123-456-7890, "
            "see https://t.me/petrov_ivan, I live in Leeds. From Germany.")
    got = values(text)
    for expected in [("email", "John.Doe@example.com"), ("phone", "+447911123456"), ("ip", "8.8.8.8"),
                     ("iban", "DE89370400440532013000"), ("card", "visa:1111"),
                     ("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
                     ("btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"), ("mtcn", "westernunion:1234567890"),
                     ("url", "https://t.me/petrov_ivan"), ("handle", "telegram:petrov_ivan"),
                     ("city", "GB:leeds"), ("country", "DE")]:
        assert expected in got, expected


def test_offsets_are_characters_and_context_is_short() -> None:
    text = "Grüße aus München! Schreib an jörg@example.org bitte."
    (f,) = [f for f in scan_text(text) if f.type is IdType.EMAIL]
    assert text[f.start:f.end] == "jörg@example.org" == f.raw
    assert "jörg@example.org" in f.context and len(f.context) <= 200


@pytest.mark.parametrize("text", [
    "my skype is live:anna_1990", "skype: anna.smith", "telegram @petrov_ivan", "kik: kiki.22",
    "snap: zed_99", "discord anna#1234", "@petrov_ivan on telegram",
])
def test_handles_when_the_platform_is_said(text: str) -> None:
    assert values(text, t=IdType.HANDLE), text


@pytest.mark.parametrize("text", ["thanks @petrov_ivan!", "skype is down again", "my telegram is broken"])
def test_no_handle_without_a_platform_or_a_name(text: str) -> None:
    assert not values(text, t=IdType.HANDLE), text


@pytest.mark.parametrize("text", [
    "on 2024-01-05 10:30:01 we met", "due 05/01/2024", "Order #2024010512345 shipped", "order number 0412345678",
    "invoice no. 412345678", "total $1,299,000.00", "price EUR 4123456,78", "tracking 412345678901",
    "ref 07911123456", "paid 7911123456 USD",
])
def test_dates_orders_prices_are_not_phones(text: str) -> None:
    assert not values(text, region="GB", t=IdType.PHONE), text
    assert not values(text, region="AU", t=IdType.PHONE), text


def test_national_numbers_need_a_region() -> None:
    assert not values("call 07911 123456", t=IdType.PHONE)
    assert values("call 07911 123456", region="GB", t=IdType.PHONE) == {("phone", "+447911123456")}
    assert values("invoice 123. Call +44 7911 123456", t=IdType.PHONE) == {("phone", "+447911123456")}


def test_card_number_never_shown_in_full() -> None:
    text = "please charge card 4111 1111 1111 1111 and email me at pay@example.org"
    for f in scan_text(text):
        assert "4111 1111 1111 1111" not in f.raw and "4111 1111 1111 1111" not in f.context
    assert ("card", "visa:1111") in values(text)
    assert not values("order 4111111111111111 shipped", t=IdType.CARD)  # no card form, no card word


def test_card_digits_masked_in_every_context_but_the_last_four() -> None:
    filler = "x" * 48
    text = (f"mail pay@example.org {filler[:40]} card 4111 1111 1111 1111 {filler} jo@example.net "
            "ref 5500 0055-5555 5559 (not written as a card, still masked) ann@example.com")
    ctx = {f.value: f.context for f in scan_text(text)}
    assert "4111" not in ctx["pay@example.org"] and "**** **" in ctx["pay@example.org"]  # window ends in it
    assert ctx["jo@example.net"].startswith("**** 1111 xxx")  # the window starts inside the number
    assert "**** ****-**** 5559" in ctx["ann@example.com"]
    assert ("card", "visa:1111") in values(text) and ("card", "mastercard:5559") not in values(text)


def test_bad_checksums_are_dropped() -> None:
    assert not values("IBAN DE89 3704 0044 0532 0130 01")
    assert not values("to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
    assert not values("card 4111 1111 1111 1112")


def test_private_ips_are_flagged() -> None:
    (f,) = scan_text("server at 10.0.0.5 answered")
    assert f.identifier.meta["scope"] == "private"
    assert not values("version 1.2.3.4 released", t=IdType.IP)


def test_regex_engine_gives_the_same_answers() -> None:
    text = "mail a.b@example.org, +44 7911 123456, 8.8.8.8, DE89 3704 0044 0532 0130 00, skype: anna.smith"
    dets = (EmailDetector, PhoneDetector, IpDetector, IbanDetector, HandleDetector)
    fast = {(f.type, f.value) for f in Scanner(dets).scan_bytes(text.encode())}
    slow = {(f.type, f.value) for f in Scanner(dets, engine="regex").scan_bytes(text.encode())}
    assert fast == slow and len(fast) >= 5


def test_email_start_from_its_end_is_the_leftmost_start() -> None:
    """The e-mail pattern runs without Hyperscan's start-of-match tracking: the start its detector
    computes from the '@' must be the one the tracking would have reported, on awkward input too."""
    import dataclasses

    from tasman.extract.engine import HyperscanEngine

    spec = EmailDetector.patterns[0]
    assert spec.start_of is not None
    data = (b"a.b@example.org, x@y.co.uk. .lead@dot.example.com ..x@@y.example.net q@r.io@s.de "
            b"J\xc3\xb6rg@example.org <u+tag@example.co.uk>" + b"l" * 2500 + b"@long.example.org '-x@a.bc\n")
    tracked = HyperscanEngine([dataclasses.replace(spec, start_of=None)]).scan(data)
    computed = HyperscanEngine([spec]).scan(data)
    assert len(tracked) >= 8
    assert sorted(computed) == sorted(tracked)


def test_overlaps_are_settled_as_the_rule_says() -> None:
    """The one-sweep resolution against the rule written plainly: drop repeats (type, value,
    start), then every find of a yielding type that any find of one of its blocker types overlaps."""
    import random

    from tasman.extract.detectors.base import Found
    from tasman.extract.idtypes import Identifier
    from tasman.extract.scan import _YIELDING, _resolve

    r = random.Random(7)
    types = [IdType.PHONE, IdType.CARD, IdType.IP, IdType.HANDLE, IdType.EMAIL, IdType.IBAN, IdType.URL,
             IdType.CITY]
    blocked = 0
    for _ in range(300):
        finds = []
        for _ in range(r.randint(0, 30)):
            a = r.randint(0, 120)
            t = r.choice(types)
            finds.append(Found(Identifier(t, f"v{r.randint(0, 3)}"), "x", a, a + r.randint(1, 25)))
        unique: dict[tuple[IdType, str, int], Found] = {}
        for f in sorted(finds, key=lambda f: (f.start, f.end)):
            unique.setdefault((f.type, f.value, f.start), f)
        expected = [f for f in unique.values()
                    if not any(g.type in _YIELDING.get(f.type, ()) and g.start < f.end and g.end > f.start
                               for g in unique.values())]
        got = _resolve(list(finds))
        blocked += len(unique) - len(got)
        assert [(f.type, f.value, f.start, f.end) for f in got] == \
            [(f.type, f.value, f.start, f.end) for f in expected]
    assert blocked > 100
