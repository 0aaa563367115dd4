"""CSV/TSV: every cell; a row's own country column is the region for its national phone
numbers, and columns named like a typed field (email, phone, iban...) are cleaned as that type."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator

from tasman.extract.detectors.base import Found
from tasman.extract.identifiers import clean_country, clean_email, clean_iban, clean_ip, clean_phone
from tasman.extract.sources.base import Blob, Sighting, Source, TextUnit, Unit, Warn
from tasman.extract.sources.text import detect_encoding

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
MAX_CELL = 16 * 1024 * 1024
_COUNTRY_COLS = ("country", "country_code", "countrycode", "nation", "land", "pays", "pais")
_TYPED = {"email": clean_email, "e-mail": clean_email, "mail": clean_email, "iban": clean_iban, "ip": clean_ip,
          "ip_address": clean_ip}
_PHONE_COLS = ("phone", "telephone", "tel", "mobile", "cell", "msisdn", "phone_number")


class CsvSource(Source):
    name = "csv"

    def accepts(self, name: str, head: bytes) -> bool:
        return name.lower().endswith((".csv", ".tsv"))

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        with blob.open() as raw:
            head = raw.read(65536)
            encoding, skip = detect_encoding(head)
            sample = head[skip:16384].decode(encoding or "utf-8", "ignore")
            raw.seek(skip)
            stream = io.TextIOWrapper(raw, encoding=encoding or "utf-8", errors="replace", newline="")
            try:
                dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t|")
            except csv.Error:
                dialect = csv.excel_tab if blob.path.lower().endswith(".tsv") else csv.excel
            reader = csv.reader(stream, dialect)
            header: list[str] = []
            row_no = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    warn(blob.path, f"row {row_no + 1}: {exc}; rest of the file skipped")
                    break
                row_no += 1
                if row_no == 1 and any(c.strip().lower() in (*_COUNTRY_COLS, *_TYPED, *_PHONE_COLS, "name")
                                       for c in row):
                    header = [c.strip().lower() for c in row]
                    continue
                yield from self._row(row, header, row_no)

    def _row(self, row: list[str], header: list[str], row_no: int) -> Iterator[Unit]:
        region = None
        for col, cell in zip(header, row, strict=False):
            if col in _COUNTRY_COLS and (c := clean_country(cell)) is not None:
                region = c.value
        for i, cell in enumerate(row):
            if not cell.strip():
                continue
            col = header[i] if i < len(header) else str(i + 1)
            mid = f"row {row_no} col {col}"[:200]
            cleaner = _TYPED.get(col)
            ident = cleaner(cell) if cleaner else (clean_phone(cell, region) if col in _PHONE_COLS else None)
            if ident is not None:
                yield Sighting(Found(ident, cell[:200], 0, len(cell), f"{col}: {cell[:120]}", f"csv.{col}"),
                               message_id=mid)
            else:
                yield TextUnit(text=cell[:MAX_CELL], message_id=mid, region=region)
