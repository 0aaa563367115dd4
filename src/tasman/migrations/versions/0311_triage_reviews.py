"""triage: an examiner's decisions on perceptual matches awaiting review

Revision ID: 0311_triage_reviews
Revises: 0310_triage
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasman.core.models import UTCDateTime

revision: str = "0311_triage_reviews"
down_revision: str | Sequence[str] | None = "0310_triage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("triage_reviews",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("artifact_id", sa.Integer(), nullable=False),
    sa.Column("decision", sa.String(length=16), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("decided_by", sa.String(length=120), nullable=False),
    sa.Column("decided_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"], name=op.f("fk_triage_reviews_artifact_id_artifacts")),
    sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_triage_reviews_case_id_cases")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_reviews"))
    )
    with op.batch_alter_table("triage_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_reviews_artifact_id"), ["artifact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_triage_reviews_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("triage_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_reviews_case_id"))
        batch_op.drop_index(batch_op.f("ix_triage_reviews_artifact_id"))
    op.drop_table("triage_reviews")
