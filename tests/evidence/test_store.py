from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.core.errors import AlreadyExistsError, InputError, IntegrityError, NotFoundError
from tasman.core.models import AuditEvent, Evidence
from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence, create_case, list_evidence, verify_evidence
from tasman.evidence.hashing import acquisition_hash, manifest_hash
from tasman.evidence.paths import join_path, safe_member, split_path


@pytest.fixture
def case(ws: Workspace) -> str:
    with ws.session() as s:
        create_case(s, "tester", "C1", "test case")
    return "C1"


def test_add_is_idempotent(ws: Workspace, case: str, tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"evidence bytes")
    with ws.session() as s:
        first = add_evidence(s, "tester", case, f)
    with ws.session() as s:
        again = add_evidence(s, "tester", case, f)
    assert first.created and not again.created
    assert first.evidence.id == again.evidence.id
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Evidence)) == 1
    assert first.evidence.sha256 == hashlib.sha256(b"evidence bytes").hexdigest()


def test_changed_file_is_refused_and_nothing_stored(ws: Workspace, case: str, tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"original")
    with ws.session() as s:
        original = add_evidence(s, "tester", case, f).evidence.sha256
    f.write_bytes(b"tampered")
    with ws.session() as s:
        n_audit = s.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(IntegrityError, match="changed since it was recorded"), ws.session() as s:
        add_evidence(s, "tester", case, f)
    with ws.session() as s:
        rows = list(s.scalars(select(Evidence)))
        assert [r.sha256 for r in rows] == [original]
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == n_audit


def test_folder_hash_changes_when_a_file_is_added(ws: Workspace, case: str, tmp_path: Path) -> None:
    d = tmp_path / "uploads"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "x.txt").write_text("x")
    with ws.session() as s:
        ev = add_evidence(s, "tester", case, d).evidence
    assert ev.kind == "folder" and ev.file_count == 1
    (d / "y.txt").write_text("y")
    with ws.session() as s:
        checks = verify_evidence(s, "tester", case)
    assert [c.status for c in checks] == ["changed"]


def test_a_hash_from_the_callers_own_read_is_recorded_and_checked(ws: Workspace, case: str, tmp_path: Path) -> None:
    d = tmp_path / "upload"
    (d / "b").mkdir(parents=True)
    (d / "a.txt").write_text("a")
    (d / "b" / "c.txt").write_text("cc")
    (d / "a b.txt").write_text("space sorts before the folder")
    files = [(f.relative_to(d).as_posix(), hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_size)
             for f in d.rglob("*") if f.is_file()]
    own = manifest_hash(reversed(files))                     # any order: the manifest is sorted
    assert own == acquisition_hash(d)
    with ws.session() as s:
        assert add_evidence(s, "tester", case, d, sha256=own).evidence.sha256 == own
    with pytest.raises(IntegrityError, match="changed since it was recorded"), ws.session() as s:
        add_evidence(s, "tester", case, d, sha256=manifest_hash(files[1:]))


def test_verify_reports_missing(ws: Workspace, case: str, tmp_path: Path) -> None:
    f = tmp_path / "gone.bin"
    f.write_bytes(b"1")
    with ws.session() as s:
        add_evidence(s, "tester", case, f)
    f.unlink()
    with ws.session() as s:
        assert [c.status for c in verify_evidence(s, "tester", case)] == ["missing"]


def test_copy_is_read_only_and_verified(ws: Workspace, case: str, tmp_path: Path) -> None:
    f = tmp_path / "img.dd"
    f.write_bytes(b"\0" * 4096)
    with ws.session() as s:
        ev = add_evidence(s, "tester", case, f, copy_into=ws.root / "evidence").evidence
    assert ev.stored_copy is not None
    copy = Path(ev.stored_copy)
    assert copy.read_bytes() == f.read_bytes()
    assert not copy.stat().st_mode & 0o222


def test_missing_path_and_case(ws: Workspace, case: str, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such file"), ws.session() as s:
        add_evidence(s, "tester", case, tmp_path / "nope")
    f = tmp_path / "a"
    f.write_text("a")
    with pytest.raises(NotFoundError, match="no case 'C9'"), ws.session() as s:
        add_evidence(s, "tester", "C9", f)


def test_a_pipe_or_a_device_is_refused_before_any_read(ws: Workspace, case: str, tmp_path: Path) -> None:
    """A FIFO would block the hashing for ever (nobody writes to it); a character device has no
    end. Both are refused at once and nothing is recorded."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/null")):
        with pytest.raises(InputError, match="not a file or a folder"), ws.session() as s:
            add_evidence(s, "tester", case, path)
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Evidence)) == 0


def test_duplicate_case_refused(ws: Workspace, case: str) -> None:
    with pytest.raises(AlreadyExistsError), ws.session() as s:
        create_case(s, "tester", case)


def test_reads_are_audited(ws: Workspace, case: str) -> None:
    with ws.session() as s:
        list_evidence(s, "bob", case)
    with ws.session() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert last is not None and (last.actor, last.action, last.case_ref) == ("bob", "evidence.list", case)


def test_artifact_paths() -> None:
    p = join_path("backup.zip", "inner.zip", "DCIM/a.jpg")
    assert p == "backup.zip!/inner.zip!/DCIM/a.jpg"
    assert split_path(p) == ["backup.zip", "inner.zip", "DCIM/a.jpg"]
    assert safe_member("/DCIM//./a.jpg") == "DCIM/a.jpg"
    with pytest.raises(ValueError, match="climbs out"):
        safe_member("../../etc/passwd")


def _unlistable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """``folder`` cannot be listed, as if it were mode 000 (the tests may run as root, who reads anything)."""
    real = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if os.fspath(path) == os.fspath(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_a_folder_with_an_unreadable_subfolder_is_refused(ws: Workspace, case: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "seized"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "a.txt").write_text("a")
    (root / "b.txt").write_text("b")
    _unlistable(monkeypatch, root / "locked")
    with pytest.raises(InputError, match=r"cannot read folder .*locked: Permission denied"), ws.session() as s:
        add_evidence(s, "tester", case, root)     # its custody hash would silently leave out locked/
    with ws.session() as s:
        assert list_evidence(s, "tester", case) == []
