"""Sources: one module per kind of file; :func:`pick` chooses by name and first bytes.

Order matters: specific formats first, plain text (which takes anything) last. Media other
than pictures (video, audio) and known compressed formats are skipped: scanning their bytes
finds nothing but noise, and containers are opened by the triage readers.
"""

from __future__ import annotations

from tasman.extract.sources.base import Blob, BytesBlob, FileBlob, Sighting, Source, TextUnit, Unit, Warn
from tasman.extract.sources.chats import ChatJsonlSource, TelegramSource, WhatsAppSource
from tasman.extract.sources.csvdoc import CsvSource
from tasman.extract.sources.exif import ExifSource
from tasman.extract.sources.html import HtmlSource
from tasman.extract.sources.jsondoc import JsonLinesSource, JsonSource
from tasman.extract.sources.mail import EmlSource, MboxSource, MsgSource, PstSource
from tasman.extract.sources.sqlitedb import SqliteSource
from tasman.extract.sources.text import TextSource

SOURCES: tuple[Source, ...] = (
    SqliteSource(), ExifSource(), PstSource(), MsgSource(), ChatJsonlSource(), TelegramSource(), WhatsAppSource(),
    EmlSource(), MboxSource(), HtmlSource(), JsonLinesSource(), JsonSource(), CsvSource(), TextSource(),
)

_SKIP_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh", b"\xfd7zXZ", b"ID3", b"fLaC", b"OggS",
               b"\x1aE\xdf\xa3", b"%PDF")
_SKIP_EXT = (".mp4", ".mov", ".avi", ".mkv", ".wmv", ".mp3", ".wav", ".flac", ".ogg", ".m4a", ".zip", ".gz", ".7z",
             ".rar", ".xz", ".bz2", ".iso", ".e01", ".dmg")


def pick(name: str, head: bytes, mime: str | None = None) -> Source | None:
    """The source for a file, or None when it is not worth reading (media, archives)."""
    low = name.lower()
    if head[4:8] in (b"ftyp",) and not low.endswith((".heic", ".heif")):
        return None
    if low.endswith(_SKIP_EXT) or head.startswith(_SKIP_MAGIC):
        return None
    if mime and mime.split("/")[0] in ("video", "audio"):
        return None
    for source in SOURCES:
        if source.accepts(name, head):
            return source
    return None


__all__ = ["SOURCES", "Blob", "BytesBlob", "FileBlob", "Sighting", "Source", "TextUnit", "Unit", "Warn", "pick"]
