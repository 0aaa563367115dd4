"""Synthetic people and the records they leave in many sources, with the truth of who is who.

Persons live in 40 countries with names drawn from per-locale lists (Zipf-weighted, so
common names collide as they do in real data). Each person leaves records of the four kinds;
every record is written the way real sources write: typos, nicknames, swapped name order,
native script or one of two transliterations, several email addresses, national or
international phone formats, missing fields. Every identifier is made up: emails on
reserved ``example`` domains, IPs in documentation ranges, random IBANs, random numbers.

The functions are composable: :func:`make_people` gives persons, and each kind has a
function returning ``(rows, truth)`` for a list of persons (one record each), so another
generator (money trails) can add its own transfers on top with :func:`transaction_rows`.

With ``habits=True`` persons also carry what an independent corpus showed investigators meet in
the field (issue 14): chats on site-specific platforms (the storefront's own messages, a forum,
a chatroom) where a person appears only by a screen name built from their name
(``mart_kowal77``, ``m.kowalska``), sometimes giving a phone the orders never saw; tips naming a
screen name with or without its service; order emails at a national provider (``o2.pl``,
``web.de``, ``libero.it``; made-up local parts, never contacted). The truth is unchanged: every
record still names its person.

In chats a person may say who and where they are ("I'm Marta", "call me Marta", "I live in
Kovecourt"); a quarter of the tips quote the user doing so to the reporter's child (drawn from a
generator of the report's own, so the rest of the corpus does not change with it).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from itertools import accumulate

import phonenumbers
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from tasman.synth.names import COUNTRIES, FAMILY_FIRST, NAMES, NATIVE_SCRIPT, NICKNAMES, TWO_SURNAMES

PLATFORMS = ("skype", "telegram", "kik", "snapchat", "discord", "wickr", "instagram")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.example", "inbox.example")
# issue 14's habits: site-specific platforms and national mail providers (by country code)
STOREFRONT = "bazaarly"  # the made-up storefront whose orders the corpus holds
SITE_PLATFORMS = (STOREFRONT, "chatroom", "hobby forum", "photoforum", "city board", "web chat")
NATIONAL_MAIL: dict[str, tuple[str, ...]] = {
    "PL": ("o2.pl", "wp.pl", "interia.pl"), "DE": ("web.de", "gmx.de", "t-online.de"), "AT": ("gmx.at",),
    "CH": ("bluewin.ch",), "IT": ("libero.it", "virgilio.it", "tiscali.it"), "FR": ("orange.fr", "free.fr", "sfr.fr"),
    "BE": ("skynet.be", "telenet.be"), "NL": ("ziggo.nl", "planet.nl"), "CZ": ("seznam.cz", "centrum.cz"),
    "RU": ("mail.ru", "yandex.ru"), "UA": ("ukr.net", "i.ua"), "BR": ("uol.com.br", "bol.com.br"),
    "PT": ("sapo.pt",), "ES": ("telefonica.es",), "AR": ("fibertel.com.ar",), "MX": ("prodigy.net.mx",),
    "GB": ("btinternet.co.uk", "virginmedia.co.uk"), "NZ": ("xtra.co.nz",), "AU": ("optusnet.com.au",),
    "JP": ("yahoo.co.jp",), "GR": ("otenet.gr",), "NO": ("online.no",), "FI": ("luukku.fi",),
}
WORDS = ("blue", "river", "stone", "maple", "north", "cloud", "fox", "tiger", "pixel", "sunny", "lucky", "silver",
         "rocket", "ocean", "forest", "comet", "echo", "nova", "delta", "amber", "falcon", "cedar", "orbit", "lemon")


@dataclass
class Person:
    pid: str
    country: str
    locale: str
    given: str
    family: str
    middle: str = ""
    dob: str | None = None
    city: str = ""
    postcode: str = ""
    street: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)      # E.164
    handles: list[tuple[str, str]] = field(default_factory=list)  # (platform, name)
    iban: str | None = None
    ips: list[str] = field(default_factory=list)
    # with habits=True: a screen name built from the name on a site-specific platform, whether
    # the person's chats show only that (no email, no known handle), and a phone only chats give
    site: tuple[str, str] | None = None
    chats_by_name_only: bool = False
    chat_phone: str | None = None


@dataclass(frozen=True)
class Truth:
    source: str
    source_id: str
    role: str  # "" | sender | beneficiary
    person: str


# ---- small pieces -----------------------------------------------------------------------

def _zipf(n: int, s: float = 0.6) -> list[float]:
    return list(accumulate(1.0 / (i + 1) ** s for i in range(n)))


@cache
def _weights(locale: str) -> tuple[list[float], list[float]]:
    first, last = NAMES[locale]
    return _zipf(len(first), 0.35), _zipf(len(last))


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_CYR = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
                ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                 "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "i", "yi", "ye", "g"],
                strict=True))
_GRK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
                ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r", "s", "s",
                 "t", "y", "f", "ch", "ps", "o", "a", "e", "i", "i", "o", "y", "o", "i", "y", "i", "y"], strict=True))


def passport_translit(text: str) -> str:
    """A second, simpler transliteration, as a clerk or the person might write it."""
    out = []
    for ch in text:
        low = ch.lower()
        rep = _CYR.get(low, _GRK.get(low))
        if rep is None:
            out.append(ch)
        else:
            out.append(rep.capitalize() if ch.isupper() else rep)
    return "".join(out).replace("iy", "y").replace("Iy", "Y")


def icu_translit(text: str) -> str:
    from normality import ascii_text

    return " ".join(w.capitalize() for w in (ascii_text(text) or "").split())


_KEYS = "qwertyuiopasdfghjklzxcvbnm"


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.random()
    if op < 0.3:
        return word[:i] + word[i + 1:]
    if op < 0.55:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op < 0.8:
        return word[:i] + rng.choice(_KEYS) + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def _pattern(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randrange(10)) if c == "#" else rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") if c == "A" else c
                   for c in pattern)


@cache
def _mobile_template(region: str) -> str:
    ex = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if ex is None:
        raise ValueError(f"phonenumbers has no example mobile number for {region}")
    return str(ex.national_number)


def _phone(rng: random.Random, region: str, taken: set[str]) -> str:
    template = _mobile_template(region)
    keep = max(2, len(template) - 6)
    for _ in range(50):
        digits = template[:keep] + "".join(str(rng.randrange(10)) for _ in range(len(template) - keep))
        num = phonenumbers.parse(digits, region)
        if phonenumbers.is_valid_number(num):
            e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in taken:
                taken.add(e164)
                return e164
    raise RuntimeError(f"cannot draw a valid phone number for {region}")


def format_phone(rng: random.Random, e164: str, national_ok: bool = True) -> str:
    """The same number as people write it: E.164, international, national (when the record
    names the country), 00-prefixed, with dots or dashes."""
    num = phonenumbers.parse(e164)
    r = rng.random()
    if national_ok and r < 0.35:
        text = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
    elif r < 0.6:
        text = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    elif r < 0.8:
        text = e164
    else:
        text = "00" + e164[1:]
    if rng.random() < 0.15:
        text = text.replace(" ", rng.choice(("-", ".", "")))
    return text


# ---- people ------------------------------------------------------------------------------

class _Registry:
    """Keeps made-up identifiers unique across the whole corpus."""

    def __init__(self) -> None:
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.handles: set[str] = set()


def _local_part(rng: random.Random, given: str, family: str) -> str:
    g = "".join(c for c in ascii_fold(icu_translit(given) if not given.isascii() else given).lower() if c.isalnum())
    f = "".join(c for c in ascii_fold(icu_translit(family) if not family.isascii() else family).lower()
                if c.isalnum())
    r = rng.random()
    n = rng.randrange(1, 999)
    if r < 0.35:
        return f"{g}.{f}{n if rng.random() < 0.5 else ''}"
    if r < 0.6:
        return f"{g[:1]}{f}{n}"
    if r < 0.8:
        return f"{g}{f}{rng.randrange(50, 99)}"
    return f"{rng.choice(WORDS)}.{rng.choice(WORDS)}{n}"


def _unique(value: str, taken: set[str], rng: random.Random, sep: str = "") -> str:
    base, v = value, value
    while v in taken:
        v = f"{base}{sep}{rng.randrange(10, 99999)}"
    taken.add(v)
    return v


def _given(rng: random.Random, locale: str) -> str:
    """A given name: mostly a listed one, sometimes (a quarter) a rarer one blended from two."""
    first_names = NAMES[locale][0]
    head = rng.choices(first_names, cum_weights=_weights(locale)[0])[0]
    if rng.random() < 0.75 or locale in ("zh", "ko", "vi") or " " in head or "-" in head:
        return head
    tail = rng.choice(first_names)
    if len(head) < 4 or len(tail) < 4 or " " in tail or "-" in tail:
        return head
    return head[:rng.randrange(2, len(head) - 1)] + tail[rng.randrange(1, len(tail) - 2):]


def _surname(rng: random.Random, locale: str) -> str:
    """A family name: a common one from the list (15%), or a rarer one made of the start of one
    listed name and the end of another. Real populations have a long tail: the 50 commonest US
    family names cover about a sixth of people, and a short list alone would make two people of
    the same full name in the same town ten times likelier than they are."""
    last_names = NAMES[locale][1]
    head = rng.choices(last_names, cum_weights=_weights(locale)[1])[0]
    if rng.random() < 0.15 or " " in head or locale in ("zh", "ko", "vi"):
        return head
    tail = rng.choice(last_names)
    if " " in tail or len(head) < 4 or len(tail) < 4:
        return head
    cut_a = rng.randrange(2, len(head) - 1)
    cut_b = rng.randrange(1, len(tail) - 2)
    return head[:cut_a] + tail[cut_b:]


_SYLLABLES = ("ba", "be", "bo", "da", "de", "do", "ka", "ke", "ko", "la", "le", "lo", "ma", "me", "mo", "na", "ne",
              "no", "ra", "re", "ro", "sa", "se", "so", "ta", "te", "to", "va", "ve", "vi", "gu", "hi", "pu", "ri")
_TOWN_ENDINGS = {
    "en": ("ton", "field", "by", "wood", "ford", "bury"), "de": ("dorf", "heim", "burg", "berg", "hausen"),
    "nl": ("dam", "dorp", "veen", "hoven"), "sv": ("stad", "by", "köping", "ås"), "no": ("vik", "dal", "stad"),
    "da": ("by", "rup", "sted"), "fr": ("ville", "court", "mont", "ac"), "es": ("ia", "illa", "ar", "ejo"),
    "pt": ("inha", "al", "ópolis"), "it": ("ino", "ello", "ano"),
}


@cache
def towns(country: str, n: int = 40) -> tuple[str, ...]:
    """Smaller places: most people live outside the few big cities a list holds. Made-up names
    (syllables and a local-sounding ending), distinct from each other, deterministic per country."""
    rng = random.Random(f"towns-{country}")
    endings = _TOWN_ENDINGS.get(COUNTRIES[country].locales[0], ("",))
    taken = [c.lower() for c in COUNTRIES[country].cities]
    out: list[str] = []
    while len(out) < n:
        stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
        name = (stem + rng.choice(endings)).capitalize()
        if all(SequenceMatcher(None, name.lower(), t).ratio() < 0.7 for t in taken):
            out.append(name)
            taken.append(name.lower())
    return tuple(out)


def name_handle(rng: random.Random, given: str, family: str) -> str:
    """A screen name built from the name as people build them: ``mart_kowal77``, ``m.kowalska``,
    ``kowalska.marta``, ``martakowal``, ``marta_k88``."""
    def fold(x: str) -> str:
        x = icu_translit(x) if not x.isascii() else x
        return "".join(c for c in ascii_fold(x).lower() if c.isalnum())

    g, f = fold(given.split()[0] if given.split() else given), fold(family.split()[0] if family.split() else family)
    g, f = g or "x", f or "x"
    n = rng.randrange(1, 100)
    r = rng.random()
    if r < 0.3:
        return f"{g[:4]}_{f[:5]}{n}"
    if r < 0.5:
        return f"{g[0]}.{f}"
    if r < 0.65:
        return f"{f}.{g}"
    if r < 0.8:
        return f"{g}{f[:5]}"
    return f"{g}_{f[0]}{n}"


def make_person(rng: random.Random, pid: str, country: str, reg: _Registry, habits: bool = False) -> Person:
    c = COUNTRIES[country]
    locale = rng.choice(c.locales)
    first_names = NAMES[locale][0]
    wf = _weights(locale)[0]
    given = _given(rng, locale)
    family = _surname(rng, locale)
    if locale in TWO_SURNAMES and rng.random() < 0.6:
        family = f"{family} {_surname(rng, locale)}"
    middle = rng.choices(first_names, cum_weights=wf)[0] if locale in ("en", "fil", "vi") and rng.random() < 0.3 \
        else ""
    if middle == given:
        middle = ""
    if locale == "zh" and rng.random() < 0.6:  # two-syllable given names
        given = given + rng.choice(first_names).lower()
    year = rng.randrange(1950, 2006)
    dob = f"{year:04d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    city = rng.choices(c.cities, cum_weights=_zipf(len(c.cities), 0.8))[0] if rng.random() < 0.35 \
        else rng.choice(towns(country))
    number = rng.randrange(1, 200)
    word = rng.choice(c.street_words)
    street = f"{number} {word}" if c.number_first else f"{word} {number}"
    p = Person(pid=pid, country=country, locale=locale, given=given, family=family, middle=middle, dob=dob,
               city=city, postcode=_pattern(rng, c.postcode), street=street)
    for _ in range(rng.choices((1, 2, 3), (0.45, 0.4, 0.15))[0]):
        local = _local_part(rng, given, family)
        p.emails.append(_unique(f"{local}@{rng.choice(EMAIL_DOMAINS)}", reg.emails, rng, ""))
    for _ in range(rng.choices((1, 2), (0.75, 0.25))[0]):
        p.phones.append(_phone(rng, country, reg.phones))
    for platform in rng.sample(PLATFORMS, rng.choices((1, 2, 3), (0.5, 0.35, 0.15))[0]):
        local = _local_part(rng, given, family).replace(".", rng.choice(("_", "", ".")))
        if platform == "skype" and rng.random() < 0.5:
            local = f"live:{local}"
        p.handles.append((platform, _unique(local, reg.handles, rng, "_")))
    if rng.random() < 0.5:
        try:
            p.iban = str(IBAN.random(country_code=country, random=rng, use_registry=False).compact)
        except (SchwiftyException, ValueError, KeyError):
            p.iban = None
    for _ in range(rng.choices((1, 2, 3), (0.5, 0.3, 0.2))[0]):
        if rng.random() < 0.7:
            p.ips.append(f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}")
        else:
            p.ips.append(f"2001:db8:{rng.randrange(65536):x}:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}")
    if habits:
        _field_habits(rng, p, reg)
    return p


def _field_habits(rng: random.Random, p: Person, reg: _Registry) -> None:
    """Issue 14's habits, drawn after everything else (so the rest of the person is as without)."""
    p.site = (rng.choice(SITE_PLATFORMS), _unique(name_handle(rng, p.given, p.family), reg.handles, rng, "_"))
    p.chats_by_name_only = rng.random() < 0.5
    if rng.random() < 0.3:
        p.chat_phone = _phone(rng, p.country, reg.phones)
    providers = NATIONAL_MAIL.get(p.country)
    if providers and rng.random() < 0.7:  # the address the orders give: at a national provider
        local = _local_part(rng, p.given, p.family)
        p.emails.insert(0, _unique(f"{local}@{rng.choice(providers)}", reg.emails, rng, ""))


def make_people(rng: random.Random, n: int, countries: list[str] | None = None, start: int = 1,
                prefix: str = "P", habits: bool = False) -> list[Person]:
    """``n`` persons, spread over ``countries`` (default: all 40, larger ones more often);
    ``habits``: with issue 14's field habits (module docstring)."""
    codes = countries or list(COUNTRIES)
    weights = [3 if c in ("US", "GB", "DE", "FR", "ES", "IT", "BR", "IN", "PH", "MX") else 1 for c in codes]
    reg = _registry()
    return [make_person(rng, f"{prefix}{i:07d}", rng.choices(codes, weights)[0], reg, habits)
            for i in range(start, start + n)]


_REG: _Registry | None = None


def _registry() -> _Registry:
    global _REG
    if _REG is None:
        _REG = _Registry()
    return _REG


def reset_registry() -> None:
    """Forget identifiers drawn so far (a new corpus may reuse them)."""
    global _REG
    _REG = None


# ---- how a record writes a person -----------------------------------------------------------

@dataclass
class NameParts:
    given: str
    family: str
    family_first: bool = False

    def full(self) -> str:
        return f"{self.family} {self.given}" if self.family_first else f"{self.given} {self.family}"


def render_name(rng: random.Random, p: Person, noise: float = 1.0) -> NameParts:
    given, family = p.given, p.family
    if rng.random() < 0.12 * noise and given in NICKNAMES:
        given = rng.choice(NICKNAMES[given])
    if p.middle and rng.random() < 0.4:
        given = f"{given} {p.middle}"
    if " " in family and p.locale in TWO_SURNAMES and rng.random() < 0.5:
        family = family.split()[0]
    if p.locale in NATIVE_SCRIPT and rng.random() < 0.5:
        translit = icu_translit if rng.random() < 0.5 else passport_translit
        given, family = translit(given), translit(family)
    if rng.random() < 0.08 * noise:
        if rng.random() < 0.5:
            given = typo(rng, given)
        else:
            family = typo(rng, family)
    if rng.random() < 0.25:
        given, family = ascii_fold(given), ascii_fold(family)
    if rng.random() < 0.08:
        family = family.upper()
    family_first = p.locale in FAMILY_FIRST and rng.random() < 0.5
    if rng.random() < 0.04 * noise:  # written the wrong way round
        family_first = not family_first
    return NameParts(given, family, family_first)


def country_as_written(rng: random.Random, code: str) -> str:
    r = rng.random()
    if r < 0.4:
        return code
    if r < 0.7:
        import pycountry

        c = pycountry.countries.get(alpha_2=code)
        return str(getattr(c, "common_name", None) or c.name) if c else code
    return COUNTRIES[code].local_name or code


def _maybe(rng: random.Random, p: float, value: str | None) -> str | None:
    return value if value and rng.random() < p else None


# ---- the four kinds ------------------------------------------------------------------------

def customer_row(rng: random.Random, p: Person, row_id: str, split_names: bool) -> dict[str, str]:
    """One order or customer row, in vocabulary field names (the writer renames the columns)."""
    parts = render_name(rng, p)
    row: dict[str, str] = {"record_id": row_id}
    if split_names:
        row["first_name"], row["last_name"] = parts.given, parts.family
    else:
        r = rng.random()
        row["name"] = f"{parts.family}, {parts.given}" if r < 0.12 else parts.full()
    has_country = rng.random() < 0.85
    if has_country:
        row["country"] = country_as_written(rng, p.country)
    if (e := _maybe(rng, 0.9, rng.choice(p.emails))) is not None:
        row["email"] = e if rng.random() > 0.1 else e.capitalize()
    if rng.random() < 0.8:
        row["phone"] = format_phone(rng, rng.choice(p.phones), national_ok=has_country)
    if rng.random() < 0.8:
        row["street"] = p.street
    if rng.random() < 0.9:
        row["city"] = p.city if rng.random() > 0.03 else typo(rng, p.city)
    if rng.random() < 0.8:
        row["postcode"] = p.postcode
    if p.dob and rng.random() < 0.6:
        row["dob"] = p.dob
    method = rng.choice(("paypal", "card", "iban", "cash")) if p.iban else rng.choice(("paypal", "card", "cash"))
    row["payment_method"] = method
    if method == "paypal":
        row["payment_ref"] = rng.choice(p.emails)
    elif method == "iban" and p.iban:
        row["payment_ref"] = p.iban if rng.random() < 0.5 else " ".join(p.iban[i:i + 4]
                                                                       for i in range(0, len(p.iban), 4))
    elif method == "card":
        row["payment_ref"] = f"**** **** **** {rng.randrange(10000):04d}"
    row["amount"] = f"{rng.randrange(5, 400)}.{rng.randrange(100):02d}"
    row["currency"] = COUNTRIES[p.country].currency
    row["timestamp"] = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:" \
                       f"{rng.randrange(60):02d}:00"
    if p.ips and rng.random() < 0.5:
        row["ip"] = rng.choice(p.ips)
    return row


def customer_rows(rng: random.Random, people: list[Person], source: str, split_names: bool = False,
                  id_prefix: str = "O-") -> tuple[list[dict[str, str]], list[Truth]]:
    rows, truth = [], []
    for i, p in enumerate(people, start=1):
        rid = f"{id_prefix}{i:07d}"
        rows.append(customer_row(rng, p, rid, split_names))
        truth.append(Truth(source, rid, "", p.pid))
    return rows, truth


OPERATOR_SMALL_TALK = ("hi", "hey, how are you?", "what are you up to this week?", "ok", "good to know",
                       "nice", "where are you based?", "what's the best way to reach you?", "sure")
COUNTERPART_SMALL_TALK = ("hi there", "not bad, busy week", "working mostly", "yes", "ok cool", "haha",
                          "let me check", "talk later", "sounds good")


def _disclosures(rng: random.Random, p: Person, platform: str) -> list[str]:
    out: list[str] = []
    choices = ["email", "phone", "handle", "city"]
    k = rng.choices((0, 1, 2, 3), (0.04, 0.4, 0.38, 0.18))[0]
    for what in rng.sample(choices, k, counts=(3, 3, 2, 1)) if k else []:
        if what == "email":
            out.append(rng.choice(("my email is {}", "write me at {}", "mail: {}")).format(rng.choice(p.emails)))
        elif what == "phone":
            e164 = rng.choice(p.phones)
            if rng.random() < 0.3:
                import pycountry

                c = pycountry.countries.get(alpha_2=p.country)
                out.append(f"I'm in {getattr(c, 'common_name', None) or c.name if c else p.country}")
                num = phonenumbers.parse(e164)
                out.append("call me on " + phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL))
            else:
                # without a stated country only a number written internationally can be read
                num = phonenumbers.parse(e164)
                written = e164 if rng.random() < 0.5 else phonenumbers.format_number(
                    num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
                out.append(rng.choice(("my number is {}", "call me on {}", "text me: {}")).format(written))
        elif what == "handle":
            others = [h for h in p.handles if h[0] != platform]
            if others:
                plat, name = rng.choice(others)
                out.append(rng.choice(("add me on {p}: {n}", "I'm also on {p} as {n}", "{p}: {n}")).format(
                    p=plat.capitalize() if rng.random() < 0.5 else plat, n=name))
        elif what == "city":
            out.append(rng.choice(("I live in {}", "I'm from {}", "near {} mostly")).format(p.city))
    return out


def _site_disclosures(rng: random.Random, p: Person) -> list[str]:
    """What a person known in chats only by a name-built screen name says: no email, no other
    handle; perhaps their first name, their town, a phone the orders never saw."""
    out: list[str] = []
    if rng.random() < 0.5:
        out.append(rng.choice(("I'm {}", "call me {}", "{} here")).format(p.given.split()[0]))
    if rng.random() < 0.5:
        out.append(rng.choice(("I live in {}", "I'm from {}", "near {} mostly")).format(p.city))
    if p.chat_phone and rng.random() < 0.7:
        out.append(rng.choice(("my number is {}", "text me: {}")).format(
            phonenumbers.format_number(phonenumbers.parse(p.chat_phone), phonenumbers.PhoneNumberFormat.INTERNATIONAL)))
    return out


def chat_session(rng: random.Random, p: Person, session_id: str, decoys: tuple[str, str]) -> dict[str, object]:
    by_name = p.site is not None and (p.chats_by_name_only or rng.random() < 0.3)
    platform, handle = p.site if p.site is not None and by_name else rng.choice(p.handles)
    lines: list[tuple[str, str]] = [("op", rng.choice(OPERATOR_SMALL_TALK)),
                                    ("them", rng.choice(COUNTERPART_SMALL_TALK))]
    if rng.random() < 0.3:  # the operator's own (decoy) identifiers must never end up on the suspect
        lines.append(("op", f"you can write to me at {decoys[0]}" if rng.random() < 0.5 else
                      f"my number is {decoys[1]}"))
    if p.site is None:
        said = _disclosures(rng, p, platform)
    elif rng.random() < 0.15:  # a screen name and small talk only
        said = []
    elif p.chats_by_name_only:
        said = _site_disclosures(rng, p)
    else:
        said = _disclosures(rng, p, platform) + (_site_disclosures(rng, p)[-1:] if p.chat_phone else [])
    for d in said:
        lines.append(("op", rng.choice(OPERATOR_SMALL_TALK)))
        lines.append(("them", d))
    lines.append(("them", rng.choice(COUNTERPART_SMALL_TALK)))
    day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    messages = [{"t": f"{day}T{10 + i // 6:02d}:{(i * 7) % 60:02d}:00Z",
                 "from": handle if who == "them" else "operator", "text": text}
                for i, (who, text) in enumerate(lines)]
    return {"session": session_id, "platform": platform, "counterpart": handle, "messages": messages}


def chat_sessions(rng: random.Random, people: list[Person], source: str
                  ) -> tuple[list[dict[str, object]], list[Truth]]:
    decoys = ("operator.desk@mail.example", "+44 7700 900123")
    sessions, truth = [], []
    for i, p in enumerate(people, start=1):
        sid = f"S-{i:07d}"
        sessions.append(chat_session(rng, p, sid, decoys))
        truth.append(Truth(source, sid, "", p.pid))
    return sessions, truth


def tip_report(rng: random.Random, p: Person, report_id: str) -> dict[str, object]:
    platform, handle = rng.choice([*p.handles, p.site] if p.site is not None else p.handles)
    person: dict[str, object] = {"screen_name": handle, "esp_service": platform}
    if p.site is not None and rng.random() < 0.4:  # a hotline tip: a screen name, no service
        del person["esp_service"]
    if rng.random() < 0.35:
        parts = render_name(rng, p)
        person["first_name"], person["last_name"] = parts.given, parts.family
    if rng.random() < (0.8 if "esp_service" in person else 0.4):
        person["emails"] = rng.sample(p.emails, rng.randrange(1, len(p.emails) + 1))
    if rng.random() < 0.4:
        person["phones"] = [format_phone(rng, rng.choice(p.phones), national_ok=False)]
    if rng.random() < 0.15 and p.dob:
        person["dob"] = p.dob
    person["ip_capture_events"] = [
        {"ip_address": ip, "event_name": rng.choice(("Login", "Upload", "Registration")),
         "date_time": f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00Z"}
        for ip in rng.sample(p.ips, rng.randrange(1, len(p.ips) + 1))]
    if rng.random() < 0.7:
        person["estimated_location"] = {"city": p.city if rng.random() < 0.7 else "", "country_code": p.country}
    files = [{"file_name": f"upload_{rng.randrange(10**6):06d}.jpg",
              "sha256": "".join(rng.choice("0123456789abcdef") for _ in range(64)),
              "md5": "".join(rng.choice("0123456789abcdef") for _ in range(32))}
             for _ in range(rng.randrange(1, 4))]
    received = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    incident: dict[str, object] = {"type": "Online Enticement", "platform": platform,
                                   "date_time": f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T12:00:00Z"}
    if (said := _tip_quote(p, report_id)):
        incident["description"] = said
    return {"report_id": report_id, "received_at": received,
            "reporter": {"type": "esp", "name": "Example Platform Trust & Safety"},
            "incident": incident, "person_or_user_reported": person, "files": files}


def _tip_quote(p: Person, report_id: str) -> str | None:
    """Some tips quote the reported user introducing themselves to the reporter's child (benign
    words: a first name, a town); the reporter's own first person beside it is not theirs. Drawn
    from a generator of its own (seeded by the report), so the rest of the corpus is what it was."""
    rng = random.Random(f"tip-quote:{report_id}")
    if rng.random() >= 0.25:
        return None
    parts = [rng.choice(("I'm {}", "my name is {}", "call me {}")).format(p.given.split()[0])]
    if rng.random() < 0.6:
        parts.append(rng.choice(("I live in {}", "I'm from {}")).format(p.city))
    rng.shuffle(parts)
    return (rng.choice(("I am a parent reporting this account. ", "I'm the moderator on duty. ", "")) +
            rng.choice(("The user wrote to my son: ", "The user said ", "The account holder wrote: ")) +
            '"' + ", ".join(parts) + '"')


def tip_reports(rng: random.Random, people: list[Person], source: str
                ) -> tuple[list[dict[str, object]], list[Truth]]:
    tips, truth = [], []
    for i, p in enumerate(people, start=1):
        rid = f"T-{i:07d}"
        tips.append(tip_report(rng, p, rid))
        truth.append(Truth(source, rid, "", p.pid))
    return tips, truth


REFERENCES = ("family support", "gift", "school fees", "rent", "birthday", "medical", "groceries", "loan repayment")


def _party(rng: random.Random, p: Person, prefix: str) -> dict[str, str]:
    """A sender is identified the way a money-transfer office records its customer (often with
    date of birth and address); a beneficiary by name, place and the mobile number paid out to."""
    parts = render_name(rng, p, noise=0.7)
    out = {f"{prefix}_name": parts.full()}
    has_country = rng.random() < 0.9
    if has_country:
        out[f"{prefix}_country"] = country_as_written(rng, p.country)
    if prefix == "sender":
        if p.dob and rng.random() < 0.4:
            out["sender_dob"] = p.dob
        if rng.random() < 0.4:
            out["sender_street"] = p.street
            if rng.random() < 0.7:
                out["sender_postcode"] = p.postcode
    if rng.random() < (0.85 if prefix == "sender" else 0.9):
        out[f"{prefix}_phone"] = format_phone(rng, p.phones[0] if rng.random() < 0.7 else rng.choice(p.phones),
                                              national_ok=has_country)
    if rng.random() < 0.25:
        out[f"{prefix}_email"] = rng.choice(p.emails)
    if p.iban and rng.random() < 0.5:
        out[f"{prefix}_account"] = p.iban
    if rng.random() < 0.8:
        out[f"{prefix}_city"] = p.city
    return out


def transaction_row(rng: random.Random, sender: Person, beneficiary: Person, tx_id: str,
                    amount: float | None = None, reference: str | None = None,
                    timestamp: str | None = None) -> dict[str, str]:
    row = {"record_id": tx_id,
           "timestamp": timestamp or f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
                                     f"T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00",
           "amount": f"{amount if amount is not None else rng.randrange(20, 600):.2f}",
           "currency": COUNTRIES[sender.country].currency,
           "reference": reference or rng.choice(REFERENCES),
           "channel": rng.choice(("bank transfer", "mobile wallet", "remittance"))}
    row.update(_party(rng, sender, "sender"))
    row.update(_party(rng, beneficiary, "beneficiary"))
    return row


def transaction_rows(rng: random.Random, transfers: list[tuple[Person, Person]], source: str,
                     id_prefix: str = "TX-") -> tuple[list[dict[str, str]], list[Truth]]:
    rows, truth = [], []
    for i, (s, b) in enumerate(transfers, start=1):
        tid = f"{id_prefix}{i:07d}"
        rows.append(transaction_row(rng, s, b, tid))
        truth.append(Truth(source, tid, "sender", s.pid))
        truth.append(Truth(source, tid, "beneficiary", b.pid))
    return rows, truth
