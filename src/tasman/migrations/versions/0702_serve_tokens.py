"""serve: API tokens get scopes, an expiry and who revoked them when

Tokens issued before this revision keep the read and write scopes (not review: confirming a
match needs a token its examiner issued) and expire 90 days after the upgrade.

Revision ID: 0702_serve_tokens
Revises: 0701_serve_proxy
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from tasman.core.models import UTCDateTime

revision: str = "0702_serve_tokens"
down_revision: str | Sequence[str] | None = "0701_serve_proxy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(length=40), nullable=False, server_default="read write"))
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_by", sa.String(length=120), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", UTCDateTime()))
    op.execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=90)))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=UTCDateTime(), nullable=False)
        batch_op.alter_column("scopes", existing_type=sa.String(length=40), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("revoked_by")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")
