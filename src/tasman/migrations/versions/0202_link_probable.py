"""link: probable links (pairs scored between the review threshold and the link threshold)

Revision ID: 0202_link_probable
Revises: 0201_link_roles
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0202_link_probable"
down_revision: str | Sequence[str] | None = "0201_link_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("probable_links",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("run_id", sa.Integer(), nullable=False),
    sa.Column("record_a", sa.Integer(), nullable=False),
    sa.Column("record_b", sa.Integer(), nullable=False),
    sa.Column("role_a", sa.String(length=16), nullable=False),
    sa.Column("role_b", sa.String(length=16), nullable=False),
    sa.Column("match_weight", sa.Float(), nullable=False),
    sa.Column("probability", sa.Float(), nullable=False),
    sa.Column("explanation", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["record_a"], ["records.id"], name=op.f("fk_probable_links_record_a_records")),
    sa.ForeignKeyConstraint(["record_b"], ["records.id"], name=op.f("fk_probable_links_record_b_records")),
    sa.ForeignKeyConstraint(["run_id"], ["link_runs.id"], name=op.f("fk_probable_links_run_id_link_runs")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_probable_links"))
    )
    with op.batch_alter_table("probable_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_probable_links_record_a"), ["record_a"], unique=False)
        batch_op.create_index(batch_op.f("ix_probable_links_record_b"), ["record_b"], unique=False)
        batch_op.create_index(batch_op.f("ix_probable_links_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("probable_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_probable_links_run_id"))
        batch_op.drop_index(batch_op.f("ix_probable_links_record_b"))
        batch_op.drop_index(batch_op.f("ix_probable_links_record_a"))
    op.drop_table("probable_links")
