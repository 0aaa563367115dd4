"""Fast bulk inserts of hash-set entries in the caller's transaction: ``executemany`` on the
SQLite connection, ``COPY ... FROM STDIN`` on PostgreSQL (an order of magnitude faster than ORM
inserts for a million rows), a plain Core insert elsewhere.

Rows come column-wise. A column that is NULL in every row of a batch is left out of the
statement, and a constant set-id or kind is written into it as a literal: each value bound costs
the sqlite3 module about as much as SQLite's own insert, so a list of md5, sha1, PDQ and category
binds 4 values a row instead of 11 (half the insert's CPU time)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tasman.triage.hashsets.models import HashSetEntry

COLUMNS = ("hashset_id", "kind", "ref", "part", "md5", "sha1", "sha256", "pdq", "quality", "category", "extra")
INLINE = frozenset(("hashset_id", "kind"))         # constants written as SQL literals when they are plain
PLAIN_WORD = re.compile(r"^[a-z]{1,8}$")


def _literal(value: Any) -> str | None:
    """``value`` as a safe SQL literal (an int, or a short lower-case word), else None."""
    if type(value) is int:
        return str(value)
    if type(value) is str and PLAIN_WORD.match(value):
        return f"'{value}'"
    return None


class BulkWriter:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.connection().dialect.name
        self.written = 0

    def write(self, columns: Sequence[Sequence[Any]]) -> None:
        """Store the rows given as one sequence per name of ``COLUMNS``, all as long."""
        n = len(columns[0])
        if not n:
            return
        names: list[str] = []
        values: list[str] = []
        bound: list[Sequence[Any]] = []
        for name, col in zip(COLUMNS, columns, strict=True):
            if col.count(None) == n:
                continue                            # NULL in every row: the column's default
            literal = _literal(col[0]) if name in INLINE and col.count(col[0]) == n else None
            names.append(name)
            values.append(literal or "?")
            if literal is None:
                bound.append(col)
        if not bound:                               # keep one bound column, so that each row is a row
            values[0], bound = "?", [columns[0]]
        table = HashSetEntry.__tablename__
        # the session's connection now: a checkpoint commit may have handed the old one back
        dbapi: Any = self.session.connection().connection.driver_connection
        rows: Iterator[tuple[Any, ...]] = zip(*bound, strict=True)
        if self.dialect == "sqlite":
            cur = dbapi.cursor()
            cur.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})", rows)
            cur.close()
        elif self.dialect == "postgresql":       # COPY takes no literals: every named column is sent
            sent = [col for name, col in zip(COLUMNS, columns, strict=True) if name in names]
            with dbapi.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in zip(*sent, strict=True):
                    copy.write_row(row)
        else:  # pragma: no cover - other databases are refused by tasman.core.db
            self.session.execute(insert(HashSetEntry),
                                 [dict(zip(COLUMNS, r, strict=True)) for r in zip(*columns, strict=True)])
        self.written += n


def tune_for_bulk(session: Session) -> None:
    """SQLite settings for a bulk import's own connection, set between transactions (SQLite
    refuses ``synchronous`` inside one): ``synchronous=NORMAL`` (in WAL mode a crash or kill
    never corrupts the database; only a power cut may lose the last commits, which the
    resumable import then redoes) and a 256 MB page cache. PostgreSQL needs nothing."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    dbapi: Any = conn.connection.driver_connection
    if dbapi.in_transaction:
        return
    cur = dbapi.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-262144")
    cur.close()


def stream_rows(session: Session, sql: str, params: Sequence[Any],
                size: int = 100_000) -> Iterator[list[tuple[Any, ...]]]:
    """Plain DBAPI tuples in partitions (SQLAlchemy's Row objects cost a third of the time on a
    million rows), streamed: SQLite steps lazily, PostgreSQL gets a server-side cursor. ``sql``
    marks parameters with ``?``."""
    conn = session.connection()
    driver: Any = conn.connection.driver_connection
    sqlite = conn.dialect.name == "sqlite"
    cur = driver.cursor() if sqlite else driver.cursor(name="tasman_hashset_stream")
    try:
        cur.execute(sql if sqlite else sql.replace("?", "%s"), list(params))
        while part := cur.fetchmany(size):
            yield part
    finally:
        cur.close()
