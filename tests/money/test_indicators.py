from __future__ import annotations

from datetime import UTC, timedelta

from tasman.money.analysis import ChatSession
from tasman.money.config import MoneyConfig

from .helpers import T0, analyse, bene, facilitator_rows, fired, phone, row, sender

FAC = ("Maria Lintam", "PH", phone("PH", 1))
US1 = ("Al Smith", "US", phone("US", 1))
US2 = ("Bo Jones", "US", phone("US", 2))


def test_small_frequent_corridor_fires_on_small_frequent_transfers_into_a_risk_country() -> None:
    rows = [row(i, s=US1, b=FAC, amount=45, ts=T0 + timedelta(days=3 * i)) for i in range(6)]
    r = analyse(rows)
    assert "small_frequent_corridor" in fired(bene(r, "Maria Lintam"))
    assert "small_frequent_corridor" in fired(sender(r, "Al Smith"))


def test_small_frequent_corridor_needs_frequency_band_and_corridor() -> None:
    monthly = [row(i, s=US1, b=FAC, amount=45, ts=T0 + timedelta(days=35 * i)) for i in range(6)]
    large = [row(i, s=US1, b=FAC, amount=900, ts=T0 + timedelta(days=3 * i)) for i in range(6)]
    domestic_b = ("Ann Lee", "US", phone("US", 9))
    domestic = [row(i, s=US1, b=domestic_b, amount=45, ts=T0 + timedelta(days=3 * i)) for i in range(6)]
    for rows in (monthly, large, domestic):
        assert "small_frequent_corridor" not in fired(analyse(rows).beneficiaries[0])


def test_small_frequent_corridor_is_currency_aware() -> None:
    # 2,500 PHP is about 45 USD: in the band; 2,500 USD is not
    php = [row(i, s=US1, b=FAC, amount=2500, currency="PHP", ts=T0 + timedelta(days=3 * i)) for i in range(6)]
    usd = [row(i, s=US1, b=FAC, amount=2500, currency="USD", ts=T0 + timedelta(days=3 * i)) for i in range(6)]
    assert "small_frequent_corridor" in fired(analyse(php).beneficiaries[0])
    assert "small_frequent_corridor" not in fired(analyse(usd).beneficiaries[0])


def test_corridors_and_risk_countries_are_configurable() -> None:
    rows = [row(i, s=US1, b=FAC, amount=45, ts=T0 + timedelta(days=3 * i)) for i in range(6)]
    cfg = MoneyConfig(risk_countries=("TH",))
    assert "small_frequent_corridor" not in fired(analyse(rows, cfg).beneficiaries[0])
    cfg = MoneyConfig(risk_countries=(), corridors=(("US", "PH"),))
    assert "small_frequent_corridor" in fired(analyse(rows, cfg).beneficiaries[0])


def test_several_unrelated_senders_counts_family_names() -> None:
    unrelated = facilitator_rows(n_senders=3, per_sender=1)
    assert "several_unrelated_senders" in fired(bene(analyse(unrelated), "Maria Lintam"))
    family = [row(i, s=(f"Kid{i} Lintam", "US", phone("US", 20 + i)), b=FAC) for i in range(4)]
    assert "several_unrelated_senders" not in fired(bene(analyse(family), "Maria Lintam"))


def test_several_risk_beneficiaries_for_a_sender() -> None:
    rows = [row(i, s=US1, b=(f"Ben{i} Fam{i}", "PH", phone("PH", 30 + i))) for i in range(3)]
    assert "several_risk_beneficiaries" in fired(sender(analyse(rows), "Al Smith"))
    assert "several_risk_beneficiaries" not in fired(sender(analyse(rows[:2]), "Al Smith"))


def test_night_transfers_use_the_senders_time_zone() -> None:
    # 04:30 UTC is 23:30 in New York (night there) and 12:30 in Manila
    ny_night = [row(i, s=US1, b=FAC, ts=f"2024-03-0{i + 1}T04:30:00+00:00") for i in range(3)]
    assert "night_transfers" in fired(sender(analyse(ny_night), "Al Smith"))
    ph_sender = ("Lo Cruz", "PH", phone("PH", 40))
    ph_day = [row(i, s=ph_sender, b=US1, ts=f"2024-03-0{i + 1}T04:30:00+00:00") for i in range(3)]
    assert "night_transfers" not in fired(sender(analyse(ph_day), "Lo Cruz"))


def test_night_transfers_ignore_date_only_records() -> None:
    rows = [row(i, s=US1, b=FAC, ts=f"2024-03-0{i + 1}") for i in range(3)]
    assert "night_transfers" not in fired(sender(analyse(rows), "Al Smith"))


def test_timed_with_chats_by_shared_phone_or_subject() -> None:
    rows = [row(i, s=US1, b=FAC, ts=T0 + timedelta(days=i)) for i in range(3)]
    near = [ChatSession(ref=f"c{i}", ts=T0 + timedelta(days=i, minutes=30), keys=frozenset({f"phone:{US1[2]}"}))
            for i in range(3)]
    far = [ChatSession(ref=f"c{i}", ts=T0 + timedelta(days=i, hours=9), keys=frozenset({f"phone:{US1[2]}"}))
           for i in range(3)]
    assert "timed_with_chats" in fired(sender(analyse(rows, chats=near), "Al Smith"))
    assert "timed_with_chats" not in fired(sender(analyse(rows, chats=far), "Al Smith"))
    by_subject = [ChatSession(ref=f"c{i}", ts=T0 + timedelta(days=i, minutes=-20), subjects=frozenset({"S-1"}))
                  for i in range(3)]
    r = analyse(rows, chats=by_subject, subject_keys={f"phone:{US1[2]}": {"S-1"}})
    assert "timed_with_chats" in fired(bene(r, "Maria Lintam"))


def test_benign_references() -> None:
    rows = [row(i, s=US1, b=FAC, ref=ref) for i, ref in enumerate(("for SCHOOL", "Medical bills", "family support"))]
    assert "benign_references" in fired(sender(analyse(rows), "Al Smith"))
    rows = [row(i, s=US1, b=FAC, ref=ref) for i, ref in enumerate(("invoice 12", "schoolbus ltd", ""))]
    assert "benign_references" not in fired(sender(analyse(rows), "Al Smith"))


def test_round_amounts() -> None:
    assert "round_amounts" in fired(sender(analyse([row(i, s=US1, b=FAC, amount=a)
                                                    for i, a in enumerate((50, 100, 30))]), "Al Smith"))
    assert "round_amounts" not in fired(sender(analyse([row(i, s=US1, b=FAC, amount=a)
                                                        for i, a in enumerate((49.5, 101, 30))]), "Al Smith"))


def test_capture_or_travel_purchases_and_their_echo_on_beneficiaries() -> None:
    shop = ("Screen Recorder Pro Ltd", "US", phone("US", 50))
    rows = [row(1, s=US1, b=shop, amount=49, ref="licence"), row(2, s=US1, b=FAC), row(3, s=US2, b=FAC)]
    r = analyse(rows)
    assert "capture_or_travel_purchases" in fired(sender(r, "Al Smith"))
    assert "capture_or_travel_purchases" not in fired(sender(r, "Bo Jones"))
    assert "senders_buy_capture_or_travel" in fired(bene(r, "Maria Lintam"))
    travel = analyse([row(1, s=US2, b=("Sunny Airways", "GB", phone("GB", 1)), amount=600)])
    hit = next(s for s in sender(travel, "Bo Jones").hits if s.hit.indicator == "capture_or_travel_purchases")
    assert hit.hit.strength == 0.5  # travel outside a risk country counts half


def test_paid_by_several_subjects_and_ranked_first() -> None:
    rows = [row(1, s=US1, b=FAC, amount=900), row(2, s=US2, b=FAC, amount=900)]
    rows += facilitator_rows(n_senders=4, per_sender=3, start=10)
    other = ("Lu Santos", "PH", phone("PH", 60))
    mine = ("r1", "r2")
    rows = [r for r in rows if r["record_id"] in mine] + [
        {**r, "beneficiary_name": other[0], "beneficiary_phone": other[2]} for r in rows if r["record_id"] not in mine]
    subjects = {f"phone:{US1[2]}": {"S-1"}, f"phone:{US2[2]}": {"S-2"}}
    r = analyse(rows, subject_keys=subjects)
    first = r.beneficiaries[0]
    assert first.profile.party.name == "Maria Lintam" and "paid_by_several_subjects" in fired(first)
    assert first.subject_payers == 2
    assert bene(r, "Lu Santos").score > first.score  # ranked below despite the higher score
    assert "paid_by_several_subjects" not in fired(bene(r, "Lu Santos"))


def test_pays_alerted_beneficiary_second_pass() -> None:
    r = analyse(facilitator_rows(n_senders=4, per_sender=3))
    assert bene(r, "Maria Lintam").alerted
    assert all("pays_alerted_beneficiary" in fired(s) for s in r.senders)
    quiet = analyse(facilitator_rows(n_senders=2, per_sender=3, night=False))
    assert not any("pays_alerted_beneficiary" in fired(s) for s in quiet.senders)
    assert "senders_buy_capture_or_travel" not in fired(bene(quiet, "Maria Lintam"))


def test_regular_remittance_mitigates() -> None:
    mum = ("Rosa Lintam", "PH", phone("PH", 70))
    son = ("Jon Lintam", "SA", phone("SA", 1))
    rows = [row(i, s=son, b=mum, amount=150, ref="family support",
                ts=(T0 + timedelta(days=7 * i)).replace(hour=9).astimezone(UTC)) for i in range(10)]
    r = analyse(rows)
    b = bene(r, "Rosa Lintam")
    assert "regular_remittance" in fired(b)
    assert not b.alerted
    irregular = [{**x, "amount": str(40 + 37 * i)} for i, x in enumerate(rows)]
    assert "regular_remittance" not in fired(bene(analyse(irregular), "Rosa Lintam"))
