"""``tasman tip``: the public tips queue from the command line."""

from __future__ import annotations

import click

from tasman.cli.common import Out, TasmanGroup, emit, json_option, state, table
from tasman.tips import intake as tips
from tasman.tips import match as tipmatch


@click.group(cls=TasmanGroup)
def tip() -> None:
    """Tips received from the public report form (/report)."""


@tip.command("list")
@click.option("--status", type=click.Choice(["new", "imported", "dismissed"]), help="Only tips with this status.")
@json_option
def list_(status: str | None) -> None:
    """List tips, newest first."""
    ws = state().ws()
    with ws.session() as s:
        rows = [{"ref": t.ref, "received_at": t.received_at.isoformat(), "platform": t.platform,
                 "username": t.username, "url": t.url, "status": t.status, "match_status": t.match_status}
                for t in tips.list_tips(s, ws.actor, status)]

    def human(con: Out) -> None:
        con.print(table("Tips", ["ref", "received", "platform", "user name", "matching", "status"],
                        [[r["ref"], r["received_at"][:16], r["platform"], r["username"], r["match_status"],
                          r["status"]] for r in rows]))

    emit(rows, human)


@tip.command("import")
@click.argument("ref")
@click.option("--case", "case_ref", required=True, help="The case to import the tip into, as a 'tips' record.")
@json_option
def import_(ref: str, case_ref: str) -> None:
    """Import tip REF into a case (what was reported, never the reporter's contact)."""
    ws = state().ws()
    with ws.session() as s:
        tips.import_tip(s, ws.actor, ref, case_ref)
    emit({"ref": ref, "case": case_ref}, lambda con: con.print(f"Imported {ref} into {case_ref}", markup=False))


@tip.command("rematch")
@json_option
def rematch() -> None:
    """Match the files of tips still pending against the hash lists (once a matcher is installed)."""
    ws = state().ws()
    with ws.session() as s:
        n = tipmatch.rematch_pending(s, ws.actor)
    emit({"matched": n}, lambda con: con.print(f"Matched {n} pending tip(s)", markup=False))
