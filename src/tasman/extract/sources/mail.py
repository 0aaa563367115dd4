"""E-mail: .eml and mbox with the standard library; .msg (extract-msg) and .pst/.ost (libpff)
when those libraries are installed. Addresses in headers, the IPs of Received and
X-Originating-IP lines, and the text of every text part (HTML stripped)."""

from __future__ import annotations

import email
import email.policy
import mailbox
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from tasman.extract.sources.base import Blob, Source, TextUnit, Unit, Warn, local_copy
from tasman.extract.sources.html import html_text

_ADDRESS_HEADERS = ("from", "to", "cc", "bcc", "reply-to", "sender", "return-path", "delivered-to")
_TEXT_HEADERS = ("subject", "received", "x-originating-ip", "x-sender-ip", "x-forwarded-for", "message-id")
MAX_MESSAGE = 64 * 1024 * 1024


def _date(msg: Message) -> datetime | None:
    try:
        d = parsedate_to_datetime(str(msg.get("date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _text_header_lines(msg: Message) -> list[str]:
    """Subject, Received and originating-IP lines (the sender's network is in these)."""
    return [f"{h}: {v}" for h in _TEXT_HEADERS for v in msg.get_all(h, [])]


def message_units(msg: Message, where: str, warn: Warn, path: str) -> Iterator[TextUnit]:
    """Units of one parsed message; ``where`` names it within its file (index or Message-ID)."""
    mid = str(msg.get("message-id", "") or where).strip()[:200]
    when = _date(msg)
    lines: list[str] = []
    for h in _ADDRESS_HEADERS:
        for name, addr in getaddresses([str(v) for v in msg.get_all(h, [])]):
            lines.append(f"{h}: {name} <{addr}>" if name else f"{h}: {addr}")
    lines += _text_header_lines(msg)
    yield TextUnit(text="\n".join(lines), message_id=mid, seen_at=when, meta={"part": "headers"})
    for part in msg.walk():
        ctype = part.get_content_type()
        if part.is_multipart() or not ctype.startswith("text/"):
            continue
        try:
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        except (LookupError, ValueError) as exc:
            warn(path, f"{where}: a {ctype} part could not be decoded ({exc})")
            continue
        if ctype == "text/html":
            text = html_text(text)
        yield TextUnit(text=text, message_id=mid, seen_at=when, meta={"part": ctype})


class EmlSource(Source):
    name = "eml"

    def accepts(self, name: str, head: bytes) -> bool:
        if name.lower().endswith(".eml"):
            return True
        first = head[:200].lower()
        return first.startswith((b"received:", b"return-path:", b"delivered-to:", b"mime-version:", b"message-id:"))

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        with blob.open() as fh:
            data = fh.read(MAX_MESSAGE + 1)
        if len(data) > MAX_MESSAGE:
            warn(blob.path, "message larger than 64 MiB: only its first 64 MiB read")
        msg = email.message_from_bytes(data[:MAX_MESSAGE], policy=email.policy.compat32)
        yield from message_units(msg, "message", warn, blob.path)


class MboxSource(Source):
    name = "mbox"

    def accepts(self, name: str, head: bytes) -> bool:
        return name.lower().endswith((".mbox", ".mbx")) or head.startswith(b"From ")

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        with local_copy(blob, ".mbox") as path:
            box = mailbox.mbox(str(path), create=False)
            try:
                for i, key in enumerate(box.iterkeys()):
                    try:
                        msg = box.get_message(key)
                    except Exception as exc:  # one broken message must not end the mailbox
                        warn(blob.path, f"message {i + 1}: not readable ({type(exc).__name__}: {exc})")
                        continue
                    yield from message_units(msg, f"message {i + 1}", warn, blob.path)
            finally:
                box.close()


class MsgSource(Source):
    """Outlook .msg via extract-msg (an OLE compound file)."""

    name = "msg"

    def accepts(self, name: str, head: bytes) -> bool:
        return name.lower().endswith(".msg") and head.startswith(b"\xd0\xcf\x11\xe0")

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        try:
            import extract_msg
        except ImportError:
            warn(blob.path, "extract-msg is not installed: .msg file skipped")
            return
        with local_copy(blob, ".msg") as path:
            try:
                msg = extract_msg.openMsg(str(path))
            except Exception as exc:  # the library raises many kinds on corrupt files
                warn(blob.path, f"not a readable .msg ({type(exc).__name__}: {exc})")
                return
            try:
                # openMsg returns whichever class the file holds (message, appointment...): ask politely
                fields = [(k, getattr(msg, k, None)) for k in ("sender", "to", "cc", "subject")]
                lines = [f"{k}: {v}" for k, v in fields if v]
                transport = getattr(msg, "header", None)  # the internet headers, when it came by SMTP
                if isinstance(transport, Message):
                    lines += [line for line in _text_header_lines(transport) if not line.startswith("subject:")]
                header = "\n".join(lines)
                date = getattr(msg, "date", None)
                when = date if isinstance(date, datetime) else None
                mid = str(getattr(msg, "messageId", "") or "message")[:200]
                yield TextUnit(text=header, message_id=mid, seen_at=when, meta={"part": "headers"})
                body = getattr(msg, "body", None) or ""
                yield TextUnit(text=str(body), message_id=mid, seen_at=when, meta={"part": "body"})
            finally:
                msg.close()


def pst_units(root: Any, warn: Warn, path: str) -> Iterator[TextUnit]:
    """One unit per message of every folder under ``root`` (a libpff folder): transport headers,
    sender, subject and body (the HTML body's text when there is no plain one), with the time it
    was sent (libpff's times are UTC). Folders and messages are fetched one by one by index: a
    message or folder libpff cannot read is a warning, and the walk goes on (iterating
    ``sub_messages`` would stop at the first bad one). Message ids are ``folder/N``, N counting
    messages across the whole file."""
    stack = [root]
    n = 0
    while stack:
        folder = stack.pop()
        name = _pff(warn, path, "a folder's name", getattr, folder, "name") or "folder"
        for i in range(_pff(warn, path, f"folder {name}", getattr, folder, "number_of_sub_folders") or 0):
            sub = _pff(warn, path, f"folder {i + 1} in {name}", folder.get_sub_folder, i)
            if sub is not None:
                stack.append(sub)
        for i in range(_pff(warn, path, f"folder {name}", getattr, folder, "number_of_sub_messages") or 0):
            n += 1
            msg = _pff(warn, path, f"message {n}", folder.get_sub_message, i)
            unit = None if msg is None else _pff(warn, path, f"message {n}", _pst_unit, msg)
            if unit is not None:
                yield replace(unit, message_id=f"{name}/{n}"[:200])


def _pff(warn: Warn, path: str, what: str, read: Callable[..., Any], *args: Any) -> Any:
    """``read(*args)``: what libpff reads, or None and a warning when it cannot (it raises OSError)."""
    try:
        return read(*args)
    except OSError as exc:
        warn(path, f"{what}: not readable ({exc})")
        return None


def _pst_unit(msg: Any) -> TextUnit:
    headers = msg.transport_headers or ""
    text = _text(msg.plain_text_body)
    if not text.strip():  # many Outlook messages carry only an HTML body
        text = html_text(_text(msg.html_body))
    when = msg.client_submit_time or msg.delivery_time
    seen = when.replace(tzinfo=UTC) if isinstance(when, datetime) and when.tzinfo is None else when
    return TextUnit(text=f"{headers}\nfrom: {msg.sender_name or ''}\nsubject: {msg.subject or ''}\n{text}",
                    seen_at=seen if isinstance(seen, datetime) else None)


def _text(body: bytes | str | None) -> str:
    """libpff hands bodies over as bytes (UTF-8 for the plain text, the message's charset for
    HTML, which names itself in its markup)."""
    if body is None:
        return ""
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


class PstSource(Source):
    """Outlook .pst/.ost via libpff: every message of every folder."""

    name = "pst"

    def accepts(self, name: str, head: bytes) -> bool:
        return head.startswith(b"!BDN")

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        try:
            import pypff
        except ImportError:
            warn(blob.path, "libpff-python is not installed: .pst file skipped")
            return
        with local_copy(blob, ".pst") as path:
            pst = pypff.file()
            try:
                pst.open(str(path))
            except OSError as exc:
                warn(blob.path, f"not a readable PST ({exc})")
                return
            try:
                yield from pst_units(pst.get_root_folder(), warn, blob.path)
            finally:
                pst.close()
