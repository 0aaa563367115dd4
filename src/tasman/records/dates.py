"""Dates and timestamps in whatever form a source wrote them, to one ISO form.

A file is written by one program, so the order of ``03/04/1985`` is decided per column: a
mapping can say ``dayfirst``; otherwise the column's own values decide (a day above 12 in
first or second place), and only a column that never tells falls back to the record's
country (month-first in the US and a few others, day-first elsewhere).
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


_DMY = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}\b")


def detect_dayfirst(values: list[str]) -> bool | None:
    """How a column writes ``NN/NN/YYYY``: a day above 12 in first place says day-first, in
    second place month-first. ``None`` when the column never tells (every day <= 12)."""
    day = month = 0
    for v in values:
        m = _DMY.match(v)
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            day += 1
        elif b > 12 >= a:
            month += 1
    if day == month:
        return None
    return day > month


def _parse(raw: str, dayfirst: bool) -> datetime | None:
    text = raw.strip()
    if not text:
        return None
    if _EPOCH.match(text):
        secs = float(text) / (1000 if len(text.split(".")[0]) == 13 else 1)
        return datetime.fromtimestamp(secs, UTC)
    year_first = bool(re.match(r"^\d{4}\D", text))
    if year_first:  # ISO 8601 and YYYY/MM/DD: the month always comes second
        try:
            return datetime.fromisoformat(text.replace("/", "-").replace(".", "-").replace(" ", "T", 1)
                                          .replace("Z", "+00:00"))
        except ValueError:
            pass
    try:
        return dtparser.parse(text, dayfirst=dayfirst and not year_first, yearfirst=year_first)
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
