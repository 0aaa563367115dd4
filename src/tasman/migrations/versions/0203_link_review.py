"""link: analysts' verdicts on probable links (the review queue's same / different person)

Revision ID: 0203_link_review
Revises: 0202_link_probable
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasman.core.models import UTCDateTime

revision: str = "0203_link_review"
down_revision: str | Sequence[str] | None = "0202_link_probable"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("link_pair_reviews",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("record_a", sa.Integer(), nullable=False),
    sa.Column("role_a", sa.String(length=16), nullable=False),
    sa.Column("record_b", sa.Integer(), nullable=False),
    sa.Column("role_b", sa.String(length=16), nullable=False),
    sa.Column("verdict", sa.String(length=16), nullable=False),
    sa.Column("probability", sa.Float(), nullable=False),
    sa.Column("run_id", sa.Integer(), nullable=True),
    sa.Column("decision_id", sa.Integer(), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("actor", sa.String(length=120), nullable=False),
    sa.Column("decided_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_link_pair_reviews_case_id_cases")),
    sa.ForeignKeyConstraint(["decision_id"], ["link_decisions.id"],
                            name=op.f("fk_link_pair_reviews_decision_id_link_decisions")),
    sa.ForeignKeyConstraint(["record_a"], ["records.id"], name=op.f("fk_link_pair_reviews_record_a_records")),
    sa.ForeignKeyConstraint(["record_b"], ["records.id"], name=op.f("fk_link_pair_reviews_record_b_records")),
    sa.ForeignKeyConstraint(["run_id"], ["link_runs.id"], name=op.f("fk_link_pair_reviews_run_id_link_runs")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_link_pair_reviews")),
    sa.UniqueConstraint("case_id", "record_a", "role_a", "record_b", "role_b",
                        name=op.f("uq_link_pair_reviews_case_id")),
    )
    with op.batch_alter_table("link_pair_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_pair_reviews_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_pair_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_pair_reviews_case_id"))
    op.drop_table("link_pair_reviews")
