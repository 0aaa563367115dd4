"""One small abstract class per record kind: an importer parses a file into ``(source_id, fields)``
rows and warnings; it never touches storage (plaso style), so a bad row is a warning tied to its
row reference and the caller decides what to store."""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tasman.core.errors import InputError, NotFoundError
from tasman.extract.identifiers import clean_country, platform_problem
from tasman.records.mapping import Mapping


@dataclass
class Parsed:
    kind: str
    source: str
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # "source#ref: reason"
    total: int = 0        # rows (or lines, reports, sessions) read
    skipped: int = 0      # of which not imported
    mapping: Mapping | None = None
    notes: list[str] = field(default_factory=list)

    def warn(self, ref: object, reason: str) -> None:
        self.warnings.append(f"{self.source}#{ref}: {reason}")

    def skip(self, ref: object, reason: str) -> None:
        self.skipped += 1
        self.warn(ref, f"{reason}: skipped")


@dataclass
class Options:
    mapping: Mapping | None = None
    source: str | None = None  # the source name to store (default: the file name)


class Importer(ABC):
    kind: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def parse(self, path: Path, options: Options) -> Parsed:
        """Read ``path``; raise InputError only when nothing of it can be used."""

    @staticmethod
    def read_source(path: Path, options: Options) -> tuple[bytes, str]:
        """The file's bytes and the source name to store; a missing or empty file is refused."""
        if not path.is_file():
            raise NotFoundError(f"no such file {str(path)!r}")
        data = path.read_bytes()
        source = options.source or path.name
        if not data.strip():
            raise InputError(f"{source} is empty: nothing imported")
        return data, source


def country_code(raw: object) -> str | None:
    """ISO 3166 alpha-2 of a country as written, or ``None``. Blank and punctuation-only values
    are no country (the shared cleaner maps an empty name to a country)."""
    text = "" if raw is None else str(raw).strip()
    if sum(c.isalpha() for c in text) < 2:
        return None
    ident = clean_country(text)
    return ident.value if ident else None


def checked_platform(raw: object, out: Parsed, ref: object) -> str:
    """A platform name as given, or "" with a warning on the row when it cannot be one (control
    characters, over 64 characters): the row is kept, its screen name without a platform."""
    if raw is None or raw == "":
        return ""
    text = str(raw)
    problem = platform_problem(text)
    if problem is not None:
        out.warn(ref, f"platform {text[:40]!r} {problem}: refused, the screen name is kept without a platform")
        return ""
    return clean_text(text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: object) -> str:
    """Trimmed, NFC, control characters removed: a value as the source meant it."""
    text = value if isinstance(value, str) else str(value)
    return unicodedata.normalize("NFC", _CONTROL.sub("", text)).strip()


def plausible(field_name: str, value: str) -> bool:
    """Does ``value`` look like something a person could be identified by? (cheap: garbage rows only)"""
    letters = sum(c.isalpha() for c in value)
    digits = sum(c.isdigit() for c in value)
    if field_name in ("name", "first_name", "last_name", "sender_name", "beneficiary_name"):
        return letters >= 2 and letters >= 0.6 * len(value.replace(" ", ""))
    if field_name.endswith("email"):
        return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))
    if field_name.endswith("phone"):
        return 6 <= digits <= 17 and digits >= 0.6 * len(re.sub(r"[\s().+-]", "", value) or "x")
    if field_name == "ip":
        return bool(re.fullmatch(r"[0-9a-fA-F:.]{3,45}", value)) and digits > 0
    return letters + digits >= 3 and (letters + digits) >= 0.5 * len(value)


_NUM = re.compile(r"-?\d[\d.,' ]*")
_CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₱": "PHP", "₹": "INR", "₽": "RUB", "₩": "KRW",
                   "₺": "TRY", "R$": "BRL", "A$": "AUD", "C$": "CAD", "CHF": "CHF"}


def parse_amount(raw: str) -> tuple[str, str | None] | None:
    """``("1234.56", currency or None)`` from '1.234,56 €', '$1,234.56', '12,50', 'EUR 12.50'."""
    text = raw.strip()
    cur = None
    for sign, code in sorted(_CURRENCY_SIGNS.items(), key=lambda kv: -len(kv[0])):
        if sign in text:
            cur = code
            text = text.replace(sign, " ")
            break
    m3 = re.search(r"\b([A-Z]{3})\b", text)
    if m3 and cur is None:
        cur = m3.group(1)
        text = text.replace(m3.group(1), " ")
    m = _NUM.search(text)
    if not m or re.search(r"[A-Za-z]", text.replace(m.group(0), "")):
        return None
    num = m.group(0).strip().replace(" ", "").replace("'", "")
    if "," in num and "." in num:
        dec = "," if num.rfind(",") > num.rfind(".") else "."
        num = num.replace("." if dec == "," else ",", "").replace(",", ".")
    elif "," in num:
        frac = num.rpartition(",")[2]
        num = num.replace(",", ".") if num.count(",") == 1 and len(frac) != 3 else num.replace(",", "")
    elif num.count(".") > 1:
        num = num.replace(".", "")
    try:
        value = float(num)
    except ValueError:
        return None
    return (f"{value:.2f}", cur)
