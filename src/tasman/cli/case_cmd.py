"""``tasman case``: create, list and show cases."""

from __future__ import annotations

import click

from tasman.cli.common import Out, TasmanGroup, emit, json_option, state, table
from tasman.core.models import Case
from tasman.evidence import cases


def case_dict(c: Case) -> dict[str, object]:
    return {"ref": c.ref, "title": c.title, "created_at": c.created_at.isoformat(), "created_by": c.created_by}


@click.group(cls=TasmanGroup)
def case() -> None:
    """Create and list cases."""


@case.command("create")
@click.argument("ref")
@click.option("--title", default="", help="A short title for people.")
@json_option
def create(ref: str, title: str) -> None:
    """Create case REF (letters, digits, '.', '_', '-')."""
    ws = state().ws()
    with ws.session() as s:
        c = cases.create_case(s, ws.actor, ref, title)
        data = case_dict(c)
    emit(data, lambda con: con.print(f"Created case {ref}"))


@case.command("list")
@json_option
def list_() -> None:
    """List the cases in the workspace."""
    ws = state().ws()
    with ws.session() as s:
        rows = [case_dict(c) for c in cases.list_cases(s, ws.actor)]

    def human(con: Out) -> None:
        con.print(table("Cases", ["ref", "title", "created", "by"],
                        [[r["ref"], r["title"], str(r["created_at"])[:19], r["created_by"]] for r in rows]))

    emit(rows, human)
