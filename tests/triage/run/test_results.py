"""Reading stored triage results back (tasman.triage.results): what the web app and the API show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tasman.core.errors import NotFoundError
from tasman.core.models import Artifact, AuditEvent
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.synth.triage_set import TriageSet
from tasman.triage.models import TriageMatch, TriageRun
from tasman.triage.results import (
    REVIEW_TYPES,
    inventory,
    list_runs,
    needs_review,
    preview_second,
    review_items,
    run_report,
)
from tasman.triage.run import TriageOptions, run_triage
from tests.serve.triage_data import VIDEO_LIST, import_video_list, make_video_set
from tests.triage.conftest import FakeMatcher


def test_runs_report_and_review_queue(ws: Workspace, triage_set: TriageSet, fake_matcher: FakeMatcher) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "T-1")
        assert run_report(s, ws.actor, "T-1") is None            # nothing has finished yet
        assert list_runs(s, ws.actor, "T-1") == []
    evidence = [triage_set.items[k] for k in ("folder", "archive")]
    r = run_triage(ws, "T-1", evidence, TriageOptions(workers=0), matcher=fake_matcher)
    with ws.session() as s:
        runs = list_runs(s, "reader", "T-1")
        assert [(x.id, x.status, x.evidence) for x in runs] == [(r.run_id, "finished", ["uploads", "backup.zip"])]
        assert runs[0].counts == r.counts
        doc = run_report(s, "reader", "T-1")
        assert doc is not None and doc.run_id == r.run_id
        # the same document the run wrote to report.json, from the database
        written = json.loads(r.outputs["report_json"].read_text())
        assert doc.model_dump(mode="json", exclude={"generated_at"}) == {
            k: v for k, v in written.items() if k != "generated_at"}
        expected = {p: t for p, t in triage_set.expected.items() if p.startswith(("uploads/", "backup.zip"))}
        assert {m.path: m.match_type for m in doc.matches} == expected
        queue = review_items(s, r.run_id)
        assert sorted(i.path for i in queue) == sorted(p for p, t in expected.items() if t == "perceptual")
        ids = dict(s.execute(select(Artifact.path, Artifact.id)).all())
        case_id = s.get(TriageRun, r.run_id).case_id  # type: ignore[union-attr]
        assert all(needs_review(s, case_id, i.artifact_id) for i in queue)
        assert not needs_review(s, case_id, ids["uploads/Pictures/img_0002.jpg"])      # exact: no look needed
        assert not needs_review(s, case_id, ids["uploads/Pictures/img_0001.jpg"])      # no match at all
        inv = inventory(s, case_id)
        assert inv.files == r.counts["files"] and inv.by_type["image/jpeg"] >= 5
        with pytest.raises(NotFoundError):
            run_report(s, "reader", "T-1", r.run_id + 1)
        actions = [a for a, in s.execute(select(AuditEvent.action).where(AuditEvent.actor == "reader"))]
        assert actions == ["triage.runs", "triage.report.read"]


def test_an_unfinished_run_has_no_report_yet(ws: Workspace, triage_set: TriageSet, fake_matcher: FakeMatcher) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "T-2")
    r = run_triage(ws, "T-2", [triage_set.items["folder"]], TriageOptions(workers=0), matcher=fake_matcher)
    with ws.session() as s:
        run = s.get(TriageRun, r.run_id)
        assert run is not None
        run.status = "interrupted"
    with ws.session() as s:
        assert run_report(s, ws.actor, "T-2") is None
        with pytest.raises(NotFoundError, match="has not finished"):
            run_report(s, ws.actor, "T-2", r.run_id)
        assert list_runs(s, ws.actor, "T-2")[0].counts["files"] == r.counts["files"]   # counted now


def test_a_video_match_is_reviewed_like_a_picture(ws: Workspace, tmp_path: Path) -> None:
    """vPDQ is a perceptual match too: a video matched by it awaits a person's look (an exact
    match of a video does not), and its preview frame is where the matched part starts."""
    assert set(REVIEW_TYPES) == {"perceptual", "crop", "video"}
    videos = make_video_set(tmp_path)
    with ws.session() as s:
        create_case(s, ws.actor, "T-3")
    import_video_list(ws, videos)
    r = run_triage(ws, "T-3", [videos.folder], TriageOptions(hashsets=(VIDEO_LIST,), workers=0))
    with ws.session() as s:
        doc = run_report(s, "reader", "T-3")
        assert doc is not None
        assert {m.path: m.match_type for m in doc.matches} == {videos.matched: "video", videos.exact: "exact"}
        queue = review_items(s, r.run_id)
        assert [(i.path, i.match_type, i.hashset) for i in queue] == [(videos.matched, "video", VIDEO_LIST)]
        ids = dict(s.execute(select(Artifact.path, Artifact.id)).all())
        case_id = s.get(TriageRun, r.run_id).case_id  # type: ignore[union-attr]
        assert needs_review(s, case_id, ids[videos.matched]) and not needs_review(s, case_id, ids[videos.exact])
        assert preview_second(s, case_id, ids[videos.matched]) == 1.0
        assert preview_second(s, case_id, ids[videos.exact]) is None      # no video match awaiting a look
        # a match stored without the start of its matched part: the middle of the hashed frames
        match = s.scalar(select(TriageMatch).where(TriageMatch.artifact_id == ids[videos.matched]))
        assert match is not None and match.detail["first_frame"] == 5
        match.detail = {k: v for k, v in match.detail.items() if not k.startswith("first_")}
    with ws.session() as s:
        assert preview_second(s, case_id, ids[videos.matched]) == 4.0    # 9 frames hashed, one a second
