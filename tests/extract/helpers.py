"""Small generated inputs for the source tests (nothing binary is checked in)."""

from __future__ import annotations

import io
import sqlite3
import struct
from datetime import UTC, datetime
from pathlib import Path

from extract_msg import OleWriter
from PIL import Image

from tasman.extract.process import scan_units
from tasman.extract.sources import FileBlob, Sighting, pick


def read(path: Path, name: str | None = None) -> tuple[str | None, list[Sighting], list[tuple[str, str]]]:
    warnings: list[tuple[str, str]] = []
    blob = FileBlob(path, name or path.name)
    with path.open("rb") as fh:
        head = fh.read(65536)
    source = pick(blob.path, head)
    if source is None:
        return None, [], warnings
    got = list(scan_units(source.read(blob, lambda p, m: warnings.append((p, m)))))
    return source.name, got, warnings


def vals(sightings: list[Sighting]) -> set[tuple[str, str]]:
    return {(s.found.type.value, s.found.value) for s in sightings}


def make_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT, title TEXT, visits INTEGER)")
    con.execute("INSERT INTO urls (url, title, visits) VALUES (?, ?, ?)",
                ("https://www.example.org/profile", "Profile of someone", 3))
    con.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, body BLOB, sender TEXT)")
    con.execute("INSERT INTO messages (body, sender) VALUES (?, ?)", (b"add me on kik: kiki.22", "x"))
    con.execute("INSERT INTO messages (body, sender) VALUES (?, ?)", ("mail me at chat.user@example.net", "y"))
    con.commit()
    con.close()


def jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (32, 24), (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 80D"
    exif[0x010E] = "contact anna.b@example.org"
    sub = exif.get_ifd(0x8769)
    sub[0xA431] = "0123456789"
    sub[0x9003] = "2024:03:01 10:00:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 26.64)
    gps[3], gps[4] = "W", (0.0, 7.0, 40.08)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


# ---- Outlook .msg (MS-OXMSG) ------------------------------------------------------------------

_PT_LONG, _PT_UNICODE, _PT_SYSTIME = 0x0003, 0x001F, 0x0040


def _property_stream(header: bytes, strings: dict[int, str], fixed: dict[tuple[int, int], int]) -> bytes:
    """A ``__properties_version1.0`` stream: the header, then one 16-byte entry per property
    (tag, flags, value; a string's entry holds its size, its text lives in a stream of its own)."""
    out = header
    for pid, text in strings.items():
        out += struct.pack("<IIII", pid << 16 | _PT_UNICODE, 6, len(text.encode("utf-16-le")) + 2, 0)
    for (pid, ptype), value in fixed.items():
        out += struct.pack("<IIQ", pid << 16 | ptype, 6, value)
    return out


def _add_strings(ole: OleWriter, storage: list[str], strings: dict[int, str]) -> None:
    for pid, text in strings.items():
        ole.addEntry([*storage, f"__substg1.0_{pid:04X}{_PT_UNICODE:04X}"], text.encode("utf-16-le"))


def make_msg(path: Path, *, subject: str, body: str, sender: tuple[str, str], to: tuple[str, str],
             sent: datetime, internet_headers: str = "") -> None:
    """A small Outlook message as Outlook stores it: an OLE compound file (written by extract-msg's
    own OleWriter) holding the message's property stream and string properties (class, subject,
    body, sender, display-to, transport headers), one recipient storage and an empty
    named-property map. Made here so that no binary fixture is checked in."""
    ole = OleWriter()
    top = {0x001A: "IPM.Note", 0x0037: subject, 0x1000: body, 0x0C1A: sender[0], 0x0C1F: sender[1],
           0x0E04: f"{to[0]} <{to[1]}>"}
    if internet_headers:
        top[0x007D] = internet_headers
    filetime = int((sent - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)
    # top-level header: reserved, next recipient id, next attachment id, recipients, attachments
    header = struct.pack("<8xIIII8x", 1, 0, 1, 0)
    ole.addEntry(["__properties_version1.0"],
                 _property_stream(header, top, {(0x0039, _PT_SYSTIME): filetime, (0x0E07, _PT_LONG): 0}))
    _add_strings(ole, [], top)
    recipient = ["__recip_version1.0_#00000000"]
    ole.addEntry(recipient, storage=True)
    fields = {0x3001: to[0], 0x3002: "SMTP", 0x3003: to[1], 0x39FE: to[1]}
    ole.addEntry([*recipient, "__properties_version1.0"],
                 _property_stream(b"\0" * 8, fields, {(0x0C15, _PT_LONG): 1, (0x3000, _PT_LONG): 0}))
    _add_strings(ole, recipient, fields)
    ole.addEntry(["__nameid_version1.0"], storage=True)
    for stream in ("00020102", "00030102", "00040102"):  # GUID, entry and string streams, empty
        ole.addEntry(["__nameid_version1.0", f"__substg1.0_{stream}"], b"")
    ole.write(str(path))
