"""E01 acquisition hashes: read from the image, checked against its media, kept with the item,
re-checked by ``verify``; a forged, stripped or truncated image is reported, never 'agree'."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select

from tasman.core.errors import ExitCode
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence, create_case, verify_evidence
from tasman.evidence.ewf import ABSENT, AGREE, DISAGREE, UNREADABLE, check_media_hashes, is_ewf
from tasman.evidence.store import media_hashes

pytestmark = pytest.mark.skipif(shutil.which("ewfacquire") is None, reason="ewf-tools not installed")

SECTOR = 512


def _raw(path: Path, sectors: int = 2048) -> bytes:
    """Benign patterned bytes (a counter), a whole number of sectors."""
    data = b"".join(struct.pack("<Q", i) * (SECTOR // 8) for i in range(sectors))
    path.write_bytes(data)
    return data


def _e01(tmp_path: Path, name: str = "seized") -> tuple[Path, bytes]:
    raw = tmp_path / f"{name}.raw"
    data = _raw(raw)
    stem = tmp_path / name
    subprocess.run(["ewfacquire", "-u", "-q", "-t", str(stem), "-c", "deflate:fast", "-d", "sha1", "-C", "T-1",
                    "-D", "test", "-e", "tasman", "-E", "1", "-N", "benign", "-m", "removable", str(raw)],
                   check=True, capture_output=True)
    raw.unlink()
    return stem.with_name(name + ".E01"), data


def _forge(e01: Path, md5: bytes | None, sha1: bytes | None) -> None:
    """Overwrite the hashes the image stores (its 'digest' and 'hash' sections), with the sections'
    Adler-32 checksums made right again, so libewf reads the forged values as genuine."""
    b = bytearray(e01.read_bytes())
    for section, length in ((b"digest", 80), (b"hash", 36)):
        at = b.find(section.ljust(16, b"\0"))
        assert at > 0, section
        data = at + 76                          # after the section descriptor
        if md5 is not None:
            b[data:data + 16] = md5
        if sha1 is not None and section == b"digest":
            b[data + 16:data + 36] = sha1
        struct.pack_into("<I", b, data + length - 4, zlib.adler32(bytes(b[data:data + length - 4])))
    e01.write_bytes(bytes(b))


@pytest.fixture
def case(ws: Workspace) -> str:
    with ws.session() as s:
        create_case(s, "tester", "C1", "test case")
    return "C1"


def test_stored_hashes_agree_with_the_media(ws: Workspace, case: str, tmp_path: Path) -> None:
    e01, data = _e01(tmp_path)
    assert is_ewf(e01)
    with ws.session() as s:
        r = add_evidence(s, "tester", case, e01)
        assert r.media is not None and r.media.status == AGREE
        assert r.media.md5_stored == r.media.md5_media == hashlib.md5(data).hexdigest()
        assert r.media.sha1_stored == r.media.sha1_media == hashlib.sha1(data).hexdigest()
    with ws.session() as s:
        add = s.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.add")).one()
        assert json.loads(add.details)["media_hashes"] == AGREE
        [check] = verify_evidence(s, "tester", case)
        assert check.status == "ok" and check.media is not None and check.media.status == AGREE and check.ok


def test_a_forged_stored_hash_disagrees_and_is_still_recorded(ws: Workspace, case: str, tmp_path: Path) -> None:
    e01, data = _e01(tmp_path)
    _forge(e01, md5=b"\x11" * 16, sha1=None)
    with ws.session() as s:
        r = add_evidence(s, "tester", case, e01)
        assert r.created and r.media is not None and r.media.status == DISAGREE
        assert r.media.md5_stored == "11" * 16 and r.media.md5_media == hashlib.md5(data).hexdigest()
        assert "MD5" in r.media.reason and "SHA1" not in r.media.reason   # SHA-1 still agrees
    with ws.session() as s:
        [check] = verify_evidence(s, "tester", case)
        assert check.status == "ok" and check.media is not None and check.media.status == DISAGREE
        assert not check.ok
        verify = s.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.verify")).one()
        assert json.loads(verify.details)["media_hashes"] == {str(check.evidence.id): DISAGREE}


def test_an_image_without_stored_hashes_is_absent(ws: Workspace, case: str, tmp_path: Path) -> None:
    e01, data = _e01(tmp_path)
    _forge(e01, md5=bytes(16), sha1=bytes(20))    # libewf reads all-zero hashes as not stored
    assert check_media_hashes(e01).status == ABSENT
    with ws.session() as s:
        m = add_evidence(s, "tester", case, e01).media
        assert m is not None and m.status == ABSENT and m.md5_stored is None and m.sha1_stored is None
        assert m.md5_media == hashlib.md5(data).hexdigest()     # the media's own hash is kept all the same


def test_a_truncated_image_is_unreadable_not_agree(ws: Workspace, case: str, tmp_path: Path) -> None:
    e01, _ = _e01(tmp_path)
    whole = e01.read_bytes()
    e01.write_bytes(whole[: len(whole) // 2])
    with ws.session() as s:
        r = add_evidence(s, "tester", case, e01)
        assert r.created and r.media is not None and r.media.status == UNREADABLE
        assert r.media.reason.startswith("libewf cannot") and "\n" not in r.media.reason
        assert media_hashes(s, r.evidence.id) is not None


def test_other_files_carry_no_acquisition_hashes(ws: Workspace, case: str, tmp_path: Path) -> None:
    raw = tmp_path / "disk.raw"
    _raw(raw, 8)
    with ws.session() as s:
        r = add_evidence(s, "tester", case, raw)
        assert r.media is None and not is_ewf(raw)
        assert media_hashes(s, r.evidence.id) is None


def test_cli_records_then_exits_7_on_disagreement(run_cli, migrated_db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = ["-w", tmp_path / "ws"]
    assert run_cli("--db", migrated_db_url, "init", tmp_path / "ws").exit_code == 0
    assert run_cli(*w, "case", "create", "C1").exit_code == 0
    good, _ = _e01(tmp_path, "good")
    bad, _ = _e01(tmp_path, "bad")
    _forge(bad, md5=b"\x22" * 16, sha1=b"\x33" * 20)
    r = run_cli(*w, "evidence", "add", "C1", good, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[0]["media_hashes"]["status"] == AGREE
    r = run_cli(*w, "evidence", "add", "C1", bad)
    assert r.exit_code == ExitCode.INTEGRITY
    assert "disagree" in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    r = run_cli(*w, "--json", "evidence", "list", "C1")
    assert [e["name"] for e in json.loads(r.stdout)] == ["good.E01", "bad.E01"]    # nothing lost
    r = run_cli(*w, "--json", "evidence", "verify", "C1")
    assert r.exit_code == ExitCode.INTEGRITY
    rows = {e["name"]: e for e in json.loads(r.stdout)}
    assert rows["good.E01"]["ok"] and rows["good.E01"]["media_hashes"]["status"] == AGREE
    assert rows["bad.E01"]["status"] == "ok" and not rows["bad.E01"]["ok"]
    assert {h["status"] for h in rows["bad.E01"]["media_hashes"]["hashes"]} == {DISAGREE}
    out = tmp_path / "report.html"
    r = run_cli(*w, "report", "--case", "C1", "--out", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.with_suffix(".json").read_text())
    got = [(e["name"], e["acquisition_hashes"]) for e in doc["evidence"]]
    assert got == [("good.E01", AGREE), ("bad.E01", DISAGREE)]
    assert "stored MD5 " + "22" * 16 in doc["evidence"][1]["acquisition_note"]
    assert "<strong>disagree</strong>" in out.read_text()
