"""User names on a platform the text names: "my skype is ...", "kik: y", "telegram @x",
"discord x#1234", "@x on snapchat". A bare @name, with no platform said, is not taken."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tasman.extract.detectors.base import Buffer, Detector, Found, found, is_word_byte
from tasman.extract.engine import PatternSpec
from tasman.extract.identifiers import IdType, clean_handle, platform_name

# Platform words that are also ordinary words (or log fields) need a ':' or '=' after them.
_STRICT = {"line", "signal", "session", "facebook", "fb", "ig", "tg", "sc", "x", "wa"}
_KEYWORDS = rb"skype|telegram|kik|snapchat|snap|discord|wickr(?: ?me)?|instagram|insta|twitter|tiktok|threema|" \
            rb"wechat|viber|(?:signal|session|line|facebook|fb|ig|tg|sc)[ \t]*[:=]"

_AFTER = re.compile(
    r"""(?ix)
    (?:[ \t]*(?:user\s?name|username|user|name|id|handle|account|acct|addy|nick|contact))?   # skype name
    (?P<sep>[ \t]*(?::|=|-|–|>|\bis\b|\bme\b|\bat\b|\bon\b|\bvia\b)[ \t]*:?)*                  # colon, is, me at
    [ \t]*(?P<at>@)?(?P<name>(?:live:)?[A-Za-z0-9_][A-Za-z0-9_.,-]{0,38}[A-Za-z0-9_](?:\#\d{4})?|[A-Za-z0-9])
    """)
_BEFORE = re.compile(r"@(?P<name>[A-Za-z0-9_.]{2,32})\s+(?:on|at|via|\()\s*$", re.I)
_STOP_WORDS = (
    "is me at on the a an and or to for my id name user username down not please pls plz here there too "
    "also only chat call video app account now today later instead if but so it this that works working "
    "add message msg dm with via in from by no yes ok okay broken blocked banned offline online dead "
    "gone new old same different private deleted closed full busy fine better best good bad hacked "
    "locked again back still just first last next handle contact number phone "
)
_STOP = frozenset(_STOP_WORDS.split())


class HandleDetector(Detector):
    name = "handle"
    types = (IdType.HANDLE,)
    patterns = (PatternSpec(_KEYWORDS, caseless=True),)

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        end = ends[-1]
        if buf.data[end - 1] in b":=":  # a strict word matched with its colon: step back before it
            end -= 1
            while buf.data[end - 1] in b" \t":
                end -= 1
        if is_word_byte(buf.byte_before(start)) or is_word_byte(buf.byte_at(end)) or buf.byte_before(start) in b"./":
            return []
        word = buf.text(start, end)
        platform = platform_name(word)
        if platform is None or platform == "whatsapp":
            return []
        tail = buf.text(end, end + 60)
        out = self._after(buf, word, platform, end, tail)
        if not out:
            m = _BEFORE.search(buf.before(start, 40))
            if m is not None:
                raw = m.group("name").rstrip(".,")
                before = buf.before(start, 40)
                b = start - len(before.encode("utf-8")) + len(before[:m.start("name")].encode("utf-8"))
                ident = clean_handle(raw, platform, strict=True)
                out = found(ident, buf, b, b + len(raw), self.name, platform=platform)
        return out

    def _after(self, buf: Buffer, word: str, platform: str, end: int, tail: str) -> list[Found]:
        m = _AFTER.match(tail)
        if m is None:
            return []
        seps = m.group("sep") or ""
        strong_sep = any(c in seps for c in ":=>-–")
        if word.lower() in _STRICT and not (strong_sep or m.group("at")):
            return []
        name = m.group("name")
        if "#" not in name:
            name = name.rstrip(".,-")
        if name.lower() in _STOP or name.lower().removeprefix("@") == word.lower():
            return []
        marked = bool(m.group("at")) or strong_sep or any(c in name for c in "0123456789_.:#")
        if not marked and not seps.strip():
            return []  # "skype johnsmith" with nothing between is too loose; "skype: x" or "skype is x"
        a = end + len(tail[:m.start("name")].encode("utf-8"))
        return found(clean_handle(name, platform, strict=True), buf, a, a + len(name.encode("utf-8")), self.name,
                     platform=platform)
