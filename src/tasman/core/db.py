"""Database engine, sessions and migrations: one code path for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tasman.core.errors import DatabaseError


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and plain ``postgresql://`` and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, SQLAlchemyError) as exc:
        reason = str(exc.__cause__ or exc).strip().splitlines()[0]
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseError(f"cannot reach database {where}: {reason}") from exc


def _alembic_config(engine: Engine, root: Path | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("tasman") / "migrations"))
    cfg.attributes["engine"] = engine
    cfg.attributes["workspace_root"] = root  # for migrations that need the workspace's keys
    return cfg


def _script(engine: Engine) -> ScriptDirectory:
    return ScriptDirectory.from_config(_alembic_config(engine))


def head_revisions(engine: Engine) -> set[str]:
    return set(_script(engine).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def pending_revisions(engine: Engine) -> set[str]:
    """Revisions not yet applied. Compared as whole sets, not as heads: with ``depends_on``
    between stage branches Alembic records fewer heads than the script has."""
    script = _script(engine)
    everything = {r.revision for r in script.walk_revisions()}
    current = tuple(current_revisions(engine))
    applied = {r.revision for r in script.revision_map.iterate_revisions(current, "base")} if current else set()
    return everything - applied


def migrate(engine: Engine, root: Path | None = None) -> bool:
    """Bring the schema to every branch head (each stage owns a branch); True if anything ran.
    ``root``: the workspace folder, for a migration that re-encrypts with a key kept there."""
    if not pending_revisions(engine):
        return False
    command.upgrade(_alembic_config(engine, root), "heads")
    return True


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (nothing half-stored)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        try:
            session.rollback()
        except Exception:  # e.g. a statement cut short by Ctrl-C: close the connection, and its locks
            session.invalidate()
        raise
    finally:
        session.close()
