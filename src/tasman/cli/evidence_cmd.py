"""``tasman evidence``: record evidence with its hash, list it, check it is unchanged."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from tasman.cli.common import TasmanGroup, byte_progress, emit, fail, json_option, state, table
from tasman.core.errors import ExitCode
from tasman.core.models import Evidence
from tasman.evidence import store
from tasman.evidence.hashing import measure


def evidence_dict(e: Evidence) -> dict[str, object]:
    return {"id": e.id, "name": e.name, "path": e.path, "kind": e.kind, "sha256": e.sha256, "size": e.size,
            "files": e.file_count, "custodian": e.custodian, "note": e.note,
            "acquired_at": e.acquired_at.isoformat(), "added_by": e.added_by, "stored_copy": e.stored_copy}


@click.group(cls=TasmanGroup)
def evidence() -> None:
    """Record evidence (hashed on arrival, never modified) and check its custody."""


@evidence.command("add")
@click.argument("case_ref", metavar="CASE")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--custodian", default="", help="Who holds the original.")
@click.option("--note", default="", help="Acquisition note (how, where, by whom).")
@click.option("--copy", "copy", is_flag=True, help="Also keep a read-only copy inside the workspace.")
@json_option
def add(case_ref: str, paths: tuple[Path, ...], custodian: str, note: str, copy: bool) -> None:
    """Record each PATH (file or folder) as evidence of CASE, with its SHA-256.

    Adding an unchanged path again does nothing; a path that changed since it was recorded
    is refused (exit 7).
    """
    ws = state().ws()
    results = []
    for path in paths:
        total = measure(path)[1] if path.exists() else 0
        with byte_progress(f"hashing {path.name}", total) as tick, ws.session() as s:
            r = store.add_evidence(s, ws.actor, case_ref, path, custodian=custodian, note=note,
                                   copy_into=ws.root / "evidence" if copy else None, progress=tick)
            results.append({**evidence_dict(r.evidence), "created": r.created})

    def human(con: Console) -> None:
        for r in results:
            verb = "Recorded" if r["created"] else "Already recorded, unchanged:"
            con.print(f"{verb} evidence {r['id']} {r['name']} sha256 {r['sha256']} ({r['size']} bytes)")

    emit(results, human)


@evidence.command("list")
@click.argument("case_ref", metavar="CASE")
@json_option
def list_(case_ref: str) -> None:
    """List the evidence of CASE."""
    ws = state().ws()
    with ws.session() as s:
        rows = [evidence_dict(e) for e in store.list_evidence(s, ws.actor, case_ref)]

    def human(con: Console) -> None:
        con.print(table(f"Evidence of {case_ref}", ["id", "name", "kind", "size", "sha256", "acquired"],
                        [[r["id"], r["name"], r["kind"], r["size"], str(r["sha256"])[:16] + "...",
                          str(r["acquired_at"])[:19]] for r in rows]))

    emit(rows, human)


@evidence.command("verify")
@click.argument("case_ref", metavar="CASE")
@json_option
def verify(case_ref: str) -> None:
    """Re-hash every evidence item of CASE and report any that changed or went missing (exit 7)."""
    ws = state().ws()
    with ws.session() as s:
        checks = store.verify_evidence(s, ws.actor, case_ref)
        rows = [{"id": c.evidence.id, "name": c.evidence.name, "status": c.status,
                 "sha256_recorded": c.evidence.sha256, "sha256_now": c.sha256_now} for c in checks]

    def human(con: Console) -> None:
        con.print(table(f"Custody check of {case_ref}", ["id", "name", "status"],
                        [[r["id"], r["name"], r["status"]] for r in rows]))

    emit(rows, human)
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        fail(f"{len(bad)} evidence item(s) changed or missing: "
             + ", ".join(f"{r['id']} {r['name']} ({r['status']})" for r in bad), int(ExitCode.INTEGRITY))
