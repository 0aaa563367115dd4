"""Entry point of the ``tasman`` command.

Exit codes (``tasman.core.errors.ExitCode``): 0 ok, 1 internal error, 2 usage, 3 not found,
4 already exists, 5 bad input, 6 database unreachable, 7 integrity failure, 8 permission,
130 interrupted.
"""

from __future__ import annotations

from pathlib import Path

import click

from tasman import __version__
from tasman.cli import startup
from tasman.cli.common import State, json_option
from tasman.cli.examples import EXAMPLES, epilog
from tasman.cli.lazy import LazyGroup


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


# One line per command: name ("group sub" for a subcommand hung on a lazy group), where it lives
# ("module:attr", imported only when the command is used) and its short help for `tasman --help`
# (None: hidden). Kept one per line so stage branches merge cleanly.
COMMANDS: dict[str, tuple[str, str | None]] = {
    "init": ("tasman.cli.workspace_cmd:init", "Create a case workspace in DIRECTORY (default: here)."),
    "case": ("tasman.cli.case_cmd:case", "Create and list cases."),
    "evidence": ("tasman.cli.evidence_cmd:evidence", "Record evidence (hashed, never modified) and check custody."),
    "audit": ("tasman.cli.audit_cmd:audit", "Read, verify and anchor the audit log."),
    "demo": ("tasman.cli.demo_cmd:demo", "Run the main job end to end on generated benign data."),
    "export": ("tasman.cli.export_cmd:export", "Write case data to files for other tools (CSV, MISP, FtM, VICS)."),
    "export identifiers": ("tasman.cli.extract_cmd:identifiers", "Write a case's identifiers as CSV."),
    "export subjects": ("tasman.cli.link_cmd:export_subjects_cmd", "Write a case's subjects, one row per record."),
    "export misp": ("tasman.cli.refer_export_cmd:misp", "Attributed subjects as a MISP event (JSON)."),
    "export ftm": ("tasman.cli.refer_export_cmd:ftm", "Attributed subjects as FollowTheMoney entities."),
    "export csv": ("tasman.cli.refer_export_cmd:csv_", "Attributed subjects' identifiers as CSV."),
    "export vics": ("tasman.cli.formats_export_cmd:vics", "A triage run or a hash set as VICS 2.0 JSON."),
    "export case": ("tasman.cli.formats_export_cmd:case_", "A triage run as CASE/UCO JSON-LD."),
    "extract": ("tasman.cli.extract_cmd:extract", "Find identifiers in a case's evidence and records."),
    "money": ("tasman.cli.money_cmd:money", "Money trails: import transfers, score facilitators."),
    "hashset": ("tasman.cli.hashset_cmd:hashset", "Hash sets of known material (or known-good files)."),
    "serve": ("tasman.cli.serve_cmd:serve", "Serve the web app, the API and the public report form."),
    "user": ("tasman.cli.user_cmd:user", "Accounts of the web app and API, tokens, memberships."),
    "tip": ("tasman.cli.tip_cmd:tip", "Tips received from the public report form."),
    "triage": ("tasman.cli.triage_cmd:triage", "Find listed material in evidence by hash, never shown."),
    "attribute": ("tasman.cli.attribute_cmd:attribute", "Rank each subject's countries; 'show' lists why."),
    "attribution": ("tasman.cli.attribute_cmd:attribution", None),
    "refer": ("tasman.cli.refer_cmd:refer", "Build one signed, encrypted package per country."),
    "agency": ("tasman.cli.refer_cmd:agency", "The agency directory: who serves which country."),
    "keys": ("tasman.cli.refer_cmd:keys_group", "This agency's signing key and age identity."),
    "package": ("tasman.cli.refer_cmd:package", "Verify, open and import referral packages."),
    "outcome": ("tasman.cli.outcome_cmd:outcome", "Outcomes of referrals: report and import them."),
    "summary": ("tasman.cli.outcome_cmd:summary", "Packages, arrests and children safeguarded per country."),
    "records": ("tasman.cli.records_cmd:records", "Import records (orders, chats, tips, transfers) into a case."),
    "link": ("tasman.cli.link_cmd:link", "Resolve a case's records into subjects."),
    "subject": ("tasman.cli.link_cmd:subject", "List and show subjects; confirm, split and merge them."),
    "report": ("tasman.cli.report_cmd:report", "Write the case report (HTML and JSON), never media."),
    "samples": ("tasman.cli.samples_cmd:samples", "Write the README walk-through's inputs (benign, generated)."),
}
assert isinstance(cli, LazyGroup)
cli.lazy.update(COMMANDS)
cli.epilog = epilog(EXAMPLES[""])


def main() -> None:
    startup.pause()          # until the command is resolved and imported (tasman.cli.startup)
    try:
        cli(prog_name="tasman")
    finally:
        startup.resume()


if __name__ == "__main__":
    main()
