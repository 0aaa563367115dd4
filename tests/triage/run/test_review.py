"""An examiner's decisions on perceptual matches (tasman.triage.review): stored, audited, the latest
one current, and a decided match out of the awaiting list."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tasman.core.errors import InputError, NotFoundError
from tasman.core.models import Artifact, AuditEvent
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.synth.triage_set import TriageSet
from tasman.triage.models import TriageReview, TriageRun
from tasman.triage.results import decided_items, has_review_match, needs_review, review_items
from tasman.triage.review import list_decisions, record_decision
from tasman.triage.run import TriageOptions, run_triage
from tests.triage.conftest import FakeMatcher


def test_decisions_are_recorded_audited_and_the_latest_wins(
        ws: Workspace, triage_set: TriageSet, fake_matcher: FakeMatcher) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "T-1")
    r = run_triage(ws, "T-1", [triage_set.items["folder"]], TriageOptions(workers=0), matcher=fake_matcher)
    with ws.session() as s:
        queue = review_items(s, r.run_id)
        assert len(queue) >= 2
        first, second = queue[0], queue[1]
        case_id = s.get(TriageRun, r.run_id).case_id  # type: ignore[union-attr]
        d = record_decision(s, "eve", "T-1", first.artifact_id, "confirmed", "  same picture, resized ")
        assert (d.decision, d.note, d.decided_by, d.path) == ("confirmed", "same picture, resized", "eve", first.path)
    with ws.session() as s:
        awaiting = [i.artifact_id for i in review_items(s, r.run_id)]
        assert first.artifact_id not in awaiting and second.artifact_id in awaiting
        assert not needs_review(s, case_id, first.artifact_id) and needs_review(s, case_id, second.artifact_id)
        assert has_review_match(s, case_id, first.artifact_id)
        assert [(x.item.artifact_id, x.decision, x.decided_by) for x in decided_items(s, r.run_id)] == [
            (first.artifact_id, "confirmed", "eve")]
        # a later decision replaces the current one; the earlier one stays as history
        record_decision(s, "eve2", "T-1", first.artifact_id, "declined", "")
    with ws.session() as s:
        assert [(x.artifact_id, x.decision, x.decided_by) for x in list_decisions(s, "reader", "T-1")] == [
            (first.artifact_id, "declined", "eve2")]
        assert [x.decision for x in list_decisions(s, "reader", "T-1", history=True)] == ["declined", "confirmed"]
        assert decided_items(s, r.run_id)[0].decision == "declined"
        assert s.scalar(select(TriageReview.id).where(TriageReview.decision == "confirmed")) is not None
        events = [(e.actor, e.action, e.target, json.loads(e.details)["decision"], json.loads(e.details)["previous"])
                  for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "triage.review")
                                     .order_by(AuditEvent.seq))]
        assert events == [("eve", "triage.review", first.path, "confirmed", None),
                          ("eve2", "triage.review", first.path, "declined", "confirmed")]
        assert s.scalar(select(AuditEvent.seq).where(AuditEvent.action == "triage.review.read")) is not None


def test_a_decision_needs_a_match_awaiting_review(
        ws: Workspace, triage_set: TriageSet, fake_matcher: FakeMatcher) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "T-1")
        create_case(s, ws.actor, "T-2")
    r = run_triage(ws, "T-1", [triage_set.items["folder"]], TriageOptions(workers=0), matcher=fake_matcher)
    with ws.session() as s:
        ids = dict(s.execute(select(Artifact.path, Artifact.id)).all())
        pid = review_items(s, r.run_id)[0].artifact_id
        for path in ("uploads/Pictures/img_0002.jpg", "uploads/Pictures/img_0001.jpg"):  # exact; no match
            with pytest.raises(InputError, match="no perceptual match awaiting review"):
                record_decision(s, "eve", "T-1", ids[path], "confirmed", "")
        with pytest.raises(InputError, match="unknown decision"):
            record_decision(s, "eve", "T-1", pid, "maybe", "")
        with pytest.raises(NotFoundError):
            record_decision(s, "eve", "T-2", pid, "confirmed", "")   # an artifact of another case
        assert s.scalar(select(TriageReview.id)) is None
