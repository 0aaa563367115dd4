"""Dates and timestamps in whatever form a source wrote them, to one ISO form.

Day-first is the rule for ``03/04/1985`` (most of the world writes it so); a mapping can say
``dayfirst: false`` and a record whose country writes month first (US and a few others) is
read month-first. A day above 12 settles it either way.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from dateutil import parser as dtparser

MONTH_FIRST = frozenset({"US", "PH", "FM", "MH", "PW", "BZ", "GU", "PR", "AS", "VI", "MP", "UM"})
_EPOCH = re.compile(r"^\d{10}(\d{3})?(\.\d+)?$")
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)


def dayfirst_for(country: str | None, default: bool = True) -> bool:
    return False if country and country.upper() in MONTH_FIRST else default


def _parse(raw: str, dayfirst: bool) -> datetime | None:
    text = raw.strip()
    if not text:
        return None
    if _EPOCH.match(text):
        secs = float(text) / (1000 if len(text.split(".")[0]) == 13 else 1)
        return datetime.fromtimestamp(secs, UTC)
    try:
        return dtparser.parse(text, dayfirst=dayfirst, yearfirst=bool(re.match(r"^\d{4}", text)))
    except (ValueError, OverflowError, TypeError):
        return None


def parse_date(raw: object, dayfirst: bool = True) -> str | None:
    """``YYYY-MM-DD`` or ``None``; a date of birth before 1900 or in the future is not a date of birth."""
    if isinstance(raw, datetime):
        d = raw.date()
    elif isinstance(raw, date):
        d = raw
    elif isinstance(raw, (int, float)) and 1 < raw < 80000:  # a spreadsheet serial day number
        d = (_EXCEL_EPOCH + timedelta(days=float(raw))).date()
    else:
        parsed = _parse(str(raw), dayfirst)
        if parsed is None:
            return None
        d = parsed.date()
    if d.year < 1900 or d > datetime.now(UTC).date():
        return None
    return d.isoformat()


def parse_timestamp(raw: object, dayfirst: bool = True) -> str | None:
    """ISO 8601; converted to UTC when the source gave a zone, left as written when it did not."""
    if isinstance(raw, datetime):
        ts = raw
    elif isinstance(raw, date):
        ts = datetime(raw.year, raw.month, raw.day)
    else:
        parsed = _parse(str(raw), dayfirst)
        if parsed is None:
            return None
        ts = parsed
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
        return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ts.strftime("%Y-%m-%dT%H:%M:%S")
