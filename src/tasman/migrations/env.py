"""Alembic environment: the engine comes from ``tasman.core.db`` (never from an ini file)."""

from alembic import context

import tasman.models_registry  # noqa: F401  (imports every stage's models onto Base.metadata)
from tasman.core.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
