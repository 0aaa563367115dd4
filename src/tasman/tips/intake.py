"""Public tips: received from ``/report`` (or any caller), hashed and matched on arrival, files
kept encrypted, queued for analysts and importable into a case as ``tips`` records.

The reporter's own contact details stay with the tip, encrypted, and are never imported into a
case: the reporter is a witness, not a subject, and must not be linked with the people reported.

Who sees a tip (``case_ids``: the cases the reader is a member of; ``None`` for the command line,
which is the workspace's own user): a tip not imported into a case is seen by the tips role
(checked by the caller), a tip imported into a case only by that case's members. A tip one may
not see is answered exactly like one that does not exist (:class:`TipHidden` is a
NotFoundError), and the attempt is audited. Every read of a contact is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import magic
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.core.timeutil import iso, utcnow
from tasman.records.store import store_records
from tasman.tips import match as tipmatch
from tasman.tips.hashing import hash_upload
from tasman.tips.models import Tip, TipFile
from tasman.tips.vault import TipVault

PUBLIC_ACTOR = "public"
MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TEXT = 10_000
PICTURES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}
ALLOWED_TYPES = PICTURES | {"application/pdf", "text/plain", "video/mp4", "video/webm"}
TIP_SOURCE = "tips"  # the records source name tips are imported under


@dataclass(frozen=True)
class TipInput:
    what: str
    url: str = ""
    platform: str = ""
    username: str = ""
    seen_when: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass
class Receipt:
    ref: str
    files: int
    match_status: str
    warnings: list[str] = field(default_factory=list)


def _clean(tip: TipInput) -> TipInput:
    what = tip.what.strip()
    if not what:
        raise InputError("please describe what you saw")
    values = {k: str(v).strip() for k, v in vars(tip).items()}
    for key, value in values.items():
        limit = MAX_TEXT if key == "what" else 500
        if len(value) > limit:
            raise InputError(f"the field {key!r} is too long ({len(value)} characters, at most {limit})")
    return TipInput(**values)


def check_upload(up: Upload) -> str:
    """The file's type by content; InputError naming the file when it is too big or not allowed."""
    if len(up.data) > MAX_FILE_BYTES:
        raise InputError(f"{up.filename!r} is too big ({len(up.data)} bytes, at most {MAX_FILE_BYTES})")
    if not up.data:
        raise InputError(f"{up.filename!r} is empty")
    mime = magic.from_buffer(up.data[:65536], mime=True)
    if mime not in ALLOWED_TYPES:
        raise InputError(f"{up.filename!r} is of a type we do not accept ({mime}): pictures, videos, PDF or text only")
    return mime


def new_ref() -> str:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
    return f"TIP-{utcnow():%Y%m%d}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def source_digest(key: bytes, address: str) -> str:
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()


class TipHidden(NotFoundError):
    """A tip exists but is imported into a case the reader is not a member of (answered as 404)."""


def submit_tip(session: Session, vault: TipVault, tip: TipInput, uploads: list[Upload], *,
               source: str = "") -> Receipt:
    """Store one tip; every file is checked before anything is stored, so a refused file stores nothing."""
    tip = _clean(tip)
    if len(uploads) > MAX_FILES:
        raise InputError(f"at most {MAX_FILES} files per report ({len(uploads)} given)")
    typed = [(up, check_upload(up)) for up in uploads]
    row = Tip(ref=new_ref(), what=tip.what, url=tip.url, platform=tip.platform, username=tip.username,
              seen_when=tip.seen_when, contact_sealed=vault.seal(tip.contact), source_digest=source,
              match_status="pending" if typed else "none")
    session.add(row)
    session.flush()
    files = []
    for up, mime in typed:
        h = hash_upload(up.data, mime in PICTURES)
        tf = TipFile(tip_id=row.id, size=h.size, mime=mime, md5=h.md5, sha1=h.sha1, sha256=h.sha256,
                     pdq=h.pdq, pdq_quality=h.pdq_quality, pdq_variants=list(h.pdq_variants),
                     blob=vault.put(up.data))
        session.add(tf)
        files.append(tf)
    session.flush()
    if files:
        tipmatch.match_tip(session, row, files)
    audit.record(session, PUBLIC_ACTOR, "tip.receive", target=row.ref, files=len(files),
                 match_status=row.match_status)
    return Receipt(ref=row.ref, files=len(files), match_status=row.match_status)


def list_tips(session: Session, actor: str, status: str | None = None, *,
              case_ids: set[int] | None = None) -> list[Tip]:
    """Tips newest first; with ``case_ids``, only those not imported or imported into one of them."""
    q = select(Tip).order_by(Tip.received_at.desc(), Tip.id.desc())
    if status:
        q = q.where(Tip.status == status)
    if case_ids is not None:
        q = q.where(or_(Tip.case_id.is_(None), Tip.case_id.in_(sorted(case_ids))))
    tips = list(session.scalars(q))
    audit.record(session, actor, "tip.list", status=status, count=len(tips))
    return tips


def get_tip(session: Session, actor: str, ref: str, *,
            case_ids: set[int] | None = None) -> tuple[Tip, list[TipFile]]:
    """The tip and its files; NotFoundError for a tip that does not exist or one the reader may not
    see (:class:`TipHidden`, after auditing the attempt as ``tip.access.denied``)."""
    tip = session.scalar(select(Tip).where(Tip.ref == ref))
    if tip is None:
        raise NotFoundError(f"no tip {ref!r}")
    if case_ids is not None and tip.case_id is not None and tip.case_id not in case_ids:
        audit.record(session, actor, "tip.access.denied", target=ref)
        raise TipHidden(f"no tip {ref!r}")
    files = list(session.scalars(select(TipFile).where(TipFile.tip_id == tip.id).order_by(TipFile.id)))
    audit.record(session, actor, "tip.view", target=ref)
    return tip, files


def read_contact(session: Session, vault: TipVault, actor: str, tip: Tip) -> str:
    """The reporter's contact in clear, for a reader already allowed to see ``tip``; each read of a
    given contact is audited (``tip.contact.read``)."""
    if not tip.contact_sealed:
        return ""
    contact = vault.unseal(tip.contact_sealed)
    audit.record(session, actor, "tip.contact.read", target=tip.ref)
    return contact


def tip_record(tip: Tip, files: list[TipFile]) -> dict[str, Any]:
    """The tip as a ``tips`` record: what was reported, never who reported it."""
    return {
        "record_id": tip.ref, "username": tip.username, "platform": tip.platform, "url": tip.url,
        "timestamp": iso(tip.received_at), "seen_when": tip.seen_when, "description": tip.what,
        "files": [{"md5": f.md5, "sha1": f.sha1, "sha256": f.sha256, "pdq": f.pdq, "size": f.size,
                   "mime": f.mime, "matches": f.matches} for f in files],
    }


def import_tip(session: Session, actor: str, ref: str, case_ref: str, *, case_ids: set[int] | None = None) -> Tip:
    """Import (or move) the tip into ``case_ref``; the caller checks the reader's membership of it."""
    tip, files = get_tip(session, actor, ref, case_ids=case_ids)
    summary = store_records(session, actor, case_ref, "tips", TIP_SOURCE, [(tip.ref, tip_record(tip, files))])
    from tasman.evidence.cases import get_case

    tip.case_id, tip.status = get_case(session, case_ref).id, "imported"
    audit.record(session, actor, "tip.import", case_ref=case_ref, target=ref, added=summary.added)
    return tip


def dismiss_tip(session: Session, actor: str, ref: str, reason: str = "", *,
                case_ids: set[int] | None = None) -> Tip:
    tip, _files = get_tip(session, actor, ref, case_ids=case_ids)
    tip.status = "dismissed"
    audit.record(session, actor, "tip.dismiss", target=ref, reason=reason)
    return tip
