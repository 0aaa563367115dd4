"""``tasman evidence``: record evidence with its hash, list it, check it is unchanged."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import Out, TasmanGroup, byte_progress, emit, fail, json_option, state, table
from tasman.core.errors import ExitCode
from tasman.core.models import Evidence
from tasman.evidence import store
from tasman.evidence.ewf import DISAGREE, MediaCheck, is_ewf, media_size
from tasman.evidence.hashing import measure
from tasman.evidence.models import MediaHashes


def media_dict(m: MediaHashes | None) -> dict[str, object] | None:
    """An EWF image's stored acquisition hashes, what its media hashed to, and the verdict."""
    if m is None:
        return None
    return {"status": m.status, "md5_stored": m.md5_stored, "md5_media": m.md5_media,
            "sha1_stored": m.sha1_stored, "sha1_media": m.sha1_media, "reason": m.reason}


def check_dict(m: MediaCheck | None) -> dict[str, object] | None:
    if m is None:
        return None
    return {"status": m.status, "reason": m.reason,
            "hashes": [{"algorithm": c.algorithm, "stored": c.stored, "media": c.computed, "status": c.status}
                       for c in m.checks]}


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
    is refused (exit 7). An EWF image (E01) also has the MD5/SHA-1 stored in it by its
    acquisition tool checked against its media: agree, disagree, absent or unreadable is
    recorded with the item; one that disagrees is still recorded, and the command exits 7.
    """
    ws = state().ws()
    results = []
    for path in paths:
        total = measure(path)[1] if path.exists() else 0
        if path.exists() and is_ewf(path):
            total += media_size(path)
        with byte_progress(f"hashing {path.name}", total) as tick, ws.session() as s:
            r = store.add_evidence(s, ws.actor, case_ref, path, custodian=custodian, note=note,
                                   copy_into=ws.root / "evidence" if copy else None, progress=tick)
            results.append({**evidence_dict(r.evidence), "created": r.created, "media_hashes": media_dict(r.media)})

    def human(con: Out) -> None:
        for r in results:
            verb = "Recorded" if r["created"] else "Already recorded, unchanged:"
            con.print(f"{verb} evidence {r['id']} {r['name']} sha256 {r['sha256']} ({r['size']} bytes)")
            m = r["media_hashes"]
            if isinstance(m, dict):
                con.print(f"  acquisition hashes stored in the image: {m['status']}"
                          + (f" ({m['reason']})" if m["reason"] else ""), markup=False)

    emit(results, human)
    bad = [r for r in results if isinstance(r["media_hashes"], dict) and r["media_hashes"]["status"] == DISAGREE]
    if bad:
        fail("recorded, but the acquisition hashes stored in the image disagree with its media: "
             + ", ".join(f"{r['id']} {r['name']}" for r in bad), int(ExitCode.INTEGRITY))


@evidence.command("list")
@click.argument("case_ref", metavar="CASE")
@json_option
def list_(case_ref: str) -> None:
    """List the evidence of CASE."""
    ws = state().ws()
    with ws.session() as s:
        rows = [evidence_dict(e) for e in store.list_evidence(s, ws.actor, case_ref)]

    def human(con: Out) -> None:
        con.print(table(f"Evidence of {case_ref}", ["id", "name", "kind", "size", "sha256", "acquired"],
                        [[r["id"], r["name"], r["kind"], r["size"], str(r["sha256"])[:16] + "...",
                          str(r["acquired_at"])[:19]] for r in rows]))

    emit(rows, human)


@evidence.command("verify")
@click.argument("case_ref", metavar="CASE")
@json_option
def verify(case_ref: str) -> None:
    """Re-hash every evidence item of CASE and report any that changed or went missing (exit 7).

    An unchanged EWF image (E01) also has its stored MD5/SHA-1 checked against its media again;
    one that disagrees also exits 7.
    """
    ws = state().ws()
    with ws.session() as s:
        checks = store.verify_evidence(s, ws.actor, case_ref)
        rows = [{"id": c.evidence.id, "name": c.evidence.name, "status": c.status,
                 "sha256_recorded": c.evidence.sha256, "sha256_now": c.sha256_now,
                 "media_hashes": check_dict(c.media), "ok": c.ok} for c in checks]

    def human(con: Out) -> None:
        con.print(table(f"Custody check of {case_ref}", ["id", "name", "status", "image's acquisition hashes"],
                        [[r["id"], r["name"], r["status"],
                          r["media_hashes"]["status"] if isinstance(r["media_hashes"], dict) else "-"]
                         for r in rows]))

    emit(rows, human)
    bad = [r for r in rows if not r["ok"]]
    if bad:
        fail(f"{len(bad)} evidence item(s) changed, missing or disagreeing with their acquisition hashes: "
             + ", ".join(f"{r['id']} {r['name']} ({r['status'] if r['status'] != 'ok' else 'hashes disagree'})"
                         for r in bad), int(ExitCode.INTEGRITY))
