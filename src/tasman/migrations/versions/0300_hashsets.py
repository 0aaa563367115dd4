"""triage hash sets: lists and their entries

Revision ID: 0300_hashsets
Revises: 0001_core
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasman.core.models import UTCDateTime

revision: str = "0300_hashsets"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("hashsets",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hashsets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("known_good", sa.Boolean(), nullable=False),
        sa.Column("category_scheme", sa.String(length=32), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=120), nullable=False),
        sa.Column("entry_count", sa.BigInteger(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hashsets")),
        sa.UniqueConstraint("name", name=op.f("uq_hashsets_name")),
    )
    op.create_table(
        "hashset_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hashset_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.Column("part", sa.Integer(), nullable=True),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("quality", sa.SmallInteger(), nullable=True),
        sa.Column("category", sa.SmallInteger(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["hashset_id"], ["hashsets.id"],
                                name=op.f("fk_hashset_entries_hashset_id_hashsets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hashset_entries")),
    )
    with op.batch_alter_table("hashset_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hashset_entries_hashset_id"), ["hashset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hashset_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hashset_entries_hashset_id"))
    op.drop_table("hashset_entries")
    op.drop_table("hashsets")
