from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import py7zr
import pytest

from tasman.core.errors import InputError, NotFoundError
from tasman.synth.disks import make_fat_image
from tasman.synth.triage_set import TriageSet, jpeg
from tasman.triage.readers import Entry, Limits, iter_entries, read_member
from tests.triage.badinput import bomb_zip, broken_zip, traversal_tar, traversal_zip, zip_bytes


def walk(path: Path, limits: Limits | None = None, temp: Path | None = None) -> tuple[dict[str, Entry], dict[str, str]]:
    errors: dict[str, str] = {}
    seen: dict[str, Entry] = {}
    digests: dict[str, str] = {}
    for e in iter_entries(path, on_error=lambda p, r: errors.__setitem__(p, r), limits=limits, temp_dir=temp):
        assert e.path not in seen, f"path yielded twice: {e.path}"
        with e.open() as fh:
            digests[e.path] = hashlib.md5(fh.read()).hexdigest()
        seen[e.path] = e
        e.meta["md5"] = digests[e.path]
    return seen, errors


def test_folder_paths_and_types_by_content(tmp_path: Path) -> None:
    root = tmp_path / "phone"
    (root / "DCIM").mkdir(parents=True)
    (root / "DCIM" / "IMG_1.JPG").write_bytes(jpeg(1))
    buf = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (8, 8)).save(buf, "PNG")
    (root / "DCIM" / "really-a-png.jpg").write_bytes(buf.getvalue())
    (root / "notes.jpg").write_text("just text\n")
    (root / "link.jpg").symlink_to(root / "DCIM" / "IMG_1.JPG")
    entries, errors = walk(root)
    assert set(entries) == {"phone/DCIM/IMG_1.JPG", "phone/DCIM/really-a-png.jpg", "phone/notes.jpg"}
    assert entries["phone/DCIM/IMG_1.JPG"].mime == "image/jpeg"
    assert entries["phone/DCIM/really-a-png.jpg"].mime == "image/png"     # content, not the name
    assert entries["phone/notes.jpg"].mime == "text/plain"
    assert "not followed" in errors["phone/link.jpg"]
    os.utime(root / "notes.jpg", (1_600_000_000, 1_600_000_000))
    assert walk(root)[0]["phone/notes.jpg"].meta["mtime"] == 1_600_000_000  # file times travel with entries
    os.utime(root / "notes.jpg", (1_600_000_100, 1_600_000_100))
    assert walk(root / "notes.jpg")[0]["notes.jpg"].meta["mtime"] == 1_600_000_100


def test_zip_in_zip(triage_set: TriageSet) -> None:
    entries, errors = walk(triage_set.items["archive"])
    assert not errors
    assert "backup.zip!/inner.zip!/DCIM/img_102.jpg" in entries
    assert entries["backup.zip!/inner.zip!/DCIM/img_102.jpg"].meta["md5"] == hashlib.md5(jpeg(102)).hexdigest()
    assert {"backup.zip", "backup.zip!/inner.zip", "backup.zip!/readme.txt", "backup.zip!/photos/img_201.jpg"} \
        <= set(entries)


def test_tar_gz_and_single_compressed_stream(tmp_path: Path) -> None:
    tgz = tmp_path / "photos.tar.gz"
    with tarfile.open(tgz, "w:gz") as t:
        for name, data in (("a/one.jpg", jpeg(21)), ("b/two.txt", b"two")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    import gzip

    gz = tmp_path / "pic.jpg.gz"
    gz.write_bytes(gzip.compress(jpeg(22), mtime=0))
    entries, errors = walk(tgz)
    assert not errors
    assert {"photos.tar.gz!/a/one.jpg", "photos.tar.gz!/b/two.txt"} <= set(entries)
    entries, errors = walk(gz)
    assert not errors
    assert entries["pic.jpg.gz!/pic.jpg"].meta["md5"] == hashlib.md5(jpeg(22)).hexdigest()


def test_7z(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "x.jpg").write_bytes(jpeg(31))
    (src / "y.txt").write_text("why")
    archive = tmp_path / "set.7z"
    with py7zr.SevenZipFile(archive, "w") as z:
        z.write(src / "x.jpg", "pics/x.jpg")
        z.write(src / "y.txt", "y.txt")
    entries, errors = walk(archive)
    assert not errors
    assert entries["set.7z!/pics/x.jpg"].meta["md5"] == hashlib.md5(jpeg(31)).hexdigest()
    assert "set.7z!/y.txt" in entries


def test_fat_image_with_deleted_file(triage_set: TriageSet) -> None:
    entries, errors = walk(triage_set.items["disk"])
    assert not errors
    live = entries["card.img!/DCIM/IMG_0001.JPG"]
    gone = entries["card.img!/DCIM/_MG_0002.JPG"]        # FAT keeps the name minus its first letter
    assert not live.deleted and gone.deleted
    assert gone.meta["md5"] == hashlib.md5(jpeg(302)).hexdigest()   # the data is still there


@pytest.mark.parametrize("kind", ["partitioned", "split", "e01"])
def test_partitioned_split_and_e01_images_read_the_same(triage_set: TriageSet, kind: str) -> None:
    if kind not in triage_set.extras:
        pytest.skip(f"{kind} image could not be made here")
    image = triage_set.extras[kind]
    entries, errors = walk(image)
    assert not errors
    inner = {p.split("!/", 1)[1]: e.meta["md5"] for p, e in entries.items() if "!/" in p}
    assert inner["p1/DCIM/_MG_0002.JPG"] == hashlib.md5(jpeg(302)).hexdigest()
    assert entries[f"{image.name}!/p1/DCIM/_MG_0002.JPG"].deleted
    assert inner["p1/DCIM/IMG_0001.JPG"] == hashlib.md5(jpeg(301)).hexdigest()


def test_member_names_that_climb_out_are_read_under_an_inert_name_never_written(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "t.zip").write_bytes(traversal_zip())
    (ev / "t.tar").write_bytes(traversal_tar())
    before = set(tmp_path.rglob("*"))
    entries, errors = walk(ev, temp=tmp_path / "spill")
    assert not errors
    climbed = entries["ev/t.zip!/%2E%2E/%2E%2E/escaped.txt"]
    assert climbed.meta["md5"] == hashlib.md5(b"should never be written").hexdigest()     # read, hashed
    assert climbed.meta["name_flag"] == "climbs_out"
    assert entries["ev/t.tar!/%2E%2E/%2E%2E/%2E%2E/tar-escaped.txt"].meta["name_flag"] == "climbs_out"
    assert entries["ev/t.zip!/%2Fabs/evil.txt"].meta["name_flag"] == "absolute"
    assert "name_flag" not in entries["ev/t.zip!/ok/fine.jpg"].meta
    assert "ev/t.tar!/good.txt" in entries
    after = set(tmp_path.rglob("*")) - {tmp_path / "spill"}
    assert after == before
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_zip_bomb_stops_that_archive_only(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "bomb.zip").write_bytes(bomb_zip(8))
    (ev / "after.jpg").write_bytes(jpeg(41))
    entries, errors = walk(ev, Limits(ratio_floor=1 << 20, max_ratio=50))
    assert "zip bomb" in errors["ev/bomb.zip"]
    assert "ev/after.jpg" in entries                        # the walk went on


def test_broken_and_fake_archives_are_warnings(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "broken.zip").write_bytes(broken_zip())
    (ev / "fake.zip").write_bytes(b"PK\x03\x04" + b"garbage" * 40)
    (ev / "z-last.txt").write_text("still read")
    entries, errors = walk(ev)
    assert "ev/broken.zip" in errors and "ev/fake.zip" in errors
    assert "ev/z-last.txt" in entries


def test_nesting_limit(tmp_path: Path) -> None:
    data = zip_bytes({"deep.txt": b"x"})
    for _ in range(4):
        data = zip_bytes({"next.zip": data})
    (tmp_path / "nest.zip").write_bytes(data)
    entries, errors = walk(tmp_path / "nest.zip", Limits(max_depth=2))
    assert any("nested more than 2" in r for r in errors.values())
    assert not any(p.endswith("deep.txt") for p in entries)


def test_disk_image_inside_zip_spills_to_the_given_folder_and_cleans_up(tmp_path: Path) -> None:
    card = make_fat_image(tmp_path / "card.img", {"A.JPG": jpeg(51)}, size_kib=2048)
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "cards.zip").write_bytes(zip_bytes({"card.img": card.read_bytes()}))
    spill = tmp_path / "spill"
    entries, errors = walk(tmp_path / "ev", Limits(spill_bytes=64 << 10), temp=spill)
    assert not errors
    assert entries["ev/cards.zip!/card.img!/A.JPG"].meta["md5"] == hashlib.md5(jpeg(51)).hexdigest()
    assert entries["ev/cards.zip!/card.img"].temp
    assert list(spill.iterdir()) == []                     # spills are gone once the walk moved on


def test_truncated_disk_image_reports_unreadable_files_and_goes_on(tmp_path: Path) -> None:
    card = make_fat_image(tmp_path / "card.img", {"A.JPG": jpeg(61), "B.TXT": b"b" * 100}, size_kib=2048)
    data = card.read_bytes()
    cut = tmp_path / "cut.img"
    # keep the boot sector, FATs and root folder; lose the files' clusters (unreadable sectors)
    cut.write_bytes(data[: 20 * 1024])
    entries, errors = walk(cut)
    assert "cut.img" in entries
    assert "unreadable data" in errors["cut.img!/A.JPG"] and "unreadable data" in errors["cut.img!/B.TXT"]
    cut.write_bytes(data[: 4 * 1024])                         # not even the root folder is left
    entries, errors = walk(cut)
    assert "cannot list folder" in errors["cut.img"]


def test_duplicate_member_names_stay_distinct(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z, pytest.warns(UserWarning):
        z.writestr("same.txt", b"first")
        z.writestr("same.txt", b"second")
    (tmp_path / "dup.zip").write_bytes(buf.getvalue())
    entries, _ = walk(tmp_path / "dup.zip")
    assert {"dup.zip!/same.txt", "dup.zip!/same.txt~2"} <= set(entries)


def test_missing_evidence_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        list(iter_entries(tmp_path / "nope", on_error=lambda p, r: None))
    (tmp_path / "empty.bin").write_bytes(b"")
    entries, errors = walk(tmp_path / "empty.bin")
    assert entries["empty.bin"].size == 0 and entries["empty.bin"].mime == "application/x-empty"
    assert not errors


def test_evidence_is_opened_read_only(tmp_path: Path, triage_set: TriageSet) -> None:
    card = tmp_path / "ro.img"
    card.write_bytes(triage_set.items["disk"].read_bytes())
    os.chmod(card, 0o444)
    entries, errors = walk(card)
    assert not errors and "ro.img!/DCIM/IMG_0001.JPG" in entries


def test_read_member_finds_one_file_by_its_path(tmp_path: Path, triage_set: TriageSet) -> None:
    """What a walk named, read back alone: only the containers on the path are opened."""
    folder, archive, card = (triage_set.items[k] for k in ("folder", "archive", "disk"))
    for evidence in (folder, archive, card):
        entries, _ = walk(evidence)
        wanted = [p for p, e in entries.items() if e.size and p.lower().endswith((".jpg", ".txt"))]
        assert wanted
        for path in wanted:
            data = read_member(evidence, path, max_bytes=1 << 24, temp_dir=tmp_path / "spill")
            assert hashlib.md5(data).hexdigest() == entries[path].meta["md5"], path
    assert read_member(archive, "backup.zip!/inner.zip!/DCIM/img_102.jpg", max_bytes=1 << 20) == jpeg(102)


def test_read_member_refuses_what_is_not_there_too_big_or_outside(tmp_path: Path, triage_set: TriageSet) -> None:
    folder, archive = triage_set.items["folder"], triage_set.items["archive"]
    with pytest.raises(NotFoundError):
        read_member(archive, "backup.zip!/inner.zip!/DCIM/nope.jpg", max_bytes=1 << 20)
    with pytest.raises(NotFoundError):
        read_member(archive, "other.zip!/a.jpg", max_bytes=1 << 20)
    with pytest.raises(InputError):
        read_member(archive, "backup.zip!/inner.zip!/DCIM/img_102.jpg", max_bytes=100)
    with pytest.raises(InputError):
        read_member(folder, "uploads/../backup.zip", max_bytes=1 << 20)
    root = tmp_path / "box"
    root.mkdir()
    (root / "link.jpg").symlink_to(folder / "Pictures" / "img_0001.jpg")
    with pytest.raises(NotFoundError):
        read_member(root, "box/link.jpg", max_bytes=1 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z, pytest.warns(UserWarning):
        z.writestr("same.txt", b"first")
        z.writestr("same.txt", b"second")
    (tmp_path / "dup.zip").write_bytes(buf.getvalue())
    assert read_member(tmp_path / "dup.zip", "dup.zip!/same.txt~2", max_bytes=100) == b"second"
