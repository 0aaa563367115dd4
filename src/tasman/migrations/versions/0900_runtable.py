"""runtable: every stage's run table has the columns of ``tasman.core.models.StageRun``

(id, case_id, actor, started_at, finished_at, status, settings, stats). The drifted names are
renamed: ``triage_runs.started_by`` -> ``actor``, ``parameters`` -> ``settings``, ``counts`` ->
``stats``; ``extract_runs.counts`` -> ``stats``; ``money_runs.created_at`` -> ``started_at``;
``attribution_runs.weights`` goes into ``settings["weights"]``. ``status`` is added where it was
missing (link, attribution, money: each stored its run whole in one final transaction, so every
row there is a ``finished`` run), and ``finished_at`` (money: the time its row was stored, which
was the end of the analysis; attribution: not recorded, left empty).

On its own branch (``runtable``), after the last revision of each stage whose table it changes.
The columns are renamed in place (``ALTER TABLE ... RENAME COLUMN``, SQLite 3.25 and later;
dropping a column, SQLite 3.35 and later): a batch that copies the table would drop
``triage_runs`` under its ``triage_files`` rows, which SQLite's foreign keys refuse.

Revision ID: 0900_runtable
Revises: 0001_core
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tasman.core.models import UTCDateTime

revision: str = "0900_runtable"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("runtable",)
depends_on: str | Sequence[str] | None = [
    "0101_extract_runs", "0203_link_review", "0311_triage_reviews", "0400_attribute", "0601_money_document",
]

RENAMES = {  # table: [(old, new)]
    "triage_runs": [("started_by", "actor"), ("parameters", "settings"), ("counts", "stats")],
    "extract_runs": [("counts", "stats")],
    "money_runs": [("created_at", "started_at")],
}
FINISHED = ("link_runs", "attribution_runs", "money_runs")  # tables that had no status


def _rename(table: str, pairs: list[tuple[str, str]]) -> None:
    # recreate="never": renamed in place on SQLite as on PostgreSQL (see the module's caption)
    with op.batch_alter_table(table, recreate="never") as batch:
        for old, new in pairs:
            batch.alter_column(old, new_column_name=new)


def _move_weights(into_settings: bool) -> None:
    """``attribution_runs.weights`` into ``settings["weights"]``, or back out of it."""
    runs = sa.table("attribution_runs", sa.column("id", sa.Integer), sa.column("weights", sa.JSON),
                    sa.column("settings", sa.JSON))
    conn = op.get_bind()
    for run_id, weights, settings in conn.execute(sa.select(runs.c.id, runs.c.weights, runs.c.settings)).all():
        kept: dict[str, Any] = dict(settings or {})
        if into_settings:
            conn.execute(runs.update().where(runs.c.id == run_id).values(settings={**kept, "weights": weights or {}}))
        else:
            moved = kept.pop("weights", {})
            conn.execute(runs.update().where(runs.c.id == run_id).values(settings=kept, weights=moved))


def upgrade() -> None:
    for table, pairs in RENAMES.items():
        _rename(table, pairs)
    for table in FINISHED:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="finished"))
    for table in ("attribution_runs", "money_runs"):
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column("finished_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE money_runs SET finished_at = started_at")
    _move_weights(into_settings=True)
    with op.batch_alter_table("attribution_runs", recreate="never") as batch:
        batch.drop_column("weights")


def downgrade() -> None:
    with op.batch_alter_table("attribution_runs", recreate="never") as batch:
        batch.add_column(sa.Column("weights", sa.JSON(), nullable=False, server_default="{}"))
    _move_weights(into_settings=False)
    for table in ("attribution_runs", "money_runs"):
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("finished_at")
    for table in FINISHED:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("status")
    for table, pairs in RENAMES.items():
        _rename(table, [(new, old) for old, new in pairs])
