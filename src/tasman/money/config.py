"""Settings of a money analysis: risk corridors, bands, keywords, weights and the alert rule.

The defaults are the documented starting point (docs/money.md cites the public FIU
publications they come from); a unit overrides any part with a YAML file, and the settings
actually used are saved with every run so a result can be reproduced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tasman.core.errors import InputError, reason

# Receiving jurisdictions named by FINTRAC's 2020 operational alert (its top ten, less the US and
# Russia, whose volume says little), the Philippines throughout AUSTRAC's 2019 indicators and the
# AMLC studies, Mexico from FINTRAC's update. See docs/money.md.
DEFAULT_RISK_COUNTRIES = ("PH", "TH", "CO", "DO", "MX", "RO", "UA", "GH", "JM")

BENIGN_WORDS = (
    "school", "tuition", "schooling", "medical", "medicine", "hospital", "doctor", "family support",
    "family", "support", "allowance", "help", "gift", "food", "groceries", "rent", "bills", "load",
    "birthday", "assistance", "for the kids", "baby", "milk", "uniform",
)
CAPTURE_WORDS = ("screen recorder", "screen capture", "screen recording", "capture software", "bandicam",
                 "camtasia", "obs studio", "recorder pro", "webcam recorder", "video capture")
TRAVEL_WORDS = ("airline", "airways", "air ticket", "flight", "airfare", "hotel", "travel agency",
                "booking", "resort", "hostel", "visa fee")

# Approximate rates to USD: enough to place an amount in or out of a 10-200 band, not accounting.
USD_RATES = {
    "USD": 1.0, "EUR": 1.08, "AUD": 0.66, "GBP": 1.27, "CAD": 0.74, "NZD": 0.61, "CHF": 1.13,
    "SEK": 0.096, "NOK": 0.094, "DKK": 0.145, "JPY": 0.0067, "SGD": 0.74, "HKD": 0.128,
    "PHP": 0.018, "THB": 0.028, "COP": 0.00025, "DOP": 0.017, "MXN": 0.055, "RON": 0.22,
    "UAH": 0.026, "GHS": 0.08, "JMD": 0.0064, "IDR": 0.000063, "VND": 0.00004, "KHR": 0.00025,
    "INR": 0.012, "SAR": 0.27, "AED": 0.27, "KRW": 0.00075, "CNY": 0.14, "BRL": 0.2,
}

# Countries spanning several time zones: the zone used for "night in the sender's time zone"
# when the sender's phone does not pin one down (the most populous zone).
PRIMARY_ZONES = {
    "US": "America/New_York", "CA": "America/Toronto", "AU": "Australia/Sydney", "RU": "Europe/Moscow",
    "BR": "America/Sao_Paulo", "MX": "America/Mexico_City", "ID": "Asia/Jakarta", "NZ": "Pacific/Auckland",
    "GB": "Europe/London", "ES": "Europe/Madrid", "PT": "Europe/Lisbon", "DE": "Europe/Berlin",
    "FR": "Europe/Paris", "NL": "Europe/Amsterdam", "CN": "Asia/Shanghai", "KZ": "Asia/Almaty",
    "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "EC": "America/Guayaquil",
    "UA": "Europe/Kyiv", "MY": "Asia/Kuala_Lumpur",
}

# Weights (points at full strength). Mitigating indicators are negative. No weight reaches the
# threshold, and an alert needs ``min_indicators`` positive indicators besides.
DEFAULT_WEIGHTS = {
    "small_frequent_corridor": 3.0,
    "several_unrelated_senders": 3.0,
    "paid_by_several_subjects": 3.0,
    "several_risk_beneficiaries": 2.0,
    "night_transfers": 2.0,
    "timed_with_chats": 3.0,
    "benign_references": 1.0,
    "round_amounts": 1.0,
    "capture_or_travel_purchases": 2.0,
    "senders_buy_capture_or_travel": 1.0,
    "pays_alerted_beneficiary": 2.0,
    "regular_remittance": -2.0,
}


class Band(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    min: float = 10.0
    max: float = 200.0
    currencies: tuple[str, ...] = ("USD", "EUR", "AUD")  # the band applies as given in these


class MoneyConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    risk_countries: tuple[str, ...] = DEFAULT_RISK_COUNTRIES
    corridors: tuple[tuple[str, str], ...] = ()  # extra (sender country, beneficiary country) pairs
    band: Band = Band()
    usd_rates: dict[str, float] = Field(default_factory=lambda: dict(USD_RATES))
    frequent_min: int = 4          # small transfers within ...
    frequent_days: int = 30        # ... this many days make "frequent"
    unrelated_senders_min: int = 3
    subjects_min: int = 2
    risk_beneficiaries_min: int = 3
    night_start_hour: int = 22     # night = [start, end) in the sender's local time
    night_end_hour: int = 6
    night_share: float = 0.5
    chat_window_minutes: int = 120
    chat_share: float = 0.3
    benign_share: float = 0.5
    round_share: float = 0.6
    round_unit: float = 10.0
    regular_max_cv: float = 0.25   # coefficient of variation of gaps and amounts for "regular"
    benign_words: tuple[str, ...] = BENIGN_WORDS
    capture_words: tuple[str, ...] = CAPTURE_WORDS
    travel_words: tuple[str, ...] = TRAVEL_WORDS
    primary_zones: dict[str, str] = Field(default_factory=lambda: dict(PRIMARY_ZONES))
    naive_timezone: str = "UTC"    # how to read timestamps stored without an offset
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    threshold: float = 6.0
    min_indicators: int = 3

    @field_validator("risk_countries")
    @classmethod
    def _upper(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c.strip().upper() for c in v)

    @field_validator("corridors")
    @classmethod
    def _pairs(cls, v: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((a.strip().upper(), b.strip().upper()) for a, b in v)

    def weight(self, name: str) -> float:
        return float(self.weights.get(name, DEFAULT_WEIGHTS.get(name, 0.0)))

    def is_corridor(self, sender_country: str | None, beneficiary_country: str | None) -> bool:
        """Abroad into a risk country, or a listed pair."""
        if not beneficiary_country:
            return False
        if sender_country and (sender_country, beneficiary_country) in self.corridors:
            return True
        return beneficiary_country in self.risk_countries and sender_country != beneficiary_country


def load_config(path: Path | None) -> MoneyConfig:
    """Defaults, overridden key by key by the YAML file (``weights`` and ``usd_rates`` merge)."""
    if path is None:
        return MoneyConfig()
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read money config {str(path)!r}: {reason(exc)}") from exc
    if not isinstance(data, dict):
        raise InputError(f"money config {str(path)!r} is not a mapping")
    for key, default in (("weights", DEFAULT_WEIGHTS), ("usd_rates", USD_RATES), ("primary_zones", PRIMARY_ZONES)):
        if isinstance(data.get(key), dict):
            data[key] = {**default, **data[key]}
    try:
        return MoneyConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"money config {str(path)!r}: {where}: {first['msg']}") from exc
