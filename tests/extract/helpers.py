"""Small generated inputs for the source tests (nothing binary is checked in)."""

from __future__ import annotations

import io
import sqlite3
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
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

_PT_LONG, _PT_BOOLEAN, _PT_SYSTIME, _PT_UNICODE, _PT_BINARY = 0x0003, 0x000B, 0x0040, 0x001F, 0x0102


def _filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


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
    filetime = _filetime(sent)
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


# ---- Outlook .pst (MS-PST, Unicode) -----------------------------------------------------------
# No tool on PyPI or Debian writes a PST (libpff, readpst, java-libpst and the outlook-pst crate
# read only), so this writes the smallest one libpff opens, from the open specification: the
# header, one leaf page of the node B-tree (NBT: node -> data block, parent) and one of the
# block B-tree (BBT: block -> file offset), and one data block per node holding a heap-on-node
# with a property context (folders, messages, the store) or a table context (a folder's
# sub-folder and message tables). No compression, no encryption, no allocation maps.


@dataclass(frozen=True)
class PstMessage:
    subject: str = ""
    body: str = ""
    html: bytes = b""
    sender: str = "Anna B"
    headers: str = ""
    sent: datetime | None = None
    corrupt: bool = False  # its block holds no heap: libpff cannot read it


@dataclass(frozen=True)
class PstFolder:
    name: str
    messages: tuple[PstMessage, ...] = ()
    folders: tuple[PstFolder, ...] = ()


def _pst_crc(data: bytes) -> int:
    """MS-PST's CRC: the CRC-32 table, started at 0 and not inverted at the end."""
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def _pst_sig(ib: int, bid: int) -> int:
    x = (ib ^ bid) & 0xFFFFFFFF
    return ((x >> 16) ^ x) & 0xFFFF


class _Heap:
    """A heap-on-node in one block; allocations are addressed by HIDs (index << 5)."""

    def __init__(self, client_sig: int) -> None:
        self.client_sig, self.items = client_sig, list[bytes]()

    def alloc(self, data: bytes) -> int:
        self.items.append(data)
        return len(self.items) << 5

    def bth(self, key: int, entry: int, records: Sequence[bytes]) -> int:
        root = self.alloc(b"".join(records)) if records else 0
        return self.alloc(struct.pack("<BBBBI", 0xB5, key, entry, 0, root))

    def build(self, user_root: int) -> bytes:
        body, offsets = bytearray(12), []
        for item in self.items:
            offsets.append(len(body))
            body += item + b"\0" * (len(item) % 2)
        offsets.append(len(body))
        page_map = len(body)
        body += struct.pack(f"<HH{len(offsets)}H", len(self.items), 0, *offsets)
        body[:12] = struct.pack("<HBBI4x", page_map, 0xEC, self.client_sig, user_root)
        return bytes(body)


PropValue = int | str | bytes | datetime


def _pst_properties(props: dict[int, tuple[int, PropValue]]) -> bytes:
    """A property context: a B-tree of (id, type, value or HID of the value) over a heap."""
    heap = _Heap(0xBC)
    records = []
    for pid, (ptype, value) in sorted(props.items()):
        if isinstance(value, datetime):
            inline = heap.alloc(struct.pack("<Q", _filetime(value)))
        elif isinstance(value, int):  # 32-bit integers and booleans are kept in the record
            inline = value
        else:
            data = value.encode("utf-16-le") if isinstance(value, str) else value
            inline = heap.alloc(data) if data else 0
        records.append(struct.pack("<HHI", pid, ptype, inline))
    return heap.build(heap.bth(2, 6, records))


def _pst_table(rows: Sequence[int]) -> bytes:
    """A table context with the row id and row version columns: what lists a folder's children."""
    heap = _Heap(0x7C)
    index = heap.bth(4, 4, [struct.pack("<II", nid, i) for i, nid in enumerate(rows)])
    matrix = heap.alloc(b"".join(struct.pack("<IIB", nid, 0, 0xC0) for nid in rows)) if rows else 0
    info = struct.pack("<BB4HIII", 0x7C, 2, 8, 8, 8, 9, index, matrix, 0)
    info += struct.pack("<IHBB", 0x67F20003, 0, 4, 0) + struct.pack("<IHBB", 0x67F30003, 4, 4, 1)
    return heap.build(heap.alloc(info))


def _pst_message(m: PstMessage) -> bytes:
    if m.corrupt:
        return b"\x00not a heap" * 8
    props: dict[int, tuple[int, PropValue]] = {
        0x001A: (_PT_UNICODE, "IPM.Note"), 0x0037: (_PT_UNICODE, m.subject), 0x0C1A: (_PT_UNICODE, m.sender),
        0x0E07: (_PT_LONG, 1), 0x1000: (_PT_UNICODE, m.body), 0x007D: (_PT_UNICODE, m.headers)}
    if m.html:
        props[0x1013] = (_PT_BINARY, m.html)
    if m.sent:
        props[0x0039] = (_PT_SYSTIME, m.sent)
    return _pst_properties(props)


def _pst_nodes(folder: PstFolder, nid: int, parent: int, counters: list[int]) -> list[tuple[int, int, bytes]]:
    """(node id, parent node id, block) of a folder, its three tables and everything below it."""
    sub_nids, msg_nids = [], []
    for _ in folder.folders:
        counters[0] += 1
        sub_nids.append(counters[0] << 5 | 0x02)
    for _ in folder.messages:
        counters[1] += 1
        msg_nids.append(counters[1] << 5 | 0x04)
    props = {0x3001: (_PT_UNICODE, folder.name), 0x3602: (_PT_LONG, len(folder.messages)),
             0x3603: (_PT_LONG, 0), 0x360A: (_PT_BOOLEAN, bool(folder.folders))}
    nodes = [(nid, parent, _pst_properties(props)), (nid + 11, 0, _pst_table(sub_nids)),
             (nid + 12, 0, _pst_table(msg_nids)), (nid + 13, 0, _pst_table([]))]
    nodes += [(m_nid, nid, _pst_message(m)) for m_nid, m in zip(msg_nids, folder.messages, strict=True)]
    for sub_nid, sub in zip(sub_nids, folder.folders, strict=True):
        nodes += _pst_nodes(sub, sub_nid, nid, counters)
    return nodes


def _pst_page(ptype: int, ib: int, bid: int, entries: Sequence[bytes], size: int, level: int) -> bytes:
    body = b"".join(entries).ljust(488, b"\0") + struct.pack("<BBBB4x", len(entries), 488 // size, size, level)
    return body + struct.pack("<BBHIQ", ptype, ptype, _pst_sig(ib, bid), _pst_crc(body), bid)


def _pst_btree(out: bytearray, ptype: int, entries: list[tuple[int, bytes]], size: int, next_bid: int
               ) -> tuple[int, int, int]:
    """Leaf pages of ``entries`` (key, entry; sorted) and, when one page is not enough, an index
    page over them. Returns the root's (bid, file offset) and the next free page bid."""
    per_page = 488 // size
    refs = []
    for at in range(0, len(entries), per_page):
        chunk = entries[at:at + per_page]
        refs.append(struct.pack("<QQQ", chunk[0][0], next_bid, len(out)))  # BTENTRY: first key, BREF
        out += _pst_page(ptype, len(out), next_bid, [e for _, e in chunk], size, 0)
        next_bid += 4
    if len(refs) == 1:
        return next_bid - 4, len(out) - 512, next_bid
    assert len(refs) <= 488 // 24, "two levels are enough for a test file"
    root = (next_bid, len(out))
    out += _pst_page(ptype, len(out), next_bid, refs, 24, 1)
    return root[0], root[1], next_bid + 4


def make_pst(path: Path, folders: Sequence[PstFolder]) -> None:
    """A Unicode PST with ``folders`` under its root folder."""
    root = 0x122  # NID_ROOT_FOLDER
    nodes = [(0x21, 0, _pst_properties({0x3001: (_PT_UNICODE, "Personal Folders"),  # the message store
                                        0x0FF9: (_PT_BINARY, b"\x11" * 16)})),
             (0x61, 0, _pst_properties({0x0001: (_PT_LONG, 251), 0x0002: (_PT_BINARY, b"\x22" * 16),  # names
                                        0x0003: (_PT_BINARY, struct.pack("<IHH", 0x8501, 2, 0)),
                                        0x0004: (_PT_BINARY, b"")}))]
    nodes += _pst_nodes(PstFolder("", folders=tuple(folders)), root, root, [0x400, 0x10000])
    out = bytearray(0x4400)  # the header; data starts where the first allocation map would be
    nbt, bbt = [], []
    for i, (nid, parent, data) in enumerate(nodes):
        bid, ib = 4 * (i + 1), len(out)
        size = -(-(len(data) + 16) // 64) * 64
        out += data.ljust(size - 16, b"\0") + struct.pack("<HHIQ", len(data), _pst_sig(ib, bid), _pst_crc(data), bid)
        nbt.append((nid, struct.pack("<QQQII", nid, bid, 0, parent, 0)))
        bbt.append((bid, struct.pack("<QQHHI", bid, ib, len(data), 2, 0)))
    nbt_bid, nbt_ib, next_bid = _pst_btree(out, 0x81, sorted(nbt), 32, 4 * (len(nodes) + 1))
    bbt_bid, bbt_ib, next_bid = _pst_btree(out, 0x80, sorted(bbt), 24, next_bid)
    header = bytearray(0x234)
    struct.pack_into("<4sI2sHHBB", header, 0, b"!BDN", 0, b"SM", 23, 19, 1, 1)  # Unicode PST
    struct.pack_into("<QQI", header, 0x18, 0, next_bid, 1)
    struct.pack_into("<32I", header, 0x2C, *[0x400 << 5 | t for t in range(32)])
    struct.pack_into("<IQQQQQQQQBBH", header, 0xB4, 0, len(out), 0, 0, 0, nbt_bid, nbt_ib, bbt_bid, bbt_ib, 0, 0, 0)
    header[0x100:0x200] = b"\xff" * 256
    struct.pack_into("<BBHQ", header, 0x200, 0x80, 0, 0, next_bid)  # sentinel, no encryption
    struct.pack_into("<I", header, 0x04, _pst_crc(bytes(header[8:8 + 471])))
    struct.pack_into("<I", header, 0x20C, _pst_crc(bytes(header[8:8 + 516])))
    out[:0x234] = header
    path.write_bytes(bytes(out))
