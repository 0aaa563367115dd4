"""The identifier record every cleaner returns (re-exported by ``tasman.extract.identifiers``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from normality import ascii_text


class IdType(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    IP = "ip"
    URL = "url"
    DOMAIN = "domain"
    HANDLE = "handle"
    IBAN = "iban"
    CARD = "card"
    PAYPAL = "paypal"
    BTC = "btc"
    ETH = "eth"
    MTCN = "mtcn"
    COUNTRY = "country"
    CITY = "city"
    GPS = "gps"
    CAMERA = "camera"


@dataclass(frozen=True)
class Identifier:
    type: IdType
    value: str
    country: str | None = None  # ISO 3166-1 alpha-2 the value itself points to, if any
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def fold(text: str) -> str:
    """Unicode-folded, transliterated, lower-case, single-spaced: 'Jürgen  MÜLLER' -> 'jurgen muller'."""
    t = unicodedata.normalize("NFKC", text)
    t = ascii_text(t) or ""
    return " ".join(re.sub(r"[^\w\s'-]", " ", t).casefold().split())
