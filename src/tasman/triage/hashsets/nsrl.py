"""NIST NSRL RDSv3 (the SQLite releases): a known-GOOD list whose hits leave review.

Read from table ``FILE``: ``sha256``, ``sha1``, ``md5`` (upper-case hex in the releases) and, when
present, ``file_name`` and ``file_size`` (kept in ``extra``); other tables (PKG, OS, MFG) are not
needed to clear a file. The database is opened read-only and immutable. Rows repeat a hash once
for every package that ships the file; consecutive repeats are skipped here and the matcher
ignores the rest."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from tasman.triage.hashsets.base import Entry, HashSetFormat, clean_hex

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
            previous: tuple[object, ...] | None = None
            for number, row in enumerate(conn.execute(sql), 1):
                key = row[:len(wanted)]
                if key == previous:
                    continue
                previous = key
                entry = self._entry(number, wanted, row)
                if entry is not None:
                    yield entry
        finally:
            conn.close()

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
