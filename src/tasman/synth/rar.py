"""Small benign RAR archives for reader tests, written byte by byte.

No free tool writes RAR (``rar`` is non-free), but both formats are published by RARLAB (the
RAR 4.x ``technote.txt`` shipped with unrar, and the RAR 5.0 archive format page), and an
archive whose files are *stored* (no compression) is simple: a signature, a main header, one
header per file followed by its bytes, an end-of-archive header, each header with its CRC.
Tasman only reads RAR through libarchive; these let the tests show that it does.
"""

from __future__ import annotations

import struct
import time
import zlib

from tasman.synth.disks import FIXED_MTIME

RAR4_SIGNATURE = b"Rar!\x1a\x07\x00"
RAR5_SIGNATURE = b"Rar!\x1a\x07\x01\x00"


def _block4(head_type: int, flags: int, body: bytes) -> bytes:
    """A RAR 4 block: HEAD_CRC (low 16 bits of the CRC-32 of the rest), type, flags, size, body."""
    rest = struct.pack("<BHH", head_type, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(rest) & 0xFFFF) + rest


def _dos_time(seconds: int) -> int:
    t = time.gmtime(seconds)
    return ((t.tm_year - 1980) << 25 | t.tm_mon << 21 | t.tm_mday << 16 | t.tm_hour << 11 | t.tm_min << 5
            | t.tm_sec // 2)


def rar4_stored(files: dict[str, bytes]) -> bytes:
    """A RAR 4 archive holding ``files`` (``"dir/name": bytes``), stored."""
    out = [RAR4_SIGNATURE, _block4(0x73, 0, bytes(6))]                       # main header
    for name, data in files.items():
        raw = name.encode("utf-8")
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), _dos_time(FIXED_MTIME),
                           20, 0x30, len(raw), 0o100644) + raw             # Unix host and mode, version 2.0, store
        out += [_block4(0x74, 0x8000, body), data]                        # 0x8000: PACK_SIZE follows
    out.append(_block4(0x7B, 0x4000, b""))                                  # end of archive
    return b"".join(out)


def _vint(n: int) -> bytes:
    """RAR 5's variable-length integer: 7 bits a byte, low first, high bit set while more follow."""
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _block5(fields: bytes) -> bytes:
    """A RAR 5 header: CRC-32 of (size + fields), the size as a vint, the fields."""
    sized = _vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(sized)) + sized


def rar5_stored(files: dict[str, bytes]) -> bytes:
    """A RAR 5 archive holding ``files`` (``"dir/name": bytes``), stored."""
    out = [RAR5_SIGNATURE, _block5(_vint(1) + _vint(0) + _vint(0))]         # main: type 1, no flags
    for name, data in files.items():
        raw = name.encode("utf-8")
        fields = (_vint(2) + _vint(0x0002) + _vint(len(data))               # file header with a data area
                  + _vint(0x0002 | 0x0004) + _vint(len(data)) + _vint(0o100644)   # mtime and CRC present
                  + struct.pack("<II", FIXED_MTIME, zlib.crc32(data))
                  + _vint(0) + _vint(1) + _vint(len(raw)) + raw)           # version 0, store; Unix host
        out += [_block5(fields), data]
    out.append(_block5(_vint(5) + _vint(0) + _vint(0)))                       # end of archive
    return b"".join(out)
