"""Payment identifiers: card (last four only), PayPal, Bitcoin, Ethereum, money-transfer numbers.

Checksums are the libraries' (base58 for Base58Check, bech32m for BIP-173/BIP-350 segwit
addresses, pycryptodomex's Keccak-256 for EIP-55). A full card number is never returned, kept
in ``meta`` or logged: only the brand and the last four digits survive a Luhn check.
"""

from __future__ import annotations

import re

import base58
import bech32m
from Cryptodome.Hash import keccak

from tasman.extract.idtypes import Identifier, IdType

# ---- cards -----------------------------------------------------------------------------

# Issuer prefixes (ISO/IEC 7812 IIN ranges published by the schemes) -> brand, with valid lengths.
_BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
    ("amex", ((34, 34), (37, 37)), (15,)),
    ("visa", ((4, 4),), (13, 16, 19)),
    ("mastercard", ((51, 55), (2221, 2720)), (16,)),
    ("discover", ((6011, 6011), (644, 649), (65, 65)), (16, 19)),
    ("jcb", ((3528, 3589),), (16, 17, 18, 19)),
    ("diners", ((300, 305), (36, 36), (38, 39)), (14, 16, 19)),
    ("unionpay", ((62, 62),), (16, 17, 18, 19)),
    ("maestro", ((5018, 5018), (5020, 5020), (5038, 5038), (6304, 6304), (6759, 6759), (6761, 6763)),
     (12, 13, 14, 15, 16, 17, 18, 19)),
)


# digit byte -> the byte of its Luhn double (2d, or 2d - 9 past 9), to sum in C
_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")


def luhn_ok(digits: str) -> bool:
    """The Luhn check over ASCII digits (what every card scheme prints); anything else fails."""
    if not (digits.isascii() and digits.isdigit()):
        return False
    data = digits.encode("ascii")
    kept, doubled = data[::-1][0::2], data[::-1][1::2].translate(_DOUBLED)
    return (sum(kept) + sum(doubled) - 48 * len(data)) % 10 == 0


def card_brand(digits: str) -> str | None:
    for brand, ranges, lengths in _BRANDS:
        if len(digits) not in lengths:
            continue
        for lo, hi in ranges:
            width = len(str(lo))
            if lo <= int(digits[:width]) <= hi:
                return brand
    return None


def clean_card(raw: str) -> Identifier | None:
    """``brand:last4`` of a number that passes Luhn and a scheme's prefix and length; the full
    number is dropped here and nowhere kept."""
    digits = raw.strip().replace(" ", "").replace("-", "")
    if not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        return None
    brand = card_brand(digits)
    if brand is None:
        return None
    return Identifier(IdType.CARD, f"{brand}:{digits[-4:]}", meta={"brand": brand, "last4": digits[-4:],
                                                                    "length": len(digits)})


_STARS = str.maketrans("0123456789", "*" * 10)


def mask_card(raw: str) -> str:
    """The raw text with every digit but the last four replaced, separators kept."""
    cut, kept = len(raw), 0
    while cut > 0 and kept < 4:
        cut -= 1
        kept += raw[cut].isdigit()
    head = raw[:cut]
    head = head.translate(_STARS) if head.isascii() else "".join("*" if c.isdigit() else c for c in head)
    return head + raw[cut:]


# ---- PayPal ----------------------------------------------------------------------------

_PAYPAL_ME = re.compile(r"^(?:https?://)?(?:www\.)?paypal\.me/([A-Za-z0-9_.-]{1,64})/?", re.I)


def clean_paypal(raw: str) -> Identifier | None:
    """A PayPal account: the email it is registered to, or a ``paypal.me/NAME`` link."""
    m = _PAYPAL_ME.match(raw.strip())
    if m:
        name = m.group(1).lower()
        return Identifier(IdType.PAYPAL, f"paypal.me/{name}", meta={"kind": "paypal.me"})
    from tasman.extract.identifiers import clean_email  # a cycle at import time otherwise

    email = clean_email(raw)
    return None if email is None else paypal_account(email)


def paypal_account(email: Identifier) -> Identifier:
    """The PayPal account of an already validated e-mail address (the text named PayPal)."""
    return Identifier(IdType.PAYPAL, email.value, meta={"kind": "email"})


# ---- Bitcoin ---------------------------------------------------------------------------

def clean_btc(raw: str) -> Identifier | None:
    """Mainnet P2PKH/P2SH (Base58Check, version 0x00/0x05) or segwit (bech32 v0, bech32m v1+)."""
    text = raw.strip()
    if text[:3].lower() == "bc1":
        if text != text.lower() and text != text.upper():
            return None  # BIP-173: mixed case is invalid
        try:
            dec = bech32m.decode("bc", text.lower())
        except (bech32m.DecodeError, ValueError, IndexError):
            return None
        kind = {0: "p2wpkh" if len(dec.witprog) == 20 else "p2wsh", 1: "p2tr"}.get(dec.witver, f"witness_v{dec.witver}")
        return Identifier(IdType.BTC, text.lower(), meta={"kind": kind})
    if not 25 <= len(text) <= 35 or text[0] not in "13":
        return None
    try:
        payload = base58.b58decode_check(text)
    except ValueError:
        return None
    if len(payload) != 21 or payload[0] not in (0x00, 0x05):
        return None
    return Identifier(IdType.BTC, text, meta={"kind": "p2pkh" if payload[0] == 0 else "p2sh"})


# ---- Ethereum --------------------------------------------------------------------------

def _keccak(data: bytes) -> bytes:
    return keccak.new(data=data, digest_bits=256).digest()


# a digest byte -> 0x20 where its high (first) or low (second) hex digit is 8 or more: the case
# bit of the address letter at that digit's place; an address byte -> 0x20 for a letter a-f
_HIGH_8 = bytes(0x20 if b & 0x80 else 0 for b in range(256))
_LOW_8 = bytes(0x20 if b & 0x08 else 0 for b in range(256))
_LETTER = bytes(0x20 if 0x61 <= b <= 0x66 else 0 for b in range(256))


def eip55(address_hex: str) -> str:
    """The EIP-55 mixed-case checksum form of 40 hex digits (without ``0x``): a letter is upper-
    cased where the hex digit of the Keccak-256 of the lower-case address is 8 or more.

    Done on whole byte strings (translations and one integer AND), not letter by letter in
    Python: hex digit ``i`` of the digest is the high half of byte ``i // 2`` for even ``i``,
    the low half for odd ``i``; clearing bit 0x20 of an ASCII letter upper-cases it."""
    lower = address_hex.lower().encode("ascii")
    digest = _keccak(lower)[: (len(lower) + 1) // 2]
    bits = bytearray(2 * len(digest))
    bits[0::2] = digest.translate(_HIGH_8)
    bits[1::2] = digest.translate(_LOW_8)
    n = len(lower)
    flip = int.from_bytes(bits[:n], "big") & int.from_bytes(lower.translate(_LETTER), "big")
    return "0x" + (int.from_bytes(lower, "big") ^ flip).to_bytes(n, "big").decode("ascii")


_ETH = re.compile(r"^0x[0-9a-fA-F]{40}$")


def clean_eth(raw: str) -> Identifier | None:
    """An Ethereum address, normalised to its EIP-55 form. Mixed case must match the checksum;
    an all-lower or all-upper address carries no checksum and is kept, flagged as unchecked."""
    text = raw.strip()
    if not _ETH.match(text):
        return None
    body = text[2:]
    checked = eip55(body)
    mixed = body != body.lower() and body != body.upper()
    if mixed and checked != text:
        return None
    if int(body, 16) == 0:
        return None
    return Identifier(IdType.ETH, checked, meta={"checksummed": mixed})


# ---- money-transfer control numbers ------------------------------------------------------

# service -> (aliases as written in text, allowed digit counts of its tracking number)
SERVICES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "westernunion": (("western union", "westernunion", "mtcn", "wu"), (10,)),
    "moneygram": (("moneygram", "money gram", "mgi"), (8,)),
    "ria": (("ria money transfer", "ria"), (8, 9, 10, 11, 12)),
    "worldremit": (("worldremit", "world remit"), (8, 9, 10, 11, 12)),
}


def service_name(text: str) -> str | None:
    t = " ".join(text.lower().split())
    for key, (aliases, _lengths) in SERVICES.items():
        if t == key or t in aliases:
            return key
    return None


def clean_mtcn(raw: str, service: str) -> Identifier | None:
    """A transfer's control/reference number, only together with the service that issued it."""
    key = service_name(service)
    if key is None:
        return None
    digits = re.sub(r"[ -]", "", raw.strip())
    if not digits.isdigit() or len(digits) not in SERVICES[key][1]:
        return None
    return Identifier(IdType.MTCN, f"{key}:{digits}", meta={"service": key})
