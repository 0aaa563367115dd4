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
