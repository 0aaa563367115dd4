"""CSV (or TSV, ';'- or '|'-separated) with a header: md5, sha1, sha256, pdq, quality and
category columns in any order and under common spellings ("MD5 Hash", "SHA-1", "pdq_hash",
"Category"); other non-empty columns are kept in ``extra``. A ``hash_type``/``signal_type``
column with a ``hash``/``signal`` column (one hash of any kind a row, as ThreatExchange exports
signals) is read too."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Generator, Iterator
from itertools import repeat
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from tasman.triage.hashsets.base import MAX_LINE, Entry, HashSetFormat, clean_hex, clean_quality, head_lines

ALIASES = {
    "md5": ("md5", "md5hash", "hashmd5", "md5sum"),
    "sha1": ("sha1", "sha1hash", "hashsha1", "sha1sum"),
    "sha256": ("sha256", "sha256hash", "hashsha256", "sha256sum"),
    "pdq": ("pdq", "pdqhash", "hashpdq"),
    "quality": ("quality", "pdqquality", "hashquality"),
    "category": ("category", "cat", "viccategory", "caidcategory", "classification", "class", "severity"),
    "hash_type": ("hashtype", "signaltype", "algorithm", "hashalgorithm", "type"),
    "hash": ("hash", "signal", "signalvalue", "hashvalue", "value"),
}
LOOKUP = {alias: field for field, names in ALIASES.items() for alias in names}
LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
HASH_FIELDS = ("md5", "sha1", "sha256", "pdq")
MAX_ROW = 128 * 1024     # characters read for one row: a quote left open must not swallow the file
BLOCK = 1 << 20          # characters a block of the column-wise path (read a megabyte at a time, as before)
PLAIN_BYTES = bytes(sorted({9, 10, *range(32, 127)} - {34}))   # tab, line feed, printable ASCII but '"'
HEX_ONLY = {n: f"^[0-9a-fA-F]{{{n}}}$" for n in (32, 40, 64)}


class _RowBudget:
    """Characters handed to the csv reader since its last row. ``csv.field_size_limit`` cannot
    bound a row here: it is one setting for the whole process, and other readers (records,
    extraction) raise it for their own files when they are imported."""

    def __init__(self) -> None:
        self.pending = 0

    def take(self, line: str) -> str:
        self.pending += len(line)
        if self.pending > MAX_ROW:
            raise csv.Error(f"a row runs on past {MAX_ROW:,} characters (a quote left open?)")
        return line


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _dialect(sample: str) -> str:
    first = sample.splitlines()[0] if sample else ""
    counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _fields(header: list[str]) -> dict[int, str]:
    return {i: LOOKUP[_norm(h)] for i, h in enumerate(header) if _norm(h) in LOOKUP}


class CsvFormat(HashSetFormat):
    name = "csv"
    description = "CSV/TSV with a header naming md5, sha1, sha256, pdq, quality, category columns"
    columnwise = True        # plain blocks through pyarrow (False: every row through the csv module)

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        lines = head_lines(head, 2)
        if not lines:
            return False
        header = next(csv.reader([lines[0]], delimiter=_dialect(lines[0])))
        fields = set(_fields(header).values())
        return bool(fields & set(HASH_FIELDS)) or {"hash_type", "hash"} <= fields

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        first = text.readline(MAX_LINE + 1)
        if len(first) > MAX_LINE:
            raise ValueError(f"the header line is longer than {MAX_LINE:,} characters")
        delimiter = _dialect(first)
        header = next(csv.reader([first], delimiter=delimiter), [])
        fields = _fields(header)
        if not (set(fields.values()) & set(HASH_FIELDS)) and not {"hash_type", "hash"} <= set(fields.values()):
            raise ValueError(f"the header {first.strip()[:120]!r} names no md5, sha1, sha256 or pdq column")
        others = {i: h.strip() for i, h in enumerate(header) if i not in fields and h.strip()}
        columns = Columns(fields, others)
        pending, done = "", 1               # text read but not parsed yet; lines parsed (the header)
        if self.columnwise and columns.plain:
            pending, done = yield from self._blocks(text, columns, delimiter, len(header))
        budget = _RowBudget()
        reader = csv.reader((budget.take(line) for line in _lines_without_nul(text, self.warn, done, pending)),
                            delimiter=delimiter)
        try:
            yield from self._entries(reader, columns, budget, done + 1)
        except csv.Error as exc:
            raise ValueError(f"line {reader.line_num + done}: {exc}") from None
        text.detach()

    def _blocks(self, text: io.TextIOWrapper, columns: Columns, delimiter: str,
                width: int) -> Generator[Entry, None, tuple[str, int]]:
        """Entries of the plain blocks at the start of the file, column-wise; returns (as the
        generator's value) the text read but not parsed and the lines parsed so far, for the csv
        module to go on from."""
        done, rest = 1, ""
        while True:
            chunk = text.read(BLOCK)
            data = rest + chunk
            cut = data.rfind("\n") + 1 if chunk else len(data)
            block, rest = data[:cut], data[cut:]
            if block:
                if not block.endswith("\n"):
                    block += "\n"          # the last line, without its line end
                lines = _plain_lines(block)
                if lines is None:
                    return block + rest, done
                yield from self._block(block, lines, columns, delimiter, width, done)
                done += lines
            if not chunk:
                return "", done
            if len(rest) > MAX_ROW:         # no line end for a long way: the csv module bounds it
                return rest, done

    def _block(self, block: str, lines: int, columns: Columns, delimiter: str, width: int,
               done: int) -> Iterator[Entry]:
        """One plain block's entries; a row the column-wise checks do not take is read by
        :meth:`Columns.entry` (its warning names its line: ``done`` lines come before the block)."""
        try:
            table = pacsv.read_csv(pa.py_buffer(block.encode("ascii")), read_options=pacsv.ReadOptions(
                column_names=[str(i) for i in range(width)], use_threads=False, block_size=len(block) + 1),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, escape_char=False,
                                                  newlines_in_values=False, ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(map(str, range(width)), pa.string()),
                                                     strings_can_be_null=False))
        except pa.ArrowInvalid:             # rows of another width than the header's: row by row
            rows: list[list[str]] = [line.split(delimiter) for line in block.splitlines()]
            yield from self._rows_of(rows, columns, done + 1)
            return
        if table.num_rows != lines:         # pragma: no cover - a plain block has a row a line
            raise ValueError(f"line {done + 1}: {table.num_rows} rows read in {lines} lines")
        cols, good = columns.columnwise(table)
        entries: list[Entry | None] = list(map(Entry._make, zip(*cols, strict=False)))  # repeat(): a constant
        for k in np.flatnonzero(~good).tolist():
            row = [table.column(i)[k].as_py() for i in range(width)]
            entries[k] = next(self._rows_of([row], columns, done + 1 + k), None)
        yield from (e for e in entries if e is not None)

    def _rows_of(self, rows: list[list[str]], columns: Columns, first: int) -> Iterator[Entry]:
        for number, row in enumerate(rows, first):
            try:
                entry = columns.entry(row)
            except ValueError as exc:
                self.warn(f"line {number}", str(exc))
                continue
            if entry is not None:
                yield entry
            elif any(v.strip() for v in row):
                self.warn(f"line {number}", "no hash in this row")

    def _entries(self, reader: Any, columns: Columns, budget: _RowBudget, first: int) -> Iterator[Entry]:
        for number, row in enumerate(reader, first):
            budget.pending = 0
            try:
                entry = columns.entry(row)
            except ValueError as exc:
                self.warn(f"line {number}", str(exc))
                continue
            if entry is not None:
                yield entry
            elif any(v.strip() for v in row):
                self.warn(f"line {number}", "no hash in this row")


def _plain_lines(block: str) -> int | None:
    """The lines of a block that ends with a line end, if the csv module and pyarrow would read
    it alike, a row a line, each line within ``MAX_ROW`` and ``MAX_LINE`` characters; else None."""
    if not block.isascii() or block.startswith(("\n", "\r\n")):
        return None
    raw = block.encode("ascii")
    odd = raw.translate(None, PLAIN_BYTES)          # the bytes a plain line never holds
    if odd and (odd.strip(b"\r") or raw.count(b"\r") != raw.count(b"\r\n")):
        return None                                 # a quote, a control character, a lone CR
    if b"\n\n" in raw or b"\n\r\n" in raw:
        return None                                 # a blank line: pyarrow would skip it
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    if int(np.diff(ends, prepend=-1).max()) > min(MAX_ROW, MAX_LINE):
        return None
    return len(ends)


def _lines_without_nul(text: io.TextIOWrapper, warn: Callable[[str, str], None], start: int = 1,
                       pending: str = "") -> Iterator[str]:
    """Lines with NUL characters dropped (the csv module refuses them), a megabyte at a time. A
    line over ``MAX_LINE`` characters is never held whole: it is reported and passed on empty,
    so the csv reader's line numbers stay true. (A row is held to ``MAX_ROW`` characters by
    ``_RowBudget``: a quote left open ends the import with its line.) ``pending`` is text read
    from ``text`` already, before the rest."""
    number = start                  # the lines read already (the header)
    rest, skipping = "", False

    def chunks() -> Iterator[str]:
        for lo in range(0, len(pending), 1 << 20):
            yield pending[lo:lo + (1 << 20)]
        while chunk := text.read(1 << 20):
            yield chunk

    for chunk in chunks():
        lines = (rest + chunk).replace("\0", "").splitlines(keepends=True)
        rest = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        for line in lines:
            number += 1
            if skipping:            # the end of a line too long to keep
                skipping = False
                yield "\n"
            elif len(line) > MAX_LINE:
                warn(f"line {number}", f"longer than {MAX_LINE:,} characters: skipped")
                yield "\n"
            else:
                yield line
        if len(rest) > MAX_LINE:
            if not skipping:
                warn(f"line {number + 1}", f"longer than {MAX_LINE:,} characters: skipped")
            rest, skipping = "", True
    if rest and not skipping:
        yield rest


class Columns:
    """Where each field sits in a row, worked out once from the header."""

    def __init__(self, fields: dict[int, str], others: dict[int, str]) -> None:
        self.hashes = [(i, f, LENGTHS[f], f.upper()) for i, f in fields.items() if f in LENGTHS]
        self.quality = next((i for i, f in fields.items() if f == "quality"), None)
        self.category = next((i for i, f in fields.items() if f == "category"), None)
        self.typed = next((i for i, f in fields.items() if f == "hash_type"), None)
        self.value = next((i for i, f in fields.items() if f == "hash"), None)
        self.others = list(others.items())
        self.width = max([*fields, *others, 0]) + 1
        # the column-wise path: no hash_type/hash pair, no field named by two columns
        self.plain = self.typed is None and self.value is None and \
            len({f for _, f, _, _ in self.hashes}) == len(self.hashes)

    def columnwise(self, table: pa.Table) -> tuple[list[Any], np.ndarray]:
        """The fields of :class:`Entry` as columns (lists, or ``repeat`` for a constant), and which
        rows they are right for: every hash empty or exactly hex of its length (at least one
        given), the quality empty or 0-100 in digits. The other rows go through :meth:`entry`."""
        n = table.num_rows
        good = np.zeros(n, dtype=bool)
        ok = np.ones(n, dtype=bool)
        out: dict[str, Any] = {}
        for i, field, length, _ in self.hashes:
            col = table.column(i)
            hexed = pc.match_substring_regex(col, HEX_ONLY[length])
            empty = pc.equal(pc.binary_length(col), 0)
            good |= hexed.to_numpy(zero_copy_only=False)
            ok &= pc.or_(hexed, empty).to_numpy(zero_copy_only=False)
            out[field] = pc.if_else(empty, pa.scalar(None, pa.string()), pc.ascii_lower(col)).to_pylist()
        if self.quality is not None:
            col = pc.ascii_trim_whitespace(table.column(self.quality))
            empty = pc.equal(pc.binary_length(col), 0)
            digits = pc.match_substring_regex(col, "^[0-9]{1,3}$")
            number = pc.cast(pc.if_else(digits, col, "0"), pa.int16())
            ok &= pc.or_(empty, pc.and_(digits, pc.less_equal(number, 100))).to_numpy(zero_copy_only=False)
            out["quality"] = pc.if_else(empty, pa.scalar(None, pa.int16()), number).to_pylist()
        if self.category is not None:
            col = pc.ascii_trim_whitespace(table.column(self.category))
            out["category"] = pc.if_else(pc.equal(pc.binary_length(col), 0), pa.scalar(None, pa.string()),
                                         col).to_pylist()
        if self.others:
            names = [name for _, name in self.others]
            values = zip(*(pc.ascii_trim_whitespace(table.column(i)).to_pylist() for i, _ in self.others),
                         strict=True)
            out["extra"] = [{k: v for k, v in zip(names, row, strict=True) if v} or None for row in values]
        return [out.get(f, repeat(d)) for f, d in zip(Entry._fields, Entry._field_defaults.values(), strict=True)
                ], good & ok

    def entry(self, row: list[str]) -> Entry | None:
        if len(row) < self.width:
            row = row + [""] * (self.width - len(row))
        values: dict[str, Any] = {}
        for i, field, length, label in self.hashes:
            v = row[i]
            if len(v) == length:                # the common case, without clean_hex's call
                try:
                    if len(bytes.fromhex(v)) * 2 == length:
                        values[field] = v.lower()
                        continue
                except ValueError:
                    pass
            v = v.strip()
            if v:
                values[field] = clean_hex(v, length, label)
        if self.typed is not None and self.value is not None and row[self.value].strip():
            kind = _norm(row[self.typed])
            kind = {"videomd5": "md5", "photopdq": "pdq"}.get(kind, kind)
            if kind not in LENGTHS:
                raise ValueError(f"hash type {row[self.typed].strip()[:40]!r} is not md5, sha1, sha256 or pdq")
            values.setdefault(kind, clean_hex(row[self.value].strip(), LENGTHS[kind], kind.upper()))
        if not values:
            return None
        if self.quality is not None and row[self.quality].strip():
            values["quality"] = clean_quality(row[self.quality])
        category = row[self.category].strip() if self.category is not None else ""
        extra = {name: row[i].strip() for i, name in self.others if row[i].strip()} if self.others else None
        return Entry(**values, category=category or None, extra=extra or None)
