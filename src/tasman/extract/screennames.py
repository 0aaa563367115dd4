"""A screen name as a record gives it, typed as what it is.

A ``username`` field (a chat's counterpart, a tip's screen name, a customer's user name) holds
whatever the source typed there: mostly a name on a platform, sometimes an email address, a
phone number or a profile link. Each is typed as what it is (an email in a username field is an
email, a ``t.me/NAME`` link is that Telegram account, a ``wa.me/NUMBER`` link a phone), and a
name is a handle in the open platform vocabulary of records
(:func:`tasman.extract.identifiers.platform_namespace`): a site's own name is a namespace, no
platform at all is ``unknown``. Shared by record import and linking, so both type alike.
"""

from __future__ import annotations

import re

from tasman.extract.identifiers import (
    PROFILE_HOSTS,
    UNKNOWN_PLATFORM,
    Identifier,
    clean_email,
    clean_handle,
    clean_phone,
    clean_url,
    platform_namespace,
)

# platforms whose user names are phone numbers (and a screen name with no platform at all)
PHONE_PLATFORMS = frozenset({"whatsapp", "signal", "viber", "telegram", UNKNOWN_PLATFORM})
_PHONEISH = re.compile(r"\+?[\d\s().-]{6,24}")
_LINKISH = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,24}/)", re.I)
_PROFILE = re.compile(r"^https?://(?:www\.|m\.)?(?P<host>[^/]+)/(?:add/)?@?(?P<name>[A-Za-z0-9_.-]{1,64})/?(?:[?#].*)?$",
                      re.I)
_WA = re.compile(r"^https?://(?:www\.)?(?:wa\.me/|api\.whatsapp\.com/send/?\?phone=)\+?(?P<num>\d{7,15})", re.I)


def screen_name(raw: str, platform: str | None, region: str | None = None) -> Identifier | None:
    """The identifier a screen name field holds: an email, a phone, a profile link's account, a
    URL, or a handle on ``platform``'s namespace; ``None`` when it is empty or none of these
    (blank, spaces inside a name, a platform name that cannot be one)."""
    text = raw.strip()
    if not text:
        return None
    if "@" in text.lstrip("@") and (email := clean_email(text)) is not None:
        return email
    if _LINKISH.match(text):
        url = clean_url(text if "://" in text else f"https://{text}")
        if url is not None:
            return _from_link(url.value) or url
    ns = platform_namespace(platform)
    if _PHONEISH.fullmatch(text) and sum(c.isdigit() for c in text) >= 7 and (
            text.startswith(("+", "00")) or ns in PHONE_PLATFORMS):
        phone = clean_phone(text, region) if region else None
        if phone is None and text.startswith(("+", "00")):
            phone = clean_phone("+" + text[2:] if text.startswith("00") else text)
        if phone is not None:
            return phone
    return clean_handle(text, platform)


def _from_link(url: str) -> Identifier | None:
    """The account a profile link names (``t.me/NAME``, ``instagram.com/NAME``, ``wa.me/NUMBER``)."""
    if (m := _WA.match(url)) is not None:
        return clean_phone("+" + m.group("num"))
    if (m2 := _PROFILE.match(url)) is not None:
        host = m2.group("host").lower().removeprefix("www.").removeprefix("m.")
        platform = PROFILE_HOSTS.get(host)
        if platform is not None:
            return clean_handle(m2.group("name"), platform)
    return None
