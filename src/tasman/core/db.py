"""Database engine, sessions and migrations: one code path for SQLite and PostgreSQL.

Opening a workspace checks that its schema is at every head. Alembic (and reading every
migration script) takes most of a second, so the check first compares the database's
``alembic_version`` rows with the rows a complete upgrade left for this very set of migration
scripts (named by a hash of their contents, kept in the cache folder); only a database that
differs, or a new set of scripts, goes through Alembic. The cache only ever says "nothing
pending" for a version set Alembic itself found complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tasman.core.cachedir import cache_dir
from tasman.core.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory


BUSY_TIMEOUT_MS = 30000          # how long a SQLite write waits for another writer's lock


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
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
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("tasman") / "migrations"))
    cfg.attributes["engine"] = engine
    cfg.attributes["workspace_root"] = root  # for migrations that need the workspace's keys
    return cfg


def _script(engine: Engine) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(engine))


def head_revisions(engine: Engine) -> set[str]:
    return set(_script(engine).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

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
    if _known_complete(engine):
        return False
    from alembic import command

    if pending_revisions(engine):
        command.upgrade(_alembic_config(engine, root), "heads")
        ran = True
    else:
        ran = False
    _remember_complete(engine)
    return ran


def _scripts_fingerprint() -> str:
    """A hash of every migration script's name and contents."""
    h = hashlib.sha256()
    folder = resources.files("tasman") / "migrations" / "versions"
    for item in sorted((i for i in folder.iterdir() if i.name.endswith(".py")), key=lambda i: i.name):
        data = item.read_bytes()
        h.update(b"%s\0%d\0%s" % (item.name.encode(), len(data), data))
    return h.hexdigest()[:32]


def _stored_versions(engine: Engine) -> list[str] | None:
    try:
        with engine.connect() as conn:
            return sorted(str(v) for v in conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:          # no alembic_version yet: a new database
        return None


def _cache_file() -> Path:
    return cache_dir() / "schema" / f"{_scripts_fingerprint()}.json"


def _known_complete(engine: Engine) -> bool:
    """True when these scripts' complete upgrade is known to leave exactly the rows stored."""
    stored = _stored_versions(engine)
    if not stored:
        return False
    try:
        known = json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(known, list) and stored in known


def _remember_complete(engine: Engine) -> None:
    """Record the rows a complete schema has (best effort: a cache that cannot be written is skipped)."""
    stored = _stored_versions(engine)
    if not stored:
        return
    path = _cache_file()
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):    # none yet, or damaged: written anew
        known = []
    if not isinstance(known, list):
        known = []
    if stored in known:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump([*known, stored], fh)
        os.replace(tmp, path)
    except OSError:
        return


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def short_lock_wait(session: Session, seconds: float) -> Iterator[None]:
    """SQLite's wait for another writer's lock cut to ``seconds`` for the block (30 s otherwise),
    for writes that must not hold up an exit, such as marking a run interrupted after Ctrl-C:
    they fail fast and are retried or given up. PostgreSQL's lock waits are left as they are."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    dbapi = session.connection().connection.dbapi_connection     # set on the driver's connection:
    assert dbapi is not None                                       # a failed write leaves the session
    dbapi.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")    # unusable until its rollback
    try:
        yield
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


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
