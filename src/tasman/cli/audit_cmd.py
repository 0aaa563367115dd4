"""``tasman audit``: read, verify and anchor the hash-chained audit log."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select

from tasman.cli.common import Out, TasmanGroup, emit, fail, json_option, plural, state, table
from tasman.core import anchor as anchors
from tasman.core import audit as audit_log
from tasman.core.errors import ExitCode, NotFoundError
from tasman.core.models import AuditEvent
from tasman.core.signing import fingerprint, load_public
from tasman.evidence.cases import get_case

_file = click.Path(path_type=Path, dir_okay=False)


@click.group(cls=TasmanGroup)
def audit() -> None:
    """Read and verify the audit log."""


@audit.command("verify")
@click.option("--anchor", "anchor_files", type=_file, multiple=True,
              help="An anchor file from 'tasman audit anchor --out' (repeatable).")
@click.option("--key", default="workspace", show_default=True,
              help="Check signatures against: 'workspace' (this workspace's key), 'file' (the key each anchor "
                   "carries: shows only that it was not altered), or a base64 Ed25519 public key.")
@json_option
def verify(anchor_files: tuple[Path, ...], key: str) -> None:
    """Check the whole chain and its signed anchors; name every problem (exit 7 if any).

    The chain: every edited, deleted or reordered entry. The anchors stored in the workspace and
    those in the --anchor files: each signature, and that the chain still holds the anchored head
    at its position, so a history rewritten with every hash recomputed is caught.

    \b
    Example:
      tasman audit anchor --out /media/usb/anchor-2026-12-07.json
      tasman audit verify --anchor /media/usb/anchor-2026-12-07.json
    """
    ws = state().ws()
    files = [(str(f), anchors.read_file(f)) for f in anchor_files]
    warnings: list[str] = []
    if key == "workspace":
        public, why = anchors.workspace_key(ws.signer)
        warnings += [why or "this workspace has no signing key"] if public is None else []
    elif key == "file":
        public = None
    else:
        load_public(key)                 # a mistyped key is an input error, not a failed signature
        public = key
    key_name = {"workspace": "workspace", "file": "its own"}.get(key, "given")
    with ws.session() as s:
        report = audit_log.verify(s)
        checked = anchors.verify_anchors(s, files, public, key_name)
    warnings += checked.warnings
    problems = report.problems + checked.problems
    latest = checked.latest
    data = {"ok": not problems, "entries": report.entries, "head": report.head,
            "problems": [{"seq": p.seq, "kind": p.kind, "message": p.message} for p in problems],
            "anchors": {"checked": len(checked.checks), "stored": checked.stored, "key": key_name,
                        "key_fingerprint": fingerprint(public) if public else None,
                        "latest": latest.as_dict() if latest else None,
                        "checks": [c.as_dict() for c in checked.checks]},
            "warnings": warnings}

    def human(con: Out) -> None:
        if report.ok and checked.ok:
            con.print(f"Audit chain intact: {plural(report.entries, 'entry', 'entries')}, head {report.head}")
        elif report.ok:
            con.print(f"Audit chain links hold ({plural(report.entries, 'entry', 'entries')}), "
                      "but not every signed anchor does:")
        if checked.checks:
            against = f"the {key_name} key {fingerprint(public)}" if public else "the key each carries"
            held = sum(1 for c in checked.checks if c.holds)
            con.print(f"Anchors: {held} of {len(checked.checks)} hold (signatures checked against {against})"
                      + (f"; latest: entry {latest.seq} signed {latest.ts}" if latest else ""))
        elif public is None and key == "workspace":
            con.print("No anchors: 'tasman keys generate' gives the workspace a key to sign them")
        else:
            con.print("No anchors yet: one is made as entries are appended, or by 'tasman audit anchor'")
        for w in warnings:
            con.print(f"[yellow]warning[/yellow]: {w}")
        for p in problems:
            con.print(f"[red]{p.kind}[/red]: {p.message}")

    emit(data, human)
    if problems:
        fail(f"audit chain broken: {len(problems)} problem(s), first: {problems[0].message}",
             int(ExitCode.INTEGRITY))


@audit.command("anchor")
@click.option("--out", "out_file", type=_file, help="Also write the signed head to this file (never overwritten).")
@json_option
def anchor(out_file: Path | None) -> None:
    """Sign the chain's head with the workspace's key and store it; with --out, also write it
    to a file to keep elsewhere or send to a partner ('tasman audit verify --anchor FILE').

    \b
    Example:
      tasman audit anchor --out /media/usb/anchor-2026-12-07.json
    """
    ws = state().ws()
    signer = ws.signer()
    if signer is None:
        raise NotFoundError(f"no signing key in {ws.root / 'keys'}: run 'tasman keys generate --agency NAME' first")
    with ws.session() as s:     # a file that cannot be written leaves no anchor and no entry
        doc = anchors.anchor_to(s, ws.actor, signer, out_file)
    data = {**doc.model_dump(), "file": str(out_file) if out_file else None}
    emit(data, lambda con: con.print(f"Anchored entry {doc.seq}, head {doc.head}, signed by {doc.fingerprint}"
                                     + (f"; written to {out_file}" if out_file else "")))


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

    def human(con: Out) -> None:
        con.print(table("Audit log", ["seq", "time", "actor", "action", "case", "target"],
                        [[r["seq"], r["ts"], r["actor"], r["action"], r["case"], r["target"]] for r in rows]))

    emit(rows, human)
