"""evidence: the acquisition hashes stored in an EWF image, checked against its media on arrival

Revision ID: 0003_core_ingest
Revises: 0002_core_anchor
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasman.core.models import UTCDateTime

revision: str = "0003_core_ingest"
down_revision: str | Sequence[str] | None = "0002_core_anchor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_media_hashes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("md5_stored", sa.String(length=32), nullable=True),
        sa.Column("md5_media", sa.String(length=32), nullable=True),
        sa.Column("sha1_stored", sa.String(length=40), nullable=True),
        sa.Column("sha1_media", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"],
                                name=op.f("fk_evidence_media_hashes_evidence_id_evidence")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_media_hashes")),
        sa.UniqueConstraint("evidence_id", name=op.f("uq_evidence_media_hashes_evidence_id")),
    )


def downgrade() -> None:
    op.drop_table("evidence_media_hashes")
