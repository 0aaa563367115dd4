from __future__ import annotations

import base58
import bech32m
import pytest

from tasman.extract.identifiers import (
    IdType,
    clean_btc,
    clean_camera,
    clean_card,
    clean_city,
    clean_eth,
    clean_gps,
    clean_handle,
    clean_mtcn,
    clean_paypal,
    luhn_ok,
)
from tasman.extract.payments import eip55, mask_card


def test_card_keeps_brand_and_last_four_only() -> None:
    ident = clean_card("4111 1111 1111 1111")
    assert ident is not None and ident.type is IdType.CARD
    assert ident.value == "visa:1111"
    assert "4111111111111111" not in repr(ident)
    assert clean_card("4111 1111 1111 1112") is None  # Luhn
    assert clean_card("9111 1111 1111 1116") is None or clean_card("9111111111111116") is None
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert mask_card("4111-1111-1111-1111") == "****-****-****-1111"


def test_bitcoin_base58check_and_segwit() -> None:
    p2pkh = base58.b58encode_check(b"\x00" + bytes(range(20))).decode()
    assert clean_btc(p2pkh) is not None
    assert clean_btc(p2pkh[:-1] + ("2" if p2pkh[-1] != "2" else "3")) is None
    assert clean_btc(base58.b58encode_check(b"\x6f" + bytes(20)).decode()) is None  # testnet version byte
    v0 = bech32m.encode("bc", 0, bytes(range(20)))
    v1 = bech32m.encode("bc", 1, bytes(range(32)))
    assert clean_btc(v0).meta["kind"] == "p2wpkh"  # type: ignore[union-attr]
    assert clean_btc(v1).meta["kind"] == "p2tr"  # type: ignore[union-attr]
    assert clean_btc(v0.upper()).value == v0  # type: ignore[union-attr]
    assert clean_btc(v0[:-1] + ("q" if v0[-1] != "q" else "p")) is None
    mixed = v0[:5] + v0[5:].upper()
    assert clean_btc(mixed) is None


def test_ethereum_eip55() -> None:
    good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 test vector
    assert eip55(good[2:]) == good
    assert clean_eth(good).value == good  # type: ignore[union-attr]
    assert clean_eth(good.lower()).meta["checksummed"] is False  # type: ignore[union-attr]
    assert clean_eth(good[:-1] + "D") is None  # one letter's case flipped
    assert clean_eth("0x" + "0" * 40) is None


def test_transfer_numbers_need_their_service() -> None:
    assert clean_mtcn("123-456-7890", "Western Union").value == "westernunion:1234567890"  # type: ignore[union-attr]
    assert clean_mtcn("12345678", "MoneyGram").value == "moneygram:12345678"  # type: ignore[union-attr]
    assert clean_mtcn("12345678", "Western Union") is None
    assert clean_mtcn("1234567890", "a bank") is None


def test_paypal() -> None:
    assert clean_paypal("https://www.paypal.me/Some.One").value == "paypal.me/some.one"  # type: ignore[union-attr]
    assert clean_paypal("pay@Example.ORG").value == "pay@example.org"  # type: ignore[union-attr]
    assert clean_paypal("not an address") is None


def test_city_gazetteer() -> None:
    assert clean_city("Leeds").value == "GB:leeds"  # type: ignore[union-attr]
    assert clean_city("Köln").value == clean_city("Cologne").value == "DE:koln"  # type: ignore[union-attr]
    assert clean_city("Paris", "US").country == "US"  # type: ignore[union-attr]
    assert clean_city("Porto").country == "PT"  # type: ignore[union-attr]  # own name beats an alternate
    assert clean_city("Qwertyville") is None


def test_gps_and_camera() -> None:
    g = clean_gps(51.50740, -0.12780)
    assert g is not None and g.value == "51.50740,-0.12780" and g.country == "GB"
    assert clean_gps(0, 0) is None and clean_gps(91, 0) is None
    assert clean_gps(-40.0, -120.0).country is None  # type: ignore[union-attr]  # open ocean
    cam = clean_camera("Canon", "Canon EOS 80D", "0123456")
    assert cam is not None and cam.value == "canon|eos 80d|0123456"
    assert clean_camera("", None) is None


@pytest.mark.parametrize(("raw", "platform", "value"), [
    ("@petrov_ivan", "telegram", "telegram:petrov_ivan"),
    ("live:anna_1990", "skype", "skype:live:anna_1990"),
    ("Anna#1234", "discord", "discord:anna#1234"),
    ("zed_99", "snap", "snapchat:zed_99"),
])
def test_handles(raw: str, platform: str, value: str) -> None:
    assert clean_handle(raw, platform).value == value  # type: ignore[union-attr]


def test_handles_follow_platform_rules_when_strict() -> None:
    assert clean_handle("abc", "telegram", strict=True) is None  # Telegram names have 5+ characters
    assert clean_handle("x" * 20, "twitter", strict=True) is None
    assert clean_handle("abc", "telegram").value == "telegram:abc"  # type: ignore[union-attr]  # a record's field
    assert clean_handle("name", "myspace", strict=True) is None  # free text: built-in platforms only
    assert clean_handle("two words", "kik") is None


@pytest.mark.parametrize(("platform", "namespace"), [
    ("MySpace", "myspace"), ("Chat Room", "chatroom"), ("chat-room", "chatroom"), ("www.SiteName.com", "sitename"),
    ("https://t.me/", "telegram"), ("wa.me", "whatsapp"), ("TG", "telegram"), ("Wickr Me", "wickr"),
    ("", "unknown"), (None, "unknown"), ("!!", "unknown"), ("Über-Chat", "uberchat"),
])
def test_platform_vocabulary_is_open_for_records(platform: str | None, namespace: str) -> None:
    from tasman.extract.identifiers import platform_namespace

    assert platform_namespace(platform) == namespace
    assert clean_handle("Bob_7", platform).value == f"{namespace}:bob_7"  # type: ignore[union-attr]


def test_a_platform_name_that_cannot_be_one_is_refused() -> None:
    from tasman.extract.identifiers import platform_namespace, platform_problem

    assert platform_namespace("chat\x01room") is None and platform_problem("chat\x01room") == "has control characters"
    assert platform_namespace("x" * 65) is None and "64" in (platform_problem("x" * 65) or "")
    assert clean_handle("bob", "x" * 65) is None
    assert clean_handle("live:bob.77", "").value == "skype:live:bob.77"  # type: ignore[union-attr]


@pytest.mark.parametrize(("raw", "platform", "typed"), [
    ("ann.hill@example.org", "forum", ("email", "ann.hill@example.org")),
    ("+46 70 123 45 67", "", ("phone", "+46701234567")),
    ("070-123 45 67", "whatsapp", ("phone", "+46701234567")),
    ("https://t.me/bob_hill", "", ("handle", "telegram:bob_hill")),
    ("wa.me/46701234567", "forum", ("phone", "+46701234567")),
    ("https://forum.example.com/u/bob", "forum", ("url", "https://forum.example.com/u/bob")),
    ("@Bob_Hill", "Czat.pl", ("handle", "czat:bob_hill")),
    ("12345678", "kik", ("handle", "kik:12345678")),  # a user name of digits on a platform of names
])
def test_a_screen_name_is_typed_as_what_it_is(raw: str, platform: str, typed: tuple[str, str]) -> None:
    from tasman.extract.screennames import screen_name

    ident = screen_name(raw, platform, "SE")
    assert ident is not None and (str(ident.type), ident.value) == typed
    assert screen_name("  ", platform) is None


@pytest.mark.parametrize("blank", ["", "   ", "!!", "—"])
def test_blank_or_unreadable_country_is_no_country(blank: str) -> None:
    # a stated country that folds to nothing must never become a country (it once became Aruba)
    from tasman.extract.identifiers import clean_country

    assert clean_country(blank) is None
