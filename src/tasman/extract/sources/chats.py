"""Chat exports: WhatsApp's text export, Telegram Desktop's JSON export (result.json), and the
generic JSON Lines chat format documented in docs/extract.md:

    {"session": "op-17", "platform": "kik", "counterpart": "anna_22",
     "messages": [{"t": "2024-03-01T10:00:00Z", "from": "anna_22", "text": "..."}]}

Each message is a unit with its id, time and sender (``meta['from']``), so that a later stage
can keep only what the counterpart said.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from tasman.core import safejson
from tasman.extract.detectors.base import Found
from tasman.extract.identifiers import clean_handle
from tasman.extract.sources.base import Blob, Sighting, Source, TextUnit, Unit, Warn
from tasman.extract.sources.jsondoc import MAX_LINE, load_json

# ---- time --------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (naive means UTC) or Unix seconds/milliseconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        n = float(value)
        if n > 1e11:
            n /= 1000.0
        try:
            return datetime.fromtimestamp(n, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        try:
            d = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    return None


# ---- generic JSON Lines chats --------------------------------------------------------------


@dataclass(frozen=True)
class ChatMessage:
    index: int
    t: datetime | None
    sender: str
    text: str


@dataclass(frozen=True)
class ChatSession:
    session: str
    platform: str
    counterpart: str
    line: int
    messages: list[ChatMessage] = field(default_factory=list)


def parse_chat_jsonl(fh: IO[bytes], path: str, warn: Warn) -> Iterator[ChatSession]:
    """Sessions of a generic chat JSONL file; a bad line is a warning and is skipped."""
    number = 0
    while line := fh.readline(MAX_LINE):
        number += 1
        if not line.strip():
            continue
        try:
            doc = safejson.loads(line)
            if not isinstance(doc, dict):
                raise ValueError("not an object")
            msgs = doc.get("messages") or []
            if not isinstance(msgs, list):
                raise ValueError("'messages' is not a list")
            session = ChatSession(str(doc.get("session", number)), str(doc.get("platform", "")).lower(),
                                  str(doc.get("counterpart", "")), number)
        except ValueError as exc:       # not JSON, or nested deeper than safejson's limit
            warn(path, f"line {number}: not a chat session ({exc})")
            continue
        for i, m in enumerate(msgs):
            if isinstance(m, dict) and isinstance(m.get("text"), str):
                session.messages.append(ChatMessage(i, parse_time(m.get("t")), str(m.get("from", "")), m["text"]))
            else:
                warn(path, f"line {number} message {i}: no text")
        yield session


class ChatJsonlSource(Source):
    name = "chat-jsonl"

    def accepts(self, name: str, head: bytes) -> bool:
        first = head.split(b"\n", 1)[0]
        return b'"messages"' in first and b'"session"' in first and b'"counterpart"' in first

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        with blob.open() as fh:
            for s in parse_chat_jsonl(fh, blob.path, warn):
                base = {"session": s.session, "platform": s.platform, "counterpart": s.counterpart}
                ident = clean_handle(s.counterpart, s.platform) if s.platform else None
                if ident is not None:
                    yield Sighting(Found(ident, s.counterpart, 0, 0, f"counterpart on {s.platform}",
                                         "chat.counterpart"), message_id=f"{s.session}", meta=base)
                for m in s.messages:
                    yield TextUnit(text=m.text, message_id=f"{s.session}:{m.index}"[:200], seen_at=m.t,
                                   meta={**base, "from": m.sender})


# ---- WhatsApp ---------------------------------------------------------------------------------

_WA_LINE = re.compile(
    r"^\[?(?P<d>\d{1,2}[./-]\d{1,2}[./-]\d{2,4}),?\s+(?P<h>\d{1,2}:\d{2}(?::\d{2})?(?:\s?[APap]\.?[Mm]\.?)?)\]?"
    r"\s*(?:-\s*)?(?P<who>[^:]{1,80}):\s(?P<text>.*)$")


def _wa_time(d: str, h: str) -> datetime | None:
    h = h.replace(".", "").upper().replace(" ", "")
    for fmt_d in ("%d/%m/%Y", "%d/%m/%y", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y", "%d.%m.%y", "%d-%m-%Y"):
        for fmt_h in ("%H:%M:%S", "%H:%M", "%I:%M:%S%p", "%I:%M%p"):
            try:
                return datetime.strptime(f"{d} {h}", f"{fmt_d} {fmt_h}").replace(tzinfo=UTC)
            except ValueError:
                continue
    return None


class WhatsAppSource(Source):
    """The "Export chat" text file: one line per message, continuation lines without a date.
    Times are the phone's local time, stored as if UTC (the export does not say the zone)."""

    name = "whatsapp"

    def accepts(self, name: str, head: bytes) -> bool:
        low = name.lower()
        if "whatsapp chat" in low or low.endswith("_chat.txt"):
            return True
        lines = head.decode("utf-8", "replace").lstrip("\ufeff").splitlines()[:5]
        return bool(lines) and sum(bool(_WA_LINE.match(x.lstrip("\u200e"))) for x in lines) >= min(2, len(lines))

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        with blob.open() as fh:
            offset = 0
            current: tuple[int, int, str, datetime | None, list[str]] | None = None
            n = 0
            while raw := fh.readline(MAX_LINE):
                line_start = offset
                offset += len(raw)
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                m = _WA_LINE.match(line.lstrip("\ufeff\u200e"))
                if m is None:
                    if current is not None:
                        current[4].append(line)
                    continue
                if current is not None:
                    yield self._unit(current)
                n += 1
                prefix = len(line[:m.start("text")].encode("utf-8"))
                current = (n, line_start + prefix, m.group("who").strip(), _wa_time(m.group("d"), m.group("h")),
                           [m.group("text")])
            if current is not None:
                yield self._unit(current)
            if n == 0:
                warn(blob.path, "no WhatsApp message lines found")

    @staticmethod
    def _unit(cur: tuple[int, int, str, datetime | None, list[str]]) -> TextUnit:
        n, offset, who, when, lines = cur
        return TextUnit(text="\n".join(lines), offset=offset, message_id=f"msg {n}", seen_at=when,
                        meta={"from": who})


# ---- Telegram Desktop ------------------------------------------------------------------------


def _telegram_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v if isinstance(v, str) else str(v.get("text", "")) if isinstance(v, dict) else ""
                       for v in value)
    return ""


class TelegramSource(Source):
    """Telegram Desktop's "Export chat history" in JSON: one chat, or the full export with
    ``chats.list``."""

    name = "telegram"

    def accepts(self, name: str, head: bytes) -> bool:
        return name.lower().endswith("result.json") or (b'"messages"' in head[:4096] and b'"from_id"' in head)

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        doc = load_json(blob, warn)
        if not isinstance(doc, dict):
            if doc is not None:
                warn(blob.path, "not a Telegram export (top level is not an object)")
            return
        chats = doc.get("chats", {}).get("list") if isinstance(doc.get("chats"), dict) else None
        for chat in chats if isinstance(chats, list) else [doc]:
            if not isinstance(chat, dict):
                continue
            cid = str(chat.get("id", chat.get("name", "chat")))
            for m in chat.get("messages") or []:
                if not isinstance(m, dict):
                    continue
                text = _telegram_text(m.get("text"))
                if not text:
                    continue
                when = parse_time(m.get("date_unixtime")) or parse_time(m.get("date"))
                yield TextUnit(text=text, message_id=f"{cid}:{m.get('id')}"[:200], seen_at=when,
                               meta={"from": str(m.get("from", "")), "from_id": str(m.get("from_id", "")),
                                     "chat": str(chat.get("name", ""))})
