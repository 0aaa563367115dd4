"""Synthetic money transfers with ground truth, for the money-trail tests, demo and benchmark.

Four kinds of beneficiary, all made up, with neutral text only:
- ``facilitator``: several unrelated senders abroad, small frequent amounts, often at night in
  the sender's time zone, benign-sounding references, some payments timed with chat sessions;
- ``family``: a family remittance: one or two senders sharing the family name, steady amounts
  at steady intervals, by day, references like "family support" (the hard negatives: same
  corridors, similar amounts);
- ``seller``: a small online shop abroad paid by many customers, odd amounts, by day;
- ``noise``: ordinary one-off payments between anyone.
"""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers

from tasman.money.config import MoneyConfig
from tasman.money.timezones import country_zone, phone_zone
from tasman.money.transfers import zone

SENDER_COUNTRIES = {"US": "USD", "AU": "AUD", "GB": "GBP", "CA": "CAD", "DE": "EUR", "NZ": "NZD",
                    "NL": "EUR", "SE": "EUR", "FR": "EUR", "JP": "USD"}
MIGRANT_COUNTRIES = {"SA": "USD", "AE": "USD", "HK": "USD", "SG": "USD", "IT": "EUR", "US": "USD",
                     "GB": "GBP", "CA": "CAD", "AU": "AUD", "JP": "USD"}
FACILITATOR_COUNTRIES = ("PH", "PH", "PH", "PH", "TH", "CO", "DO")
FAMILY_COUNTRIES = ("PH", "PH", "PH", "MX", "VN", "IN", "TH", "CO", "DO", "ID")
NOISE_COUNTRIES = ("US", "GB", "DE", "FR", "AU", "CA", "PH", "MX", "IN", "NL", "SG", "TH", "IT")
USD_TO = {"USD": 1.0, "EUR": 0.92, "AUD": 1.5, "GBP": 0.79, "CAD": 1.35, "NZD": 1.64}

SYL = ("ka", "lo", "mi", "ren", "to", "sa", "vel", "dor", "an", "bri", "cel", "fa", "gor", "hal", "is",
       "jun", "ker", "lin", "mar", "nor", "os", "pel", "quin", "ros", "sol", "tam", "ul", "var", "wen", "yor")
BENIGN = ("school fees", "medical", "family support", "for school", "allowance", "help", "medicine", "tuition")
NEUTRAL = ("", "", "payment", "thanks", "transfer", "")
NOISE_REFS = ("invoice", "rent", "loan", "gift", "", "thanks", "dinner", "tickets", "deposit", "repair")
START = datetime(2024, 1, 1, tzinfo=UTC)


def _name(rng: random.Random, family: str | None = None) -> tuple[str, str]:
    first = "".join(rng.choice(SYL) for _ in range(2)).capitalize()
    last = family or "".join(rng.choice(SYL) for _ in range(3)).capitalize()
    return f"{first} {last}", last


def _phone(rng: random.Random, region: str, used: set[str]) -> str:
    base = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert base is not None, region
    nsn = str(base.national_number)
    while True:
        digits = nsn[:-6] + "".join(rng.choice("0123456789") for _ in range(6))
        num = phonenumbers.parse(f"+{base.country_code}{digits}")
        if phonenumbers.is_valid_number(num):
            e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in used:
                used.add(e164)
                return e164


def _national(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


@dataclass
class Person:
    name: str
    family: str
    country: str
    phone: str
    currency: str = "USD"

    def local(self, cfg: MoneyConfig) -> Any:
        return zone(phone_zone(self.phone) or country_zone(self.country, cfg) or "UTC")


@dataclass
class TransferCorpus:
    transfers: list[dict[str, Any]] = field(default_factory=list)   # TRANSACTION_FIELDS rows
    chats: list[dict[str, Any]] = field(default_factory=list)       # chats records (timestamp, phone, ...)
    truth: dict[str, str] = field(default_factory=dict)             # beneficiary phone (E.164) -> kind
    senders_truth: dict[str, str] = field(default_factory=dict)     # sender phone -> kind


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cfg = MoneyConfig()
        self.used: set[str] = set()
        self.out = TransferCorpus()

    def person(self, countries: dict[str, str] | tuple[str, ...], family: str | None = None) -> Person:
        country = self.rng.choice(list(countries))
        currency = countries[country] if isinstance(countries, dict) else "USD"
        name, last = _name(self.rng, family)
        return Person(name, last, country, _phone(self.rng, country, self.used), currency)

    def at_local_hour(self, p: Person, day: datetime, hours: tuple[int, int]) -> datetime:
        local = day.astimezone(p.local(self.cfg)).replace(hour=0, minute=0, second=0, microsecond=0)
        h = self.rng.randrange(*hours) % 24
        return (local + timedelta(hours=h, minutes=self.rng.randrange(60))).astimezone(UTC)

    def emit(self, s: Person, b: Person, ts: datetime, amount: float, reference: str,
             channel: str = "remittance") -> None:
        rng = self.rng
        n = len(self.out.transfers) + 1
        row = {
            "record_id": f"T{n:07d}", "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "amount": f"{amount:.2f}", "currency": s.currency, "reference": reference, "channel": channel,
            "sender_name": s.name, "sender_phone": s.phone if rng.random() < 0.8 else _national(s.phone),
            "sender_country": s.country, "beneficiary_name": b.name,
            "beneficiary_phone": b.phone if rng.random() < 0.8 else _national(b.phone),
            "beneficiary_country": b.country,
        }
        self.out.transfers.append({k: v for k, v in row.items() if v != ""})

    def chat(self, s: Person, ts: datetime) -> None:
        n = len(self.out.chats) + 1
        self.out.chats.append({"record_id": f"C{n:06d}", "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                               "name": s.name, "phone": s.phone, "country": s.country, "platform": "skype",
                               "username": f"user{n:06d}"})

    def small(self, cur: str, round_p: float) -> float:
        usd = self.rng.choice((20, 30, 40, 50, 50, 60, 80, 100, 100, 120, 150))
        value = usd * USD_TO.get(cur, 1.0)
        if self.rng.random() < round_p:
            return max(10.0, round(value / 10) * 10)
        return round(value * self.rng.uniform(0.85, 1.15), 2)


def _facilitator(g: _Gen) -> None:
    rng = g.rng
    b = g.person(FACILITATOR_COUNTRIES)
    g.out.truth[b.phone] = "facilitator"
    p_night, p_benign, round_p = rng.uniform(0.3, 0.95), rng.uniform(0.2, 0.9), rng.uniform(0.3, 0.9)
    p_chat = rng.choice((0.0, 0.3, 0.6, 0.9))
    for _ in range(rng.randint(3, 9)):
        s = g.person(SENDER_COUNTRIES)
        g.out.senders_truth[s.phone] = "facilitator_customer"
        first = START + timedelta(days=rng.randrange(120))
        chats = rng.random() < p_chat
        for k in range(rng.randint(2, 7)):
            day = first + timedelta(days=k * rng.randint(2, 10))
            hours = (22, 29) if rng.random() < p_night else (9, 21)
            ts = g.at_local_hour(s, day, hours)
            ref = rng.choice(BENIGN) if rng.random() < p_benign else rng.choice(NEUTRAL)
            g.emit(s, b, ts, g.small(s.currency, round_p), ref)
            if chats:
                g.chat(s, ts + timedelta(minutes=rng.randint(-40, 60)))
        if rng.random() < 0.1:
            shop = Person("ScreenCap Recorder Pro", "shop", s.country, _phone(rng, s.country, g.used), s.currency)
            g.emit(s, shop, g.at_local_hour(s, first, (10, 18)), 49.0, "screen recorder licence", "card")


def _family(g: _Gen) -> None:
    rng = g.rng
    b = g.person(FAMILY_COUNTRIES)
    g.out.truth[b.phone] = "family"
    senders = [g.person(MIGRANT_COUNTRIES, b.family)]
    if rng.random() < 0.3:
        senders.append(g.person({senders[0].country: senders[0].currency}, b.family))
    for s in senders:
        g.out.senders_truth[s.phone] = "family"
    every = rng.choice((7, 7, 14, 14, 30, 30, 30))
    base = rng.choice((50, 80, 100, 120, 150, 200, 300, 500)) * USD_TO.get(senders[0].currency, 1.0)
    if rng.random() < 0.5:
        base = round(base / 10) * 10
    ref = rng.choice(("family support", "allowance", "for school", "", "support", "monthly"))
    hours = (21, 27) if rng.random() < 0.1 else (8, 20)  # some send after a night shift
    day = START + timedelta(days=rng.randrange(30))
    end = day + timedelta(days=rng.randint(150, 360))
    i = 0
    while day < end:
        s = senders[i % len(senders)]
        amount = base if rng.random() < 0.7 else round(base * rng.uniform(0.95, 1.05), 2)
        g.emit(s, b, g.at_local_hour(s, day, hours), amount, ref)
        day += timedelta(days=every + rng.choice((-1, 0, 0, 0, 1)))
        i += 1


def _seller(g: _Gen) -> None:
    rng = g.rng
    b = g.person(("PH", "TH"))
    g.out.truth[b.phone] = "seller"
    for _ in range(rng.randint(8, 25)):
        s = g.person(SENDER_COUNTRIES)
        day = START + timedelta(days=rng.randrange(300))
        for _k in range(rng.randint(1, 2)):
            amount = round(rng.uniform(12, 140), 2) - 0.01
            g.emit(s, b, g.at_local_hour(s, day, (9, 21)), amount, f"order {rng.randint(10000, 99999)}", "card")
            day += timedelta(days=rng.randint(5, 60))


def _noise(g: _Gen, pool: list[Person]) -> None:
    rng = g.rng
    b = g.person(NOISE_COUNTRIES)
    g.out.truth[b.phone] = "noise"
    for _ in range(rng.randint(1, 4)):
        s = rng.choice(pool)
        ts = START + timedelta(days=rng.randrange(360), minutes=rng.randrange(1440))
        amount = round(10 ** rng.uniform(1, 3.5), rng.choice((0, 2)))
        g.emit(s, b, ts, amount, rng.choice(NOISE_REFS), rng.choice(("bank", "card", "remittance")))


def generate_transfers(n_beneficiaries: int = 500, seed: int = 7, facilitator_share: float = 0.01,
                       family_share: float = 0.2, seller_share: float = 0.02) -> TransferCorpus:
    """About ``n_beneficiaries`` beneficiaries of the four kinds (at least one facilitator unless the share is 0)."""
    g = _Gen(seed)
    n_fac = max(1 if facilitator_share > 0 else 0, round(n_beneficiaries * facilitator_share))
    n_fam = round(n_beneficiaries * family_share)
    n_sel = round(n_beneficiaries * seller_share)
    n_noise = max(0, n_beneficiaries - n_fac - n_fam - n_sel)
    pool = [g.person(NOISE_COUNTRIES) for _ in range(max(10, n_noise // 2))]
    kinds = ["f"] * n_fac + ["m"] * n_fam + ["s"] * n_sel + ["n"] * n_noise
    g.rng.shuffle(kinds)
    for k in kinds:
        {"f": lambda: _facilitator(g), "m": lambda: _family(g), "s": lambda: _seller(g),
         "n": lambda: _noise(g, pool)}[k]()
    return g.out


def _phone_parts(raw: str) -> tuple[str, str]:
    """``(country prefix, number)`` as goAML writes phones; a national number keeps no prefix."""
    if raw.startswith("+"):
        num = phonenumbers.parse(raw)
        return str(num.country_code), str(num.national_number)
    return "", raw


def write_goaml(rows: list[dict[str, Any]], path: Path, entity_id: str = "9999") -> Path:
    """A goAML report holding ``rows`` (TRANSACTION_FIELDS) as bi-party transactions between persons."""
    root = ET.Element("report")
    for tag, text in (("rentity_id", entity_id), ("submission_code", "E"), ("report_code", "STR"),
                      ("submission_date", "2025-01-15T00:00:00"), ("currency_code_local", "USD"),
                      ("reason", "Synthetic test report")):
        ET.SubElement(root, tag).text = text

    def person(parent: ET.Element, tag: str, row: dict[str, Any], side: str) -> None:
        p = ET.SubElement(parent, tag)
        first, _, last = str(row.get(f"{side}_name", "")).partition(" ")
        ET.SubElement(p, "first_name").text = first
        ET.SubElement(p, "last_name").text = last
        if row.get(f"{side}_phone"):
            prefix, number = _phone_parts(str(row[f"{side}_phone"]))
            ph = ET.SubElement(ET.SubElement(p, "phones"), "phone")
            ET.SubElement(ph, "tph_contact_type").text = "2"
            ET.SubElement(ph, "tph_communication_type").text = "M"
            if prefix:
                ET.SubElement(ph, "tph_country_prefix").text = prefix
            ET.SubElement(ph, "tph_number").text = number
        if row.get(f"{side}_country"):
            addr = ET.SubElement(ET.SubElement(p, "addresses"), "address")
            ET.SubElement(addr, "address_type").text = "1"
            ET.SubElement(addr, "city").text = str(row.get(f"{side}_city") or "")
            ET.SubElement(addr, "country_code").text = str(row[f"{side}_country"])

    for row in rows:
        tx = ET.SubElement(root, "transaction")
        ET.SubElement(tx, "transactionnumber").text = str(row["record_id"])
        ET.SubElement(tx, "transaction_description").text = str(row.get("reference", ""))
        ET.SubElement(tx, "date_transaction").text = str(row.get("timestamp", ""))
        ET.SubElement(tx, "transmode_code").text = str(row.get("channel", ""))
        ET.SubElement(tx, "amount_local").text = str(row.get("amount", ""))
        src = ET.SubElement(tx, "t_from_my_client")
        ET.SubElement(src, "from_funds_code").text = "K"
        fx = ET.SubElement(src, "from_foreign_currency")
        ET.SubElement(fx, "foreign_currency_code").text = str(row.get("currency", ""))
        ET.SubElement(fx, "foreign_amount").text = str(row.get("amount", ""))
        person(src, "from_person", row, "sender")
        ET.SubElement(src, "from_country").text = str(row.get("sender_country", ""))
        dst = ET.SubElement(tx, "t_to")
        ET.SubElement(dst, "to_funds_code").text = "K"
        person(dst, "to_person", row, "beneficiary")
        ET.SubElement(dst, "to_country").text = str(row.get("beneficiary_country", ""))
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def write_chats_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    """Chat sessions as JSON lines (one session per line: record_id, timestamp, name, phone, ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")
    return path
