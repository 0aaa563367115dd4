"""Small benign NTFS images for reader tests, built without root or mounting.

``mkntfs`` formats the image and ``ntfscp`` copies files into its root folder (Debian
``ntfs-3g``; neither mounts anything, and ntfscp cannot make folders, so every file lies in the
root). No ntfs-3g tool deletes without mounting, so a deletion is done the way Windows leaves it:
the file's entry is taken out of the root folder's index (its bytes stay behind in the index
record's slack, where forensic tools find deleted names) and its MFT record is marked not in
use; the record still lists the file's clusters, which keep the data.
"""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path
from typing import BinaryIO

from tasman.core.errors import InputError
from tasman.synth.disks import FIXED_MTIME, find_tool, run_tool

INDX_HEADER = 0x18            # where an index record's node header starts
LAST_ENTRY = 0x02
IN_USE = 0x0001
RECORD_NUMBER = (1 << 48) - 1


class _Geometry:
    def __init__(self, fh: BinaryIO) -> None:
        fh.seek(0)
        boot = fh.read(512)
        if boot[3:11] != b"NTFS    ":
            raise InputError("not an NTFS image")
        self.sector, per_cluster = struct.unpack_from("<HB", boot, 0x0B)
        self.cluster = self.sector * per_cluster
        (self.mft_lcn,) = struct.unpack_from("<q", boot, 0x30)
        record, index = struct.unpack_from("<b3xb", boot, 0x40)
        self.record = 1 << -record if record < 0 else record * self.cluster
        self.index = 1 << -index if index < 0 else index * self.cluster


def _unfix(block: bytearray, sector: int) -> None:
    """Undo an NTFS record's update sequence (the last two bytes of each sector are kept aside)."""
    offset, count = struct.unpack_from("<HH", block, 4)
    usn = block[offset:offset + 2]
    for i in range(1, count):
        end = i * sector
        if block[end - 2:end] != usn:
            raise InputError("torn NTFS record")
        block[end - 2:end] = block[offset + 2 * i:offset + 2 * i + 2]


def _fix(block: bytearray, sector: int) -> None:
    offset, count = struct.unpack_from("<HH", block, 4)
    usn = block[offset:offset + 2]
    for i in range(1, count):
        end = i * sector
        block[offset + 2 * i:offset + 2 * i + 2] = block[end - 2:end]
        block[end - 2:end] = usn


def _entry_name(block: bytearray, pos: int) -> str:
    length = block[pos + 0x10 + 0x40]
    return bytes(block[pos + 0x10 + 0x42:pos + 0x10 + 0x42 + 2 * length]).decode("utf-16-le")


def _drop_index_entry(block: bytearray, name: str) -> int | None:
    """Remove ``name``'s entry from an index record's node (entries after it move down, the
    node's used size shrinks); the MFT record number it pointed at, or None when not there."""
    first, used = struct.unpack_from("<II", block, INDX_HEADER)
    pos, end = INDX_HEADER + first, INDX_HEADER + used
    while pos < end:
        ref, length, _, flags = struct.unpack_from("<QHHI", block, pos)
        if flags & LAST_ENTRY or length == 0:
            return None
        if _entry_name(block, pos) == name:
            block[pos:end - length] = block[pos + length:end]     # the old tail stays as slack
            struct.pack_into("<I", block, INDX_HEADER + 4, used - length)
            return ref & RECORD_NUMBER
        pos += length
    return None


def delete_file(image: Path, name: str) -> None:
    """Delete ``name`` from the root folder of the NTFS ``image`` without mounting it."""
    with open(image, "r+b") as fh:
        geo = _Geometry(fh)
        size = fh.seek(0, os.SEEK_END)
        for at in range(0, size - geo.index + 1, geo.cluster):
            fh.seek(at)
            if fh.read(4) != b"INDX":
                continue
            fh.seek(at)
            block = bytearray(fh.read(geo.index))
            _unfix(block, geo.sector)
            record = _drop_index_entry(block, name)
            if record is None:
                continue
            _fix(block, geo.sector)
            fh.seek(at)
            fh.write(block)
            where = geo.mft_lcn * geo.cluster + record * geo.record
            fh.seek(where)
            head = fh.read(0x18)
            if head[:4] != b"FILE":
                raise InputError(f"MFT record {record} not found where it should be")
            (flags,) = struct.unpack_from("<H", head, 0x16)    # not on a sector end: no update sequence
            fh.seek(where + 0x16)
            fh.write(struct.pack("<H", flags & ~IN_USE))
            return
    raise InputError(f"no {name!r} in the root folder of {image.name}")


def make_ntfs_image(path: Path, files: dict[str, bytes], deleted: dict[str, bytes] | None = None,
                    size_kib: int = 4096, label: str = "DISK") -> Path:
    """An NTFS image holding ``files`` (names in the root folder) and the ``deleted`` ones, removed."""
    mkntfs, ntfscp = find_tool("mkntfs", "ntfs-3g"), find_tool("ntfscp", "ntfs-3g")
    everything = {**files, **(deleted or {})}
    if any("/" in name for name in everything):
        raise InputError("ntfscp cannot make folders: NTFS test files go in the root folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size_kib * 1024)
    run_tool([mkntfs, "-q", "-F", "-f", "-s", "512", "-L", label, str(path)])
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".ntfs-") as tmp:
        for i, (name, data) in enumerate(everything.items()):
            src = Path(tmp) / f"f{i}"
            src.write_bytes(data)
            os.utime(src, (FIXED_MTIME, FIXED_MTIME))
            run_tool([ntfscp, "-q", "-t", str(path), str(src), name])
    for name in deleted or {}:
        delete_file(path, name)
    return path
