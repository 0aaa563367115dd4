"""Issue 15: a member's name never hides it from triage. Each kind of hostile name, in zip, tar,
7z and RAR (4 and 5) and nested inside an inner zip, holds the triage set's listed picture: it
must be MATCHED, shown under an inert rendering with its ``name_flag``, and nothing may be
written outside the workspace."""

from __future__ import annotations

import csv
import io
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import py7zr
import pytest

from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.evidence.paths import SEP, render_member, render_step, split_path
from tasman.synth.disks import make_ext_image
from tasman.synth.rar import rar4_stored, rar5_stored
from tasman.synth.triage_set import TriageSet, make_triage_set
from tasman.triage.readers import read_member
from tasman.triage.run import TriageOptions, run_triage
from tests.triage.conftest import FakeMatcher

FIXED_TIME = (2024, 1, 1, 12, 0, 0)
LONG_STEP = "L" * 300 + ".jpg"                          # one step over 255 bytes
LONG_PATH = ("d" * 200 + "/") * 25 + "deep.jpg"          # a name over 4,096 bytes
# name -> the flag it must get; every archive kind holds each of them
HOSTILE = {
    "../../../../tmp/x.jpg": "climbs_out",
    "/abs/x.jpg": "absolute",
    "ctl\x1b[2J\x07.jpg": "control_chars",
    "new\nline.jpg": "control_chars",
    LONG_STEP: "too_long",
}
FLAGS_OF = {"tar": {**HOSTILE, LONG_PATH: "too_long"}, "zip": {**HOSTILE, LONG_PATH: "too_long"},
            "7z": HOSTILE, "rar": {**HOSTILE, LONG_PATH: "too_long"}, "rar5": HOSTILE}   # RAR 5 caps names at 2 KB


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> tuple[TriageSet, bytes]:
    s = make_triage_set(tmp_path_factory.mktemp("set") / "set")
    return s, (s.items["folder"] / "Pictures" / "img_0002.jpg").read_bytes()     # on the hash list, exact


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)
    return buf.getvalue()


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _7z(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as z:
        for name, data in members:
            z._writestr(data, name)     # py7zr's public writestr refuses these names; a hostile tool does not
    return buf.getvalue()


WRITERS: dict[str, Callable[[list[tuple[str, bytes]]], bytes]] = {
    "zip": _zip, "tar": _tar, "7z": _7z,
    "rar": lambda m: rar4_stored(dict(m)), "rar5": lambda m: rar5_stored(dict(m)),
}


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["path"]: r for r in csv.DictReader(fh)}


def _triage(tmp_path: Path, evidence: Path, s: TriageSet) -> tuple[dict[str, dict[str, str]], ...]:
    ws = Workspace.init(tmp_path / "ws", actor="tester")
    with ws.session() as session:
        create_case(session, ws.actor, "H-1")
    r = run_triage(ws, "H-1", [evidence], TriageOptions(workers=0), matcher=FakeMatcher(s.hashlist))
    ws.close()
    return _rows(r.outputs["files_csv"]), _rows(r.outputs["matches_csv"]), _rows(r.outputs["errors_csv"])


def _outside(root: Path, skip: Path) -> set[Path]:
    return {p for p in root.rglob("*") if skip not in p.parents and p != skip}


def test_render_member_is_inert_and_says_what_was_wrong() -> None:
    for name, flag in {**HOSTILE, LONG_PATH: "too_long"}.items():
        shown, flags = render_member(name)
        assert flag in flags, name
        assert ".." not in shown.split("/") and not shown.startswith("/"), shown
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in shown), shown
        assert all(len(p.encode()) <= 255 for p in shown.split("/")) and len(shown.encode()) <= 4096
        assert split_path(f"a.zip{SEP}{shown}") == ["a.zip", shown]             # one step, whatever the name
    assert render_member("../../x.jpg") == ("%2E%2E/%2E%2E/x.jpg", ("climbs_out",))
    assert render_member("/../x\x00.jpg") == ("%2F%2E%2E/x%00.jpg", ("absolute", "climbs_out", "control_chars"))
    assert render_member("./DCIM//a.jpg") == ("DCIM/a.jpg", ())                 # harmless: unflagged
    assert render_member("C:\\Windows\\x.jpg") == ("C%3A/Windows/x.jpg", ("absolute",))
    assert render_member(LONG_STEP)[0] != render_member("L" * 301 + ".jpg")[0]  # cut names stay apart


@pytest.mark.parametrize("kind", list(WRITERS))
def test_every_hostile_name_is_read_and_matched(tmp_path: Path, listed: tuple[TriageSet, bytes], kind: str) -> None:
    s, picture = listed
    names = FLAGS_OF[kind]
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / f"h.{kind}").write_bytes(WRITERS[kind]([(n, picture) for n in names]))
    before = _outside(tmp_path, tmp_path / "ws")
    files, matches, errors = _triage(tmp_path, ev, s)
    assert not errors, errors
    for name, flag in names.items():
        path = f"ev/h.{kind}{SEP}{render_member(name)[0]}"
        assert path in matches, (name, sorted(matches))                         # hashed and matched
        assert matches[path]["match_type"] == "exact"
        assert flag in matches[path]["name_flag"].split(","), matches[path]
        assert files[path]["name_flag"] == matches[path]["name_flag"]
    assert _outside(tmp_path, tmp_path / "ws") == before                         # nothing written by name
    assert not Path("/tmp/x.jpg").exists() and not (tmp_path / "abs").exists()


def test_duplicates_and_nested_hostile_names_are_matched(tmp_path: Path, listed: tuple[TriageSet, bytes]) -> None:
    s, picture = listed
    inner = _zip([("../../../../tmp/x.jpg", picture), ("ok.txt", b"fine")])
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr(zipfile.ZipInfo("same.bin", FIXED_TIME), b"not the picture")
        z.writestr(zipfile.ZipInfo("same.bin", FIXED_TIME), picture)        # the listed one hides second
        z.writestr(zipfile.ZipInfo("../up/inner.zip", FIXED_TIME), inner)
    data = outer.getvalue()
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "outer.zip").write_bytes(data)
    files, matches, errors = _triage(tmp_path, ev, s)
    assert not errors, errors
    assert matches["ev/outer.zip!/same.bin~2"]["name_flag"] == "duplicate"
    assert "ev/outer.zip!/same.bin" not in matches and files["ev/outer.zip!/same.bin"]["name_flag"] == ""
    nested = "ev/outer.zip!/%2E%2E/up/inner.zip!/%2E%2E/%2E%2E/%2E%2E/%2E%2E/tmp/x.jpg"
    assert matches[nested]["name_flag"] == "climbs_out"
    assert files["ev/outer.zip!/%2E%2E/up/inner.zip"]["name_flag"] == "climbs_out"
    assert read_member(ev, nested, max_bytes=1 << 20) == picture          # the review preview finds it back


def test_a_name_cut_at_a_nul_byte_is_still_read_and_matched(tmp_path: Path, listed: tuple[TriageSet, bytes]) -> None:
    """zipfile and libarchive both end a name at NUL: the member is read under the part before it."""
    s, picture = listed
    data = _zip([("hidXen.jpg", picture)]).replace(b"hidXen.jpg", b"hid\x00en.jpg")
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "nul.zip").write_bytes(data)
    _files, matches, errors = _triage(tmp_path, ev, s)
    assert not errors, errors
    assert [p for p in matches if p.startswith("ev/nul.zip!/")] == ["ev/nul.zip!/hid"]


def test_hostile_names_inside_a_disk_image_are_rendered_and_matched(tmp_path: Path,
                                                                    listed: tuple[TriageSet, bytes]) -> None:
    s, picture = listed
    ev = tmp_path / "ev"
    make_ext_image(ev / "disk.img", {"dir\x1b[2J/pic.jpg": picture, "new\nline.jpg": picture, "ok.jpg": picture})
    files, matches, errors = _triage(tmp_path, ev, s)
    assert not errors, errors
    assert matches["ev/disk.img!/dir%1B[2J/pic.jpg"]["name_flag"] == "control_chars"      # the folder's name
    assert matches["ev/disk.img!/new%0Aline.jpg"]["name_flag"] == "control_chars"
    assert matches["ev/disk.img!/ok.jpg"]["name_flag"] == "" == files["ev/disk.img!/ok.jpg"]["name_flag"]
    assert render_step("a/b\x07") == ("a%2Fb%07", ("control_chars",))
    assert render_step("x" * 300)[1] == ("too_long",)
