"""money: each run keeps its report document (for the case report's money section)

Revision ID: 0601_money_document
Revises: 0600_money
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0601_money_document"
down_revision: str | Sequence[str] | None = "0600_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("money_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("money_runs", schema=None) as batch_op:
        batch_op.drop_column("document")
