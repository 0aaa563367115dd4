"""Records files sent from the browser or the API, imported with the function
``tasman records import`` calls (``tasman.records.importing.import_file``).

``tasman records import`` reads a file where it lies on the lab's storage and keeps its SHA-256,
size and path in the import log. An uploaded file has nowhere to lie, so the server keeps it:
hashed as it arrives, stored once by content under ``WORKSPACE/uploads/records/<sha256>/<name>``
and made read-only, then imported from there; the import log names that copy and its digest.

Nothing stays half-way: a file that cannot be imported is removed again (unless an earlier upload
had kept the same bytes) and the request's transaction is rolled back; the refusal alone is
written to the audit log.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile

from tasman.accounts.roles import Perm
from tasman.core import audit
from tasman.core.errors import InputError, IntegrityError, NotFoundError, TasmanError
from tasman.core.workspace import Workspace
from tasman.records.importing import ImportReport, file_sha256, import_file
from tasman.serve.deps import CaseCtx

UPLOADS = ("uploads", "records")
MAPPINGS = "mappings"          # WORKSPACE/out/mappings: where tasman records import saves guessed mappings
MAPPING_SUFFIX = ".mapping.yaml"
TABLE_KINDS = ("customers", "transactions")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Kept:
    """An uploaded file as the server keeps it."""

    name: str
    path: Path
    sha256: str
    size: int
    created: bool       # False: an earlier upload had kept the same bytes under the same name


def safe_name(filename: str | None) -> str:
    """The file's own name, without any folder a client put in front of it."""
    name = "".join(ch for ch in Path((filename or "").replace("\\", "/")).name if ch.isprintable()).strip()[:200]
    if name in ("", ".", ".."):
        raise InputError("the uploaded file has no name")
    return name


def mapping_dir(ws: Workspace) -> Path:
    return ws.out_dir(MAPPINGS)


def mapping_names(ws: Workspace) -> list[str]:
    """The column mappings saved in the workspace (guessed ones included), by file name."""
    return sorted(p.name for p in mapping_dir(ws).glob(f"*{MAPPING_SUFFIX}") if p.is_file())


def mapping_path(ws: Workspace, name: str, kind: str) -> Path:
    """A saved mapping by its name (only names listed in the folder: no path reaches elsewhere)."""
    if kind not in TABLE_KINDS:
        raise InputError(f"a column mapping applies to {' and '.join(TABLE_KINDS)} files, not {kind}")
    wanted = name if name.endswith(MAPPING_SUFFIX) else name + MAPPING_SUFFIX
    if wanted not in mapping_names(ws):
        raise NotFoundError(f"no saved column mapping {name!r} (tasman records import saves them in "
                            f"{MAPPINGS}/ of the workspace's out folder)")
    return mapping_dir(ws) / wanted


async def receive(upload: UploadFile, root: Path, limit: int) -> Kept:
    """Stream the upload to disk, hashing as it comes and refusing more than ``limit`` bytes; keep
    it by content, read-only."""
    name = safe_name(upload.filename)
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, incoming = tempfile.mkstemp(dir=root, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InputError(f"{name} is too big: a records file may have at most {limit:,} bytes")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InputError(f"{name} is empty: nothing imported")
        sha = digest.hexdigest()
        dest = root / sha[:2] / sha / name
        if dest.exists():
            return Kept(name, dest, sha, size, created=False)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming, dest)
        dest.chmod(stat.S_IRUSR | stat.S_IRGRP)
        return Kept(name, dest, sha, size, created=True)
    finally:
        Path(incoming).unlink(missing_ok=True)


def discard(kept: Kept) -> None:
    """Remove a copy this upload made (and its folders if now empty)."""
    if not kept.created:
        return
    kept.path.unlink(missing_ok=True)
    for folder in (kept.path.parent, kept.path.parent.parent):
        try:
            folder.rmdir()
        except OSError:
            break


def import_kept(ctx: CaseCtx, ws: Workspace, kept: Kept, kind: str, mapping_file: Path | None,
                strict: bool) -> ImportReport:
    """Import the kept copy; it must still be the bytes that arrived."""
    if file_sha256(kept.path) != kept.sha256:
        raise IntegrityError(f"the kept copy of {kept.name} no longer matches its SHA-256 ({kept.sha256[:16]}...)")
    report = import_file(ctx.session, ctx.viewer.name, ctx.ref, kept.path, kind, mapping_file, strict=strict,
                         save_mapping_dir=mapping_dir(ws))
    audit.record(ctx.session, ctx.viewer.name, "records.upload", case_ref=ctx.ref, target=kept.name, kind=kind,
                 sha256=kept.sha256, size=kept.size, kept=str(kept.path), channel=ctx.viewer.channel)
    return report


async def upload_records(ctx: CaseCtx, ws: Workspace, upload: UploadFile, kind: str, mapping: str | None,
                         strict: bool, limit: int) -> ImportReport:
    """Receive, keep and import one records file in the request's transaction. On any refusal
    the transaction is rolled back, a new copy removed, and the refusal audited and committed
    (then raised)."""
    ctx.viewer.need(Perm.IMPORT_RECORDS)
    kept: Kept | None = None
    try:
        mapping_file = mapping_path(ws, mapping, kind) if mapping else None
        kept = await receive(upload, ws.root.joinpath(*UPLOADS), limit)
        return import_kept(ctx, ws, kept, kind, mapping_file, strict)
    except TasmanError as exc:
        if kept is not None:
            discard(kept)
        refused(ctx, upload.filename, kind, exc)
        raise
    except BaseException:
        if kept is not None:
            discard(kept)
        raise


def refused(ctx: CaseCtx, filename: str | None, kind: str, exc: TasmanError) -> None:
    """Roll back whatever the import stored, then audit the refusal alone (committed at once:
    the error that follows rolls the request back)."""
    ctx.session.rollback()
    audit.record(ctx.session, ctx.viewer.name, "records.upload.refused", case_ref=ctx.case.ref,
                 target=(filename or "")[:200], kind=kind, reason=str(exc)[:300], channel=ctx.viewer.channel)
    ctx.session.commit()
