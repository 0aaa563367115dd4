"""Append-only, hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so an edited entry no
longer matches its hash, and a deleted or moved entry breaks the link to its neighbour.
A one-row head table holds the chain's length and last hash: it serialises appends (the
``UPDATE ... RETURNING`` takes the write lock on SQLite and a row lock on PostgreSQL) and
lets ``verify`` notice entries cut from the end. ``read_log`` is the one reader of the log for
people (the web pages and API), itself audited. The hashes are unkeyed: anyone able to
rewrite the whole database can rewrite the whole chain, which ``verify`` alone cannot see.
``tasman.core.anchor`` signs the head with the workspace's key (at intervals, when data leaves
the workspace, on demand) so that such a rewrite shows. ``read_log`` is the one reader of the
log for people (the web app's pages and API), the read itself audited.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tasman.core.models import AuditEvent, AuditHead
from tasman.core.timeutil import iso, utcnow

GENESIS = "0" * 64
APPENDED = "tasman.audit.appended"       # session.info: the last entry this transaction appended
ANCHOR_DUE = "tasman.anchor.due"         # session.info: an action whose head is anchored at commit
VIEW = "tasman.audit.view"               # session.info: the one entry of a page view, reads folded in
# Actions that record data leaving the workspace: the head is signed when they commit.
ANCHORED_ACTIONS = ("export.", "subject.export", "refer.package", "outcome.report", "package.download",
                    "report.write")


# The library's reads: inside a page view (``begin_view``) each is folded into the view's one
# entry, under ``shown``, instead of being an entry of its own. Everything else stays an entry.
FOLDED_READS = frozenset({
    "attribute.show", "audit.read", "case.list", "evidence.list", "hashset.list", "link.review.list",
    "link.review.show", "money.referral.read", "money.report.read", "outcome.list", "package.list", "records.list",
    "report.read", "subject.list",
    "subject.show", "summary.build", "tip.list", "tip.view", "triage.report.read", "triage.review.read",
    "triage.runs",
})


@dataclass
class View:
    """A page view being read: written as one entry by :func:`end_view`."""

    actor: str
    action: str
    case_ref: str | None
    target: str
    details: dict[str, Any]
    shown: list[dict[str, Any]] = field(default_factory=list)


def begin_view(session: Session, actor: str, action: str, *, case_ref: str | None = None, target: str = "",
               **details: Any) -> None:
    """Start a page view: until :func:`end_view`, the reads (``FOLDED_READS``) this actor makes in
    this session go into the view's entry, with what each showed."""
    session.info[VIEW] = View(actor, action, case_ref, target, details)


def end_view(session: Session) -> AuditEvent | None:
    """Write the page view's one entry (with ``shown``: the reads folded into it), if one was begun."""
    view: View | None = session.info.pop(VIEW, None)
    if view is None:
        return None
    extra = {"shown": view.shown} if view.shown else {}
    return record(session, view.actor, view.action, case_ref=view.case_ref, target=view.target,
                  **view.details, **extra)


def canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def entry_hash(
    prev_hash: str, ts: str, actor: str, action: str, case_ref: str | None, target: str, details: str
) -> str:
    body = canonical(
        {"prev": prev_hash, "ts": ts, "actor": actor, "action": action, "case": case_ref,
         "target": target, "details": details}
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    case_ref: str | None = None,
    target: str = "",
    **details: Any,
) -> AuditEvent:
    """Append one entry in the caller's transaction: it commits or rolls back with the change.
    Inside a page view, a read of the same actor (and case) is folded into the view's entry instead
    and returned unsaved."""
    view: View | None = session.info.get(VIEW)
    if (view is not None and action in FOLDED_READS and actor == view.actor
            and case_ref in (None, view.case_ref)):
        view.shown.append({"action": action, **({"target": target} if target else {}), **details})
        return AuditEvent(actor=actor, action=action, case_ref=case_ref, target=target, details=canonical(details))
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(count=AuditHead.count + 1)
        .returning(AuditHead.count, AuditHead.last_hash)
    ).one()
    seq, prev = int(row[0]), str(row[1])
    ts = iso(utcnow())
    text = canonical(details)
    h = entry_hash(prev, ts, actor, action, case_ref, target, text)
    event = AuditEvent(
        seq=seq, ts=ts, actor=actor, action=action, case_ref=case_ref, target=target,
        details=text, prev_hash=prev, hash=h,
    )
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=h))
    session.flush()
    session.info[APPENDED] = seq
    if action.startswith(ANCHORED_ACTIONS):
        session.info[ANCHOR_DUE] = action
    return event


@dataclass(frozen=True)
class Problem:
    seq: int | None
    kind: str  # edited | deleted | reordered | truncated
    message: str


@dataclass
class VerifyReport:
    entries: int = 0
    head: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> VerifyReport:
    """Walk the chain in sequence order and name every entry that was edited, deleted or moved."""
    rows = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    head = session.get(AuditHead, 1)
    report = VerifyReport(entries=len(rows))
    by_hash = {r.hash: r for r in rows}
    prev, expected_seq = GENESIS, 1
    for r in rows:
        recomputed = entry_hash(r.prev_hash, r.ts, r.actor, r.action, r.case_ref, r.target, r.details)
        if recomputed != r.hash:
            report.problems.append(
                Problem(r.seq, "edited", f"entry {r.seq} ({r.action} by {r.actor}) was edited after it was written")
            )
        elif r.prev_hash != prev:
            earlier = by_hash.get(r.prev_hash)
            if earlier is not None:
                report.problems.append(
                    Problem(r.seq, "reordered",
                            f"entry {r.seq} is out of order: it was written right after entry {earlier.seq}")
                )
            elif r.seq != expected_seq:
                report.problems.append(
                    Problem(r.seq, "deleted",
                            f"entries {expected_seq}..{r.seq - 1} were deleted (chain broken before entry {r.seq})")
                )
            else:
                report.problems.append(
                    Problem(r.seq, "deleted", f"the entry before entry {r.seq} was deleted or replaced")
                )
        elif r.seq != expected_seq:
            report.problems.append(Problem(r.seq, "reordered", f"entry {r.seq} sits at position {expected_seq}"))
        prev = r.hash
        expected_seq = r.seq + 1
    if head is None:
        report.problems.append(Problem(None, "truncated", "the audit head row is missing"))
    else:
        if head.count != len(rows) or head.last_hash != prev:
            missing = head.count - len(rows)
            what = f"{missing} entries after entry {len(rows)} were deleted" if missing > 0 else (
                "the last entry does not match the recorded head")
            report.problems.append(Problem(None, "truncated", what))
        report.head = head.last_hash
    return report


# -- reading the log ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    """``actor`` and ``case`` exact; ``action`` exact or a prefix ending in a dot (``case.``);
    ``since``/``until``: whole UTC days, both included."""

    actor: str = ""
    action: str = ""
    case: str = ""
    since: date | None = None
    until: date | None = None

    def used(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: str
    actor: str
    action: str
    case: str | None
    target: str
    details: dict[str, Any]


def read_log(session: Session, actor: str, case_ref: str | None, before: int | None = None,
             limit: int = 100, where: AuditFilter | None = None) -> list[AuditEntry]:
    """Entries newest first: the case's (``case_ref``) or the whole chain's, ``where`` narrowing
    them; the read itself written to the log (one ``audit.read`` entry with the filters used)."""
    f = where or AuditFilter()
    q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(max(1, min(limit, 500)))
    if case_ref is not None:
        q = q.where(AuditEvent.case_ref == case_ref)
    elif f.case:
        q = q.where(AuditEvent.case_ref == f.case)
    if before is not None:
        q = q.where(AuditEvent.seq < before)
    if f.actor:
        q = q.where(AuditEvent.actor == f.actor)
    if f.action:
        q = q.where(AuditEvent.action.startswith(f.action, autoescape=True) if f.action.endswith(".")
                    else AuditEvent.action == f.action)
    if f.since:   # ts is ISO 8601 text in UTC: day strings compare in order
        q = q.where(AuditEvent.ts >= f.since.isoformat())
    if f.until:
        q = q.where(AuditEvent.ts < (f.until + timedelta(days=1)).isoformat())
    rows = [AuditEntry(seq=e.seq, ts=e.ts, actor=e.actor, action=e.action, case=e.case_ref, target=e.target,
                       details=json.loads(e.details)) for e in session.scalars(q)]
    filters: dict[str, Any] = {"filters": f.used()} if f.used() else {}
    record(session, actor, "audit.read", case_ref=case_ref, count=len(rows), **filters)
    return rows


def known_values(session: Session, case_ref: str | None) -> tuple[list[str], list[str]]:
    """The actors and actions the log holds (of one case, or all), for the filter's lists."""
    base = select(AuditEvent.actor, AuditEvent.action).distinct()
    if case_ref is not None:
        base = base.where(AuditEvent.case_ref == case_ref)
    pairs = session.execute(base).all()
    return sorted({str(a) for a, _ in pairs}), sorted({str(b) for _, b in pairs})
