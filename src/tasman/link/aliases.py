"""A person's name inside their screen names and email addresses, and the country of an email
provider: what an analyst sees at once (``mart_kowal77`` and ``m.kowalska@o2.pl`` next to
"Marta Kowalska" in Poland) made into keys that Splink compares and blocks on.

A screen name or an email's local part is cut into letter tokens (punctuation and digits
separate them: ``mart_kowal77`` -> ``mart``, ``kowal``), read both ways round as last and first
name. Keys are four-letter prefixes (a shorter token is itself), so a truncated token meets the
whole one: ``kowa+mart`` (last and first name), ``kowa+m`` (last name and initial), ``kowa``
(last name); Splink compares them with the other party's folded first and last name cut the same
way (``settings.alias_comparison``). A party's alias keys leave out what its own
name gives: they say only what its screen names and emails add, so a pair whose names already
agree is not credited twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from tasman.extract.idtypes import fold

_SPLIT = re.compile(r"[^a-z]+")

# Free-mail providers whose users are mostly in one country (a small table; a country-code
# domain says it by itself: ``web.de``, ``libero.it``, ``seznam.cz``).
PROVIDER_COUNTRIES = {
    "o2.pl": "PL", "wp.pl": "PL", "onet.pl": "PL", "interia.pl": "PL", "gazeta.pl": "PL",
    "web.de": "DE", "gmx.de": "DE", "t-online.de": "DE", "freenet.de": "DE", "gmx.at": "AT", "gmx.ch": "CH",
    "libero.it": "IT", "virgilio.it": "IT", "alice.it": "IT", "tiscali.it": "IT",
    "seznam.cz": "CZ", "centrum.cz": "CZ", "email.cz": "CZ", "azet.sk": "SK", "zoznam.sk": "SK",
    "mail.ru": "RU", "yandex.ru": "RU", "rambler.ru": "RU", "bk.ru": "RU", "list.ru": "RU", "inbox.ru": "RU",
    "ukr.net": "UA", "i.ua": "UA", "abv.bg": "BG", "freemail.hu": "HU", "citromail.hu": "HU",
    "orange.fr": "FR", "laposte.net": "FR", "free.fr": "FR", "sfr.fr": "FR", "wanadoo.fr": "FR",
    "terra.com.br": "BR", "bol.com.br": "BR", "uol.com.br": "BR", "naver.com": "KR", "daum.net": "KR",
    "qq.com": "CN", "163.com": "CN", "126.com": "CN", "sina.com": "CN", "rediffmail.com": "IN",
    "btinternet.com": "GB", "sky.com": "GB", "bigpond.com": "AU", "shaw.ca": "CA", "telus.net": "CA",
    "yahoo.co.jp": "JP", "nifty.com": "JP", "hanmail.net": "KR", "walla.co.il": "IL",
    "gmx.net": "DE", "kakao.com": "KR", "sohu.com": "CN", "yeah.net": "CN", "aliyun.com": "CN",
    "telkomsa.net": "ZA", "optusnet.com.au": "AU", "virginmedia.com": "GB", "ntlworld.com": "GB",
    "talktalk.net": "GB", "comcast.net": "US", "verizon.net": "US", "att.net": "US", "sbcglobal.net": "US",
    "rogers.com": "CA",
}
# country-code domains used for anything but the country (startups, media, "me")
_GENERIC_CC = frozenset({"io", "co", "me", "tv", "ai", "fm", "ly", "gg", "to", "cc", "ws", "la", "nu", "tk", "ml",
                         "ga", "cf", "gq", "sh", "ac", "im", "vc", "su", "eu", "am", "is", "so", "ms", "st", "gl"})


def email_country(email: str) -> str | None:
    """The country an email's provider points to: the table above, else a country-code domain."""
    domain = email.rpartition("@")[2].lower()
    if domain in PROVIDER_COUNTRIES:
        return PROVIDER_COUNTRIES[domain]
    cc = domain.rpartition(".")[2]
    if len(cc) != 2 or not cc.isalpha() or cc in _GENERIC_CC:
        return None
    return "GB" if cc == "uk" else cc.upper()


@lru_cache(maxsize=1 << 16)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in _SPLIT.split(fold(text)) if t)


def alias_tokens(texts: Iterable[str]) -> list[str]:
    """Letter tokens of screen names and email local parts, in order, each once."""
    out: list[str] = []
    for text in texts:
        for tok in _tokens(text):
            if tok not in out:
                out.append(tok)
    return out


def _p(tok: str) -> str:
    return tok[:4]


@lru_cache(maxsize=1 << 16)
def token_keys(tokens: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """``(F, I, L)`` keys of alias tokens: each token of four or more letters as a last name, with
    every other token as the first name (a one-letter token is an initial); a lone token of five or
    more letters is also read as an initial and a last name (``mkowalska``). Only a token of fewer
    than four letters gives a last-name-and-initial key: ``ludina.andrpov`` says "Ludina", which
    disagrees with "Lena Andreev" however their initials agree."""
    full: set[str] = set()
    init: set[str] = set()
    last: set[str] = set()
    for a in tokens:
        if len(a) < 4:
            continue
        last.add(_p(a))
        for b in tokens:
            if b == a:
                continue
            if len(b) > 1:
                full.add(f"{_p(a)}+{_p(b)}")
            if len(b) < 4:  # an initial or a short cut: a longer first name must agree on four letters
                init.add(f"{_p(a)}+{b[0]}")
        if len(a) >= 5 and len(tokens) == 1:
            init.add(f"{_p(a[1:])}+{a[0]}")
            last.add(_p(a[1:]))
    return frozenset(full), frozenset(init), frozenset(last)


def only_own(tokens: list[str], own: list[str]) -> bool:
    """Do the alias tokens say nothing but the party's own name (every token a prefix or an
    initial of it)? Then every alias key is one :func:`not_own` takes out (a shortcut)."""
    p4 = {_p(t) for t in own}
    p1 = {t[0] for t in own}
    return all(_p(t) in p4 or (len(t) == 1 and t in p1) for t in tokens)


def not_own(full: frozenset[str], init: frozenset[str], last: frozenset[str], own: list[str]
            ) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Alias keys less those a party's own name tokens give in any order (``own``: its name
    tokens and the given names its first name stands for)."""
    if not (full or init or last):
        return full, init, last
    p4 = {_p(t) for t in own}
    p1 = {t[0] for t in own}
    return (frozenset(k for k in full if not all(x in p4 for x in k.split("+"))),
            frozenset(k for k in init if not (k[:-2] in p4 and k[-1] in p1)),
            frozenset(k for k in last if k not in p4))


ANY_COUNTRY = "*"  # the place part of a blocking key of a party whose country nothing says


def block_keys(tokens: list[str], country: str | None, limit: int = 2) -> list[str]:
    """Up to ``limit`` blocking keys ``last4+initial|country`` of a party known by no name: from
    its two longest tokens both ways round (``s.haklund``: ``hakl+s``), or a lone token read as
    initial and last name. A party
    whose country nothing says (a chat's screen name alone) gets ``|*``: it meets named parties of
    any country (:func:`name_block_key` with ``any_country``)."""
    place = country or ANY_COUNTRY
    longest = sorted(tokens, key=len, reverse=True)[:2]  # stable: first of equals; a letter is an initial
    keys: list[str] = []
    if len(longest) == 2:
        a, b = longest
        keys += [f"{_p(x)}+{y[0]}|{place}" for x, y in ((a, b), (b, a)) if len(x) >= 4]
    elif longest and len(longest[0]) >= 5:
        t = longest[0]
        keys.append(f"{_p(t[1:])}+{t[0]}|{place}")
    return keys[:limit]


def name_alias_key(first: str | None, last: str | None) -> str | None:
    """A named party's key as a screen name or an email would hold its whole name (``kowa+mart``):
    the value the alias comparison's top level meets, and whose frequency among the case's named
    parties weighs it (``settings.alias_comparison``)."""
    return f"{_p(last)}+{_p(first)}" if first and last else None


def name_block_key(first: str | None, last: str | None, country: str | None, any_country: bool = False
                   ) -> str | None:
    """The key a named party meets a nameless party's :func:`block_keys` on: in its own country,
    or (``any_country``) the key that meets the nameless parties of no known country."""
    if not (first and last and (country or any_country)):
        return None
    return f"{_p(last)}+{first[0]}|{ANY_COUNTRY if any_country else country}"


def stated_first_keys(tokens: list[str], first: str, country: str | None) -> tuple[frozenset[str], list[str]]:
    """What a first name the person states ("I'm Marta") adds to a nameless party's screen names
    and emails: each other token of four letters or more read as the last name beside it, as a
    full key (``kowalska77`` + "Marta" -> ``kowa+mart``) and a blocking key (``kowa+m|PL``). The
    stated name is never read as a last name, and alone (``quietfox``) it gives nothing: a first
    name by itself is weak evidence."""
    f = _tokens(first)
    if not f or len(f[0]) < 2:
        return frozenset(), []
    given = f[0]
    place = country or ANY_COUNTRY
    lasts = [t for t in sorted(tokens, key=len, reverse=True) if len(t) >= 4 and _p(t) != _p(given)]
    return (frozenset(f"{_p(t)}+{_p(given)}" for t in lasts),
            [f"{_p(t)}+{given[0]}|{place}" for t in lasts[:2]])


MIN_GIVEN = 4  # a lone first name (in a screen name, or a first name alone) has at least this many letters


def lone_given(first: str | None) -> str | None:
    """A first name a person states alone ("I'm Marta"), folded: its first token, when it has
    :data:`MIN_GIVEN` letters or more; else None."""
    if not first:
        return None
    toks = _tokens(first)
    return toks[0] if toks and len(toks[0]) >= MIN_GIVEN else None


def given_keys(first: str | None, city: str | None, place: str | None) -> tuple[str | None, str | None]:
    """The blocking keys of a lone first name in a place: ``(first|city, first|country)``
    (``marta|gdansk``, ``marta|PL``), ``place`` the stated country, else the email provider's; a
    named party's first name gives the same keys, which is what a nameless party's first name meets.
    None where the name is shorter than :data:`MIN_GIVEN` letters or the place is unknown."""
    if not first or len(first) < MIN_GIVEN:
        return None, None
    return (f"{first}|{city}" if city else None), (f"{first}|{place}" if place else None)
