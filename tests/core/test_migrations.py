from __future__ import annotations

from sqlalchemy import inspect

import tasman.models_registry  # noqa: F401
from tasman.core.db import current_revisions, make_engine, migrate, pending_revisions
from tasman.core.models import Base


def test_migrations_from_empty_reach_every_head_and_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revisions(engine) == set()
    assert migrate(engine) is True
    assert pending_revisions(engine) == set()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    for name, table in Base.metadata.tables.items():
        cols = {c["name"] for c in inspect(engine).get_columns(name)}
        assert cols == {c.name for c in table.columns}, name
    assert migrate(engine) is False  # a second run has nothing to do
    engine.dispose()


def test_the_schema_check_skips_alembic_only_for_rows_alembic_found_complete(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from tasman.core import db

    monkeypatch.setenv("TASMAN_CACHE_DIR", str(tmp_path / "cache"))
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert migrate(engine) is True
    [known] = (tmp_path / "cache" / "schema").glob("*.json")
    rows = sorted(current_revisions(engine))
    assert json.loads(known.read_text()) == [rows]

    calls: list[int] = []
    real = db.pending_revisions
    monkeypatch.setattr(db, "pending_revisions", lambda e: calls.append(1) or real(e))
    assert migrate(engine) is False and calls == []            # known complete: no Alembic
    known.write_text(json.dumps([["0001_core"]]))                # rows the cache does not know
    assert migrate(engine) is False and calls == [1]           # asked Alembic (which found nothing pending)
    assert json.loads(known.read_text()) == [["0001_core"], rows]
    known.write_text("not json")                                # a damaged cache only costs time
    assert migrate(engine) is False and calls == [1, 1]
    assert json.loads(known.read_text()) == [rows]              # and is written anew
    engine.dispose()
