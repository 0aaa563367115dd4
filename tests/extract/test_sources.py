from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tasman.extract.process import scan_units
from tasman.extract.sources import BytesBlob
from tasman.extract.sources.chats import parse_chat_jsonl
from tasman.extract.sources.mail import MsgSource
from tasman.extract.sources.text import TextSource, windows
from tests.extract.helpers import PstFolder, PstMessage, jpeg_with_exif, make_msg, make_pst, make_sqlite, read, vals

EMAIL = ("email", "anna.b@example.org")
PHONE = ("phone", "+447911123456")


def test_text_encodings(tmp_path: Path) -> None:
    text = "Привет! пиши anna.b@example.org или +44 7911 123456\n"
    for enc in ("utf-8", "utf-16", "cp1251"):
        p = tmp_path / f"{enc}.txt"
        p.write_bytes(text.encode(enc) * 40)
        name, got, _ = read(p)
        assert name == "text" and {EMAIL, PHONE} <= vals(got), enc
        raw = p.read_bytes()
        for s in got:
            if s.found.type.value == "email":
                assert s.offset is not None
                assert raw[s.offset:s.offset + len("anna.b@example.org".encode(enc)) + 4].decode(enc, "ignore") \
                    .lstrip("\ufeff").startswith("anna.b@example.org"), enc


def test_windows_overlap_finds_identifiers_on_boundaries_once(tmp_path: Path) -> None:
    import io

    data = (b"x" * 1000 + b" anna.b@example.org ") * 50
    seen = []
    for offset, chunk, a, b in windows(io.BytesIO(data), chunk=1024, overlap=64):
        i = chunk.find(b"anna.b@", a)
        while 0 <= i < b:
            seen.append(offset + i)
            i = chunk.find(b"anna.b@", i + 1)
    assert seen == [1001 + k * 1020 for k in range(50)]
    got = list(TextSource().read(BytesBlob(data, "x.txt"), lambda p, m: None))
    assert got


def test_html_markup_and_text(tmp_path: Path) -> None:
    p = tmp_path / "page.html"
    p.write_text('<html><a href="mailto:anna.b@example.org">mail</a> call <b>+44</b> 7911 123456 '
                 "or write to jo&#64;example.net</html>", encoding="utf-8")
    name, got, _ = read(p)
    assert name == "html"
    assert {EMAIL, PHONE, ("email", "jo@example.net")} <= vals(got)


def test_json_and_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "data.json"
    p.write_text(json.dumps({"user": {"contacts": [{"mail": "anna.b@example.org"}, "+44 7911 123456"]}}))
    name, got, _ = read(p)
    assert name == "json" and {EMAIL, PHONE} <= vals(got)
    assert any(s.message_id == "$.user.contacts[0].mail" for s in got)
    q = tmp_path / "data.jsonl"
    q.write_text('{"a": "anna.b@example.org"}\nnot json +44 7911 123456\n')
    name, got, warnings = read(q)
    assert name == "jsonl" and {EMAIL, PHONE} <= vals(got) and "line 2" in warnings[0][1]


def test_csv_uses_each_rows_country(tmp_path: Path) -> None:
    p = tmp_path / "orders.csv"
    p.write_text("order,name,phone,email,country\n1001,A B,07911 123456,anna.b@example.org,United Kingdom\n"
                 "1002,C D,0412 345 678,c.d@example.com,Australia\n", encoding="utf-8")
    name, got, _ = read(p)
    assert name == "csv"
    assert {EMAIL, PHONE, ("phone", "+61412345678"), ("country", "GB")} <= vals(got)


def test_email_eml_and_mbox(tmp_path: Path) -> None:
    msg = ("From: Anna <anna.b@example.org>\nTo: x@example.net\nSubject: hi\n"
           "Received: from mail.example.net (mail.example.net [203.0.113.9])\nDate: Fri, 1 Mar 2024 10:00:00 +0000\n"
           "Message-ID: <m1@example.org>\nContent-Type: text/plain\n\ncall me +44 7911 123456\n")
    (tmp_path / "m.eml").write_text(msg)
    name, got, _ = read(tmp_path / "m.eml")
    assert name == "eml" and {EMAIL, PHONE, ("ip", "203.0.113.9")} <= vals(got)
    assert all(s.message_id == "<m1@example.org>" for s in got) and got[0].seen_at is not None
    sep = "From c@d Fri Mar  1 11:00:00 2024\n"
    (tmp_path / "box.mbox").write_text("From a@b Fri Mar  1 10:00:00 2024\n" + msg + "\n" + sep
                                       + msg.replace("m1@", "m2@"))
    name, got, _ = read(tmp_path / "box.mbox")
    assert name == "mbox" and {s.message_id for s in got} == {"<m1@example.org>", "<m2@example.org>"}


def _outlook_message(path: Path) -> None:
    make_msg(path, subject="meeting", body="call me on +44 7911 123456 or skype: anna.smith99",
             sender=("Anna B", "anna.b@example.org"), to=("Jo", "jo@example.net"),
             sent=datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
             internet_headers="From: Anna B <anna.b@example.org>\r\nTo: jo@example.net\r\nSubject: meeting\r\n"
                              "Date: Fri, 01 Mar 2024 10:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n"
                              "Received: from mail.example.net (mail.example.net [203.0.113.9])\r\n"
                              "X-Originating-IP: [81.2.69.160]\r\n\r\n")


def test_outlook_msg(tmp_path: Path) -> None:
    p = tmp_path / "meeting.msg"
    _outlook_message(p)
    name, got, warnings = read(p)
    assert name == "msg" and not warnings
    assert {EMAIL, PHONE, ("handle", "skype:anna.smith99"), ("email", "jo@example.net"), ("ip", "203.0.113.9"),
            ("ip", "81.2.69.160")} <= vals(got)
    assert {s.message_id for s in got} == {"<m1@example.org>"}
    assert {s.seen_at for s in got} == {datetime(2024, 3, 1, 10, 0, tzinfo=UTC)}
    parts = {s.found.value: s.meta.get("part") for s in got}
    assert parts["+447911123456"] == "body" and parts["81.2.69.160"] == "headers"


def test_outlook_msg_inside_a_container_and_truncated(tmp_path: Path) -> None:
    p = tmp_path / "meeting.msg"
    _outlook_message(p)
    data = p.read_bytes()
    warnings: list[tuple[str, str]] = []
    units = MsgSource().read(BytesBlob(data, "mail.zip!/meeting.msg"), lambda w, m: warnings.append((w, m)))
    assert PHONE in vals(list(scan_units(units))) and not warnings
    (tmp_path / "cut.msg").write_bytes(data[: len(data) // 2])
    name, got, warnings = read(tmp_path / "cut.msg")
    assert name == "msg" and not got and warnings and "cut.msg" in warnings[0][0]


def test_outlook_pst(tmp_path: Path) -> None:
    sent = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    inbox = PstFolder("Inbox", (
        PstMessage("hi", "call me on +44 7911 123456", sent=sent,
                   headers="Received: from mx.example.net (mx.example.net [203.0.113.9])\r\n"),
        PstMessage(corrupt=True),
        PstMessage("html only", html=b"<html><p>mail <b>anna.b@example.org</b></p></html>")),
        (PstFolder("Old", (PstMessage("old", "my skype is anna.smith99"),)),))
    p = tmp_path / "backup.pst"
    make_pst(p, [inbox, PstFolder("Sent")])
    name, got, warnings = read(p)
    assert name == "pst"
    assert [m for _, m in warnings] == [warnings[0][1]] and warnings[0][1].startswith("message 2: not readable")
    assert {PHONE, EMAIL, ("ip", "203.0.113.9"), ("handle", "skype:anna.smith99")} <= vals(got)
    ids = {s.found.value: (s.message_id, s.seen_at) for s in got}
    assert ids["+447911123456"] == ("Inbox/1", sent)
    assert ids["anna.b@example.org"] == ("Inbox/3", None) and ids["skype:anna.smith99"][0] == "Old/4"
    (tmp_path / "cut.pst").write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    name, got, warnings = read(tmp_path / "cut.pst")
    assert name == "pst" and warnings and all(w[0].endswith("cut.pst") for w in warnings)


def test_corrupt_msg_and_pst_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "bad.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    name, got, warnings = read(tmp_path / "bad.msg")
    assert name == "msg" and not got and warnings
    (tmp_path / "bad.pst").write_bytes(b"!BDN" + b"\x00" * 600)
    name, got, warnings = read(tmp_path / "bad.pst")
    assert name == "pst" and not got and warnings


def test_sqlite_every_text_column(tmp_path: Path) -> None:
    p = tmp_path / "History"
    make_sqlite(p)
    before = p.read_bytes()
    name, got, warnings = read(p)
    assert name == "sqlite" and not warnings
    assert {("url", "https://www.example.org/profile"), ("handle", "kik:kiki.22"),
            ("email", "chat.user@example.net")} <= vals(got)
    assert p.read_bytes() == before  # opened read-only, immutable: nothing written
    assert not (tmp_path / "History-journal").exists() and not (tmp_path / "History-wal").exists()


def test_whatsapp_export(tmp_path: Path) -> None:
    p = tmp_path / "WhatsApp Chat with Anna.txt"
    p.write_text("01/03/2024, 10:00 - Anna: hi, my kik is kiki.22\n01/03/2024, 10:01 - Op: ok\n"
                 "01/03/2024, 10:02 - Anna: or mail\nanna.b@example.org\n", encoding="utf-8")
    name, got, _ = read(p)
    assert name == "whatsapp"
    by = {(s.found.value, s.message_id, s.meta.get("from")) for s in got}
    assert ("kik:kiki.22", "msg 1", "Anna") in by and ("anna.b@example.org", "msg 3", "Anna") in by
    raw = p.read_bytes()
    for s in got:
        assert s.offset is not None and raw[s.offset:].decode().startswith(s.found.raw)


def test_telegram_export(tmp_path: Path) -> None:
    doc = {"name": "Anna", "type": "personal_chat", "id": 42, "messages": [
        {"id": 1, "type": "message", "date": "2024-03-01T10:00:00", "date_unixtime": "1709287200",
         "from": "Anna", "from_id": "user1", "text": ["write ", {"type": "email", "text": "anna.b@example.org"}]},
        {"id": 2, "type": "service", "date": "2024-03-01T10:01:00", "text": ""}]}
    p = tmp_path / "result.json"
    p.write_text(json.dumps(doc))
    name, got, _ = read(p)
    assert name == "telegram" and vals(got) == {EMAIL}
    assert got[0].message_id == "42:1" and got[0].seen_at is not None and got[0].meta["from"] == "Anna"


def test_generic_chat_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "ops.jsonl"
    p.write_text(json.dumps({"session": "op-17", "platform": "kik", "counterpart": "kiki.22", "messages": [
        {"t": "2024-03-01T10:00:00Z", "from": "kiki.22", "text": "I live in Leeds, +44 7911 123456"},
        {"t": 1709287260, "from": "officer", "text": "ok"}]}) + "\n{broken\n")
    name, got, warnings = read(p)
    assert name == "chat-jsonl"
    assert {("handle", "kik:kiki.22"), PHONE, ("city", "GB:leeds")} <= vals(got)
    assert any(s.meta.get("from") == "kiki.22" and s.message_id == "op-17:0" for s in got)
    assert warnings and "line 2" in warnings[0][1]
    with p.open("rb") as fh:
        sessions = list(parse_chat_jsonl(fh, "ops.jsonl", lambda *_: None))
    assert sessions[0].messages[1].t is not None and sessions[0].counterpart == "kiki.22"


def test_exif(tmp_path: Path) -> None:
    p = tmp_path / "img.jpg"
    p.write_bytes(jpeg_with_exif())
    name, got, warnings = read(p)
    assert name == "exif" and not warnings
    v = vals(got)
    assert ("camera", "canon|eos 80d|0123456789") in v and EMAIL in v
    gps = next(s for s in got if s.found.type.value == "gps")
    assert gps.found.value.startswith("51.50740,-0.12780") and gps.found.identifier.country == "GB"
    assert gps.seen_at is not None
