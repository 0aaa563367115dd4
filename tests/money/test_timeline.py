"""Triage hits on the money timeline: artifacts holding a subject's strong identifier that matched
a (test) hash list, with the artifact's path, list and category, never the picture."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from tasman.core.models import Case
from tasman.core.workspace import Workspace
from tasman.money.run import analyse_case
from tasman.money.timeline import triage_hits
from tests.attribute import factory as f

from .helpers import store_case

SENDER0 = "+12015550010"  # the phone of S-000001 (sender 0 of the facilitator)
FILE_TIME = datetime(2024, 3, 2, 4, 30, tzinfo=UTC)


def _artifacts(ws: Workspace) -> None:
    with ws.session() as s:
        case = s.scalars(select(Case).where(Case.ref == "C1")).one()
        pic = f.artifact(s, case, "DCIM/IMG_0002.jpg", evidence_name="laptop.zip")
        f.observation(s, case, "phone", SENDER0, artifact=pic)        # e.g. in the picture's EXIF comment
        f.triage_match(s, case, pic, category=1)
        dated = f.artifact(s, case, "DCIM/IMG_0003.jpg", evidence_name="laptop.zip", sha256="56" * 32)
        dated.meta = {"mtime": FILE_TIME.timestamp()}
        f.observation(s, case, "phone", SENDER0, artifact=dated)
        f.triage_match(s, case, dated, match_type="perceptual", hash_name="pdq", distance=8, category=2)
        benign = f.artifact(s, case, "Program Files/app.dll", evidence_name="laptop.zip", sha256="78" * 32)
        f.observation(s, case, "phone", SENDER0, artifact=benign)
        f.triage_match(s, case, benign, hashset="nsrl", category=None, known_good=True)
        other = f.artifact(s, case, "DCIM/IMG_0004.jpg", evidence_name="laptop.zip", sha256="9a" * 32)
        f.observation(s, case, "phone", "+12015550999", artifact=other)  # no subject's identifier
        f.triage_match(s, case, other)


def test_triage_hits_of_the_senders_subjects_join_the_timeline(ws: Workspace, tmp_path: Path) -> None:
    store_case(ws, tmp_path)
    _artifacts(ws)
    out = tmp_path / "money"
    with ws.session() as s:
        analyse_case(s, "t", "C1", out_dir=out)
    with (out / "timeline.csv").open() as fh:
        hits = [e for e in csv.DictReader(fh) if e["kind"] == "triage"]
    assert [(e["who"], e["ref"]) for e in hits] == [("S-000001", "laptop.zip!/DCIM/IMG_0003.jpg"),
                                                   ("S-000001", "laptop.zip!/DCIM/IMG_0002.jpg")]
    dated, undated = hits
    assert dated["ts"].startswith("2024-03-02T04:30:00") and "file time" in dated["summary"]
    assert "exploitive" in dated["summary"] and "perceptual" in dated["summary"] and "phone" in dated["summary"]
    assert "time of the triage run" in undated["summary"] and "cam" in undated["summary"]
    assert undated["ts"][:4] == str(datetime.now(UTC).year)
    html = (out / "money.html").read_text()
    assert "IMG_0002.jpg" in html and "<img" not in html


def test_no_subjects_or_no_hits_give_no_events(ws: Workspace, tmp_path: Path) -> None:
    store_case(ws, tmp_path)
    with ws.session() as s:
        case_id = s.scalars(select(Case.id).where(Case.ref == "C1")).one()
        assert triage_hits(s, case_id, ["S-000001", "S-000002"]) == []   # no artifacts at all
    _artifacts(ws)
    with ws.session() as s:
        assert triage_hits(s, case_id, []) == []
        assert triage_hits(s, case_id, ["S-000002"]) == []               # its phone is in no artifact
        assert len(triage_hits(s, case_id, ["S-000001", "S-999999"])) == 2
