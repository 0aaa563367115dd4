from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from tasman.core import audit
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace


def _fill(ws: Workspace, n: int = 5) -> None:
    for i in range(n):
        with ws.session() as s:
            audit.record(s, "alice", "thing.do", case_ref="C1", target=f"t{i}", n=i)


def _problems(ws: Workspace) -> list[tuple[int | None, str]]:
    with ws.session() as s:
        return [(p.seq, p.kind) for p in audit.verify(s).problems]


def test_intact_chain_verifies(ws: Workspace) -> None:
    _fill(ws)
    with ws.session() as s:
        report = audit.verify(s)
    assert report.ok
    assert report.entries == 6  # workspace.init + 5


def test_edited_entry_is_named(ws: Workspace) -> None:
    _fill(ws)
    with ws.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="mallory"))
    assert _problems(ws) == [(3, "edited")]


def test_edited_entry_with_recomputed_hash_breaks_the_next_link(ws: Workspace) -> None:
    _fill(ws)
    with ws.session() as s:
        e = s.get(AuditEvent, 3)
        assert e is not None
        e.actor = "mallory"
        e.hash = audit.entry_hash(e.prev_hash, e.ts, e.actor, e.action, e.case_ref, e.target, e.details)
    assert (4, "deleted") in _problems(ws)


def test_deleted_entry_is_named(ws: Workspace) -> None:
    _fill(ws)
    with ws.session() as s:
        s.delete(s.get(AuditEvent, 4))
    probs = _problems(ws)
    assert probs[0] == (5, "deleted")


def test_deleted_tail_is_noticed(ws: Workspace) -> None:
    _fill(ws)
    with ws.session() as s:
        s.delete(s.get(AuditEvent, 6))
    assert _problems(ws) == [(None, "truncated")]


def test_reordered_entries_are_named(ws: Workspace) -> None:
    _fill(ws)
    with ws.session() as s:  # swap the positions of entries 3 and 4
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(seq=-3))
        s.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(seq=3))
        s.execute(update(AuditEvent).where(AuditEvent.seq == -3).values(seq=4))
    probs = _problems(ws)
    assert (3, "reordered") in probs
    assert all(kind == "reordered" for _, kind in probs)


def test_failed_transaction_leaves_no_entry(ws: Workspace) -> None:
    with pytest.raises(RuntimeError), ws.session() as s:
        audit.record(s, "alice", "thing.do")
        raise RuntimeError("boom")
    with ws.session() as s:
        assert [e.action for e in s.scalars(select(AuditEvent))] == ["workspace.init"]
        assert audit.verify(s).ok


def test_a_page_view_is_one_entry_with_its_reads_folded_in(ws: Workspace) -> None:
    with ws.session() as s:
        before = s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0
        audit.begin_view(s, "ana", "case.read", case_ref="OP-1", target="/cases/OP-1/subjects", method="GET")
        audit.record(s, "ana", "subject.list", case_ref="OP-1", count=3)          # a read: folded
        audit.record(s, "ana", "subject.show", case_ref="OP-1", target="S-000001", records=2)
        audit.record(s, "ana", "subject.confirm", case_ref="OP-1", target="S-000001")  # a change: its own entry
        audit.record(s, "bob", "subject.list", case_ref="OP-1", count=1)          # someone else: its own
        audit.record(s, "ana", "subject.list", case_ref="OP-2", count=1)          # another case: its own
        view = audit.end_view(s)
        assert audit.end_view(s) is None                                          # written once
    with ws.session() as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.seq > before).order_by(AuditEvent.seq)))
    assert [(e.actor, e.action, e.case_ref) for e in rows] == [
        ("ana", "subject.confirm", "OP-1"), ("bob", "subject.list", "OP-1"), ("ana", "subject.list", "OP-2"),
        ("ana", "case.read", "OP-1")]
    assert view is not None and view.seq == rows[-1].seq
    assert json.loads(rows[-1].details) == {"method": "GET", "shown": [
        {"action": "subject.list", "count": 3}, {"action": "subject.show", "target": "S-000001", "records": 2}]}
    with ws.session() as s:
        assert audit.verify(s).ok                                                  # the chain holds


def test_reading_the_log_filters_and_is_itself_audited(ws: Workspace) -> None:
    _fill(ws, 3)
    with ws.session() as s:
        audit.record(s, "bob", "case.create", case_ref="C2", target="C2")
    with ws.session() as s:
        mine = audit.read_log(s, "auditor", None, where=audit.AuditFilter(actor="alice", action="thing."))
        newest_two = audit.read_log(s, "auditor", "C1", limit=2)
        actors, actions = audit.known_values(s, "C2")
    assert [(e.seq, e.target, e.details) for e in mine] == [(4, "t2", {"n": 2}), (3, "t1", {"n": 1}),
                                                          (2, "t0", {"n": 0})]
    assert [e.target for e in newest_two] == ["t2", "t1"] and all(e.case == "C1" for e in newest_two)
    assert (actors, actions) == (["bob"], ["case.create"])
    with ws.session() as s:
        reads = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "audit.read")
                               .order_by(AuditEvent.seq)))
    assert [(r.actor, json.loads(r.details).get("filters")) for r in reads] == [
        ("auditor", {"actor": "alice", "action": "thing."}), ("auditor", None)]
