"""Signed anchors of the audit chain: the head, signed with the workspace's Ed25519 key.

The chain's hashes are unkeyed, so whoever can write the database can rewrite an entry and
recompute every hash after it; ``audit.verify`` then finds nothing. An anchor is a signed
statement "entry ``seq`` had hash ``head`` at time ``ts``" (the hash of entry 1, ``log_id``,
names the log). Since each entry's hash covers every entry before it, a chain that still
verifies and still has that hash at that position holds the very history that was anchored;
any entry at or before ``seq`` changed shows as a mismatch, and no one without the private key
can make a new anchor that hides it.

Anchors are made, and stored in ``audit_anchors``:
- at intervals, when a transaction that appended entries commits: after ``every_entries`` new
  entries or ``every_minutes`` since the last anchor (``Policy``; ``install`` hooks it on a
  session factory, given how to get the signer);
- when it commits a transaction whose entries record data leaving the workspace
  (``audit.ANCHORED_ACTIONS``: exports, packages, reports);
- on demand (``anchor_to``: ``tasman audit anchor --out FILE``), also written to a file to be
  kept elsewhere, and ``make`` for a caller that carries a head in a document (a package).

``verify_anchors`` checks each anchor's signature and that its head is still in the chain; a
failed anchor names the range where the history differs: after the last anchor that still
holds, up to the failed one. Anchors are only as safe as the key: see docs/evidence-and-audit.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from tasman.core import audit
from tasman.core.errors import AlreadyExistsError, InputError, TasmanError, reason
from tasman.core.models import AuditAnchor, AuditEvent, AuditHead
from tasman.core.safejson import loads, read_bounded
from tasman.core.signing import Signer, fingerprint, signature_ok
from tasman.core.timeutil import iso, utcnow

if TYPE_CHECKING:
    from tasman.core.anchordoc import AnchorDoc

ANCHOR_TYPE = "tasman.audit-anchor"
MAX_FILE = 64 << 10
SIGNER = "tasman.anchor.signer"     # session.info: a callable giving the workspace's Signer, or None
POLICY = "tasman.anchor.policy"     # session.info: the Policy


@dataclass(frozen=True)
class Policy:
    every_entries: int = 100
    every_minutes: int = 60


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(select(AuditHead.count, AuditHead.last_hash).where(AuditHead.id == 1)).one()
    return int(row[0]), str(row[1])


def _log_id(session: Session) -> str:
    return session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 1)) or ""


def __getattr__(name: str) -> Any:
    """``anchor.AnchorDoc``, imported on first use: pydantic stays out of every command's start."""
    if name == "AnchorDoc":
        from tasman.core.anchordoc import AnchorDoc

        return AnchorDoc
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make(session: Session, signer: Signer, why: str) -> AnchorDoc:
    """Sign the chain's current head and store the anchor in the caller's transaction."""
    from tasman.core.anchordoc import AnchorDoc

    seq, head = _head(session)
    doc = AnchorDoc(log_id=_log_id(session), seq=seq, count=seq, head=head, ts=iso(utcnow()), reason=why[:80],
                    fingerprint=signer.fingerprint, public_key=signer.public_key)
    doc = doc.model_copy(update={"signature": signer.sign(doc.payload())})
    session.add(AuditAnchor(seq=doc.seq, head=doc.head, log_id=doc.log_id, ts=doc.ts, reason=doc.reason,
                            fingerprint=doc.fingerprint, public_key=doc.public_key, signature=doc.signature))
    session.flush()
    return doc


def from_row(row: AuditAnchor) -> AnchorDoc:
    from tasman.core.anchordoc import AnchorDoc

    return AnchorDoc.model_construct(log_id=row.log_id, seq=row.seq, count=row.seq, head=row.head, ts=row.ts,
                                     reason=row.reason, fingerprint=row.fingerprint, public_key=row.public_key,
                                     signature=row.signature)


def to_json(doc: AnchorDoc) -> str:
    return json.dumps(doc.model_dump(), indent=2) + "\n"


def anchor_to(session: Session, actor: str, signer: Signer, out: Path | None) -> AnchorDoc:
    """Anchor the head now, write it to ``out`` (never over an existing file) and audit it."""
    doc = make(session, signer, "manual")
    if out is not None:
        try:
            with out.open("x", encoding="utf-8") as fh:
                fh.write(to_json(doc))
        except FileExistsError as exc:
            raise AlreadyExistsError(f"{out} exists and is never overwritten: choose another --out") from exc
        except OSError as exc:
            raise InputError(f"cannot write {out}: {reason(exc)}") from exc
    audit.record(session, actor, "audit.anchor", target=str(out or ""), seq=doc.seq, head=doc.head,
                 fingerprint=doc.fingerprint)
    return doc


def read_file(path: Path) -> AnchorDoc:
    """An anchor file, parsed and checked for shape (not yet for its signature)."""
    from pydantic import ValidationError

    from tasman.core.anchordoc import AnchorDoc

    data = read_bounded(path, MAX_FILE, "a Tasman audit anchor")
    try:
        return AnchorDoc.model_validate(loads(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise InputError(f"{path} is not a Tasman audit anchor: {where}: {first['msg']}") from exc
    except ValueError as exc:          # not JSON, or nested or sized past safejson's limits
        raise InputError(f"{path} is not a Tasman audit anchor: {reason(exc)}") from exc


# -- anchors at intervals and when data leaves, made as a transaction commits ----------------------

def _minutes_since(ts: str) -> float:
    try:
        then = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    return (utcnow() - then).total_seconds() / 60


_LAST_ANCHOR = select(AuditAnchor.seq, AuditAnchor.ts).order_by(AuditAnchor.id.desc()).limit(1)


def _before_commit(session: Session) -> None:
    appended: int | None = session.info.pop(audit.APPENDED, None)
    due = session.info.pop(audit.ANCHOR_DUE, None)
    get_signer: Callable[[], Signer | None] | None = session.info.get(SIGNER)
    if appended is None or get_signer is None:
        return
    policy: Policy = session.info.get(POLICY) or Policy()
    count = appended             # the head: this transaction holds the head's lock since it appended
    last = session.execute(_LAST_ANCHOR).first()
    if last is not None and int(last[0]) >= count:
        return
    why = due or ("interval" if (last is None or count - int(last[0]) >= policy.every_entries
                                 or _minutes_since(str(last[1])) >= policy.every_minutes) else None)
    if why is None:              # nothing due: the key is not read (nor cryptography imported)
        return
    try:
        signer = get_signer()
    except TasmanError:          # an unreadable key: 'tasman audit verify' says why; the work still commits
        return
    if signer is None:
        return
    make(session, signer, why)


def _after_rollback(session: Session) -> None:
    session.info.pop(audit.APPENDED, None)
    session.info.pop(audit.ANCHOR_DUE, None)


def install(factory: sessionmaker[Session], get_signer: Callable[[], Signer | None], policy: Policy) -> None:
    """Anchor at commit, as the policy and the committed entries ask, in sessions of ``factory``."""
    factory.kw.setdefault("info", {}).update({SIGNER: get_signer, POLICY: policy})
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_rollback", _after_rollback)


# -- checking anchors ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnchorCheck:
    source: str          # "stored anchor 3" or the file's path
    seq: int
    head: str
    ts: str
    reason: str
    fingerprint: str
    key: str             # which key checked the signature: workspace | given | its own
    signed: bool         # the signature holds for that key
    holds: bool          # signed, and the chain still has that head at that position
    message: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class AnchorReport:
    checks: list[AnchorCheck] = field(default_factory=list)
    problems: list[audit.Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def stored(self) -> int:
        return sum(1 for c in self.checks if c.source.startswith("stored"))

    @property
    def latest(self) -> AnchorCheck | None:
        held = [c for c in self.checks if c.holds]
        return max(held, key=lambda c: (c.seq, c.ts)) if held else None


def _check(doc: AnchorDoc, source: str, key: str | None, key_name: str, hashes: dict[int, str]) -> AnchorCheck:
    use, used = (key, key_name) if key is not None else (doc.public_key, "its own")
    base = AnchorCheck(source=source, seq=doc.seq, head=doc.head, ts=doc.ts, reason=doc.reason,
                       fingerprint=doc.fingerprint, key=used, signed=False, holds=False, message="")
    if not signature_ok(use, doc.payload(), doc.signature):
        why = (f"it claims key {doc.fingerprint}, not the {used} key {fingerprint(use)}"
               if doc.public_key != use else "the anchor was altered after it was signed")
        return replace(base, message=f"{source}: signature does not hold ({why})")
    if doc.seq == 0:
        return replace(base, signed=True, holds=True, message=f"{source}: empty chain")
    now = hashes.get(doc.seq)
    if now is None:
        return replace(base, signed=True,
                       message=f"{source}: entry {doc.seq} it anchors is gone (the chain has {len(hashes)})")
    if now != doc.head:
        return replace(base, signed=True,
                       message=f"{source}: entry {doc.seq} no longer has the hash signed at {doc.ts}")
    return replace(base, signed=True, holds=True, message=f"{source}: entry {doc.seq} matches")


def verify_anchors(session: Session, files: Sequence[tuple[str, AnchorDoc]] = (), key: str | None = None,
                   key_name: str = "workspace", stored: bool = True) -> AnchorReport:
    """Check the stored anchors (with ``stored``) and the anchors read from files.

    ``key`` (base64) checks every signature, named ``key_name`` in the report; with None each
    anchor is checked against the key it carries, which shows only that it was not altered since
    whoever holds that key signed it (a warning says so).
    """
    report = AnchorReport()
    hashes = {int(s): str(h) for s, h in session.execute(select(AuditEvent.seq, AuditEvent.hash))}
    docs: list[tuple[str, AnchorDoc]] = []
    if stored:
        docs += [(f"stored anchor {r.id}", from_row(r))
                 for r in session.scalars(select(AuditAnchor).order_by(AuditAnchor.id))]
    docs += list(files)
    if key is None and docs:
        report.warnings.append("each anchor was checked against the key it carries, which shows only that it "
                               "was not altered since it was signed, not who signed it")
    report.checks = [_check(doc, source, key, key_name, hashes) for source, doc in docs]
    holding = sorted({c.seq for c in report.checks if c.holds})
    log_ok = {d.log_id for _, d in docs if d.log_id and d.log_id == hashes.get(1)}
    failed = sorted(((c, doc) for c, (_, doc) in zip(report.checks, docs, strict=True) if c.signed and not c.holds),
                    key=lambda pair: pair[0].seq)
    report.problems += [audit.Problem(None, "forged", c.message) for c in report.checks if not c.signed]
    if failed:        # the earliest failed anchor bounds the change; later ones fail because of it
        c, doc = failed[0]
        good = max([s for s in holding if s < c.seq] + [1 if doc.log_id in log_ok and c.seq > 1 else 0])
        first = good + 1
        where = (f"entry {first} differs from what was anchored" if first == c.seq else
                 f"the first entry that differs is one of entries {first}..{c.seq}"
                 + (f" (entries up to {good} still match an anchor)" if good else ""))
        more = f"; {len(failed) - 1} later anchor(s) fail too" if len(failed) > 1 else ""
        report.problems.append(audit.Problem(first, "rewritten",
                                             f"{c.message}: history was rewritten; {where}{more}"))
    return report


def workspace_key(get_signer: Callable[[], Signer | None]) -> tuple[str | None, str | None]:
    """The workspace's public key, or None and why it cannot be read (a warning for the report)."""
    try:
        signer = get_signer()
    except TasmanError as exc:
        return None, f"the workspace's signing key cannot be read: {exc}"
    return (signer.public_key, None) if signer is not None else (None, None)


def policy_from(config: dict[str, Any]) -> Policy:
    """The interval from ``tasman.yaml``: ``audit_anchor_every_entries``, ``audit_anchor_every_minutes``."""
    values: dict[str, int] = {}
    for name in ("every_entries", "every_minutes"):
        raw = config.get(f"audit_anchor_{name}")
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise InputError(f"audit_anchor_{name} in tasman.yaml must be a whole number of at least 1, not {raw!r}")
        values[name] = raw
    return Policy(**values)
