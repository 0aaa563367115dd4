"""serve: reporters' contact details encrypted at rest (plain ones sealed with serve/tips.key)

Revision ID: 0701_serve_proxy
Revises: 0700_serve

The column stays ``tips.contact``; a value becomes ``fernet:<token>`` under the workspace's tip
key (``WORKSPACE/serve/tips.key``, made if missing). The key lives in the workspace folder, not
the database, so the migration needs the folder (``tasman.core.db.migrate(engine, root)``, as
``Workspace.open`` passes it); without it, a database holding plain contacts is refused.
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet

from tasman.core.errors import IntegrityError

revision: str = '0701_serve_proxy'
down_revision: str | Sequence[str] | None = '0700_serve'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED = "fernet:"
tips = sa.table("tips", sa.column("id", sa.Integer), sa.column("contact", sa.Text))


def _fernet() -> Fernet:
    from tasman.tips.vault import tip_key

    config = op.get_context().config
    root = config.attributes.get("workspace_root") if config is not None else None
    if root is None:
        raise IntegrityError("tips hold reporters' contact details in plain text and the workspace folder (with "
                             "serve/tips.key) is unknown: open the database through its workspace to encrypt them")
    return Fernet(tip_key(Path(root)))


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(tips.c.id, tips.c.contact)
                        .where(tips.c.contact != "", ~tips.c.contact.startswith(SEALED, autoescape=True))).all()
    if not rows:
        return
    fernet = _fernet()
    for row_id, contact in rows:
        sealed = SEALED + fernet.encrypt(contact.encode("utf-8")).decode("ascii")
        conn.execute(tips.update().where(tips.c.id == row_id).values(contact=sealed))


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(tips.c.id, tips.c.contact)
                        .where(tips.c.contact.startswith(SEALED, autoescape=True))).all()
    if not rows:
        return
    fernet = _fernet()
    for row_id, contact in rows:
        plain = fernet.decrypt(contact[len(SEALED):].encode("ascii")).decode("utf-8")
        conn.execute(tips.update().where(tips.c.id == row_id).values(contact=plain))
