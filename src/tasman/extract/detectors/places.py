"""Countries and cities stated in text.

Countries: English names (and those of a few large languages) as pycountry ships them.
Cities: only after words that state a place ("live in", "from", "based in", "city:"), looked up
in the GeoNames gazetteer; a capitalised word that happens to be a city elsewhere is not one.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable
from functools import cache, lru_cache

import pycountry

from tasman.extract.detectors.base import Buffer, Detector, Found, found, is_word_byte
from tasman.extract.engine import PatternSpec
from tasman.extract.identifiers import Identifier, IdType, clean_city, clean_country

_country = lru_cache(maxsize=4096)(clean_country)
_city = lru_cache(maxsize=65536)(clean_city)
_LANGS = ("de", "fr", "es", "pt", "it", "nl")
# names that are also common words or first names: taken only after "in/from/to/of"
_AMBIGUOUS = {"Jordan", "Chad", "Georgia", "Turkey", "China", "Guinea", "Niger", "Togo", "Cuba", "Mali", "Israel",
              "Wales", "Jersey", "Monaco", "Panama", "Malta", "Peru", "Iran", "Oman", "Samoa", "Fiji", "Kenya",
              "Chile", "Nauru", "Tonga", "America", "Holland", "India", "Ireland", "England", "Dominica", "Man"}
_PLACE_WORDS = re.compile(r"\b(?:in|from|to|of|near|visit|visiting|live|lives|living|based|moved|country|"
                          r"nationality|citizen|land|pays|país|paese)\s*:?\s*$", re.I)


@cache
def country_names() -> tuple[str, ...]:
    names: set[str] = set()
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            if (v := getattr(c, attr, None)) and "," not in v and "(" not in v:
                names.add(v)
    names |= {"USA", "UK", "Great Britain", "England", "Scotland", "Wales", "Holland", "Russia", "South Korea",
              "North Korea", "Vietnam", "Iran", "Syria", "Laos", "Bolivia", "Venezuela", "Tanzania", "Moldova",
              "Czech Republic", "Ivory Coast", "Philippines", "UAE", "America"}
    for lang in _LANGS:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
        for c in pycountry.countries:
            v = tr.gettext(getattr(c, "common_name", None) or c.name)
            if "," not in v and "(" not in v and len(v) >= 4:
                names.add(v)
    return tuple(sorted(n for n in names if len(n) >= 3 and n[0].isupper()))


def _country_pattern() -> bytes:
    alts = sorted(sorted({re.escape(n).encode("utf-8") for n in country_names()}), key=len, reverse=True)
    return b"(?:" + b"|".join(alts) + b")"


_STOP_CITY_WORDS = (
    "January February March April May June July August September October November December Monday "
    "Tuesday Wednesday Thursday Friday Saturday Sunday The A An I My Your His Her Our Their This That "
    "These Those English French German Spanish Italian Russian Chinese Arabic Christmas Easter God Mr "
    "Mrs Ms Dr Europe Asia Africa America Australia Internet Google Amazon Apple Telegram Skype Snapchat "
    "Discord Kik Facebook Instagram WhatsApp Twitter TikTok Signal Wickr Western Union MoneyGram PayPal "
    "Bitcoin Ethereum Hello Hi Thanks Sorry Yes No Ok Order Invoice Total Price Customer City Town "
    "Country State Street Road Avenue Phone Email Mobile Payment "
)
_STOP_CITY = frozenset(_STOP_CITY_WORDS.split())
_WORD_STARTS = re.compile(r"(?<=\S)(?=[ -])")
_CAP_WORDS = re.compile(r"[ \t]+(?P<w>[A-ZÀ-Þ][\w'’.-]*(?:[ -](?:[A-ZÀ-Þ][\w'’-]*|de|del|la|le|am|upon|on|sur|"
                        r"en|di|do|da|im)){0,3})")


def _patterns() -> tuple[PatternSpec, ...]:
    return (
        PatternSpec(_country_pattern()),
        PatternSpec(rb"(?:[Ll]ive in|[Ll]iving in|[Ll]ives in|[Bb]ased in|[Ll]ocated in|[Ff]rom|[Ii]n|[Nn]ear|"
                    rb"[Vv]isiting|[Mm]oved to|[Mm]eet (?:me |you )?in|[Cc]ity:?|[Tt]own:?|[Hh]ometown:?)"
                    rb"[ \t][A-Z\xc3]"),
    )


class PlaceDetector(Detector):
    name = "place"
    types = (IdType.COUNTRY, IdType.CITY)

    patterns = _patterns()

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        if index == 0:
            return self._country(buf, start, ends)
        return self._city(buf, start, ends[-1])

    def _country(self, buf: Buffer, start: int, ends: list[int]) -> list[Found]:
        if is_word_byte(buf.byte_before(start)):
            return []
        for end in reversed(ends):
            if is_word_byte(buf.byte_at(end)):
                continue
            raw = buf.text(start, end)
            if raw in _AMBIGUOUS and not _PLACE_WORDS.search(buf.before(start, 30)):
                return []
            return found(_country(raw), buf, start, end, "country")
        return []

    def _city(self, buf: Buffer, start: int, kw_end: int) -> list[Found]:
        if is_word_byte(buf.byte_before(start)):
            return []
        spot = _city_after(buf.text(kw_end - 2, kw_end + 80), buf.region)
        if spot is None:
            return []
        a, b, ident = spot
        return found(ident, buf, kw_end - 2 + a, kw_end - 2 + b, "city")


@lru_cache(maxsize=16384)
def _city_after(tail: str, region: str | None) -> tuple[int, int, Identifier] | None:
    """The city named by the capitalised words after a place word ("live in Leeds"): the
    longest run of them that is a city of 15,000+ people, as byte offsets into ``tail``."""
    m = _CAP_WORDS.match(tail, 0)
    if m is None:
        return None
    words = _WORD_STARTS.split(m.group("w"))
    for n in range(len(words), 0, -1):
        raw = "".join(words[:n]).strip().rstrip(".’'")
        if not raw or raw.split()[0] in _STOP_CITY or raw in _STOP_CITY or _country(raw) is not None:
            continue
        ident = _city(raw, region) or _city(raw)
        if ident is not None and ident.meta.get("population", 0) >= 15000:
            a = len(tail[:m.start("w")].encode("utf-8"))
            return a, a + len(raw.encode("utf-8")), ident
    return None
