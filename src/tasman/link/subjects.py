"""Storing a resolution as subjects, with references that stay put.

A subject keeps its reference across runs when its membership is unchanged, and also when it
only gained or lost some records: each new cluster takes the reference of the earlier subject
it shares most members with, provided it holds the majority of that subject. A subject left
with no members is retired (kept, with status ``retired``), never deleted, so that what other
stages attached to it (attribution, referrals) stays traceable.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from tasman.core.models import Record
from tasman.link.keys import from_uid
from tasman.link.linkset import LinkSet
from tasman.link.models import LinkRun, ProbableLink, RecordLink, Subject, SubjectRecord
from tasman.link.resolve import Link, Resolution

CHUNK = 5000
REF_FORMAT = "S-{:06d}"


@dataclass
class StoreStats:
    subjects: int = 0
    kept_refs: int = 0
    new_refs: int = 0
    retired: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def next_ref_number(session: Session, case_id: int) -> int:
    refs = session.scalars(select(Subject.ref).where(Subject.case_id == case_id))
    numbers = [int(r.split("-", 1)[1]) for r in refs if r.startswith("S-") and r[2:].isdigit()]
    return max(numbers, default=0) + 1


def current_members(session: Session, case_id: int) -> dict[tuple[int, str], int]:
    """``{(record_id, role): subject_id}`` for the case."""
    rows = session.execute(
        select(SubjectRecord.record_id, SubjectRecord.role, SubjectRecord.subject_id)
        .join(Subject, Subject.id == SubjectRecord.subject_id).where(Subject.case_id == case_id))
    return {(r, role): s for r, role, s in rows}


def insert_chunked(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """``rows`` inserted ``CHUNK`` at a time (``_insert``), never all held at once."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            _insert(session, table, batch)
            batch = []
    _insert(session, table, batch)


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk insert. On SQLite straight through the driver's executemany (JSON serialised as the
    JSON type would): a million rows in seconds rather than a minute; elsewhere through Core."""
    if not rows:
        return
    if session.get_bind().dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    cols = list(rows[0])
    json_cols = {c.name for c in table.columns if isinstance(c.type, JSON)}
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    params = [tuple(json.dumps(r[c]) if c in json_cols else r[c] for c in cols) for r in rows]
    session.connection().exec_driver_sql(sql, params)


def store_resolution(session: Session, case_id: int, run: LinkRun, res: Resolution) -> StoreStats:
    """Write subjects, members and links with Core statements (a million members in seconds,
    not ORM objects), in the caller's transaction."""
    subjects: Table = Subject.__table__  # type: ignore[assignment]
    members_t: Table = SubjectRecord.__table__  # type: ignore[assignment]
    links_t: Table = RecordLink.__table__  # type: ignore[assignment]
    probable_t: Table = ProbableLink.__table__  # type: ignore[assignment]
    stats = StoreStats()
    old_members = current_members(session, case_id)
    old_status = {sid: st for sid, st in session.execute(
        select(subjects.c.id, subjects.c.status).where(subjects.c.case_id == case_id))}
    old_size = Counter(old_members.values())
    drafts = res.subjects
    # candidate (overlap, cluster, old subject) pairs, best first
    candidates: list[tuple[int, int, int]] = []
    for i, d in enumerate(drafts):
        counts = Counter(old_members.get(from_uid(u)) for u in d.uids)
        counts.pop(None, None)
        for sid, overlap in counts.items():
            if sid is not None and 2 * overlap > old_size[sid]:
                candidates.append((overlap, i, sid))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    taken_cluster: dict[int, int] = {}
    taken_subject: set[int] = set()
    for _overlap, i, sid in candidates:
        if i in taken_cluster or sid in taken_subject:
            continue
        taken_cluster[i] = sid
        taken_subject.add(sid)
    number = next_ref_number(session, case_id)
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for i, d in enumerate(drafts):
        sid = taken_cluster.get(i)
        if sid is None:
            new_rows.append({"case_id": case_id, "ref": REF_FORMAT.format(number), "name": d.name[:300],
                             "run_id": run.id, "status": "proposed", "identifiers": d.identifiers})
            number += 1
        else:
            if old_size[sid] == len(d.uids):
                stats.unchanged += 1
            status = old_status[sid] if old_status[sid] != "retired" else "proposed"
            updates.append({"sid": sid, "name": d.name[:300], "run_id": run.id, "status": status,
                            "identifiers": d.identifiers})
    retired = [{"sid": sid, "name": "", "run_id": run.id, "status": "retired", "identifiers": {}}
               for sid, st in old_status.items() if sid not in taken_subject and st != "retired"]
    stats.subjects, stats.kept_refs, stats.new_refs, stats.retired = len(drafts), len(updates), len(new_rows), len(
        retired)
    # memberships: replace the case's wholesale
    session.execute(delete(members_t).where(members_t.c.subject_id.in_(
        select(subjects.c.id).where(subjects.c.case_id == case_id))))
    upd = (update(subjects).where(subjects.c.id == bindparam("sid"))
           .values(name=bindparam("name"), run_id=bindparam("run_id"), status=bindparam("status"),
                   identifiers=bindparam("identifiers")))
    for rows in (updates, retired):
        for i in range(0, len(rows), CHUNK):
            session.execute(upd, rows[i:i + CHUNK])
    insert_chunked(session, subjects, new_rows)
    by_ref = {r: i for r, i in session.execute(select(subjects.c.ref, subjects.c.id)
                                                .where(subjects.c.case_id == case_id))}
    new_iter = iter(new_rows)

    def members() -> Iterator[dict[str, Any]]:
        for i, d in enumerate(drafts):
            sid = taken_cluster.get(i)
            if sid is None:
                sid = by_ref[next(new_iter)["ref"]]
            for u in d.uids:
                rid, role = from_uid(u)
                yield {"subject_id": sid, "record_id": rid, "role": role}

    insert_chunked(session, members_t, members())
    # links and probable links: only the latest run's are kept (earlier runs keep their settings and figures)
    earlier = select(LinkRun.id).where(LinkRun.case_id == case_id, LinkRun.id != run.id)
    session.execute(delete(links_t).where(links_t.c.run_id.in_(earlier)))
    session.execute(delete(probable_t).where(probable_t.c.run_id.in_(earlier)))
    store_links(session, run.id, res.links, res.probable)
    return stats


def store_links(session: Session, run_id: int, links: Iterable[Link], probable: Iterable[Link]) -> None:
    """A run's explained links and its probable links (the review queue), ``CHUNK`` at a time: a
    ``LinkSet`` explains each chunk as it is read, and the chunk goes once written. On SQLite the
    explanations go as the JSON text the set writes (what the JSON type writes of them)."""
    links_t: Table = RecordLink.__table__  # type: ignore[assignment]
    probable_t: Table = ProbableLink.__table__  # type: ignore[assignment]
    sqlite = session.get_bind().dialect.name == "sqlite"
    for table, chosen, rule in ((links_t, links, True), (probable_t, probable, False)):
        if sqlite:
            _insert_stored(session, table, run_id, chosen if isinstance(chosen, LinkSet) else
                           LinkSet.listed(list(chosen)), rule)
        else:
            insert_chunked(session, table, _link_rows(run_id, chosen, rule))
    session.flush()


def _link_rows(run_id: int, links: Iterable[Link], rule: bool) -> Iterator[dict[str, Any]]:
    for lk in links:
        (ra, rla), (rb, rlb) = from_uid(lk.a), from_uid(lk.b)
        row = {"run_id": run_id, "record_a": ra, "role_a": rla, "record_b": rb, "role_b": rlb,
               "match_weight": lk.weight, "probability": lk.probability, "explanation": lk.explanation}
        if rule:
            row["rule"] = lk.rule[:120]
        yield row


def _insert_stored(session: Session, table: Table, run_id: int, links: LinkSet, rule: bool) -> None:
    """SQLite: the links straight through the driver's executemany, ``CHUNK`` at a time (the
    same rows, in the same order, as ``_link_rows`` through ``insert_chunked``)."""
    cols = ["run_id", "record_a", "role_a", "record_b", "role_b", "match_weight", "probability", "explanation"]
    if rule:
        cols.append("rule")
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    con = session.connection()
    for batch in links.stored(CHUNK):
        params = []
        for a, b, name, weight, probability, text in batch:
            (ra, rla), (rb, rlb) = from_uid(a), from_uid(b)
            row: tuple[Any, ...] = (run_id, ra, rla, rb, rlb, weight, probability, text)
            params.append((*row, name[:120]) if rule else row)
        con.exec_driver_sql(sql, params)


def case_records(session: Session, case_id: int) -> dict[int, tuple[str, str, str]]:
    """``{record id: (kind, source, source_id)}``."""
    return {rid: (k, s, sid) for rid, k, s, sid in session.execute(
        select(Record.id, Record.kind, Record.source, Record.source_id).where(Record.case_id == case_id))}
