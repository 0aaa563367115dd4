"""``tasman audit``: read and verify the hash-chained audit log."""

from __future__ import annotations

import json

import click
from rich.console import Console
from sqlalchemy import select

from tasman.cli.common import TasmanGroup, emit, fail, json_option, state, table
from tasman.core import audit as audit_log
from tasman.core.errors import ExitCode
from tasman.core.models import AuditEvent
from tasman.evidence.cases import get_case


@click.group(cls=TasmanGroup)
def audit() -> None:
    """Read and verify the audit log."""


@audit.command("verify")
@json_option
def verify() -> None:
    """Check the whole chain; name every edited, deleted or reordered entry (exit 7 if any)."""
    ws = state().ws()
    with ws.session() as s:
        report = audit_log.verify(s)
    data = {"ok": report.ok, "entries": report.entries, "head": report.head,
            "problems": [{"seq": p.seq, "kind": p.kind, "message": p.message} for p in report.problems]}

    def human(con: Console) -> None:
        if report.ok:
            con.print(f"Audit chain intact: {report.entries} entries, head {report.head}")
        for p in report.problems:
            con.print(f"[red]{p.kind}[/red]: {p.message}")

    emit(data, human)
    if not report.ok:
        fail(f"audit chain broken: {len(report.problems)} problem(s), first: {report.problems[0].message}",
             int(ExitCode.INTEGRITY))


@audit.command("log")
@click.option("--case", "case_ref", help="Only entries of this case.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="How many of the latest entries.")
@json_option
def log(case_ref: str | None, limit: int) -> None:
    """Show the latest audit entries (reading the log is itself audited)."""
    ws = state().ws()
    with ws.session() as s:
        if case_ref:
            get_case(s, case_ref)        # a mistyped reference is an error, not an empty log
        q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(min(limit, 2**62))  # SQLite: 64 bits
        if case_ref:
            q = q.where(AuditEvent.case_ref == case_ref)
        rows = [{"seq": e.seq, "ts": e.ts, "actor": e.actor, "action": e.action, "case": e.case_ref,
                 "target": e.target, "details": json.loads(e.details)} for e in s.scalars(q)]
        audit_log.record(s, ws.actor, "audit.read", case_ref=case_ref, count=len(rows))

    def human(con: Console) -> None:
        con.print(table("Audit log", ["seq", "time", "actor", "action", "case", "target"],
                        [[r["seq"], r["ts"], r["actor"], r["action"], r["case"], r["target"]] for r in rows]))

    emit(rows, human)
