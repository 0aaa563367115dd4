"""CSV (or TSV, ';'- or '|'-separated) with a header: md5, sha1, sha256, pdq, quality and
category columns in any order and under common spellings ("MD5 Hash", "SHA-1", "pdq_hash",
"Category"); other non-empty columns are kept in ``extra``. A ``hash_type``/``signal_type``
column with a ``hash``/``signal`` column (one hash of any kind a row, as ThreatExchange exports
signals) is read too."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from itertools import chain, islice
from operator import itemgetter
from typing import Any, BinaryIO

from tasman.triage.hashsets.base import (
    BATCH_SIZE,
    MAX_LINE,
    Batch,
    Entry,
    HashSetFormat,
    clean_hex,
    clean_quality,
    entry_columns,
    head_lines,
    hex_column,
)

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

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        lines = head_lines(head, 2)
        if not lines:
            return False
        header = next(csv.reader([lines[0]], delimiter=_dialect(lines[0])))
        fields = set(_fields(header).values())
        return bool(fields & set(HASH_FIELDS)) or {"hash_type", "hash"} <= fields

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        for batch in self.batches(stream):
            yield from map(Entry._make, zip(*batch, strict=True))

    def batches(self, stream: BinaryIO, size: int = BATCH_SIZE) -> Iterator[Batch]:
        """Rows ``size`` at a time, checked column by column (``Columns.batch``); a batch with
        any row that needs more (spaces, ``0x``, a bad value, a missing hash) is read row by row."""
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
        source, budget = _Source(text, self.warn), _RowBudget()
        number, before = 2, 0           # the row number of a chunk's first row; the lines of a reader before
        for reader, chunks in _readers(source, budget, delimiter, size):
            try:
                for chunk in chunks:
                    batch = columns.batch(chunk)
                    if batch is None:
                        batch = entry_columns(list(self._entries(chunk, columns, number)))
                    if batch:
                        yield batch
                    number += len(chunk)
            except csv.Error as exc:
                raise ValueError(f"line {before + reader.line_num + 1}: {exc}") from None
            before += reader.line_num
        text.detach()

    def _entries(self, rows: list[list[str]], columns: Columns, start: int) -> Iterator[Entry]:
        for number, row in enumerate(rows, start):
            try:
                entry = columns.entry(row)
            except ValueError as exc:
                self.warn(f"line {number}", str(exc))
                continue
            if entry is not None:
                yield entry
            elif any(v.strip() for v in row):
                self.warn(f"line {number}", "no hash in this row")


def _readers(source: _Source, budget: _RowBudget, delimiter: str,
             size: int) -> Iterator[tuple[Any, Iterator[list[list[str]]]]]:
    """A csv reader over the plain lines and one over the rest, each with its rows in lists of
    ``size`` (the rest's rows held to the row budget, one by one)."""
    plain = csv.reader(source.plain(), delimiter=delimiter)
    yield plain, iter(lambda: list(islice(plain, size)), [])
    rest = csv.reader(source.rest(budget), delimiter=delimiter)
    yield rest, _chunks(rest, budget, size)


def _chunks(reader: Iterator[list[str]], budget: _RowBudget, size: int) -> Iterator[list[list[str]]]:
    """The csv reader's rows in lists of ``size``, each row held to the row budget."""
    chunk: list[list[str]] = []
    for row in reader:
        budget.pending = 0
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _lines_without_nul(text: io.TextIOWrapper, warn: Callable[[str, str], None], start: int = 1) -> Iterator[str]:
    """Lines with NUL characters dropped (the csv module refuses them), a megabyte at a time. A
    line over ``MAX_LINE`` characters is never held whole: it is reported and passed on empty,
    so the csv reader's line numbers stay true. (A row is held to ``MAX_ROW`` characters by
    ``_RowBudget``: a quote left open ends the import with its line.)"""
    return chain.from_iterable(_line_blocks(text, warn, start))


def _line_blocks(text: io.TextIOWrapper, warn: Callable[[str, str], None], start: int = 1) -> Iterator[list[str]]:
    """``_lines_without_nul``'s lines, a list for each megabyte read."""
    number = start                  # the lines read already (the header)
    rest, skipping = "", False
    while chunk := text.read(1 << 20):
        lines = (rest + chunk).replace("\0", "").splitlines(keepends=True)
        rest = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        if skipping and lines:      # the end of a line too long to keep
            skipping, lines[0] = False, "\n"
        if max(map(len, lines), default=0) > MAX_LINE:
            for i, line in enumerate(lines):
                if len(line) > MAX_LINE:
                    warn(f"line {number + i + 1}", f"longer than {MAX_LINE:,} characters: skipped")
                    lines[i] = "\n"
        number += len(lines)
        yield lines
        if len(rest) > MAX_LINE:
            if not skipping:
                warn(f"line {number + 1}", f"longer than {MAX_LINE:,} characters: skipped")
            rest, skipping = "", True
    if rest and not skipping:
        yield [rest]


class _Source:
    """A CSV list's lines for the csv reader in two parts. While no quote character has been met,
    a row is one line, held to ``MAX_ROW`` by its length: those lines go to the reader a block at
    a time (``plain``, no Python step per line). From the first block with a quote or a longer
    line on, a row may run over lines, and each line is counted by the row budget (``rest``)."""

    def __init__(self, text: io.TextIOWrapper, warn: Callable[[str, str], None]) -> None:
        self.blocks = _line_blocks(text, warn)
        self.held: list[str] = []

    def plain(self) -> Iterator[str]:
        return chain.from_iterable(self._plain_blocks())

    def _plain_blocks(self) -> Iterator[list[str]]:
        for lines in self.blocks:
            if max(map(len, lines), default=0) > MAX_ROW or '"' in "".join(lines):
                self.held = lines
                return
            yield lines

    def rest(self, budget: _RowBudget) -> Iterator[str]:
        return map(budget.take, chain(self.held, chain.from_iterable(self.blocks)))


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

    def batch(self, rows: list[list[str]]) -> Batch | None:
        """``rows`` column-wise when every row is plain (all its hashes well-formed, a category,
        no hash-type column), else None (read them with ``entry``, row by row)."""
        n = len(rows)
        if self.typed is not None or self.value is not None or min(map(len, rows)) < self.width:
            return None
        hashes: dict[str, list[Any]] = {}
        for i, field, length, _ in self.hashes:
            column = hex_column(list(map(itemgetter(i), rows)), length)
            if column is None:
                return None
            hashes[field] = column
        if all(column.count(None) == n for column in hashes.values()):
            return None                 # rows without a hash: each needs its warning
        empty: list[Any] = [None] * n
        quality: list[Any] = empty
        if self.quality is not None:
            raw = list(map(itemgetter(self.quality), rows))
            try:
                scores = {v: clean_quality(v) if v.strip() else None for v in set(raw)}
            except ValueError:
                return None
            quality = list(map(scores.__getitem__, raw))
        category: list[Any] = empty
        if self.category is not None:
            raw = list(map(itemgetter(self.category), rows))
            labels = {v: v.strip() or None for v in set(raw)}
            category = list(map(labels.__getitem__, raw))
        extra: list[Any] = empty
        if self.others:
            extra = [{name: row[i].strip() for i, name in self.others if row[i].strip()} or None for row in rows]
        return [hashes.get("md5", empty), hashes.get("sha1", empty), hashes.get("sha256", empty),
                hashes.get("pdq", empty), quality, category, ["file"] * n, empty, empty, extra]

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
