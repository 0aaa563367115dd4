"""Payment references: IBAN, card (last four only), Bitcoin, Ethereum, money-transfer numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from tasman.extract.detectors.base import Buffer, Detector, Found, found, is_word_byte
from tasman.extract.engine import PatternSpec
from tasman.extract.identifiers import Identifier, IdType, clean_btc, clean_card, clean_eth, clean_iban, clean_mtcn
from tasman.extract.payments import SERVICES, mask_card, service_name

_iban = lru_cache(maxsize=65536)(clean_iban)
_btc = lru_cache(maxsize=65536)(clean_btc)
_eth = lru_cache(maxsize=65536)(clean_eth)

_CARD_WORDS = re.compile(r"\b(?:card|cards|visa|master ?card|mc|amex|american express|maestro|discover|jcb|"
                         r"diners|unionpay|cc|credit|debit|kreditkarte|karte|carte|tarjeta|cartão|carta|pan)\b",
                         re.I)
_DIGIT = re.compile(rb"[0-9]")
_GROUPED = re.compile(r"^\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}$|^\d{4}([ -])\d{6}\2\d{4,5}$")


class IbanDetector(Detector):
    name = "iban"
    types = (IdType.IBAN,)
    patterns = (PatternSpec(rb"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}[^A-Za-z0-9]"),)

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        if is_word_byte(buf.byte_before(start)):
            return []
        for end in reversed(ends):
            end -= 1
            if buf.data[end - 1] == 32:
                continue
            out = found(_iban(buf.text(start, end)), buf, start, end, self.name)
            if out:
                return out
        return []


class CardDetector(Detector):
    """A Luhn-valid number with a scheme's prefix and length is a card when it is written like
    one (groups of four) or named as one; either way its digits are masked in every context."""

    name = "card"
    types = (IdType.CARD,)
    patterns = (
        # written like a card: 4-4-4-x or 4-6-5
        PatternSpec(rb"[0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{1,7}[^0-9]|[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5}[^0-9]"),
        # or named as one, then any run of 12-19 digits
        PatternSpec(rb"(?:card|visa|master ?card|amex|american express|maestro|discover|jcb|diners|unionpay|cc|"
                    rb"credit|debit|kreditkarte|karte|carte|tarjeta|carta|pan)[^0-9\n]{0,24}[0-9](?:[ -]?[0-9]){11,18}"
                    rb"[^0-9]", caseless=True),
    )

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        if index == 1:  # the number starts at the first digit after the card word
            first = _DIGIT.search(buf.data, start, ends[-1])
            start = first.start() if first else start
        if is_word_byte(buf.byte_before(start)) or buf.byte_before(start) in b".,+":
            return []
        for end in reversed(ends):
            end -= 1
            raw = buf.text(start, end)
            if raw[-1] in " -":
                continue
            ident = clean_card(raw)
            if ident is None:
                continue
            buf.sensitive.append((start, end))
            if _GROUPED.match(raw) or _CARD_WORDS.search(buf.before(start, 40)):
                return [Found(ident, mask_card(raw), start, end, extractor="scan.card")]
            return []
        return []


class CryptoDetector(Detector):
    name = "crypto"
    types = (IdType.BTC, IdType.ETH)
    patterns = (
        PatternSpec(rb"[13][1-9A-HJ-NP-Za-km-z]{25,34}[^1-9A-HJ-NP-Za-km-z]"),
        PatternSpec(rb"bc1[02-9ac-hj-np-z]{8,87}[^0-9A-Za-z]", caseless=True),
        PatternSpec(rb"0x[0-9a-fA-F]{40}[^0-9A-Za-z]"),
    )

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        if is_word_byte(buf.byte_before(start)):
            return []
        end = ends[-1] - 1
        raw = buf.text(start, end)
        if index == 2:
            return found(_eth(raw), buf, start, end, "eth")
        return found(_btc(raw), buf, start, end, "btc")


_GROUP_STARTS = re.compile(r"(?<=\d)(?=[ -])")
_NUMBER = re.compile(r"(?<![\w-])(\d{3,}(?:[ -]\d{3,})*)(?!\w)")


class TransferDetector(Detector):
    """A control number counts only when the text names the service that issued it."""

    name = "mtcn"
    types = (IdType.MTCN,)
    patterns = (
        PatternSpec(rb"western ?union|money ?gram|mtcn|ria money transfer|ria|world ?remit|mgi", caseless=True),
        PatternSpec(rb"WU"),
    )

    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        end = ends[-1]
        if is_word_byte(buf.byte_before(start)) or is_word_byte(buf.byte_at(end)):
            return []
        service = service_name(buf.text(start, end))
        if service is None:
            return []
        spot = _control_number(service, buf.text(end, end + 80))
        if spot is None:
            return []
        a, b, ident = spot
        return found(ident, buf, end + a, end + b, self.name)


@lru_cache(maxsize=16384)
def _control_number(service: str, window: str) -> tuple[int, int, Identifier] | None:
    """The first number of the service's length in the words after its name (before a blank
    line), as byte offsets into ``window``: "123-456-7890 204" tries "123-456-7890" first."""
    cut = window.find("\n\n")
    window = window if cut < 0 else window[:cut]
    lengths = SERVICES[service][1]
    for m in _NUMBER.finditer(window):
        groups = _GROUP_STARTS.split(m.group(1))
        for k in range(len(groups), 0, -1):
            raw = "".join(groups[:k])
            digits = raw.replace(" ", "").replace("-", "")
            if len(digits) in lengths:
                ident = clean_mtcn(digits, service)
                if ident is None:
                    return None
                a = len(window[:m.start(1)].encode("utf-8"))
                return a, a + len(raw), ident
    return None
