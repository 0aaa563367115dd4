"""Reading CSV, TSV and XLSX tables as delivered: unknown delimiters, legacy or mixed encodings.

A line that is not UTF-8 is decoded with the legacy code page charset-normalizer detects in
the file's non-UTF-8 lines (cp1252 when it cannot tell) and reported, so a file half written
by one program and half by another still reads, and the analyst knows which rows to check.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from tasman.core.errors import InputError, NotFoundError

DELIMITERS = ",;\t|"
csv.field_size_limit(10 * 1024 * 1024)


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (spreadsheet row number: the header is row 1, values)
    warnings: list[str] = field(default_factory=list)  # "#row: reason" (the caller prefixes the source)
    delimiter: str | None = None
    encoding: str | None = None


def decode_lines(data: bytes) -> tuple[str, str, list[tuple[int, str]]]:
    """Text of ``data``, the main encoding, and ``(line, encoding)`` for every line not in it."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[2:].decode(enc, errors="replace"), enc.replace("-le", "").replace("-be", ""), []
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    bad = [ln for ln in lines if not _is_utf8(ln)]
    legacy = legacy_encoding(b"\n".join(bad))
    if not any(_is_utf8(ln) and not ln.isascii() for ln in lines):
        # every line with accents is in the legacy code page: the file is, one note for all of it
        return data.decode(legacy, errors="replace"), legacy, [(0, legacy)]
    out, odd = [], []
    for i, ln in enumerate(lines, start=1):
        if _is_utf8(ln):
            out.append(ln.decode("utf-8"))
        else:
            out.append(ln.decode(legacy, errors="replace"))
            odd.append((i, legacy))
    return "\n".join(out), "utf-8", odd


def legacy_encoding(sample: bytes) -> str:
    """The code page of non-UTF-8 bytes. Short samples fit several code pages equally well;
    among the equally good, Windows-1252 (Western Europe, the Americas) is taken, and a mapping
    file's ``encoding:`` settles any other case."""
    matches = [m for m in from_bytes(sample) if m.encoding not in ("utf_8", "ascii")]
    if not matches:
        return "cp1252"
    best = min(m.chaos for m in matches)
    tied = [m.encoding for m in matches if m.chaos <= best]
    return "cp1252" if "cp1252" in tied else tied[0]


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(text: str, suffix: str) -> str:
    sample_lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not sample_lines:
        return "\t" if suffix == ".tsv" else ","
    sample = "\n".join(sample_lines)
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found:
        return found
    # The sniffer gives up on ragged files: take the candidate splitting the header into most columns
    # that the next lines agree with.
    def score(d: str) -> tuple[int, int]:
        counts = [ln.count(d) for ln in sample_lines]
        return (sum(1 for c in counts if c == counts[0]) if counts[0] else 0, counts[0])
    best = max(DELIMITERS, key=score)
    return best if score(best)[1] else ("\t" if suffix == ".tsv" else ",")


def read_delimited(path: Path, delimiter: str | None = None, encoding: str | None = None) -> Table:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path.name} is empty: nothing imported")
    if encoding:
        odd: list[tuple[int, str]] = []
        try:
            text, enc = data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(f"{path.name} cannot be read as {encoding!r}: {exc}") from exc
    else:
        text, enc, odd = decode_lines(data)
    delim = delimiter or sniff_delimiter(text, path.suffix.lower())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    headers: list[str] | None = None
    for raw in reader:
        if any(c.strip() for c in raw):
            headers = [c.strip() for c in raw]
            break
    if headers is None:
        raise InputError(f"{path.name} has no header row: nothing imported")
    warnings = [f"#line {line}: not UTF-8, read as {e}" if line else f"#file: not UTF-8, read as {e}"
                for line, e in odd]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        n = 1
        for raw in reader:
            n += 1
            if not any(c.strip() for c in raw):
                continue
            yield n, raw

    return Table(headers, rows(), warnings, delim, enc)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"{path.name} is not a readable XLSX workbook: {exc}") from exc
    if sheet is not None and sheet not in wb.sheetnames:
        raise InputError(f"{path.name} has no sheet {sheet!r}: sheets are {', '.join(wb.sheetnames)}")
    ws = wb[sheet] if sheet else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    headers: list[str] | None = None
    n = 0
    for raw in it:
        n += 1
        if any(v not in (None, "") for v in raw):
            headers = ["" if v is None else str(v).strip() for v in raw]
            break
    if headers is None:
        wb.close()
        raise InputError(f"{path.name} is empty: nothing imported")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        nonlocal n
        for raw in it:
            n += 1
            if any(v not in (None, "") for v in raw):
                yield n, ["" if v is None else v for v in raw]
        wb.close()

    return Table(headers, rows(), [], None, None)


def read_table(path: Path, delimiter: str | None = None, encoding: str | None = None,
               sheet: str | None = None) -> Table:
    if not path.is_file():
        raise NotFoundError(f"no such file {str(path)!r}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet)
    return read_delimited(path, delimiter, encoding)
