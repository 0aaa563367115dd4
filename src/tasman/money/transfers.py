"""Transfers as the analysis sees them: stored ``transactions`` records with typed identifiers.

Each side's phone is cleaned to E.164 with that side's own country as the region for national
numbers, countries become ISO codes from any spelling, IBANs are compacted, names are folded.
A record the analysis cannot use (no amount, no parties) becomes a warning, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasman.extract.identifiers import clean_country, clean_email, clean_iban, clean_phone, fold
from tasman.money.config import MoneyConfig


@dataclass(frozen=True)
class Side:
    """One party of a transfer as written on the record."""

    name: str = ""
    folded: str = ""
    phone: str | None = None
    phone_country: str | None = None
    email: str | None = None
    account: str | None = None
    city: str = ""
    country: str | None = None

    def strong_keys(self) -> tuple[str, ...]:
        """Identifiers that name one person: a shared one means the same party."""
        keys = []
        if self.account:
            keys.append(f"account:{self.account}")
        if self.phone:
            keys.append(f"phone:{self.phone}")
        if self.email:
            keys.append(f"email:{self.email.lower()}")
        return tuple(keys)

    @property
    def name_key(self) -> str | None:
        return f"name:{self.folded}|{self.country or ''}" if self.folded else None


@dataclass
class Transfer:
    ref: str                      # "source#source_id", how records are cited everywhere
    record_id: int | None
    ts: datetime | None           # aware; None when the record has no usable date
    has_time: bool                # False for date-only records (no night or chat timing)
    amount: float
    currency: str | None
    amount_usd: float | None
    reference: str
    channel: str
    sender: Side
    beneficiary: Side
    sender_party: str = ""        # filled by party resolution
    beneficiary_party: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")


def parse_amount(raw: Any) -> float | None:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    text = str(raw or "").strip().replace(",", "").replace(" ", "")
    return float(text) if _AMOUNT.match(text) else None


def parse_timestamp(raw: Any, naive_tz: str = "UTC") -> tuple[datetime | None, bool]:
    """``(aware datetime, has a time of day)``; naive values are read in ``naive_tz``."""
    text = str(raw or "").strip()
    if not text:
        return None, False
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, False
    has_time = "T" in text or " " in text.strip()
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=zone(naive_tz) or UTC)
    return ts, has_time


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


_ACCOUNT_JUNK = re.compile(r"[\s\-./]")


def clean_account(raw: str) -> str | None:
    """IBAN in compact form when it is one, else the account number without separators."""
    text = raw.strip()
    if not text:
        return None
    iban = clean_iban(text)
    if iban is not None:
        return iban.value
    compact = _ACCOUNT_JUNK.sub("", text).upper()
    return compact if len(compact) >= 4 else None


def make_side(fields: Mapping[str, Any], prefix: str) -> Side:
    def get(name: str) -> str:
        v = fields.get(f"{prefix}_{name}")
        return "" if v is None else str(v).strip()

    return _side(get("name"), get("phone"), get("email"), get("account"), get("city"), get("country"))


@lru_cache(maxsize=65536)
def _side(name: str, phone: str, email: str, account: str, city: str, country_raw: str) -> Side:
    # The same party recurs on many records: clean each spelling once.
    country_id = clean_country(country_raw) if country_raw else None
    country = country_id.value if country_id else None
    phone_id = clean_phone(phone, country) if phone else None
    email_id = clean_email(email) if email else None
    return Side(
        name=name, folded=fold(name) if name else "",
        phone=phone_id.value if phone_id else None, phone_country=phone_id.country if phone_id else None,
        email=email_id.value if email_id else None, account=clean_account(account),
        city=city, country=country or (phone_id.country if phone_id else None),
    )


def to_usd(amount: float, currency: str | None, cfg: MoneyConfig) -> float | None:
    if currency is None:
        return None
    rate = cfg.usd_rates.get(currency.upper())
    return None if rate is None else amount * rate


def band_amount(t: Transfer, cfg: MoneyConfig) -> float | None:
    """The amount to compare with the small-transfer band: as given in a band currency, else in USD."""
    if t.currency and t.currency.upper() in cfg.band.currencies:
        return t.amount
    return t.amount_usd


def to_transfer(ref: str, record_id: int | None, fields: Mapping[str, Any], cfg: MoneyConfig) -> Transfer | str:
    """A :class:`Transfer`, or the reason the record cannot be used."""
    amount = parse_amount(fields.get("amount"))
    if amount is None:
        return f"{ref}: no usable amount ({fields.get('amount')!r})"
    sender, beneficiary = make_side(fields, "sender"), make_side(fields, "beneficiary")
    if not (sender.strong_keys() or sender.folded) or not (beneficiary.strong_keys() or beneficiary.folded):
        return f"{ref}: sender or beneficiary has no name, phone, email or account"
    ts, has_time = parse_timestamp(fields.get("timestamp"), cfg.naive_timezone)
    currency = str(fields.get("currency") or "").strip().upper() or None
    return Transfer(ref=ref, record_id=record_id, ts=ts, has_time=has_time, amount=abs(amount), currency=currency,
                    amount_usd=to_usd(abs(amount), currency, cfg), reference=str(fields.get("reference") or ""),
                    channel=str(fields.get("channel") or ""), sender=sender, beneficiary=beneficiary)


def to_transfers(rows: Iterable[tuple[str, int | None, Mapping[str, Any]]], cfg: MoneyConfig
                 ) -> tuple[list[Transfer], list[str]]:
    transfers: list[Transfer] = []
    warnings: list[str] = []
    for ref, rid, fields in rows:
        t = to_transfer(ref, rid, fields, cfg)
        if isinstance(t, str):
            warnings.append(t)
        else:
            transfers.append(t)
    return transfers, warnings
