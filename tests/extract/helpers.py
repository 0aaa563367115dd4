"""Small generated inputs for the source tests (nothing binary is checked in)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

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
