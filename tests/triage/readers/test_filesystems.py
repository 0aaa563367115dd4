"""File systems inside disk images (ext2/3/4, NTFS, exFAT, partitioned) and RAR archives, all
generated here by the tools scripts/setup.sh installs (or byte by byte where no free tool writes
the format), each with a deleted file whose data is still on the disk."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from tasman.synth.disks import find_tool, make_ext_image, make_mbr_disk
from tasman.synth.exfat import make_exfat_image
from tasman.synth.ntfs import make_ntfs_image
from tasman.synth.rar import rar4_stored, rar5_stored
from tasman.synth.triage_set import jpeg
from tests.triage.readers.test_readers import walk

LIVE = {"DCIM/IMG_0001.JPG": jpeg(401), "notes.txt": b"a note left on the card\n"}
GONE = {"DCIM/IMG_0002.JPG": jpeg(402)}


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def flat(files: dict[str, bytes]) -> dict[str, bytes]:
    """The same files in the root folder (ntfscp cannot make folders)."""
    return {name.rsplit("/", 1)[-1]: data for name, data in files.items()}


def check(image: Path, live: dict[str, bytes], gone: dict[str, bytes], prefix: str = "") -> None:
    entries, errors = walk(image)
    assert not errors
    inside = {p.split("!/", 1)[1]: e for p, e in entries.items() if "!/" in p}
    expected = {f"{prefix}{name}": (data, False) for name, data in live.items()}
    expected |= {f"{prefix}{name}": (data, True) for name, data in gone.items()}
    assert set(inside) == set(expected)                  # no file-system bookkeeping among the files
    for path, (data, deleted) in expected.items():
        assert inside[path].meta["md5"] == md5(data), path
        assert inside[path].deleted is deleted, path


@pytest.mark.parametrize("fs_type", ["ext2", "ext3", "ext4"])
def test_ext_image_with_a_deleted_file(tmp_path: Path, fs_type: str) -> None:
    image = make_ext_image(tmp_path / f"{fs_type}.img", LIVE, GONE, size_kib=8192, fs_type=fs_type)
    check(image, LIVE, GONE)


def test_ntfs_image_with_a_deleted_file(tmp_path: Path) -> None:
    image = make_ntfs_image(tmp_path / "usb.img", flat(LIVE), flat(GONE))
    check(image, flat(LIVE), flat(GONE))


def test_exfat_image_with_a_deleted_file(tmp_path: Path) -> None:
    image = make_exfat_image(tmp_path / "card.img", LIVE, GONE)
    fsck = subprocess.run([find_tool("fsck.exfat", "exfatprogs"), "-n", str(image)], capture_output=True, text=True,
                          check=False)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr           # the hand-written entries are valid exFAT
    check(image, LIVE, GONE)


def test_partitions_of_every_kind_on_one_disk(tmp_path: Path) -> None:
    parts = [make_exfat_image(tmp_path / "a.img", LIVE, GONE),
             make_ntfs_image(tmp_path / "b.img", flat(LIVE), flat(GONE)),
             make_ext_image(tmp_path / "c.img", LIVE, GONE)]
    disk = make_mbr_disk(tmp_path / "disk.raw", parts)
    entries, errors = walk(disk)
    assert not errors
    for n, files in ((1, GONE), (2, flat(GONE)), (3, GONE)):
        for name, data in files.items():
            entry = entries[f"disk.raw!/p{n}/{name}"]
            assert entry.deleted and entry.meta["md5"] == md5(data)


@pytest.mark.parametrize("make", [rar4_stored, rar5_stored])
def test_rar_archives(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    files = {**LIVE, "empty.txt": b""}
    archive = tmp_path / "set.rar"
    archive.write_bytes(make(files))
    entries, errors = walk(archive)
    assert not errors
    assert entries["set.rar"].mime == "application/x-rar"
    for name, data in files.items():
        assert entries[f"set.rar!/{name}"].meta["md5"] == md5(data)
    data = archive.read_bytes()
    archive.write_bytes(data[:data.find(LIVE["DCIM/IMG_0001.JPG"]) + 100])     # cut inside the first file
    entries, errors = walk(archive)
    assert set(errors) == {"set.rar", "set.rar!/DCIM/IMG_0001.JPG"}       # the cut member and the archive
    assert not any(p.startswith("set.rar!/") for p in entries)
