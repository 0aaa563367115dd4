"""Cheap exact answers for the common forms of new identifiers, before the libraries' own checks.

A value seen before is answered by the detectors' caches (by normalised form); a new one costs
tens of microseconds in the libraries' Python (email-validator, ``ipaddress`` with its scope
checks). Most new values in evidence are of the plainest form (an ASCII ``name@host.tld``, a
dotted IPv4 address), and for those the libraries' answer can be had from their own rules and
tables at a fraction of the cost:

- e-mail: an ASCII address whose local part is the library's dot-atom and whose domain, lower-
  cased, is the library's plain host name (no Punycode, no ``--``, labels of at most 63
  characters, a TLD ending in a letter, not a special-use name, the whole within the length
  limits) is what ``validate_email`` returns unchanged, bar the domain's case;
- IP: the scope of an address is constant between the bounds of the networks ``ipaddress``
  tests it against, so the scope of each interval is asked of ``clean_ip`` once, at first use,
  and an address is then one bisection (a dotted IPv4 address without leading zeros needs no
  parse at all; an IPv6 one is parsed by ``IPv6Address`` alone, its scope checks skipped).

Anything else (Unicode, quoting, an IPv6 zone or dotted tail, an IPv4-mapped address, leading
zeros, a case-insensitive mailbox name, any doubt) goes to the library, so the answers are the
library's, value for value: ``tests/extract/test_fastcheck.py`` compares both on a varied corpus
with invalid look-alikes. ``ENABLED`` turns the shortcuts off (what the tests compare against).
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from functools import cache

import email_validator
from email_validator.rfc_constants import (
    CASE_INSENSITIVE_MAILBOX_NAMES,
    DOMAIN_NAME_REGEX,
    DOT_ATOM_TEXT,
    DOT_ATOM_TEXT_HOSTNAME,
)

from tasman.extract.identifiers import clean_email, clean_ip
from tasman.extract.idtypes import Identifier, IdType

ENABLED = True

# the rules below are email-validator 2.x's (checked against 2.4.0): another major version
# decides every address itself until they are checked against it
_EMAIL_RULES_KNOWN = str(getattr(email_validator, "__version__", "")).startswith("2.")
_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
_SPECIAL = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_SUFFIXES = tuple("." + d for d in _SPECIAL)


def _plain_email(raw: str) -> Identifier | None:
    """The identifier of a plain ASCII address, or ``None`` when the library must decide."""
    if not _EMAIL_RULES_KNOWN:
        return None
    text = raw.strip().strip("<>").removeprefix("mailto:")
    if not text.isascii() or len(text) > 254 or text.count("@") != 1:
        return None
    local, domain = text.split("@")
    if not DOT_ATOM_TEXT.match(local) or local.lower() in _MAILBOXES:
        return None
    host = domain.lower()
    if (len(host) > 253 or "--" in host or "." not in host or not DOT_ATOM_TEXT_HOSTNAME.match(host)
            or not DOMAIN_NAME_REGEX.search(host)):
        return None
    if max(map(len, host.split("."))) > 63:
        return None
    if host in _SPECIAL or host.endswith(_SPECIAL_SUFFIXES):
        return None
    return Identifier(IdType.EMAIL, f"{local}@{host}", meta={"domain": host})


def email(raw: str) -> Identifier | None:
    """``clean_email(raw)``, cheaper for plain ASCII addresses."""
    if ENABLED and (ident := _plain_email(raw)) is not None:
        return ident
    return clean_email(raw)


_IPV4 = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}\Z")
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:]{2,39}\Z")


@cache
def _scopes(version: int) -> tuple[list[int], list[str]] | None:
    """Interval starts over the address space of IP ``version`` and the scope ``clean_ip``
    gives each interval: the bounds are those of every network ``ipaddress`` compares an
    address with (and of the addresses 0, 1 it compares by value). ``None`` where this
    Python's ``ipaddress`` does not keep them where expected."""
    address, network = ((ipaddress.IPv4Address, ipaddress.IPv4Network) if version == 4
                        else (ipaddress.IPv6Address, ipaddress.IPv6Network))
    constants = getattr(address, "_constants", None)
    if constants is None:
        return None
    top = 2 ** (32 if version == 4 else 128)
    bounds = {0, 1, 2}
    for value in vars(constants).values():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, address):
                item = network(item)
            if isinstance(item, network):
                bounds.add(int(item.network_address))
                bounds.add(int(item.broadcast_address) + 1)
    starts = sorted(b for b in bounds if b < top)
    scopes = []
    for s in starts:
        ident = clean_ip(str(address(s)))
        if ident is None:
            return None
        scopes.append(str(ident.meta["scope"]))
    return starts, scopes


def _ipv4_scopes() -> tuple[list[int], list[str]] | None:
    return _scopes(4)


def ip(raw: str) -> Identifier | None:
    """``clean_ip(raw)``, cheaper for dotted IPv4 addresses without leading zeros and for IPv6
    addresses written in hexadecimal only (no zone, no dotted tail, not IPv4-mapped)."""
    if not ENABLED:
        return clean_ip(raw)
    if _IPV4.match(raw):
        a, b, c, d = map(int, raw.split("."))
        if a < 256 and b < 256 and c < 256 and d < 256 and (table := _scopes(4)) is not None:
            starts, scopes = table
            scope = scopes[bisect.bisect_right(starts, (a << 24) | (b << 16) | (c << 8) | d) - 1]
            return Identifier(IdType.IP, raw, meta={"scope": scope, "version": 4})
    elif _IPV6_CHARS.match(raw) and (table := _scopes(6)) is not None:
        try:
            addr = ipaddress.IPv6Address(raw)
        except ValueError:
            return None  # what clean_ip says of it too (ip_address tries IPv4 first: no dots, no IPv4)
        if addr.ipv4_mapped is None:
            starts, scopes = table
            scope = scopes[bisect.bisect_right(starts, int(addr)) - 1]
            return Identifier(IdType.IP, str(addr), meta={"scope": scope, "version": 6})
    return clean_ip(raw)
