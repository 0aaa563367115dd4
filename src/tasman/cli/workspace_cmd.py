"""``tasman init``."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import Out, emit, json_option, state
from tasman.core.workspace import Workspace


@click.command()
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path))
@json_option
def init(directory: Path) -> None:
    """Create a case workspace in DIRECTORY (default: here).

    The database is embedded SQLite inside the workspace unless --db or TASMAN_DATABASE_URL
    names a PostgreSQL server.
    """
    st = state()
    ws = Workspace.init(directory, st.db_url, st.user)
    url = ws.engine.url.render_as_string(hide_password=True)
    ws.close()

    def human(c: Out) -> None:
        c.print(f"Created workspace {ws.root} (database {url})")
        c.print(f"Next: tasman -w {ws.root} case create CASE-REF")

    emit({"workspace": str(ws.root), "database": url}, human)
