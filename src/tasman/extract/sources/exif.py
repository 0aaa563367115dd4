"""Pictures: EXIF GPS position, camera make/model/serial, and the free-text tags (description,
comment, artist) scanned like any text. Only the metadata is read, never the pixels."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from PIL import Image, UnidentifiedImageError

from tasman.extract.detectors.base import Found
from tasman.extract.identifiers import clean_camera, clean_gps
from tasman.extract.sources.base import Blob, Sighting, Source, TextUnit, Unit, Warn

_MAGIC = (b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"\x89PNG", b"RIFF")
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _DESCRIPTION, _ARTIST, _COPYRIGHT = 0x010F, 0x0110, 0x010E, 0x013B, 0x8298
_DATETIME_ORIGINAL, _USER_COMMENT, _BODY_SERIAL, _XP_COMMENT = 0x9003, 0x9286, 0xA431, 0x9C9C


def _dms(value: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(x) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    return -deg if str(ref).upper().startswith(("S", "W")) else deg


def _str(value: Any) -> str:
    if isinstance(value, bytes):
        if value.startswith((b"ASCII\x00\x00\x00", b"UNICODE\x00")):
            body = value[8:]
            return body.decode("utf-16-le" if value.startswith(b"UNICODE") else "ascii", "replace").strip("\x00 ")
        return value.decode("utf-16-le" if value[1:2] == b"\x00" else "utf-8", "replace").strip("\x00 ")
    return str(value or "").strip("\x00 ")


class ExifSource(Source):
    name = "exif"

    def accepts(self, name: str, head: bytes) -> bool:
        return head.startswith(_MAGIC) or name.lower().endswith((".heic", ".heif", ".webp"))

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        try:
            with blob.open() as fh, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # decompression-bomb warnings: pixels are never decoded
                with Image.open(fh) as img:
                    exif = img.getexif()
                    sub = exif.get_ifd(_EXIF_IFD)
                    gps = exif.get_ifd(_GPS_IFD)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            warn(blob.path, f"picture metadata not readable ({type(exc).__name__}: {exc})")
            return
        when = None
        if (dt := _str(sub.get(_DATETIME_ORIGINAL))):
            try:
                when = datetime.strptime(dt, "%Y:%m:%d %H:%M:%S").replace(tzinfo=UTC)
            except ValueError:
                when = None
        if gps:
            lat, lon = _dms(gps.get(2), gps.get(1)), _dms(gps.get(4), gps.get(3))
            ident = clean_gps(lat, lon) if lat is not None and lon is not None else None
            if ident is not None:
                yield Sighting(Found(ident, ident.value, 0, 0, "EXIF GPS", "exif.gps"), seen_at=when)
        cam = clean_camera(_str(exif.get(_MAKE)), _str(exif.get(_MODEL)), _str(sub.get(_BODY_SERIAL)))
        if cam is not None:
            yield Sighting(Found(cam, cam.value, 0, 0, "EXIF camera", "exif.camera"), seen_at=when)
        texts = [_str(exif.get(t)) for t in (_DESCRIPTION, _ARTIST, _COPYRIGHT, _XP_COMMENT)]
        texts.append(_str(sub.get(_USER_COMMENT)))
        text = "\n".join(t for t in texts if t)
        if text:
            yield TextUnit(text=text, message_id="exif", seen_at=when, meta={"part": "exif-text"})
