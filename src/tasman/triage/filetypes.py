"""File types by content: libmagic for the recorded MIME type, signatures to pick a reader.

Picking a reader happens for every file in the walking process, so it uses a few fixed byte
signatures (microseconds) instead of libmagic (up to milliseconds for text). The MIME type
recorded for each file comes from libmagic, computed lazily or in the hashing workers.
"""

from __future__ import annotations

import threading

import magic

MAGIC_BYTES = 4096
_local = threading.local()

ARCHIVE_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (0, b"PK\x03\x04"), (0, b"PK\x05\x06"), (0, b"PK\x07\x08"),  # zip (and docx, odt, jar, apk...)
    (0, b"\x1f\x8b"),                     # gzip
    (0, b"BZh"),                          # bzip2
    (0, b"\xfd7zXZ\x00"),                 # xz
    (0, b"\x28\xb5\x2f\xfd"),             # zstd
    (0, b"\x1f\x9d"),                     # compress (.Z)
    (0, b"LZIP"),                         # lzip
    (0, b"7z\xbc\xaf\x27\x1c"),           # 7-Zip
    (0, b"Rar!\x1a\x07"),                 # RAR 4 and 5
    (0, b"MSCF\x00\x00\x00\x00"),         # Microsoft cabinet
    (257, b"ustar"),                      # tar (POSIX and GNU)
    (0, b"070701"), (0, b"070702"), (0, b"070707"),  # cpio
)
COMPRESSION_ONLY = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"\x1f\x9d", b"LZIP")
EWF_SIGNATURES = (b"EVF\x09\x0d\x0a\xff\x00", b"EVF2\r\n\x81\x00")


def mime_of(head: bytes) -> str:
    """The MIME type libmagic gives the first bytes of a file."""
    m = getattr(_local, "magic", None)
    if m is None:
        m = _local.magic = magic.Magic(mime=True)
    try:
        return str(m.from_buffer(head[:MAGIC_BYTES]))
    except magic.MagicException:
        return "application/octet-stream"


_AT_START = tuple(sig for off, sig in ARCHIVE_SIGNATURES if off == 0)
_ELSEWHERE = tuple((off, sig) for off, sig in ARCHIVE_SIGNATURES if off != 0)


def is_archive(head: bytes) -> bool:
    return head.startswith(_AT_START) or any(head[off:off + len(sig)] == sig for off, sig in _ELSEWHERE)


def is_compressed_stream(head: bytes) -> bool:
    """gzip, bzip2, xz...: a single compressed stream that may or may not hold a tar."""
    return head.startswith(COMPRESSION_ONLY)


def is_ewf(head: bytes) -> bool:
    return head.startswith(EWF_SIGNATURES)


def disk_signature(head: bytes) -> str | None:
    """'strong' for file-system / image signatures, 'weak' for a bare boot-sector mark, else None."""
    if is_ewf(head):
        return "strong"
    if len(head) >= 520 and head[512:520] == b"EFI PART":
        return "strong"
    if head[3:11] in (b"NTFS    ", b"EXFAT   "):
        return "strong"
    if len(head) >= 1082 and head[1080:1082] == b"\x53\xef":   # ext2/3/4 superblock magic
        return "strong"
    if len(head) >= 1026 and head[1024:1026] in (b"H+", b"HX"):  # HFS+
        return "strong"
    if len(head) >= 512 and head[510:512] == b"\x55\xaa":
        if head[54:59] in (b"FAT12", b"FAT16") or head[82:87] == b"FAT32":
            return "strong"
        return "weak" if _plausible_mbr(head) else None
    return None


def _plausible_mbr(head: bytes) -> bool:
    entries = [head[446 + 16 * i: 462 + 16 * i] for i in range(4)]
    used = [e for e in entries if e[4] != 0]
    return bool(used) and all(e[0] in (0x00, 0x80) for e in entries)
