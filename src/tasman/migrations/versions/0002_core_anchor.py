"""core: the audit log's signed anchors (its head at intervals and on every package or export)

Revision ID: 0002_core_anchor
Revises: 0001_core
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_core_anchor"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = ("anchor",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
        sa.Column("log_id", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(80), nullable=False),
        sa.Column("fingerprint", sa.String(80), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_audit_anchors_seq", "audit_anchors", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_anchors_seq", table_name="audit_anchors")
    op.drop_table("audit_anchors")
