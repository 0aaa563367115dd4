"""SQLite databases found in evidence (browser history, chat apps): every text value of every
table, read-only and immutable (no journal, no lock taken, nothing written next to the file).

A container member is copied to a temp file first. A corrupt, encrypted or unreadable
database, or a table that fails half-way, is a warning; what was read before is kept.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from tasman.extract.sources.base import Blob, Source, TextUnit, Unit, Warn, local_copy

MAX_VALUE = 16 * 1024 * 1024
BATCH = 2000


def open_readonly(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
    con = sqlite3.connect(uri, uri=True)
    con.text_factory = lambda b: b.decode("utf-8", "replace")
    return con


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value if len(value) >= 5 else None
    if isinstance(value, bytes) and 5 <= len(value) <= MAX_VALUE:
        try:
            return value.decode("utf-8")  # text kept in a BLOB column; real binary is left alone
        except UnicodeDecodeError:
            return None
    return None


class SqliteSource(Source):
    name = "sqlite"

    def accepts(self, name: str, head: bytes) -> bool:
        return head.startswith(b"SQLite format 3\x00")

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        with local_copy(blob, ".sqlite") as path:
            try:
                con = open_readonly(path)
                tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            except sqlite3.Error as exc:
                warn(blob.path, f"SQLite database not readable ({exc})")
                return
            try:
                for table in tables:
                    yield from self._table(con, table, blob.path, warn)
            finally:
                con.close()

    def _table(self, con: sqlite3.Connection, table: str, path: str, warn: Warn) -> Iterator[Unit]:
        q = '"' + table.replace('"', '""') + '"'
        try:
            cur = con.execute(f"SELECT * FROM {q}")
            cols = [d[0] for d in cur.description or ()]
            row_no = 0
            while rows := cur.fetchmany(BATCH):
                for row in rows:
                    row_no += 1
                    for col, value in zip(cols, row, strict=False):
                        text = _text(value)
                        if text is not None:
                            yield TextUnit(text=text[:MAX_VALUE], message_id=f"{table}:{row_no}:{col}"[:200],
                                           meta={"table": table, "column": col})
        except sqlite3.Error as exc:
            warn(path, f"table {table!r}: {exc}")
