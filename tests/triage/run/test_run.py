from __future__ import annotations

import csv
import dataclasses
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.core.errors import IntegrityError
from tasman.core.models import Artifact, AuditEvent, Evidence
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.synth.triage_set import TriageSet
from tasman.triage.hashsets.store import import_hashset
from tasman.triage.models import TriageError, TriageFile, TriageMatch, TriageRun
from tasman.triage.readers import Limits
from tasman.triage.run import ProgressInfo, TriageOptions, run_triage
from tasman.triage.types import FileHashes, Match
from tests.triage.badinput import write_bad_folder
from tests.triage.conftest import FakeMatcher


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def tree(root: Path, skip: Path) -> set[Path]:
    return {p for p in root.rglob("*") if skip not in p.parents and p != skip}


def test_triage_of_the_generated_set(ws: Workspace, triage_set: TriageSet) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "T-1")
        import_hashset(s, ws.actor, triage_set.hashlist, "known")       # the real hash-set import and matcher
    ev = [triage_set.items[k] for k in ("folder", "archive", "disk")]
    r = run_triage(ws, "T-1", ev, TriageOptions(hashsets=("known",), workers=0, batch_files=7))
    assert r.status == "finished" and not r.resumed

    matches = {m["path"]: m for m in rows(r.outputs["matches_csv"])}
    assert header(r.outputs["matches_csv"])[:7] == ["path", "sha1", "md5", "match_type", "distance", "hashset",
                                                    "category"]
    assert {p: m["match_type"] for p, m in matches.items()} == triage_set.expected
    assert matches["card.img!/DCIM/_MG_0002.JPG"]["deleted"] == "true"
    assert matches["backup.zip!/inner.zip!/DCIM/img_102.jpg"]["category"] == "2"
    assert int(matches["uploads/Pictures/img_0004_mirror.jpg"]["distance"]) <= 31      # via a dihedral variant

    files = {f["path"]: f for f in rows(r.outputs["files_csv"])}
    assert header(r.outputs["files_csv"]) == ["path", "size", "type", "md5", "sha1", "sha256", "pdq", "quality",
                                              "deleted", "name_flag"]
    assert len(files) == r.counts["files"]
    assert files["card.img!/DCIM/_MG_0002.JPG"]["deleted"] == "true"
    assert files["uploads/Pictures/drawing.png"]["type"] == "image/png" and files["uploads/Pictures/drawing.png"]["pdq"]
    assert files["backup.zip"]["type"] == "application/zip"
    assert files["uploads/Videos/clip.mp4"]["type"] == "video/mp4"
    assert r.counts["videos"] == 1 and r.counts["deleted"] == 1

    errors = rows(r.outputs["errors_csv"])
    assert [e["path"] for e in errors] == ["uploads/Pictures/broken.jpg"]
    assert "truncated" in errors[0]["reason"]

    html = r.outputs["report_html"].read_text()
    assert "<img" not in html.lower() and "data:" not in html and "url(" not in html
    assert "card.img!/DCIM/_MG_0002.JPG" in html and "1 child abuse material" in html
    doc = json.loads(r.outputs["report_json"].read_text())
    assert doc["matches_total"] == len(triage_set.expected) and doc["errors_total"] == 1
    assert {e["name"] for e in doc["evidence"]} == {"uploads", "backup.zip", "card.img"}
    assert doc["top_folders"][0]["matched_files"] >= 1

    with ws.session() as s:
        run = s.get(TriageRun, r.run_id)
        assert run is not None and run.status == "finished" and run.finished_at is not None
        assert s.scalar(select(func.count()).select_from(TriageFile).where(TriageFile.run_id == r.run_id)) \
            == r.counts["files"]
        names = {e.id: e.name for e in s.scalars(select(Evidence))}
        a = s.scalar(select(Artifact).where(Artifact.path == "card.img!/DCIM/_MG_0002.JPG"))
        assert a is not None and a.deleted and names[a.evidence_id] == "card.img"
        assert a.meta["pdq"] and a.meta["pdq_quality"] > 0
        assert isinstance(a.meta["mtime"], int | float) and isinstance(a.meta["inode"], int)  # the FAT entry's
        pic = triage_set.items["folder"] / "Pictures" / "img_0002.jpg"
        b = s.scalar(select(Artifact).where(Artifact.path == "uploads/Pictures/img_0002.jpg"))
        assert b is not None and b.meta["mtime"] == pic.stat().st_mtime      # the file's own time, for timelines
        assert s.scalar(select(func.count(func.distinct(TriageMatch.artifact_id)))) == len(triage_set.expected)
        actions = set(s.scalars(select(AuditEvent.action)))
        assert {"evidence.add", "hashset.use", "triage.start", "triage.finish"} <= actions
        artifacts = s.scalar(select(func.count()).select_from(Artifact))

    again = run_triage(ws, "T-1", ev, TriageOptions(hashsets=("known",), workers=0))
    assert again.run_id != r.run_id and not again.resumed      # a finished run is not resumed
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Artifact)) == artifacts   # updated, not duplicated


def test_every_bad_input_is_an_error_row_and_nothing_is_written_outside(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", actor="tester")
    with ws.session() as s:
        create_case(s, ws.actor, "BAD")
    expected = write_bad_folder(tmp_path / "evidence" / "bad")
    before = tree(tmp_path, tmp_path / "ws")
    r = run_triage(ws, "BAD", [tmp_path / "evidence" / "bad"],
                   TriageOptions(workers=0, limits=Limits(ratio_floor=4 << 20)), matcher=FakeMatcherNone())
    errors = {e["path"]: e["reason"] for e in rows(r.outputs["errors_csv"])}
    for path, word in expected.items():
        assert path in errors, path
        assert word in errors[path].lower() or word in errors[path], (path, errors[path])
    assert all("\n" not in reason for reason in errors.values())
    files = {f["path"]: f for f in rows(r.outputs["files_csv"])}
    assert "bad/fine.jpg" in files and "bad/traversal.zip!/ok/fine.jpg" in files    # the run went on
    assert files["bad/traversal.zip!/%2E%2E/%2E%2E/escaped.txt"]["name_flag"] == "climbs_out"   # read, never written
    assert files["bad/traversal.zip!/ok/fine.jpg"]["name_flag"] == ""
    assert r.status == "finished"
    assert tree(tmp_path, tmp_path / "ws") == before                                # nothing written outside
    assert not (ws.root / "tmp" / f"triage-{r.run_id}").exists()                    # temporary files cleaned
    ws.close()


class FakeMatcherNone:
    def match(self, files: Sequence[FileHashes]) -> list[Match]:
        return []


class Recording(FakeMatcher):
    def __init__(self, hashlist: Path) -> None:
        super().__init__(hashlist)
        self.seen: list[str] = []

    def match(self, files: Sequence[FileHashes]) -> list[Match]:
        self.seen.extend(f.path for f in files)
        return super().match(files)


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_ctrl_c_keeps_finished_work_and_resumes(ws: Workspace, triage_set: TriageSet, engine: str,
                                                request: pytest.FixtureRequest) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "INT")
    ev = [triage_set.items["folder"], triage_set.items["archive"]]
    matcher = Recording(triage_set.hashlist)
    # a long run: the custody hash is a separate pass (see ``custody``), so work is committed as it goes
    options = TriageOptions(workers=0, batch_files=3, batch_seconds=60, own_custody_seconds=0)
    if engine == "ray":                         # the tests' local Ray (2 CPUs)
        request.getfixturevalue("ray_local")
        options = dataclasses.replace(options, engine="ray", workers=None)

    def ctrl_c_at_twelve(p: ProgressInfo) -> None:
        if p.files >= 12:                       # a container's own row (custody read) may come in between
            time.sleep(0.5)                 # the custody hash of this small evidence is done by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_triage(ws, "INT", ev, options, matcher=matcher, progress=ctrl_c_at_twelve)
    with ws.session() as s:
        run = s.scalars(select(TriageRun)).one()
        assert run.status == "interrupted"
        committed = s.scalar(select(func.count()).select_from(TriageFile)) or 0
    # everything hashed before Ctrl-C was kept (the zip's own row, from the custody read, may be among it)
    assert committed == len(matcher.seen) >= 12
    r = run_triage(ws, "INT", ev, options, matcher=matcher)
    assert r.resumed and r.run_id == run.id
    assert r.figures["skipped_as_done"] == committed
    assert r.figures["hashed_this_session"] == r.counts["files"] - committed
    assert len(matcher.seen) == len(set(matcher.seen)) == r.counts["files"]   # nothing matched (or hashed) twice
    with ws.session() as s:
        ids = list(s.scalars(select(TriageFile.artifact_id).where(TriageFile.run_id == r.run_id)))
        assert len(ids) == len(set(ids)) == r.counts["files"]
        paths = list(s.scalars(select(Artifact.path)))
        assert len(paths) == len(set(paths))
        assert s.scalar(select(func.count()).select_from(TriageError)) == 1          # broken.jpg, once
    assert len(rows(r.outputs["files_csv"])) == r.counts["files"]


def test_changed_evidence_stops_the_run_before_anything_is_stored(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", actor="tester")
    with ws.session() as s:
        create_case(s, ws.actor, "CHG")
    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "a.txt").write_text("first")
    first = run_triage(ws, "CHG", [folder], TriageOptions(workers=0), matcher=FakeMatcherNone())
    (folder / "a.txt").write_text("changed since it was recorded")
    with pytest.raises(IntegrityError):
        run_triage(ws, "CHG", [folder], TriageOptions(workers=0), matcher=FakeMatcherNone())
    with ws.session() as s:
        runs = list(s.scalars(select(TriageRun).order_by(TriageRun.id)))
        assert [r.status for r in runs] == ["finished", "failed"]
        assert s.scalar(select(func.count()).select_from(TriageFile).where(TriageFile.run_id != first.run_id)) == 0
    ws.close()


def test_the_custody_hash_comes_from_the_runs_own_read(ws: Workspace, triage_set: TriageSet, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder's manifest from the workers' SHA-256s, a container's hash from the custody read that
    also gives its inventory row, a single picture's from its worker: no second pass over the bytes."""
    from tasman.evidence import hashing

    with ws.session() as s:
        create_case(s, ws.actor, "OWN")
    picture = next(p for p in triage_set.items["folder"].rglob("*.jpg") if "broken" not in p.name)
    ev = [triage_set.items["folder"], triage_set.items["archive"], picture]
    expected = {p.resolve().name: hashing.acquisition_hash(p) for p in ev}

    def second_read(path: Path, progress: object = None) -> str:
        raise AssertionError(f"{path} hashed in a second pass")

    monkeypatch.setattr("tasman.evidence.store.acquisition_hash", second_read)
    for _ in range(2):                                   # recorded, then checked unchanged
        r = run_triage(ws, "OWN", ev, TriageOptions(workers=1, batch_files=4), matcher=FakeMatcherNone())
        assert r.status == "finished"
        with ws.session() as s:
            assert {e.name: e.sha256 for e in s.scalars(select(Evidence))} == expected
    files = {f["path"]: f for f in rows(r.outputs["files_csv"])}
    archive = triage_set.items["archive"]
    assert files[archive.name]["sha256"] == expected[archive.name]         # the container's row, read once
    assert files[archive.name]["type"] == "application/zip" and files[archive.name]["md5"]
    assert sum(p == archive.name for p in files) == 1 and r.counts["files"] == len(files)
    changed = tmp_path / picture.name
    changed.write_bytes(picture.read_bytes())
    run_triage(ws, "OWN", [changed], TriageOptions(workers=0), matcher=FakeMatcherNone())
    changed.write_bytes(picture.read_bytes() + b"trailing bytes")
    with pytest.raises(IntegrityError):                  # a change is caught from the run's own read too
        run_triage(ws, "OWN", [changed], TriageOptions(workers=0), matcher=FakeMatcherNone())


def test_ctrl_c_inside_a_batch_write_is_marked_interrupted_and_keeps_the_batch(
        ws: Workspace, triage_set: TriageSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C landing inside a batch's write, right after a statement ran (where it usually lands
    under load): the batch is rolled back, and its connection, which SQLAlchemy closes as lost,
    must not keep SQLite's write lock while the interrupt is handled (the CI's 'running' run),
    so the stopped run writes the batch again and is marked interrupted, in moments."""
    from sqlalchemy import event

    from tasman.triage import store

    with ws.session() as s:
        create_case(s, ws.actor, "INW")
    monkeypatch.setattr(store, "MARK_LOCK_WAIT", 0.5)        # a lock left behind fails in seconds
    matcher = Recording(triage_set.hashlist)
    options = TriageOptions(workers=0, batch_files=3, batch_seconds=60, own_custody_seconds=0)
    writes: list[int] = []

    def ctrl_c_in_the_first_write(conn, cursor, sql, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if sql.startswith("INSERT INTO triage_files"):
            writes.append(1)
            if len(writes) == 1:
                raise KeyboardInterrupt

    event.listen(ws.engine, "after_cursor_execute", ctrl_c_in_the_first_write)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_triage(ws, "INW", [triage_set.items["folder"]], options, matcher=matcher)
    finally:
        event.remove(ws.engine, "after_cursor_execute", ctrl_c_in_the_first_write)
    assert len(writes) == 2                        # the batch, written again on the way out
    with ws.session() as s:
        assert s.scalars(select(TriageRun)).one().status == "interrupted"
        committed = s.scalar(select(func.count()).select_from(TriageFile)) or 0
    assert committed == len(set(matcher.seen)) > 0     # everything hashed (the batch was matched twice)


def test_ctrl_c_while_the_engine_stops_after_the_last_batch_is_marked_interrupted(
        ws: Workspace, triage_set: TriageSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after every batch was committed, while the engine shuts down (a Ray the command
    started takes seconds): the run is marked interrupted, not left 'running', and resumes."""
    from tasman.triage import run as run_module
    from tasman.triage.pipeline import HashPool

    class CtrlCOnClose(HashPool):
        def close(self, cancel: bool = False) -> None:
            super().close(cancel)
            raise KeyboardInterrupt

    with ws.session() as s:
        create_case(s, ws.actor, "INE")
    monkeypatch.setattr(run_module, "make_engine", lambda *args: CtrlCOnClose(0))
    options = TriageOptions(workers=0)
    with pytest.raises(KeyboardInterrupt):
        run_triage(ws, "INE", [triage_set.items["folder"]], options, matcher=FakeMatcherNone())
    with ws.session() as s:
        assert s.scalars(select(TriageRun)).one().status == "interrupted"
        committed = s.scalar(select(func.count()).select_from(TriageFile)) or 0
    monkeypatch.undo()
    r = run_triage(ws, "INE", [triage_set.items["folder"]], options, matcher=FakeMatcherNone())
    assert r.resumed and r.status == "finished"
    assert r.figures["skipped_as_done"] == committed == r.counts["files"] > 0


def test_a_run_that_cannot_be_marked_interrupted_still_stops_as_interrupted(
        ws: Workspace, triage_set: TriageSet, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A Ctrl-C inside a batch write can leave that SQLite connection holding the lock: marking
    the run is tried again on fresh connections, and if it still fails the interrupt goes on
    (exit 130, not an internal error) and the run resumes like a killed one."""
    import contextlib

    from sqlalchemy.exc import OperationalError

    from tasman.triage.store import mark_stopped

    with ws.session() as s:
        create_case(s, ws.actor, "INT")
    done = run_triage(ws, "INT", [triage_set.items["folder"]], TriageOptions(workers=0))
    real, fails, disposed = ws.session, [3], []

    @contextlib.contextmanager
    def locked() -> Iterator[object]:
        if fails[0] > 0:
            fails[0] -= 1
            raise OperationalError("UPDATE triage_runs", {}, Exception("database is locked"))
        with real() as s:
            yield s

    monkeypatch.setattr(ws, "session", locked)
    real_dispose = ws.engine.dispose
    monkeypatch.setattr(ws.engine, "dispose", lambda: (disposed.append(1), real_dispose()))
    with caplog.at_level("WARNING", logger="tasman.triage.store"):
        mark_stopped(ws, "INT", done.run_id, 3, KeyboardInterrupt())
    assert "could not be marked interrupted" in caplog.text and disposed == [1, 1]   # three tries
    fails[0] = 2                                   # locked twice: the third try on new connections marks it
    mark_stopped(ws, "INT", done.run_id, 3, KeyboardInterrupt())
    with real() as s:
        assert s.get(TriageRun, done.run_id).status == "interrupted"


def test_a_run_stopped_while_another_writer_holds_the_lock_ends_in_seconds(
        ws: Workspace, triage_set: TriageSet, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """Marking a stopped run waits for another writer's SQLite lock only briefly (each of its three
    tries), so Ctrl-C never turns into minutes of lock waits; the run resumes as it is."""
    import sqlite3
    import time

    from tasman.triage import store

    if ws.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's file lock")
    with ws.session() as s:
        create_case(s, ws.actor, "LCK")
    done = run_triage(ws, "LCK", [triage_set.items["folder"]], TriageOptions(workers=0))
    monkeypatch.setattr(store, "MARK_LOCK_WAIT", 0.2)
    holder = sqlite3.connect(ws.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with caplog.at_level("WARNING", logger="tasman.triage.store"):
            store.mark_stopped(ws, "LCK", done.run_id, 3, KeyboardInterrupt())
        assert time.monotonic() - started < 10 and "could not be marked interrupted" in caplog.text
    finally:
        holder.rollback()
        holder.close()
    store.mark_stopped(ws, "LCK", done.run_id, 3, KeyboardInterrupt())
    with ws.session() as s:
        assert s.get(TriageRun, done.run_id).status == "interrupted"
