from __future__ import annotations

from pathlib import Path

import pytest

from tasman.attribute.facts import ADDRESS, CITY, EMAIL, GPS, IBAN, IP, PHONE, TIMESTAMP, Fact, SubjectFacts
from tasman.attribute.iplocate import AddressList
from tasman.attribute.scoring import score
from tasman.attribute.service import assess, make_env
from tasman.attribute.signals import SIGNALS, Env, Ignored, Vote
from tasman.attribute.signals.timezone import countries_with_offset
from tasman.attribute.weights import default_weights, load_weights
from tasman.core.errors import InputError

W = default_weights()


def findings(name: str, fact: Fact, env: Env | None = None) -> list[Vote | Ignored]:
    return list(SIGNALS[name](W.of(name), env or Env()).assess(fact))


def test_every_signal_has_a_default_weight_and_a_stable_name() -> None:
    assert set(SIGNALS) == set(W.signals)
    assert list(SIGNALS) == ["address", "phone", "iban", "ip", "email_domain", "stated_place", "gps", "timezone",
                             "currency", "probable_link"]


def test_phone_international_national_and_voip() -> None:
    (v,) = findings("phone", Fact(PHONE, "+63 917 123 4567", "a#1"))
    assert isinstance(v, Vote) and v.country == "PH" and v.strength == 1.0 and v.value == "+639171234567"
    (v,) = findings("phone", Fact(PHONE, "0917 123 4567", "a#1", hint="PH"))
    assert isinstance(v, Vote) and v.country == "PH" and v.strength == 0.5 and "without a country code" in v.detail
    (n,) = findings("phone", Fact(PHONE, "12345", "a#1"))
    assert isinstance(n, Ignored) and "not a valid phone" in n.why


def test_private_reserved_and_anonymising_ips_carry_no_weight(tmp_path: Path) -> None:
    tor = tmp_path / "tor.txt"
    tor.write_text("# exits\n185.220.101.0/24\n")
    env = Env(anonymisers=[AddressList.read("Tor exit", tor)])
    for ip, why in [("192.168.1.20", "private"), ("127.0.0.1", "loopback"), ("185.220.101.7", "Tor exit")]:
        (n,) = findings("ip", Fact(IP, ip, "a#1"), env)
        assert isinstance(n, Ignored) and why in n.why and "no weight" in n.why
    (v,) = findings("ip", Fact(IP, "81.2.69.160", "a#1"), env)
    assert isinstance(v, Vote) and v.country == "GB" and "geoip2fast" in v.detail


def test_bad_anonymiser_list_is_a_one_line_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "vpn.txt"
    bad.write_text("10.0.0.0/8\nnot-an-ip\n")
    with pytest.raises(InputError, match=r"vpn\.txt line 2: 'not-an-ip'"):
        make_env(vpn_ranges=bad)


def test_mmdb_replaces_the_embedded_database(tmp_path: Path) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    w = MMDBWriter(ip_version=6, database_type="GeoLite2-Country", ipv4_compatible=True)
    w.insert_network(IPSet(["81.2.69.0/24"]), {"country": {"iso_code": "IS"}})
    path = tmp_path / "test.mmdb"
    w.to_db_file(str(path))
    (v,) = findings("ip", Fact(IP, "81.2.69.160", "a#1"), make_env(mmdb=path))
    assert isinstance(v, Vote) and v.country == "IS" and "test.mmdb" in v.detail
    (n,) = findings("ip", Fact(IP, "8.8.8.8", "a#1"), make_env(mmdb=path))
    assert isinstance(n, Ignored) and "not located" in n.why
    with pytest.raises(InputError, match="cannot open MaxMind database"):
        make_env(mmdb=tmp_path / "missing.mmdb")


def test_email_domains_country_codes_only() -> None:
    (v,) = findings("email_domain", Fact(EMAIL, "max@example.de", "a#1"))
    assert isinstance(v, Vote) and v.country == "DE"
    assert findings("email_domain", Fact(EMAIL, "max@example.com", "a#1")) == []
    (n,) = findings("email_domain", Fact(EMAIL, "max@example.io", "a#1"))
    assert isinstance(n, Ignored) and "sold worldwide" in n.why


def test_a_national_free_mail_provider_is_a_weaker_vote() -> None:
    (v,) = findings("email_domain", Fact(EMAIL, "minjun88@naver.com", "a#1"))
    assert isinstance(v, Vote) and v.country == "KR" and v.strength == 0.5 and "free-mail provider" in v.detail
    assert findings("email_domain", Fact(EMAIL, "minjun88@gmail.com", "a#1")) == []  # worldwide: nothing


def test_iban_address_city_and_stated_places() -> None:
    (v,) = findings("iban", Fact(IBAN, "NL91 ABNA 0417 1643 00", "a#1"))
    assert isinstance(v, Vote) and v.country == "NL"
    (v,) = findings("address", Fact(ADDRESS, "Deutschland", "a#1", meta={"city": "Berlin"}))
    assert isinstance(v, Vote) and v.country == "DE" and "Berlin" in v.detail
    votes = findings("address", Fact(ADDRESS, "", "a#1", meta={"city": "Valencia"}))
    assert {v.country for v in votes if isinstance(v, Vote)} >= {"ES", "VE"}
    assert all(isinstance(v, Vote) and v.strength <= 0.5 for v in votes)
    (v,) = findings("stated_place", Fact(CITY, "Cebu", "chat#3"))
    assert isinstance(v, Vote) and v.country == "PH"


def test_gps_reverse_geocoded_offline_and_null_island_ignored() -> None:
    (v,) = findings("gps", Fact(GPS, "14.5995, 120.9842", "IMG.jpg"))
    assert isinstance(v, Vote) and v.country == "PH" and "km from" in v.detail
    (n,) = findings("gps", Fact(GPS, "0,0", "IMG.jpg"))
    assert isinstance(n, Ignored)


def test_timezone_is_weak_and_split() -> None:
    cands = countries_with_offset(480, "2024-03")
    assert {"PH", "CN", "SG", "MY"} <= set(cands) and "AQ" not in cands
    votes = findings("timezone", Fact(TIMESTAMP, "x", "a#1", meta={"offset_minutes": 480, "at": "2024-03-01"}))
    assert len(votes) == len(cands) and all(isinstance(v, Vote) and v.strength < 0.1 for v in votes)
    assert findings("timezone", Fact(TIMESTAMP, "x", "a#1", meta={"offset_minutes": 0, "at": "2024-03-01"})) == []


def test_conflicting_signals_rank_both_with_their_reasons() -> None:
    facts = SubjectFacts(1, "S-1", [
        Fact(ADDRESS, "Germany", "orders.csv#1", meta={"city": "Berlin"}),
        Fact(EMAIL, "max@example.de", "orders.csv#1"),
        Fact(PHONE, "+63 917 765 4321", "orders.csv#2"),
        Fact(IP, "10.0.0.1", "orders.csv#2"),
    ])
    v = assess(facts, W, Env())
    assert [c.country for c in v.ranked] == ["DE", "PH"]
    assert v.conflict
    de, ph = v.ranked
    assert {r.signal for r in de.reasons} == {"address", "email_domain"}
    assert [r.signal for r in ph.reasons] == ["phone"] and ph.reasons[0].sources == ("orders.csv#2",)
    assert de.confidence > ph.confidence > 0
    assert v.ignored[0]["value"] == "10.0.0.1" and "no weight" in v.ignored[0]["why"]


def test_repeats_decay_and_duplicates_count_once() -> None:
    votes = [Vote("ip", "GB", 1.0, f"81.2.69.{i}", f"log#{i}", "x") for i in range(10)]
    votes += [Vote("ip", "GB", 1.0, "81.2.69.0", "other#1", "x")]  # same value again: one piece, two sources
    v = score(votes, W)
    (gb,) = v.ranked
    assert gb.score < 2 * W.of("ip").weight
    assert any(r.sources == ("log#0", "other#1") for r in gb.reasons)


def test_weights_file_overrides_and_rejects_unknown(tmp_path: Path) -> None:
    f = tmp_path / "w.yaml"
    f.write_text("signals:\n  ip: {weight: 0}\n")
    w = load_weights(f)
    assert w.of("ip").weight == 0 and w.of("phone").weight == W.of("phone").weight
    f.write_text("signals:\n  horoscope: {weight: 1}\n")
    with pytest.raises(InputError, match="unknown signal 'horoscope'"):
        load_weights(f)
    f.write_text("signals:\n  ip: {weight: -1}\n")
    with pytest.raises(InputError, match=r"signals\.ip\.weight"):
        load_weights(f)


def test_time_zones_corroborate_other_evidence_and_stand_alone_otherwise() -> None:
    ts = Fact(TIMESTAMP, "2024-03-01 22:10+08:00", "chat#1", meta={"offset_minutes": 480, "at": "2024-03-01"})
    v = assess(SubjectFacts(1, "S-1", [Fact(PHONE, "+63 917 123 4567", "a#1"), ts]), W, Env())
    assert [c.country for c in v.ranked] == ["PH"]
    assert {r.signal for r in v.ranked[0].reasons} == {"phone", "timezone"}
    (note,) = v.ignored
    assert note["signal"] == "timezone" and "also fits" in note["why"] and "CN" in note["why"]
    alone = assess(SubjectFacts(1, "S-1", [ts]), W, Env())
    assert len(alone.ranked) > 5 and alone.ranked[0].confidence < 0.05
