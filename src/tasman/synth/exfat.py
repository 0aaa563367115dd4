"""Small benign exFAT images for reader tests, built without root or mounting.

``mkfs.exfat`` (Debian ``exfatprogs``) formats the image. No tool fills an exFAT image without
mounting it, so files are then written the way Microsoft's published exFAT specification lays
them out: each file's data in a contiguous run of clusters (marked in the allocation bitmap,
"no FAT chain", as Windows writes contiguous files) and a directory entry set (File, Stream
Extension, File Name entries, with their name hash and set checksum) in its folder. A deleted
file is what deletion leaves: the entry set's in-use bits cleared and its clusters freed in the
bitmap, the data still in place. ``fsck.exfat`` accepts the result (tested).
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import BinaryIO

from tasman.core.errors import InputError
from tasman.synth.disks import FIXED_MTIME, find_tool, run_tool

ENTRY = 32
FILE, STREAM, NAME, BITMAP = 0x85, 0xC0, 0xC1, 0x81
ATTR_DIRECTORY, ATTR_ARCHIVE = 0x10, 0x20
ALLOCATION_POSSIBLE, NO_FAT_CHAIN = 0x01, 0x02
NAME_CHARS = 15


def _rotate_add(value: int, byte: int) -> int:
    return (((value & 1) << 15) | (value >> 1)) + byte & 0xFFFF


def name_hash(name: str) -> int:
    """The Stream Extension's NameHash: over the up-cased name's UTF-16 code units, low byte first."""
    upper = "".join(c.upper() if len(c.upper()) == 1 else c for c in name).encode("utf-16-le")
    value = 0
    for unit in struct.unpack(f"<{len(upper) // 2}H", upper):
        value = _rotate_add(_rotate_add(value, unit & 0xFF), unit >> 8)
    return value


def set_checksum(entries: bytes) -> int:
    """The File entry's SetChecksum: every byte of the set but the checksum field itself."""
    value = 0
    for i, byte in enumerate(entries):
        if i not in (2, 3):
            value = _rotate_add(value, byte)
    return value


def _timestamp(seconds: int) -> int:
    t = time.gmtime(seconds)
    return ((t.tm_year - 1980) << 25 | t.tm_mon << 21 | t.tm_mday << 16 | t.tm_hour << 11 | t.tm_min << 5
            | t.tm_sec // 2)


def entry_set(name: str, attributes: int, first_cluster: int, length: int) -> bytes:
    units = len(name.encode("utf-16-le")) // 2
    if not 0 < units <= 255:
        raise InputError(f"exFAT name {name!r} must be 1-255 characters")
    names = -(-units // NAME_CHARS)
    stamp = _timestamp(FIXED_MTIME)
    file = struct.pack("<BBHHH3I5B7x", FILE, 1 + names, 0, attributes, 0, stamp, stamp, stamp, 0, 0, 0, 0, 0)
    flags = (ALLOCATION_POSSIBLE | NO_FAT_CHAIN) if first_cluster else 0
    stream = struct.pack("<BBBBHHQIIQ", STREAM, flags, 0, units, name_hash(name), 0, length, 0, first_cluster, length)
    encoded = name.encode("utf-16-le").ljust(names * NAME_CHARS * 2, b"\0")
    parts = [struct.pack("<BB", NAME, 0) + encoded[i:i + NAME_CHARS * 2] for i in range(0, len(encoded), 30)]
    whole = bytearray(file + stream + b"".join(parts))
    struct.pack_into("<H", whole, 2, set_checksum(bytes(whole)))
    return bytes(whole)


class Volume:
    """An exFAT volume in an open image file: its geometry, allocation bitmap and folders."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        boot = self._read(0, 512)
        if boot[3:11] != b"EXFAT   ":
            raise InputError("not an exFAT image")
        self.fat_offset, _, self.heap_offset, self.clusters, self.root = struct.unpack_from("<5I", boot, 80)
        self.sector = 1 << boot[108]
        self.cluster = self.sector << boot[109]
        self.fat_offset *= self.sector
        self.heap_offset *= self.sector
        self.dirs: dict[str, list[int]] = {"": self._chain(self.root)}
        entries = self._read_dir("")
        found = [entries[i:i + ENTRY] for i in range(0, len(entries), ENTRY) if entries[i] == BITMAP]
        if not found:
            raise InputError("exFAT image without an allocation bitmap")
        self.bitmap_cluster, bitmap_length = struct.unpack_from("<IQ", found[0], 20)
        self.bitmap = bytearray(self._read(self._offset(self.bitmap_cluster), bitmap_length))

    def _read(self, offset: int, size: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(size)

    def _write(self, offset: int, data: bytes) -> None:
        self.fh.seek(offset)
        self.fh.write(data)

    def _offset(self, cluster: int) -> int:
        return self.heap_offset + (cluster - 2) * self.cluster

    def _chain(self, first: int) -> list[int]:
        chain = [first]
        while len(chain) <= self.clusters:
            (nxt,) = struct.unpack("<I", self._read(self.fat_offset + 4 * chain[-1], 4))
            if nxt >= 0xFFFFFFF7 or nxt < 2:
                return chain
            chain.append(nxt)
        raise InputError("exFAT cluster chain loops")

    def _read_dir(self, folder: str) -> bytes:
        return b"".join(self._read(self._offset(c), self.cluster) for c in self.dirs[folder])

    def _allocate(self, n: int) -> int:
        """The first cluster of a free contiguous run of ``n`` clusters, marked in use."""
        run = 0
        for i in range(self.clusters):
            run = run + 1 if not self.bitmap[i // 8] >> (i % 8) & 1 else 0
            if run == n:
                first = i - n + 1
                self._mark(first + 2, n, True)
                return first + 2
        raise InputError(f"no {n} free contiguous clusters left in the exFAT image")

    def _mark(self, first: int, n: int, used: bool) -> None:
        for c in range(first - 2, first - 2 + n):
            if used:
                self.bitmap[c // 8] |= 1 << (c % 8)
            else:
                self.bitmap[c // 8] &= ~(1 << (c % 8)) & 0xFF

    def _place(self, folder: str, entries: bytes) -> None:
        """Write an entry set at the end of ``folder``'s entries (its clusters are never grown)."""
        data = self._read_dir(folder)
        end = next((i for i in range(0, len(data), ENTRY) if data[i] == 0), len(data))
        if end + len(entries) > len(data):
            raise InputError(f"exFAT folder {folder or '/'!r} is full")
        for i in range(0, len(entries), ENTRY):
            pos = end + i
            cluster = self.dirs[folder][pos // self.cluster]
            self._write(self._offset(cluster) + pos % self.cluster, entries[i:i + ENTRY])

    def folder(self, path: str) -> str:
        """``path`` (``a/b``) made if missing, each folder one cluster of entries."""
        if path in self.dirs:
            return path
        parent, _, name = path.rpartition("/")
        self.folder(parent)
        cluster = self._allocate(1)
        self._write(self._offset(cluster), bytes(self.cluster))
        self._place(parent, entry_set(name, ATTR_DIRECTORY, cluster, self.cluster))
        self.dirs[path] = [cluster]
        return path

    def add(self, path: str, data: bytes) -> None:
        parent, _, name = path.strip("/").rpartition("/")
        self.folder(parent)
        first = self._allocate(-(-len(data) // self.cluster)) if data else 0
        if data:
            self._write(self._offset(first), data)
        self._place(parent, entry_set(name, ATTR_ARCHIVE, first, len(data)))

    def delete(self, path: str) -> None:
        """Clear the in-use bit of the file's entry set and free its clusters; the data stays."""
        parent, _, name = path.strip("/").rpartition("/")
        data = self._read_dir(parent)
        for pos in range(0, len(data), ENTRY):
            if data[pos] != FILE:
                continue
            count = data[pos + 1]
            whole = data[pos:pos + ENTRY * (count + 1)]
            units = whole[ENTRY + 3]
            text = b"".join(whole[i + 2:i + ENTRY] for i in range(2 * ENTRY, len(whole), ENTRY))
            if text[:units * 2].decode("utf-16-le") != name:
                continue
            first, length = struct.unpack_from("<IQ", whole, ENTRY + 20)
            if first:
                self._mark(first, -(-length // self.cluster), False)
            for i in range(count + 1):
                at = pos + i * ENTRY
                cluster = self.dirs[parent][at // self.cluster]
                self._write(self._offset(cluster) + at % self.cluster, bytes([data[at] & 0x7F]))
            return
        raise InputError(f"no {path!r} in the exFAT image")

    def close(self) -> None:
        self._write(self._offset(self.bitmap_cluster), bytes(self.bitmap))


def make_exfat_image(path: Path, files: dict[str, bytes], deleted: dict[str, bytes] | None = None,
                     size_kib: int = 8192, label: str = "CARD") -> Path:
    """An exFAT image holding ``files`` (``"DCIM/IMG_1.JPG": bytes``) and the ``deleted`` ones, removed."""
    mkfs = find_tool("mkfs.exfat", "exfatprogs")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size_kib * 1024)
    run_tool([mkfs, "-L", label, str(path)])
    with open(path, "r+b") as fh:
        volume = Volume(fh)
        for name, data in {**files, **(deleted or {})}.items():
            volume.add(name, data)
        for name in deleted or {}:
            volume.delete(name)
        volume.close()
    return path
