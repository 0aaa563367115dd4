"""Phone numbers, found by phonenumbers' own matcher (leniency VALID) inside digit runs.

A national number needs a region (the evidence's or the record's country); without one only
numbers written in international form (``+CC ...``) are taken. Dates, times, order or
reference numbers and prices are turned away by the matcher and by the words around them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers

from tasman.extract.detectors.base import Buffer, Detector, Found, found, is_word_byte
from tasman.extract.engine import PatternSpec
from tasman.extract.identifiers import Identifier, IdType, clean_phone

_phone = lru_cache(maxsize=65536)(clean_phone)

# words that make the number that follows something else than a phone, or a phone
_NOT_PHONE = re.compile(
    r"\b(?:order|orders|invoice|inv|ref|refs|reference|tracking|track|id|no|nr|account|acct|a/c|transaction|txn|"
    r"ticket|case|serial|s/n|sku|po|item|customer|cust|booking|confirmation|conf|receipt|iban|bic|swift|"
    r"sort code|routing|mtcn|imei|imsi|isbn|part|parcel|shipment|awb|license|licence|policy|batch|lot|"
    r"version|build|vat|tax|ssn|passport|pin|code|otp|amount|total|price|balance|paid|pay|sum)\b|#",
    re.I)
_PHONE_WORDS = re.compile(
    r"\b(?:tel|tel\.|phone|phones|mobile|mob|cell|cellphone|call|text|sms|whatsapp|viber|signal|telegram|fax|"
    r"contact|ring|reach|dial|telefon|telefono|teléfono|téléphone|handy|portable|móvil|cellulare|wa)\b", re.I)
_CURRENCY_BEFORE = re.compile(
    r"(?:[$€£¥₹₽₩₺₦]|\b(?:usd|eur|gbp|aud|cad|chf|jpy|inr|rub|nzd|sek|nok|dkk|pln|czk|huf|brl|mxn|zar|"
    r"btc|eth|us\$|rs\.?|kr|zł))\s*$", re.I)
_CURRENCY_AFTER = re.compile(
    r"^\s*(?:[$€£¥₹₽₩₺₦%]|(?:usd|eur|gbp|aud|cad|chf|jpy|inr|rub|nzd|sek|nok|dkk|pln|czk|huf|brl|mxn|zar|"
    r"btc|eth|dollars?|euros?|pounds?|kr|zł)\b)", re.I)
_DATEISH = re.compile(r"^\(?\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\)?$")
_MIN_DIGITS = 7


def decoy(buf: Buffer, start: int, end: int, raw: str) -> bool:
    """True when what surrounds a valid-looking number says it is not a phone number."""
    if _DATEISH.match(raw.strip()):
        return True
    before = buf.before(start, 40)
    if _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.search(buf.after(end, 10)):
        return True
    bad = [m.end() for m in _NOT_PHONE.finditer(before)]
    if not bad:
        return False
    good = [m.end() for m in _PHONE_WORDS.finditer(before)]
    return not good or max(good) < max(bad)


@lru_cache(maxsize=32768)
def _match(window: str, region: str | None) -> tuple[tuple[int, int, str], ...]:
    return tuple((m.start, m.end, m.raw_string)
                 for m in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID))


class PhoneDetector(Detector):
    name = "phone"
    types = (IdType.PHONE,)
    patterns = (PatternSpec(rb"[+(]{0,2}[0-9][0-9 ().\-/]{5,26}[0-9][^0-9]"),)

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        if is_word_byte(buf.byte_before(start)) or buf.byte_before(start) in b".,":
            return []
        end = ends[-1] - 1
        text = buf.text(start, end)  # ASCII: character offsets are byte offsets
        if sum(c.isdigit() for c in text) < _MIN_DIGITS:
            return []
        if buf.region is None:
            starts = [i for i, c in enumerate(text) if c == "+"]
        else:
            starts = [0, *[i + 1 for i, c in enumerate(text) if c in " /" and i + 1 < len(text)][:6]]
        out: list[Found] = []
        taken = -1
        for s0 in starts:
            if s0 < taken:
                continue
            for ms, me, raw in _match(text[s0:], buf.region):
                a, b = start + s0 + ms, start + s0 + me
                if decoy(buf, a, b, raw):
                    continue
                ident: Identifier | None = _phone(raw, buf.region)
                out += found(ident, buf, a, b, self.name)
                taken = max(taken, s0 + me)
            if out and buf.region is not None:
                break
        return out
