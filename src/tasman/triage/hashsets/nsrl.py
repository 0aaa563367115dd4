"""NIST NSRL RDSv3 (the SQLite releases): a known-GOOD list whose hits leave review.

Read from table ``FILE``: ``sha256``, ``sha1``, ``md5`` (upper-case hex in the releases) and, when
present, ``file_name`` and ``file_size`` (kept in ``extra``); other tables (PKG, OS, MFG) are not
needed to clear a file. The database is opened read-only and immutable. Rows repeat a hash once
for every package that ships the file; consecutive repeats are skipped here and the matcher
ignores the rest."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from tasman.triage.hashsets.base import BATCH_SIZE, Batch, Entry, HashSetFormat, clean_hex, entry_columns, hex_column

SQLITE_MAGIC = b"SQLite format 3\x00"
HASHES = (("sha256", 64), ("sha1", 40), ("md5", 32))


class NsrlFormat(HashSetFormat):
    name = "nsrl"
    description = "NIST NSRL RDSv3 SQLite database (known-good)"
    known_good = True

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        return head.startswith(SQLITE_MAGIC)

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        for batch in self.batches(stream):
            yield from map(Entry._make, zip(*batch, strict=True))

    def batches(self, stream: BinaryIO, size: int = BATCH_SIZE) -> Iterator[Batch]:
        """``size`` rows of ``FILE`` at a time, checked column by column (``hex_column``); a batch
        with a missing or bad hash is read row by row, each bad row reported."""
        path = Path(getattr(stream, "name", ""))
        if not path.is_file():
            raise ValueError("an NSRL RDSv3 database must be read from a file")
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)
        try:
            try:
                columns = {row[1].lower(): row[1] for row in conn.execute("PRAGMA table_info(FILE)")}
            except sqlite3.DatabaseError as exc:
                raise ValueError(f"not a readable SQLite database: {exc}") from exc
            wanted = [name for name, _ in HASHES if name in columns]
            if not columns:
                raise ValueError("no FILE table: not an NSRL RDSv3 database")
            if not wanted:
                raise ValueError("table FILE has no sha256, sha1 or md5 column")
            self._extra = [n for n in ("file_name", "file_size") if n in columns]
            names = [columns[n] for n in wanted + self._extra]
            sql = "SELECT " + ", ".join(f'"{n}"' for n in names) + ' FROM "FILE"'
            cursor = conn.execute(sql)
            number, previous = 0, None
            while rows := cursor.fetchmany(size):
                keys = [row[:len(wanted)] for row in rows]
                repeats = [previous, *keys[:-1]]      # a row whose hashes repeat the row before it
                fresh = [i for i, (key, before) in enumerate(zip(keys, repeats, strict=True)) if key != before]
                batch = self._columns(wanted, [rows[i] for i in fresh])
                if batch is None:
                    entries = (self._entry(number + i + 1, wanted, rows[i]) for i in fresh)
                    batch = entry_columns([e for e in entries if e is not None])
                number, previous = number + len(rows), keys[-1]
                if batch:
                    yield batch
        finally:
            conn.close()

    def _columns(self, wanted: list[str], rows: list[tuple[object, ...]]) -> Batch | None:
        """``rows`` column-wise when every hash is well-formed and every row has one, else None."""
        n = len(rows)
        if not n:
            return None
        lengths = dict(HASHES)
        hashes: dict[str, list[Any]] = {}
        for j, name in enumerate(wanted):
            column = hex_column(list(map(itemgetter(j), rows)), lengths[name])
            if column is None:
                return None
            hashes[name] = column
        if all(column.count(None) == n for column in hashes.values()):
            return None
        empty: list[Any] = [None] * n
        extra = empty
        if self._extra:
            keys = [(k.removeprefix("file_"), len(wanted) + j) for j, k in enumerate(self._extra)]
            extra = [{k: row[j] for k, j in keys if row[j] not in (None, "")} or None for row in rows]
        return [hashes.get("md5", empty), hashes.get("sha1", empty), hashes.get("sha256", empty), empty, empty,
                empty, ["file"] * n, empty, empty, extra]

    def _entry(self, number: int, wanted: list[str], row: tuple[object, ...]) -> Entry | None:
        lengths = dict(HASHES)
        hashes: dict[str, str] = {}
        try:
            for name, value in zip(wanted, row, strict=False):
                if value not in (None, ""):
                    hashes[name] = clean_hex(value, lengths[name], name.upper())
        except ValueError as exc:
            self.warn(f"FILE row {number}", str(exc))
            return None
        if not hashes:
            self.warn(f"FILE row {number}", "no hash")
            return None
        rest = row[len(wanted):]
        extra = {k.removeprefix("file_"): v for k, v in zip(self._extra, rest, strict=False) if v not in (None, "")}
        return Entry(**hashes, extra=extra or None)  # type: ignore[arg-type]
