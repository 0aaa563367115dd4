"""hash sets: the cursor of a list fed from a hash exchange (python-threatexchange)

Revision ID: 0301_hashsets_ingest
Revises: 0300_hashsets
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasman.core.models import UTCDateTime

revision: str = "0301_hashsets_ingest"
down_revision: str | Sequence[str] | None = "0300_hashsets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hashset_exchange_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hashset_id", sa.Integer(), nullable=False),
        sa.Column("api", sa.String(length=40), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["hashset_id"], ["hashsets.id"], ondelete="CASCADE",
                                name=op.f("fk_hashset_exchange_cursors_hashset_id_hashsets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hashset_exchange_cursors")),
        sa.UniqueConstraint("hashset_id", name=op.f("uq_hashset_exchange_cursors_hashset_id")),
    )


def downgrade() -> None:
    op.drop_table("hashset_exchange_cursors")
