"""Writes that must not hold up an exit wait for another writer's SQLite lock only briefly."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tasman.core.db import BUSY_TIMEOUT_MS, make_engine, short_lock_wait


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
