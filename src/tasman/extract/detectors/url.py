"""URLs, their domains, and ``www.`` host names; links that name an account on a platform
(t.me/NAME, paypal.me/NAME, wa.me/NUMBER...) also give that account."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from tasman.extract.detectors.base import Buffer, Detector, Found, found, is_word_byte
from tasman.extract.engine import PatternSpec
from tasman.extract.identifiers import (
    PROFILE_HOSTS,
    IdType,
    clean_domain,
    clean_handle,
    clean_paypal,
    clean_phone,
    clean_url,
)

_url = lru_cache(maxsize=65536)(clean_url)
_domain = lru_cache(maxsize=65536)(clean_domain)

# host -> platform whose profile links are host/NAME (or host/@NAME, host/add/NAME)
_PROFILE_HOSTS = PROFILE_HOSTS
_NOT_PROFILES = {"share", "intent", "home", "login", "p", "explore", "watch", "tag", "hashtag", "search", "joinchat",
                 "s", "i", "events", "groups", "pages", "help", "about", "privacy", "legal", "download", "add"}
_PROFILE = re.compile(r"^https?://(?:www\.|m\.)?(?P<host>[^/]+)/(?:add/)?@?(?P<name>[A-Za-z0-9_.-]{1,64})/?(?:[?#].*)?$",
                      re.I)
_WA = re.compile(r"^https?://(?:wa\.me|api\.whatsapp\.com/send\?phone=)/?\+?(?P<num>\d{7,15})", re.I)
_TRAIL = ".,;:!?'\"*"


def trim_url(raw: str) -> str:
    raw = raw.rstrip(_TRAIL)
    for open_, close in ("()", "[]", "{}"):
        while raw.endswith(close) and raw.count(close) > raw.count(open_):
            raw = raw[:-1].rstrip(_TRAIL)
    return raw


class UrlDetector(Detector):
    name = "url"
    types = (IdType.URL, IdType.DOMAIN, IdType.HANDLE, IdType.PAYPAL, IdType.PHONE)
    patterns = (
        PatternSpec(rb"(?:https?|ftp)://[^\s<>\"'`\x00-\x1f\x7f]+[\s<>\"'`\x00-\x1f\x7f]", caseless=True),
        PatternSpec(rb"www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}[^A-Za-z0-9-]", caseless=True),
    )

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        if is_word_byte(buf.byte_before(start)) or buf.byte_before(start) in b"./@":
            return []
        end = ends[-1] - 1
        if end - start > 4096:
            return []
        raw = trim_url(buf.text(start, end))
        end = start + len(raw.encode("utf-8"))
        if index == 1:
            return found(_domain(raw), buf, start, end, "domain")
        ident = _url(raw)
        out = found(ident, buf, start, end, self.name)
        if ident is None:
            return out
        host = str(ident.meta.get("domain", ""))
        out += found(_domain(host), buf, start, end, "domain") if host else []
        low = raw.lower()
        if "paypal.me/" in low:
            out += found(clean_paypal(raw), buf, start, end, "paypal")
        if (m := _WA.match(raw)) is not None:
            out += found(clean_phone("+" + m.group("num")), buf, start, end, "phone.link")
        m2 = _PROFILE.match(raw)
        if m2 is not None:
            h = m2.group("host").lower()
            platform = _PROFILE_HOSTS.get(h.removeprefix("www.").removeprefix("m."))
            if platform and m2.group("name").lower() not in _NOT_PROFILES:
                out += found(clean_handle(m2.group("name"), platform, strict=True), buf, start, end, "handle.link")
        return out
