"""E-mail addresses; an address next to the word PayPal is also a PayPal account."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from tasman.extract import fastcheck
from tasman.extract.detectors.base import Buffer, Detector, Found, found
from tasman.extract.engine import PatternSpec
from tasman.extract.identifiers import IdType
from tasman.extract.payments import paypal_account

_email = lru_cache(maxsize=65536)(fastcheck.email)
_LOCAL_BYTES = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+'-" + bytes(range(128, 256))
_LOCAL = frozenset(_LOCAL_BYTES)
_MAX_LEN = 320


def start_of(data: bytes, end: int) -> int:
    """Leftmost start of the address match that ends at ``end`` (its terminator included): the
    domain holds no '@', so the '@' is the last one before the terminator, and the match starts
    where the run of local-part bytes before that '@' starts (found a KiB at a time: a run ends
    at the previous '@' at the latest, so the work stays linear in the input)."""
    hi = data.rfind(b"@", 0, end - 1)
    while True:
        lo = max(0, hi - 1024)
        kept = len(data[lo:hi].rstrip(_LOCAL_BYTES))
        if kept or lo == 0:
            return lo + kept
        hi = lo


class EmailDetector(Detector):
    name = "email"
    types = (IdType.EMAIL, IdType.PAYPAL)
    # the terminator (any byte that cannot continue a domain) makes one report per address end
    # (no bounded repeats: Hyperscan cannot track the start of large ones; lengths are checked below)
    # (bytes >= 0x80: UTF-8 letters of internationalised addresses)
    patterns = (PatternSpec(rb"[A-Za-z0-9._%+'\x80-\xff-]+@[A-Za-z0-9\x80-\xff-]+(?:\.[A-Za-z0-9\x80-\xff-]+)*"
                            rb"\.[A-Za-z]{2,24}[^A-Za-z0-9\x80-\xff-]", start_of=start_of),)

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        if buf.byte_before(start) in _LOCAL or ends[-1] - start > _MAX_LEN:
            return []
        while start < ends[0] and buf.data[start] in b".'-":
            start += 1
        for end in reversed(ends):
            end -= 1  # the terminator
            raw = buf.text(start, end)
            ident = _email(raw)
            if ident is None:
                continue
            out = found(ident, buf, start, end, self.name)
            before = buf.before(start, 40).lower()
            between = before[before.rfind("paypal") + 6:] if "paypal" in before else "@"
            if len(between) <= 24 and "@" not in between:
                out += found(paypal_account(ident), buf, start, end, "paypal")
            return out
        return []
