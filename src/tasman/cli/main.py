"""Entry point of the ``tasman`` command.

Exit codes (``tasman.core.errors.ExitCode``): 0 ok, 1 internal error, 2 usage, 3 not found,
4 already exists, 5 bad input, 6 database unreachable, 7 integrity failure, 8 permission,
130 interrupted.
"""

from __future__ import annotations

from pathlib import Path

import click

from tasman import __version__
from tasman.cli import (
    audit_cmd,
    case_cmd,
    demo_cmd,
    evidence_cmd,
    export_cmd,
    serve_cmd,
    tip_cmd,
    user_cmd,
    workspace_cmd,
)
from tasman.cli.common import State, TasmanGroup, json_option


@click.group(cls=TasmanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-w", "--workspace", "workspace_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Workspace folder (default: TASMAN_WORKSPACE, or the nearest folder up with tasman.yaml).")
@click.option("--db", "db_url", metavar="URL",
              help="Database URL, e.g. postgresql://user@host/db "
              "(default: TASMAN_DATABASE_URL, else the workspace's SQLite).")
@click.option("--user", metavar="NAME", help="Who is acting, for the audit log (default: TASMAN_USER or login name).")
@json_option
@click.version_option(__version__, prog_name="tasman")
@click.pass_context
def cli(ctx: click.Context, workspace_dir: Path | None, db_url: str | None, user: str | None) -> None:
    """Tasman: from seized evidence to the right country.

    Triage seized media against known-material hash lists, extract identifiers, link records
    into subjects, attribute each to a country and refer it to that country's agency.
    """
    st = ctx.ensure_object(State)
    st.workspace_dir, st.db_url, st.user = workspace_dir, db_url, user


cli.add_command(workspace_cmd.init)
cli.add_command(case_cmd.case)
cli.add_command(evidence_cmd.evidence)
cli.add_command(audit_cmd.audit)
cli.add_command(demo_cmd.demo)
cli.add_command(export_cmd.export)
cli.add_command(serve_cmd.serve)
cli.add_command(user_cmd.user)
cli.add_command(tip_cmd.tip)


def main() -> None:
    cli(prog_name="tasman")
