"""Writes that must not hold up an exit wait for another writer's SQLite lock only briefly."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tasman.core.db import BUSY_TIMEOUT_MS, make_engine, session_factory, short_lock_wait, transaction


def test_a_short_lock_wait_fails_fast_and_the_usual_wait_comes_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as con:
        con.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")                  # another writer holds the lock
    try:
        with Session(engine) as s:
            started = time.monotonic()
            with pytest.raises(OperationalError, match="locked"), short_lock_wait(s, 0.2):
                s.execute(text("INSERT INTO t VALUES (1)"))
            assert time.monotonic() - started < 5     # not the usual 30 s
            s.rollback()
            assert s.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
    finally:
        holder.rollback()
        holder.close()
    with Session(engine) as s, short_lock_wait(s, 0.2):      # free: the write goes through
        s.execute(text("INSERT INTO t VALUES (2)"))
        s.commit()
    with Session(engine) as s:
        assert s.execute(text("SELECT x FROM t")).scalars().all() == [2]
    engine.dispose()


def _can_write(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t (x) VALUES (99)")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


@pytest.mark.parametrize("statement", ["executemany", "returning", "commit"])
def test_ctrl_c_inside_a_statement_leaves_no_lock_behind(tmp_path: Path, statement: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyboardInterrupt right after a write statement ran (where a Ctrl-C lands between two
    bytecodes): SQLAlchemy closes that connection as lost, and SQLite must not keep it alive
    (a "zombie" with its open statement) holding the write lock while the interrupt is handled,
    i.e. while its traceback, which holds the statement's cursor, is still alive. Also a Ctrl-C
    just before the COMMIT, with a query's cursor still open."""
    path = tmp_path / "x.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as con:
        con.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER)"))
    rows = [{"x": i} for i in range(5)]

    @event.listens_for(engine, "after_cursor_execute")
    def ctrl_c(conn, cursor, sql, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if sql.startswith("INSERT") and statement != "commit":
            raise KeyboardInterrupt

    def ctrl_c_before_commit(dbapi_connection: object) -> None:
        raise KeyboardInterrupt

    if statement == "commit":
        monkeypatch.setattr(engine.dialect, "do_commit", ctrl_c_before_commit)

    try:
        with transaction(session_factory(engine)) as s:
            if statement == "executemany":
                s.execute(text("INSERT INTO t (x) VALUES (:x)"), rows)
            elif statement == "returning":                    # rows still to be fetched
                s.execute(text("INSERT INTO t (x) VALUES (1), (2), (3) RETURNING id")).first()
            else:
                s.execute(text("INSERT INTO t (x) VALUES (1), (2)"))
                open_query = s.execute(text("SELECT x FROM t"))       # a cursor left open
                assert open_query.fetchone() is not None
        pytest.fail("no KeyboardInterrupt")
    except KeyboardInterrupt as exc:
        assert exc.__traceback__ is not None           # the frames that hold the cursor are alive
        assert _can_write(path)                         # the interrupted write holds no lock
    with engine.connect() as con:
        assert con.execute(text("SELECT count(*) FROM t")).scalar() == 0      # rolled back, nothing half-stored
    engine.dispose()
