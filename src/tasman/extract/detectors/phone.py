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
from tasman.extract.identifiers import Identifier, IdType, phone_identifier

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
_DATEISH = re.compile(r"^\(?(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?:\D|$)")
# the end of a clause: a full stop (not the one of "no.", "ref."...), ! ? ; or a line break
_CLAUSE_END = re.compile(r"(?<!\bno)(?<!\bnr)(?<!\bref)(?<!\binv)(?<!\btel)(?<!\bacct)\.\s|[!?;]\s|\n", re.I)
_MIN_DIGITS = 7


def _clause_tail(text: str) -> str:
    """What follows the last clause end in ``text`` (one forward pass: a greedy ``.*`` before
    the clause end backtracked over the whole text and cost a fifth of phone detection)."""
    end = 0
    for m in _CLAUSE_END.finditer(text):
        end = m.end()
    return text[end:]


def decoy(buf: Buffer, start: int, end: int, raw: str) -> bool:
    """True when what surrounds a valid-looking number says it is not a phone number."""
    return _decoy(buf.before(start, 40), raw, buf.after(end, 10))


@lru_cache(maxsize=16384)
def _decoy(before: str, raw: str, after: str) -> bool:
    """The words around a number decide, and nothing else: kept by those words (the same line
    recurs in logs, signatures, repeated messages and the overlaps of windows)."""
    if _DATEISH.match(raw.strip()):
        return True
    if after[:1] == ":" and after[1:2].isdigit():
        return True  # a time follows: 2024-01-05 10:30
    if _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.search(after):
        return True
    # only words of the same clause speak for the number: "invoice 123. Call +44..." is a phone
    before = _clause_tail(before)
    if raw.startswith("+"):
        before = before[-16:]
    bad = [m.end() for m in _NOT_PHONE.finditer(before)]
    if not bad:
        return False
    good = [m.end() for m in _PHONE_WORDS.finditer(before)]
    return not good or max(good) < max(bad)


@lru_cache(maxsize=32768)
def _match(window: str, region: str | None) -> tuple[tuple[int, int, str, Identifier], ...]:
    """Every valid number phonenumbers' matcher finds in ``window``: its span, its text and its
    identifier (made from the matcher's own parse: parsing the text again gives the same)."""
    return tuple((m.start, m.end, m.raw_string, phone_identifier(m.number, region))
                 for m in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID))


class PhoneDetector(Detector):
    name = "phone"
    types = (IdType.PHONE,)
    patterns = (
        PatternSpec(rb"\(?\+[0-9][0-9 ().\-/]{5,26}[0-9][^0-9]"),                   # +CC ...: any text
        PatternSpec(rb"\(?[0-9][0-9 ().\-/]{5,26}[0-9][^0-9]", regional=True),       # national: with a region
    )

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        end = ends[-1] - 1
        text = buf.text(start, end)  # ASCII: character offsets are byte offsets
        if is_word_byte(buf.byte_before(start)) or buf.byte_before(start) in b".,":
            # the leftmost start lies inside a word (an IBAN, a code): skip that run
            cut = 0
            while cut < len(text) and text[cut].isdigit():
                cut += 1
            start, text = start + cut, text[cut:]
            lead = len(text) - len(text.lstrip(" ().-/"))
            start, text = start + lead, text[lead:]
        if sum(c.isdigit() for c in text) < _MIN_DIGITS:
            return []
        if buf.region is None:
            plus = [i for i, c in enumerate(text) if c == "+"]
            segments = list(zip(plus, [*plus[1:], len(text)], strict=False))
        else:
            segments = [(0, len(text))]
        out: list[Found] = []
        for a, b in segments:
            out += self._segment(buf, start + a, text[a:b])
        return out

    def _segment(self, buf: Buffer, start: int, text: str) -> list[Found]:
        """The longest prefix of ``text`` holding a valid number, then whatever follows it."""
        cuts = [len(text)] + [i for i in range(len(text) - 1, 6, -1) if text[i] == " " and text[i - 1] != " "]
        starts = [0, *[i + 1 for i, c in enumerate(text) if c in " /" and i + 1 < len(text)][:6]]
        for s0 in starts if buf.region else [0]:
            for cut in cuts[:6]:
                if cut - s0 < 7:
                    break
                matches = _match(text[s0:cut], buf.region)
                if not matches:
                    continue
                out: list[Found] = []
                for ms, me, raw, ident in matches:
                    a, b = start + s0 + ms, start + s0 + me
                    if not decoy(buf, a, b, raw):
                        out += found(ident, buf, a, b, self.name)
                return out
        return []
