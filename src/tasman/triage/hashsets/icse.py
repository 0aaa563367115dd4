"""INTERPOL ICSE's hash export: a ';'-separated CSV, as Excel-minded exports write it, with what
sets it apart from a plain CSV list:

- an optional first line ``sep=;`` (Excel's delimiter hint; the delimiter it names is used);
- an optional UTF-8 byte-order mark, before ``sep=`` or before the header;
- a header naming the hash columns (``MD5``, ``SHA1``, ``SHA256``, or ``Hash`` with ``Hash
  type``) and ICSE's own: a ``Baseline`` flag (INTERPOL's baseline: yes/no, true/false, 1/0)
  read as the category in the ``baseline`` scheme (this format's default) where no
  ``Category`` column is given, the others (``ICSE ID``, ``Series``, ``File name``, ...) kept
  with each entry.

No public specification of the export was found (docs/triage-hashsets.md says so): this is the
most plausible shape, and a file that differs reads as ``csv`` once its ``sep=`` line is gone.

A row with fewer fields than the header is reported with its line and skipped (a file cut off
mid-row: "truncated"), never read with its columns shifted; a quoted field left open at the end
(or a stray quote) ends the import with the line the reader had reached ("unexpected end of data")."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar

from tasman.triage.hashsets.base import MAX_LINE, Entry, HashSetFormat, head_lines
from tasman.triage.hashsets.csvlist import HASH_FIELDS, Columns, _fields, _lines_without_nul, _norm, _RowBudget

SEP_LINE = re.compile(r"^\s*sep\s*=\s*(.)\s*$", re.I)
BASELINE = ("baseline", "interpolbaseline", "isbaseline", "baselinematerial")
ICSE_COLUMNS = {*BASELINE, "icseid", "icsemediaid", "icseseries", "series", "seriesname", "victimidentified"}


def _header(lines: list[str]) -> tuple[str, str] | None:
    """(delimiter, header line) of the first lines of a file, or None."""
    if not lines:
        return None
    m = SEP_LINE.match(lines[0])
    if m:
        return (m.group(1), lines[1]) if len(lines) > 1 else None
    return ";", lines[0]


def _truthy(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("yes", "y", "true", "1", "x", "baseline"):
        return True
    if v in ("no", "n", "false", "0", ""):
        return False
    return None


class IcseFormat(HashSetFormat):
    name = "icse"
    description = "INTERPOL ICSE hash export (';'-separated CSV, optional 'sep=;' line and BOM)"
    default_scheme: ClassVar[str] = "baseline"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        found = _header(head_lines(head, 3))
        if found is None:
            return False
        delimiter, line = found
        header = next(csv.reader([line], delimiter=delimiter), [])
        if not set(_fields(header).values()) & {*HASH_FIELDS, "hash"}:
            return False
        named = {_norm(h) for h in header}
        return bool(SEP_LINE.match(head_lines(head, 1)[0])) or (delimiter == ";" and (
            bool(named & ICSE_COLUMNS) or "icse" in filename.lower()))

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        first = text.readline(MAX_LINE + 1)
        number = 1
        m = SEP_LINE.match(first.lstrip("\ufeff"))
        delimiter = ";"
        if m:
            delimiter = m.group(1)
            first = text.readline(MAX_LINE + 1).lstrip("\ufeff")
            number = 2
        if len(first) > MAX_LINE:
            raise ValueError(f"line {number}: the header is longer than {MAX_LINE:,} characters")
        header = next(csv.reader([first], delimiter=delimiter), [])
        fields = _fields(header)
        if not (set(fields.values()) & set(HASH_FIELDS)) and not {"hash_type", "hash"} <= set(fields.values()):
            raise ValueError(f"line {number}: the header {first.strip()[:120]!r} names no MD5, SHA1, SHA256 "
                             f"or Hash column (an ICSE hash export has one)")
        baseline = next((i for i, h in enumerate(header) if _norm(h) in BASELINE), None)
        others = {i: h.strip() for i, h in enumerate(header) if i not in fields and i != baseline and h.strip()}
        columns = Columns(fields, others)
        budget = _RowBudget()
        reader = csv.reader((budget.take(line) for line in _lines_without_nul(text, self.warn, number)),
                            delimiter=delimiter, strict=True)
        try:
            yield from self._entries(reader, columns, len(header), baseline, number, budget)
        except csv.Error as exc:
            raise ValueError(f"line {reader.line_num + number}: {exc}") from None
        text.detach()

    def _entries(self, reader: Any, columns: Columns, width: int, baseline: int | None,
                 header_line: int, budget: _RowBudget) -> Iterator[Entry]:
        for row in reader:
            budget.pending = 0
            where = f"line {reader.line_num + header_line}"
            if not any(v.strip() for v in row):
                continue
            if len(row) < width:
                self.warn(where, f"{len(row)} of {width} fields: truncated row skipped")
                continue
            try:
                entry = columns.entry(row)
            except ValueError as exc:
                self.warn(where, str(exc))
                continue
            if entry is None:
                self.warn(where, "no hash in this row")
                continue
            if baseline is not None and entry.category is None:
                flag = _truthy(row[baseline])
                if flag is None:
                    self.warn(where, f"baseline {row[baseline].strip()[:20]!r} is not yes or no")
                elif flag:
                    entry = entry._replace(category="baseline")
            yield entry
