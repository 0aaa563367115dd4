"""Entry point of the ``tasman`` command.

Exit codes (``tasman.core.errors.ExitCode``): 0 ok, 1 internal error, 2 usage, 3 not found,
4 already exists, 5 bad input, 6 database unreachable, 7 integrity failure, 8 permission,
130 interrupted.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from tasman import __version__
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


# One line per command group (kept one per line so stage branches merge cleanly).
COMMANDS = [
    "tasman.cli.workspace_cmd:init",
    "tasman.cli.case_cmd:case",
    "tasman.cli.evidence_cmd:evidence",
    "tasman.cli.audit_cmd:audit",
    "tasman.cli.demo_cmd:demo",
    "tasman.cli.export_cmd:export",
    "tasman.cli.extract_cmd:extract",
    "tasman.cli.money_cmd:money",
    "tasman.cli.hashset_cmd:hashset",
    "tasman.cli.serve_cmd:serve",
    "tasman.cli.user_cmd:user",
    "tasman.cli.tip_cmd:tip",
    "tasman.cli.triage_cmd:triage",
    "tasman.cli.attribute_cmd:attribute",
    "tasman.cli.attribute_cmd:attribution",
    "tasman.cli.refer_cmd:refer",
    "tasman.cli.refer_cmd:agency",
    "tasman.cli.refer_cmd:keys_group",
    "tasman.cli.refer_cmd:package",
    "tasman.cli.outcome_cmd:outcome",
    "tasman.cli.outcome_cmd:summary",
    "tasman.cli.refer_export_cmd:misp in export",
    "tasman.cli.refer_export_cmd:ftm in export",
    "tasman.cli.refer_export_cmd:csv_ in export",
    "tasman.cli.formats_export_cmd:vics in export",
    "tasman.cli.formats_export_cmd:case_ in export",
    "tasman.cli.records_cmd:records",
    "tasman.cli.link_cmd:link",
    "tasman.cli.link_cmd:subject",
    "tasman.cli.report_cmd:report",
    "tasman.cli.samples_cmd:samples",
]


def _register(spec: str) -> None:
    """``module:command`` adds a top-level command; ``module:command in group`` adds it to a group."""
    target, _, parent = spec.partition(" in ")
    module, name = target.split(":")
    command = getattr(importlib.import_module(module), name)
    group = cli if not parent else cli.commands[parent]
    assert isinstance(group, click.Group), spec
    group.add_command(command)


for _spec in COMMANDS:
    _register(_spec)


def main() -> None:
    cli(prog_name="tasman")


if __name__ == "__main__":
    main()
