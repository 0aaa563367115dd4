"""User names on a platform the text names: "my skype is ...", "kik: y", "telegram @x",
"discord x#1234", "@x on snapchat". A bare @name, with no platform said, is not taken."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from tasman.extract.detectors.base import Buffer, Detector, Found, found, is_word_byte
from tasman.extract.engine import PatternSpec
from tasman.extract.identifiers import Identifier, IdType, clean_handle, platform_name

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
        spot, base = _name_after(word, platform, buf.text(end, end + 60)), end
        if spot is None:
            before = buf.before(start, 40)
            spot, base = _name_before(platform, before), start - len(before.encode("utf-8"))
        if spot is None:
            return []
        a, b, ident = spot
        return found(ident, buf, base + a, base + b, self.name, platform=platform)


# where a name lies in the text examined (byte offsets) and the handle it makes
Spot = tuple[int, int, Identifier]


@lru_cache(maxsize=16384)
def _name_after(word: str, platform: str, tail: str) -> Spot | None:
    """The name that follows the platform's word: "skype: x", "kik is x", "telegram @x"."""
    m = _AFTER.match(tail)
    if m is None:
        return None
    seps = m.group("sep") or ""
    strong_sep = any(c in seps for c in ":=>-–")
    if word.lower() in _STRICT and not (strong_sep or m.group("at")):
        return None
    name = m.group("name")
    if "#" not in name:
        name = name.rstrip(".,-")
    if name.lower() in _STOP or name.lower().removeprefix("@") == word.lower():
        return None
    marked = bool(m.group("at")) or strong_sep or any(c in name for c in "0123456789_.:#")
    if not marked and not seps.strip():
        return None  # "skype johnsmith" with nothing between is too loose; "skype: x" or "skype is x"
    ident = clean_handle(name, platform, strict=True)
    if ident is None:
        return None
    a = len(tail[:m.start("name")].encode("utf-8"))
    return a, a + len(name.encode("utf-8")), ident


@lru_cache(maxsize=16384)
def _name_before(platform: str, before: str) -> Spot | None:
    """The name just before the platform's word: "@x on snapchat"."""
    m = _BEFORE.search(before)
    if m is None:
        return None
    raw = m.group("name").rstrip(".,")
    ident = clean_handle(raw, platform, strict=True)
    if ident is None:
        return None
    a = len(before[:m.start("name")].encode("utf-8"))
    return a, a + len(raw), ident
