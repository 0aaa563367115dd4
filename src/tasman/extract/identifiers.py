"""Typed identifiers: one ``clean`` per type, shared by extraction, record import and linking.

Each cleaner takes raw text (and context such as a default region) and returns an
:class:`Identifier` with the normalised value, or ``None`` when the text is not a valid value
of that type. The validation is the libraries' (phonenumbers, email-validator, schwifty,
tldextract, ipaddress, pycountry, normality), never hand-written rules where one exists.
"""

from __future__ import annotations

import gettext
import ipaddress
import os
import re
from functools import cache, lru_cache

import phonenumbers
import pycountry
import tldextract
from email_validator import EmailNotValidError, validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from tasman.extract.idtypes import Identifier, IdType, fold
from tasman.extract.payments import card_brand, clean_btc, clean_card, clean_eth, clean_mtcn, clean_paypal, luhn_ok
from tasman.extract.places import clean_camera, clean_city, clean_gps

__all__ = [
    "PLATFORMS",
    "PLATFORM_ALIASES",
    "PROFILE_HOSTS",
    "UNKNOWN_PLATFORM",
    "IdType",
    "Identifier",
    "card_brand",
    "clean_btc",
    "clean_camera",
    "clean_card",
    "clean_city",
    "clean_country",
    "clean_domain",
    "clean_email",
    "clean_eth",
    "clean_gps",
    "clean_handle",
    "clean_iban",
    "clean_ip",
    "clean_mtcn",
    "clean_paypal",
    "clean_phone",
    "clean_url",
    "fold",
    "luhn_ok",
    "phone_identifier",
    "platform_name",
    "platform_namespace",
    "platform_problem",
]


# ---- email -----------------------------------------------------------------------------

def clean_email(raw: str) -> Identifier | None:
    """Syntax-checked (no DNS), domain lower-cased and IDNA-normalised; the local part is kept."""
    text = raw.strip().strip("<>").removeprefix("mailto:")
    try:
        v = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    normalised = f"{v.local_part}@{v.domain.lower()}"
    return Identifier(IdType.EMAIL, normalised, meta={"domain": v.domain.lower()})


# ---- phone -----------------------------------------------------------------------------

_PHONE_TYPES = {v: k.lower() for k, v in vars(phonenumbers.PhoneNumberType).items() if k.isupper()}


def clean_phone(raw: str, region: str | None = None) -> Identifier | None:
    """E.164 with its region and line type; a national number needs ``region`` (e.g. the record's
    country). Invalid numbers are rejected."""
    try:
        num = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phone_identifier(num, region)


def phone_identifier(num: phonenumbers.PhoneNumber, region: str | None = None) -> Identifier:
    """The identifier of a number phonenumbers has parsed and found valid (``clean_phone``, or
    its ``PhoneNumberMatcher`` at leniency VALID, which parses and validates each match)."""
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    cc = phonenumbers.region_code_for_number(num)
    if region and cc != region.upper() and phonenumbers.is_valid_number_for_region(num, region.upper()):
        cc = region.upper()  # +44 7911 is GB and GG alike: the caller's region decides
    kind = _PHONE_TYPES.get(phonenumbers.number_type(num), "unknown")
    return Identifier(IdType.PHONE, e164, country=cc if cc and cc != "001" else None, meta={"line_type": kind})


# ---- network ---------------------------------------------------------------------------

def clean_ip(raw: str) -> Identifier | None:
    """Canonical text form; ``meta['scope']`` is ``public`` or why it is not (private, loopback,
    reserved...): only public addresses can say anything about a country."""
    try:
        ip = ipaddress.ip_address(raw.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    scope = "public"
    for name in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{name}"):
            scope = name
            break
    else:
        if not ip.is_global:
            scope = "reserved"
    return Identifier(IdType.IP, str(ip), meta={"scope": scope, "version": ip.version})


@cache
def _tld() -> tldextract.TLDExtract:
    # The bundled public suffix list: never fetched, evidence labs are offline.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def clean_domain(raw: str) -> Identifier | None:
    host = raw.strip().rstrip(".").lower()
    parts = _tld()(host)
    if not parts.domain or not parts.suffix:
        return None
    registered = f"{parts.domain}.{parts.suffix}"
    cc = parts.suffix.rsplit(".", 1)[-1].upper()
    country = cc if len(cc) == 2 and pycountry.countries.get(alpha_2="GB" if cc == "UK" else cc) else None
    if country == "UK":
        country = "GB"
    return Identifier(IdType.DOMAIN, registered, country=country, meta={"host": host})


_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>[^/:?#\s]+)(?::\d+)?(?P<rest>[^\s]*)$", re.I)


def clean_url(raw: str) -> Identifier | None:
    m = _URL.match(raw.strip())
    if not m or m.group("scheme").lower() not in ("http", "https", "ftp"):
        return None
    dom = clean_domain(m.group("host"))
    if dom is None and clean_ip(m.group("host")) is None:
        return None
    value = f"{m.group('scheme').lower()}://{m.group('host').lower()}{m.group('rest')}"
    return Identifier(IdType.URL, value, country=dom.country if dom else None,
                      meta={"domain": dom.value if dom else m.group("host")})


# ---- handles ---------------------------------------------------------------------------

PLATFORMS = ("skype", "telegram", "kik", "snapchat", "discord", "whatsapp", "wickr", "instagram",
             "twitter", "facebook", "tiktok", "signal", "session", "threema", "line", "wechat", "viber")

PLATFORM_ALIASES = {"snap": "snapchat", "sc": "snapchat", "tg": "telegram", "insta": "instagram", "ig": "instagram",
                    "fb": "facebook", "x": "twitter", "wickr me": "wickr", "wickrme": "wickr", "wa": "whatsapp"}

# What each platform allows in a user name (its sign-up rules); a name that breaks them is not
# that platform's name, whatever the text says.
_HANDLE_RULES: dict[str, re.Pattern[str]] = {
    "skype": re.compile(r"(?:live:[A-Za-z0-9._-]{1,40}|[A-Za-z][A-Za-z0-9.,_-]{5,31})"),
    "telegram": re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}"),
    "kik": re.compile(r"[A-Za-z0-9._]{2,20}"),
    "snapchat": re.compile(r"[A-Za-z][A-Za-z0-9._-]{2,14}"),
    "discord": re.compile(r"(?:[a-z0-9_.]{2,32}|[^@#:`\s]{2,32}#\d{4})"),
    "instagram": re.compile(r"[A-Za-z0-9._]{1,30}"),
    "twitter": re.compile(r"[A-Za-z0-9_]{1,15}"),
    "tiktok": re.compile(r"[A-Za-z0-9._]{2,24}"),
    "wickr": re.compile(r"[A-Za-z0-9._-]{5,32}"),
    "threema": re.compile(r"[A-Za-z0-9*]{8}"),
}


def platform_name(text: str) -> str | None:
    """A built-in platform's name from any of its spellings, or ``None`` (the strict vocabulary
    free-text scanning uses)."""
    p = " ".join(text.strip().lower().split())
    p = PLATFORM_ALIASES.get(p, p)
    return p if p in PLATFORMS else None


# Hosts whose profile links are host/NAME: a platform written as its web address is that platform.
PROFILE_HOSTS = {
    "t.me": "telegram", "telegram.me": "telegram", "instagram.com": "instagram", "twitter.com": "twitter",
    "x.com": "twitter", "tiktok.com": "tiktok", "snapchat.com": "snapchat", "kik.me": "kik",
    "facebook.com": "facebook",
}
_PLATFORM_HOSTS = {**PROFILE_HOSTS, "wa.me": "whatsapp", "whatsapp.com": "whatsapp", "skype.com": "skype",
                   "discord.com": "discord", "discord.gg": "discord", "discordapp.com": "discord",
                   "signal.org": "signal", "threema.ch": "threema", "wickr.com": "wickr", "viber.com": "viber",
                   "wechat.com": "wechat", "line.me": "line", "getsession.org": "session", "fb.com": "facebook",
                   "telegram.org": "telegram", "snap.com": "snapchat", "kik.com": "kik"}
UNKNOWN_PLATFORM = "unknown"   # the namespace of a screen name given without any platform
MAX_PLATFORM = 64
_BAD_PLATFORM = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?P<host>(?:[a-z0-9-]+\.)+[a-z]{2,24})\.?(?:[:/?#].*)?$")


def platform_problem(text: str) -> str | None:
    """Why a platform name as given cannot be a namespace (control characters, too long), or ``None``."""
    if _BAD_PLATFORM.search(text):
        return "has control characters"
    if len(text.strip()) > MAX_PLATFORM:
        return f"is longer than {MAX_PLATFORM} characters"
    return None


@lru_cache(maxsize=4096)
def platform_namespace(text: str | None) -> str | None:
    """The namespace of a screen name on a platform named any way (the open vocabulary of
    records, where a site's own name is a platform as Skype is): a built-in platform from any
    alias (``TG``, ``t.me``, ``www.skype.com``); a web address as its site (``www.SiteName.com``
    -> ``sitename``); any other name folded (case, accents, spacing and punctuation:
    ``Chat-Room`` -> ``chatroom``). No platform at all is :data:`UNKNOWN_PLATFORM`; a name with
    control characters or over 64 characters is none (``None``)."""
    if text is None or not text.strip():
        return UNKNOWN_PLATFORM
    if platform_problem(text) is not None:
        return None
    if (known := platform_name(text)) is not None:
        return known
    low = text.strip().lower()
    if (m := _HOST.match(low)) is not None:
        host = m.group("host").removeprefix("www.").removeprefix("m.")
        if host in _PLATFORM_HOSTS:
            return _PLATFORM_HOSTS[host]
        parts = _tld()(host)
        if parts.domain and parts.suffix:
            low = parts.domain
            if (known := platform_name(low)) is not None or (known := _PLATFORM_HOSTS.get(f"{low}.com")):
                return known
    folded = re.sub(r"[^0-9a-z]", "", fold(low))
    if not folded:
        return UNKNOWN_PLATFORM
    return PLATFORM_ALIASES.get(folded, folded)


_LOOSE = re.compile(r"[^\s@/\\<>\"']{1,64}")


def clean_handle(raw: str, platform: str | None, *, strict: bool = False) -> Identifier | None:
    """A user name on a platform, compared case-insensitively (``@`` and ``live:`` kept apart).

    ``strict`` (what scanning free text uses): the platform must be a built-in one and the name
    must fit its own sign-up rules where they are known (Telegram 5-32 characters, Skype
    6-32...). Without it (a record's ``username`` field, where the platform is given) the
    platform vocabulary is open (:func:`platform_namespace`: a site's own name is a namespace;
    none is ``unknown``, where a ``live:`` name is Skype's) and any plausible name is taken: old
    accounts and exports do not always follow today's rules. ``meta['known']``: the platform is
    a built-in one."""
    p = platform_name(platform or "") if strict else platform_namespace(platform)
    if p is None:
        return None
    name = raw.strip().lstrip("@").strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        return None
    if p == UNKNOWN_PLATFORM and name.lower().startswith("live:") and len(name) > 5:
        p = "skype"
    rule = _HANDLE_RULES.get(p) if strict else _LOOSE
    if rule is not None and not rule.fullmatch(name):
        return None
    return Identifier(IdType.HANDLE, f"{p}:{name.casefold()}",
                      meta={"platform": p, "name": name, "known": p in PLATFORMS})


# ---- payments --------------------------------------------------------------------------

def clean_iban(raw: str) -> Identifier | None:
    try:
        iban = IBAN(raw)
    except (SchwiftyException, ValueError):
        return None
    return Identifier(IdType.IBAN, iban.compact, country=iban.country_code, meta={"bank_code": iban.bank_code})



# ---- places and names --------------------------------------------------------------------

@cache
def _country_names() -> dict[str, str]:
    """Every name of every country in every language pycountry ships, folded -> alpha-2."""
    names: dict[str, str] = {}
    countries = list(pycountry.countries)
    english: list[tuple[str, str]] = []
    for c in countries:
        for attr in ("name", "official_name", "common_name"):
            if (v := getattr(c, attr, None)):
                english.append((v, c.alpha_2))
    for lang in sorted(os.listdir(pycountry.LOCALES_DIR)):
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
        for v, a2 in english:
            key = fold(tr.gettext(v))
            if any(c.isalpha() for c in key):  # a name that folds to nothing (or to '-') says nothing
                names.setdefault(key, a2)
    for v, a2 in english:  # English wins over a clash in another language
        names[fold(v)] = a2
    for c in countries:
        names[fold(c.alpha_3)] = c.alpha_2
    names.update({"uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
                  "usa": "US", "u s a": "US", "united states of america": "US", "america": "US",
                  "holland": "NL", "russia": "RU", "south korea": "KR", "north korea": "KP",
                  "vietnam": "VN", "iran": "IR", "syria": "SY", "laos": "LA", "bolivia": "BO",
                  "venezuela": "VE", "tanzania": "TZ", "moldova": "MD", "czech republic": "CZ",
                  "ivory coast": "CI", "phillipines": "PH", "philippines": "PH", "uae": "AE"})
    return names


def clean_country(raw: str) -> Identifier | None:
    """ISO 3166-1 alpha-2 from a code or a name in any language pycountry knows."""
    text = raw.strip()
    if not text:
        return None
    if len(text) == 2 and text.isalpha():
        code = text.upper()
        code = "GB" if code == "UK" else code
        if pycountry.countries.get(alpha_2=code):
            return Identifier(IdType.COUNTRY, code, country=code)
        return None
    key = fold(text)
    found = _country_names().get(key) if any(c.isalpha() for c in key) else None
    return Identifier(IdType.COUNTRY, found, country=found) if found else None

