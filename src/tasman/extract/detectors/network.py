"""IPv4 and IPv6 addresses (``ipaddress`` decides; private and reserved ranges are flagged)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from tasman.extract import fastcheck
from tasman.extract.detectors.base import Buffer, Detector, Found, found, is_word_byte
from tasman.extract.engine import PatternSpec
from tasman.extract.identifiers import IdType

_ip = lru_cache(maxsize=65536)(fastcheck.ip)
_HEX = frozenset(b"0123456789abcdefABCDEF")
_VERSION = re.compile(r"(?:\b(?:version|ver|release|build|firmware|chrome|firefox|safari)\s*[:=/]?\s*|\bv)$", re.I)


class IpDetector(Detector):
    name = "ip"
    types = (IdType.IP,)
    patterns = (
        # the terminator: one report per address, not one per length of its last number
        PatternSpec(rb"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}[^0-9]"),
        PatternSpec(rb"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}[^0-9A-Za-z:]"),
        PatternSpec(rb"(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?[^0-9A-Za-z:]"),
        PatternSpec(rb"::(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}[^0-9A-Za-z:.]"),
    )

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        before = buf.byte_before(start)
        if index == 0:
            end = ends[-1] - 1
            nxt = buf.byte_at(end)
            if is_word_byte(before) or before == 46:
                return []
            if nxt == 46 and 48 <= buf.byte_at(end + 1) <= 57:
                return []  # 1.2.3.4.5: an OID or a version, not an address
            if _VERSION.search(buf.before(start, 12)):
                return []
            return found(_ip(buf.text(start, end)), buf, start, end, self.name)
        if is_word_byte(before) or before == 58:
            return []
        end = ends[-1] - 1
        return found(_ip(buf.text(start, end)), buf, start, end, self.name)
