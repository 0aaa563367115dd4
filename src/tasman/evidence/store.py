"""Evidence items: recorded with their hash on arrival, checked against it later, never modified.

By default Tasman records evidence where it lies (disk images are large) and only ever opens
it read-only. ``copy_into`` stores a copy inside the workspace, made read-only on disk. An EWF
image (E01) also has the MD5/SHA-1 its acquisition tool stored in it checked against its media
on arrival (``evidence.ewf``); the verdict is kept (``MediaHashes``) and re-checked by
``verify_evidence``.
"""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import IntegrityError, NotFoundError
from tasman.core.models import Artifact, Case, Evidence
from tasman.core.progress import Line
from tasman.evidence.cases import get_case
from tasman.evidence.ewf import DISAGREE, MediaCheck, check_media_hashes, is_ewf
from tasman.evidence.hashing import Progress, acquisition_hash, check_evidence_path, measure
from tasman.evidence.models import MediaHashes


@dataclass(frozen=True)
class AddResult:
    evidence: Evidence
    created: bool
    media: MediaHashes | None = None   # an EWF image's stored acquisition hashes and their verdict


def media_hashes(session: Session, evidence_id: int) -> MediaHashes | None:
    """The acquisition hashes recorded for an EWF evidence item on arrival (None: not an EWF image)."""
    return session.scalar(select(MediaHashes).where(MediaHashes.evidence_id == evidence_id))


def _record_media(session: Session, ev: Evidence, check: MediaCheck) -> MediaHashes:
    by = {c.algorithm: c for c in check.checks}
    md5, sha1 = by.get("MD5"), by.get("SHA1")
    row = MediaHashes(evidence_id=ev.id, status=check.status, reason=check.reason,
                      md5_stored=md5.stored or None if md5 else None, md5_media=md5.computed if md5 else None,
                      sha1_stored=sha1.stored or None if sha1 else None, sha1_media=sha1.computed if sha1 else None)
    session.add(row)
    session.flush()
    return row


def _make_read_only(root: Path) -> None:
    targets = [root] if root.is_file() else [*root.rglob("*"), root]
    for p in targets:
        mode = p.stat().st_mode
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def add_evidence(
    session: Session,
    actor: str,
    case_ref: str,
    path: Path,
    *,
    custodian: str = "",
    note: str = "",
    copy_into: Path | None = None,
    progress: Progress | None = None,
    sha256: str | None = None,
    unreadable_ok: bool = False,
) -> AddResult:
    """Record ``path`` as evidence of the case. Adding the same unchanged path again is a no-op;
    adding it after it changed raises :class:`IntegrityError` and stores nothing.

    ``sha256`` is the acquisition hash (see ``hashing``) when the caller computed it in its own
    read of the evidence, as triage does, so that every byte is read once; it is checked and
    recorded exactly like one computed here. ``unreadable_ok``: a folder's file that cannot be
    read enters its manifest as unreadable (see ``hashing``) instead of refusing the folder; triage
    reports such a file as an error row of its run."""
    case = get_case(session, case_ref)
    path = check_evidence_path(path)
    kind, size, count = measure(path)
    digest = sha256 or acquisition_hash(path, progress, unreadable=[] if unreadable_ok else None)
    existing = session.scalar(select(Evidence).where(Evidence.case_id == case.id, Evidence.path == str(path)))
    if existing is not None:
        if existing.sha256 != digest:
            raise IntegrityError(
                f"{path} changed since it was recorded as evidence {existing.id} on "
                f"{existing.acquired_at:%Y-%m-%d %H:%M} UTC (sha256 {existing.sha256[:16]}..., now {digest[:16]}...)"
            )
        audit.record(session, actor, "evidence.readd", case_ref=case_ref, target=str(path), sha256=digest)
        return AddResult(existing, created=False, media=media_hashes(session, existing.id))
    stored: str | None = None
    if copy_into is not None:
        dest = copy_into / digest[:2] / digest / path.name
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            if kind == "folder":
                shutil.copytree(path, dest, symlinks=True)
            else:
                shutil.copy2(path, dest)
            if acquisition_hash(dest) != digest:
                raise IntegrityError(f"the copy of {path} at {dest} does not match its hash")
            _make_read_only(dest)
        stored = str(dest)
    ev = Evidence(
        case_id=case.id, name=path.name, path=str(path), kind=kind, sha256=digest, size=size,
        file_count=count, custodian=custodian, note=note, added_by=actor, stored_copy=stored,
    )
    session.add(ev)
    session.flush()
    media = _record_media(session, ev, check_media_hashes(path, progress)) if is_ewf(path) else None
    extra: dict[str, Any] = {"media_hashes": media.status} if media is not None else {}
    audit.record(session, actor, "evidence.add", case_ref=case_ref, target=str(path),
                 evidence_id=ev.id, sha256=digest, size=size, kind=kind, **extra)
    return AddResult(ev, created=True, media=media)


def list_evidence(session: Session, actor: str, case_ref: str) -> list[Evidence]:
    case = get_case(session, case_ref)
    items = list(session.scalars(select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)))
    audit.record(session, actor, "evidence.list", case_ref=case_ref, count=len(items))
    return items


def get_artifact(session: Session, case: Case, artifact_id: int) -> Artifact:
    """An artifact of the case by its id (one of another case is not found)."""
    found = session.scalar(select(Artifact).where(Artifact.id == artifact_id, Artifact.case_id == case.id))
    if found is None:
        raise NotFoundError(f"no artifact {artifact_id} in case {case.ref!r}")
    return found


def get_evidence(session: Session, case_ref: str, ident: int | str) -> Evidence:
    """An evidence item by id, or by name or path."""
    case = get_case(session, case_ref)
    q = select(Evidence).where(Evidence.case_id == case.id)
    if isinstance(ident, int) or str(ident).isdigit():
        found = session.scalar(q.where(Evidence.id == int(ident)))
    else:
        found = session.scalar(q.where((Evidence.name == ident) | (Evidence.path == str(ident))))
    if found is None:
        raise NotFoundError(f"no evidence {ident!r} in case {case_ref!r}")
    return found


@dataclass(frozen=True)
class CustodyCheck:
    evidence: Evidence
    status: str  # ok | changed | missing
    sha256_now: str | None
    media: MediaCheck | None = None   # an unchanged EWF image's stored hashes checked again

    @property
    def ok(self) -> bool:
        """Unchanged, present, and (an EWF image) its stored acquisition hashes do not disagree."""
        return self.status == "ok" and (self.media is None or self.media.status != DISAGREE)


@dataclass(frozen=True)
class CustodyResult:
    """A custody check of a case as a stage result (``core.progress.StageResult``): each item's
    verdict by evidence id; an unchanged E01 whose stored acquisition hashes disagree with its
    media is not ok either."""

    results: dict[str, str]

    @classmethod
    def of(cls, checks: list[CustodyCheck]) -> CustodyResult:
        return cls({str(c.evidence.id): c.status if c.ok or c.status != "ok" else "acquisition hashes disagree"
                    for c in checks})

    @property
    def page(self) -> str:
        return "evidence"

    @property
    def changed_or_missing(self) -> int:
        return sum(1 for v in self.results.values() if v != "ok")

    def as_dict(self) -> dict[str, Any]:
        return {"results": dict(self.results), "changed_or_missing": self.changed_or_missing}

    def summary_line(self) -> str:
        return f"{len(self.results)} items checked, {self.changed_or_missing} changed or missing"

    def lines(self) -> list[Line]:
        return [self.summary_line()]


def verify_evidence(
    session: Session, actor: str, case_ref: str, progress: Progress | None = None
) -> list[CustodyCheck]:
    """Re-hash every evidence item of the case (its stored copy where there is one); an unchanged
    EWF image also has its stored acquisition hashes checked against its media again."""
    checks: list[CustodyCheck] = []
    for ev in list_evidence(session, actor, case_ref):
        where = Path(ev.stored_copy or ev.path)
        if not where.exists():
            checks.append(CustodyCheck(ev, "missing", None))
            continue
        now = acquisition_hash(where, progress, unreadable=[])   # a file now unreadable: 'changed'
        status = "ok" if now == ev.sha256 else "changed"
        media = check_media_hashes(where, progress) if status == "ok" and is_ewf(where) else None
        checks.append(CustodyCheck(ev, status, now, media))
    media_results = {str(c.evidence.id): c.media.status for c in checks if c.media is not None}
    extra: dict[str, Any] = {"media_hashes": media_results} if media_results else {}
    audit.record(session, actor, "evidence.verify", case_ref=case_ref,
                 results={str(c.evidence.id): c.status for c in checks}, **extra)
    return checks
