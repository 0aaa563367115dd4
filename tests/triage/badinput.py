"""Hostile and broken inputs, generated (never stored as binaries)."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

from tasman.synth.triage_set import jpeg

FIXED_TIME = (2024, 1, 1, 12, 0, 0)


def zip_bytes(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, compress_type=compression)
    return buf.getvalue()


def traversal_zip() -> bytes:
    """Members named to climb out of any folder they would be extracted to."""
    return zip_bytes({"../../escaped.txt": b"should never be written", "/abs/evil.txt": b"absolute",
                      "ok/fine.jpg": jpeg(11)})


def traversal_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in (("../../../tar-escaped.txt", b"nope"), ("good.txt", b"fine")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def bomb_zip(megabytes: int = 24) -> bytes:
    """A small zip that inflates a thousand-fold (zeros)."""
    return zip_bytes({"zeros.bin": b"\0" * (megabytes << 20)})


def broken_zip() -> bytes:
    data = zip_bytes({"a.jpg": jpeg(12), "b.jpg": jpeg(13), "c.txt": b"text " * 500})
    return data[: len(data) * 2 // 3]          # cut: the central directory and part of a member are gone


def huge_png_header(width: int = 40000, height: int = 40000) -> bytes:
    """A PNG that declares 1.6 gigapixels in a few bytes (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def write_bad_folder(folder: Path) -> dict[str, str]:
    """A folder of bad inputs; returns each file's path (relative to ``folder``'s parent) -> a word of its reason.
    (The traversal archives' members are no error: they are read under inert names, see test_hostile_names.)"""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "traversal.zip": traversal_zip(),
        "traversal.tar": traversal_tar(),
        "bomb.zip": bomb_zip(),
        "broken.zip": broken_zip(),
        "truncated.jpg": jpeg(14)[:1500],
        "empty.jpg": b"",
        "text-named.jpg": b"this is not a picture at all\n" * 10,
        "bomb.png": huge_png_header(),
        "not-a-zip.zip": b"PK\x03\x04" + b"garbage" * 40,
        "fine.jpg": jpeg(15),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    base = folder.name
    return {
        f"{base}/bomb.zip": "bomb",
        f"{base}/broken.zip": "broken",
        f"{base}/truncated.jpg": "truncated",
        f"{base}/empty.jpg": "empty",
        f"{base}/text-named.jpg": "named as a picture",
        f"{base}/bomb.png": "decompression bomb",
        f"{base}/not-a-zip.zip": "archive",
    }
