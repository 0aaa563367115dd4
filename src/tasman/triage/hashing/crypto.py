"""MD5, SHA-1 and SHA-256 in one read."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

CHUNK = 1 << 20


class MultiHash:
    __slots__ = ("md5", "sha1", "sha256", "size")

    def __init__(self) -> None:
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha1 = hashlib.sha1(usedforsecurity=False)
        self.sha256 = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        self.md5.update(chunk)
        self.sha1.update(chunk)
        self.sha256.update(chunk)
        self.size += len(chunk)

    def hexdigests(self) -> tuple[str, str, str]:
        return self.md5.hexdigest(), self.sha1.hexdigest(), self.sha256.hexdigest()


def hash_stream(fh: BinaryIO) -> tuple[str, str, str, int]:
    h = MultiHash()
    while chunk := fh.read(CHUNK):
        h.update(chunk)
    return (*h.hexdigests(), h.size)
