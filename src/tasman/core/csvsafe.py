"""CSV files a spreadsheet opens as data: the one CSV writer of Tasman's exports.

Names, messages, file paths and references in Tasman's CSVs come from seized data, records and
partners; a cell such as ``=HYPERLINK(...)`` would run as a formula when an analyst opens the
file in Excel, LibreOffice or Google Sheets (CSV injection). :func:`writer` wraps ``csv.writer``
and passes every cell through :func:`cell`, which writes a leading apostrophe before text that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or with the full-width
``＝ ＋ － ＠`` (OWASP, "CSV Injection"), so the spreadsheet shows it as text.

Numbers (ASCII digits only: to a spreadsheet ``-١٢٣`` is a formula), and ``;``-lists of numbers,
cannot be formulas and are left as they are so they stay usable: an amount ``-12.50``, an E.164
phone ``+639171234567`` or a list of them. Guarantee:
every CSV file Tasman writes as an export goes through :func:`writer`
(``tests/security/test_csv.py`` fails on a ``csv.writer`` anywhere else in ``src/tasman`` but
the synthetic-data generators, which write test inputs, not exports).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # ＝ ＋ － ＠
_NUMBERS = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:;[+-]?[0-9]+(?:\.[0-9]+)?)*")   # ASCII digits: \d is any script's


def cell(value: object) -> object:
    """``value`` as a CSV cell a spreadsheet will not run: None is empty, numbers stay numbers,
    text starting with a formula character gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(PREFIXES) and not _NUMBERS.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`cell`."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def writerow(self, row: Iterable[object]) -> Any:
        return self._inner.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: IO[str], **kwargs: Any) -> SafeWriter:
    """A CSV writer on ``fh`` (``csv.writer`` options as keywords) that escapes formulas."""
    return SafeWriter(csv.writer(fh, **kwargs))
