"""A labelled corpus for identifier extraction: neutral messages, log lines and order rows with
made-up identifiers whose true normalised values are known, mixed with decoys that look like
identifiers and are not (dates, times, order numbers, prices, bad checksums, invalid IBANs).

Every value is drawn from a seeded RNG and is valid only by construction (checksums computed
here); none belongs to anyone. Used by the quality tests and by ``bench/extract.py``.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import base58
import bech32m
import phonenumbers
from schwifty import IBAN

from tasman.extract.identifiers import clean_city
from tasman.extract.payments import eip55, luhn_ok

Truth = tuple[str, str]  # (type, normalised value)


@dataclass(frozen=True)
class LabelledDoc:
    text: str
    truth: frozenset[Truth]
    region: str | None = None


_FIRST = ["anna", "ben", "carla", "dmitri", "elif", "farid", "greta", "hugo", "ines", "jonas", "kemal", "lena",
          "marek", "nora", "omar", "pia", "quinn", "rosa", "sami", "tariq", "ugo", "vera", "wim", "yara", "zoltan"]
_LAST = ["smith", "novak", "garcia", "muller", "rossi", "dubois", "jansen", "kowalski", "silva", "okafor", "tanaka",
         "larsen", "horvat", "petrov", "nguyen", "haddad", "mensah", "costa", "fischer", "ivanova"]
_WORDS = ["blue", "river", "stone", "maple", "north", "cloud", "amber", "delta", "orbit", "pixel", "cedar", "lumen"]
_TLDS = ["com", "org", "net", "de", "fr", "nl", "co.uk", "com.au", "io", "it", "es", "pl", "ca", "info"]
_REGIONS = ["GB", "DE", "FR", "US", "AU", "NL", "ES", "IT", "BR", "IN", "PH", "NG", "ZA", "MX", "CA", "PL", "SE",
            "JP", "KE", "ID"]
_IBAN_BANKS = {"GB": ("NWBK", "601613", 8), "NL": ("ABNA", "", 10), "FR": ("30006", "00001", 11),
               "IT": ("03069", "09606", 12), "AT": ("19043", "", 11), "CH": ("00762", "", 12),
               "PL": ("10901014", "", 16), "DE": ("37040044", "", 10)}
_CITIES = [("Leeds", "GB"), ("Manchester", "GB"), ("Lyon", "FR"), ("Marseille", "FR"), ("Hamburg", "DE"),
           ("Munich", "DE"), ("Rotterdam", "NL"), ("Seville", "ES"), ("Porto", "PT"), ("Krakow", "PL"),
           ("Toronto", "CA"), ("Melbourne", "AU"), ("Chicago", "US"), ("Houston", "US"), ("Manila", "PH"),
           ("Lagos", "NG"), ("Nairobi", "KE"), ("Mumbai", "IN"), ("Osaka", "JP"), ("Gothenburg", "SE"),
           ("Guadalajara", "MX"), ("Recife", "BR"), ("Durban", "ZA"), ("Turin", "IT")]
_COUNTRIES = [("France", "FR"), ("Germany", "DE"), ("Brazil", "BR"), ("Canada", "CA"), ("Australia", "AU"),
              ("Poland", "PL"), ("Netherlands", "NL"), ("Spain", "ES"), ("Kenya", "KE"), ("Philippines", "PH"),
              ("Mexico", "MX"), ("Sweden", "SE"), ("Italy", "IT"), ("Nigeria", "NG"), ("Japan", "JP")]
_FILLER = ["Thanks for the update.", "See you tomorrow then.", "The meeting moved to the afternoon.",
           "Weather is fine here.", "I will send the files later.", "Let me know when you are free.",
           "No rush, take your time.", "The parcel should arrive next week.", "Battery is almost empty.",
           "Ok, noted.", "Can we talk later tonight?", "Sorry for the late reply."]


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    # ---- true identifiers: (rendered text, truths) ------------------------------------

    def domain(self) -> str:
        return f"{self.r.choice(_WORDS)}{self.r.choice(_WORDS)}{self.r.randint(1, 99)}.{self.r.choice(_TLDS)}"

    def email(self) -> tuple[str, set[Truth]]:
        local = f"{self.r.choice(_FIRST)}{self.r.choice(['.', '_', ''])}{self.r.choice(_LAST)}{self.r.randint(1, 999)}"
        dom = self.domain()
        shown = dom.upper() if self.r.random() < 0.15 else dom
        text = self.r.choice(["{}", "<{}>", "mailto:{}", "{}"]).format(f"{local}@{shown}")
        return text, {("email", f"{local}@{dom}")}

    def phone(self, region: str | None) -> tuple[str, set[Truth]]:
        cc = region or self.r.choice(_REGIONS)
        ex = phonenumbers.example_number_for_type(cc, phonenumbers.PhoneNumberType.MOBILE)
        assert ex is not None
        for _ in range(50):
            nat = str(ex.national_number)
            keep = max(2, len(nat) - 5)
            num = phonenumbers.parse(f"+{ex.country_code}{nat[:keep]}{self.digits(len(nat) - keep)}")
            if phonenumbers.is_valid_number(num):
                break
        else:
            num = ex
        e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        fmt = self.r.choice([phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164])
        if region and self.r.random() < 0.6:
            fmt = phonenumbers.PhoneNumberFormat.NATIONAL
        return phonenumbers.format_number(num, fmt), {("phone", e164)}

    def ip(self) -> tuple[str, set[Truth]]:
        while True:
            if self.r.random() < 0.8:
                ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(self.r.getrandbits(32))
            else:
                ip = ipaddress.IPv6Address((0x2A00 + self.r.randint(0, 0xFF)) << 112 | self.r.getrandbits(112))
            if not ip.is_multicast and not ip.is_unspecified and not ip.is_reserved:
                return str(ip), {("ip", str(ip))}

    def iban(self) -> tuple[str, set[Truth]]:
        cc = self.r.choice(sorted(_IBAN_BANKS))
        bank, branch, n = _IBAN_BANKS[cc]
        iban = IBAN.generate(cc, bank_code=bank, branch_code=branch, account_code=self.digits(n))
        return (iban.formatted if self.r.random() < 0.6 else iban.compact), {("iban", iban.compact)}

    def btc(self) -> tuple[str, set[Truth]]:
        kind = self.r.random()
        if kind < 0.5:
            addr = base58.b58encode_check(bytes([self.r.choice([0, 5])]) + self.r.randbytes(20)).decode()
        elif kind < 0.8:
            addr = bech32m.encode("bc", 0, self.r.randbytes(20))
        else:
            addr = bech32m.encode("bc", 1, self.r.randbytes(32))
        return addr, {("btc", addr)}

    def eth(self) -> tuple[str, set[Truth]]:
        addr = eip55(self.r.randbytes(20).hex())
        return (addr if self.r.random() < 0.7 else addr.lower()), {("eth", addr)}

    def card(self) -> tuple[str, set[Truth]]:
        prefix = self.r.choice(["4", "51", "52", "55"])
        body = prefix + self.digits(15 - len(prefix))
        num = next(body + d for d in "0123456789" if luhn_ok(body + d))
        brand = "visa" if prefix == "4" else "mastercard"
        return " ".join(num[i:i + 4] for i in range(0, 16, 4)), {("card", f"{brand}:{num[-4:]}")}

    def handle(self) -> tuple[str, set[Truth]]:
        name = f"{self.r.choice(_FIRST)}_{self.r.choice(_LAST)}{self.r.randint(1, 99)}"
        platform, template = self.r.choice([
            ("skype", "my skype is {}"), ("skype", "skype: live:{}"), ("telegram", "telegram @{}"),
            ("kik", "kik: {}"), ("snapchat", "add me on snap: {}"), ("discord", "discord {}#{}"),
            ("wickr", "wickr me: {}"), ("instagram", "insta @{}"), ("telegram", "find me on telegram: {}"),
        ])
        name = name[:14] if platform == "snapchat" else name
        if platform == "discord":
            tag = self.digits(4)
            return template.format(name, tag), {("handle", f"discord:{name}#{tag}")}
        value = f"live:{name}" if "live:" in template else name
        return template.format(name), {("handle", f"{platform}:{value.casefold()}")}

    def paypal(self) -> tuple[str, set[Truth]]:
        text, truth = self.email()
        text = text.removeprefix("mailto:").strip("<>")
        value = next(iter(truth))[1]
        return f"paypal: {text}", {("email", value), ("paypal", value)}

    def mtcn(self) -> tuple[str, set[Truth]]:
        if self.r.random() < 0.6:
            n = self.digits(10)
            shown = self.r.choice([n, f"{n[:3]}-{n[3:6]}-{n[6:]}"])
            return f"{self.r.choice(['Western Union MTCN', 'WU control number', 'MTCN:'])} {shown}", \
                {("mtcn", f"westernunion:{n}")}
        n = self.digits(8)
        return f"MoneyGram reference {n}", {("mtcn", f"moneygram:{n}")}

    def url(self) -> tuple[str, set[Truth]]:
        dom = self.domain()
        url = f"https://www.{dom}/{self.r.choice(_WORDS)}/{self.r.randint(1, 9999)}"
        return url, {("url", url), ("domain", dom)}

    def place(self) -> tuple[str, set[Truth]]:
        if self.r.random() < 0.5:
            name, cc = self.r.choice(_CITIES)
            city = clean_city(name, cc)  # the gazetteer's own name is the normal form ("Seville" -> ES:sevilla)
            assert city is not None, name
            return f"{self.r.choice(['I live in', 'based in', 'moved to', 'I am from'])} {name}", \
                {("city", city.value)}
        name, cc = self.r.choice(_COUNTRIES)
        return f"{self.r.choice(['I am from', 'currently in', 'travelling to'])} {name}", {("country", cc)}

    # ---- decoys: look like identifiers, are none -------------------------------------------

    def decoy(self) -> str:
        r = self.r
        y, m, d = r.randint(2015, 2025), r.randint(1, 12), r.randint(1, 28)
        choices: list[Callable[[], str]] = [
            lambda: f"on {y}-{m:02d}-{d:02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
            lambda: f"due {d:02d}/{m:02d}/{y}",
            lambda: f"date {d}.{m}.{y}",
            lambda: f"Order #{y}{m:02d}{d:02d}{self.digits(4)}",
            lambda: f"order number {self.digits(10)}",
            lambda: f"invoice no. {self.digits(9)}",
            lambda: f"tracking {self.digits(12)}",
            lambda: f"total ${r.randint(1, 99)},{self.digits(3)}.{self.digits(2)}",
            lambda: f"price EUR {r.randint(100, 99999)},{self.digits(2)}",
            lambda: f"paid {r.randint(1000, 999999)} USD",
            lambda: f"ref {self.digits(8)}",
            lambda: self._bad_iban(),
            lambda: self._bad_btc(),
            lambda: self._bad_eth(),
            lambda: self._bad_card(),
            lambda: f"version {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}.{r.randint(0, 999)}",
            lambda: f"sha256 {r.randbytes(32).hex()}",
            lambda: "skype is down again today",
            lambda: f"@{r.choice(_FIRST)} thanks!",
            lambda: "in January we met in the park",
            lambda: f"call me at {r.randint(6, 9)} pm",
            lambda: f"room {r.randint(100, 999)}, floor {r.randint(1, 9)}",
            lambda: f"{r.randint(1, 28)} May {y}",
        ]
        return r.choice(choices)()

    def _bad_iban(self) -> str:
        text, _ = self.iban()
        compact = text.replace(" ", "")
        i = self.r.randint(4, len(compact) - 1)
        bad = compact[:i] + str((int(compact[i]) + 1) % 10 if compact[i].isdigit() else 7) + compact[i + 1:]
        return f"account {bad}"

    def _bad_btc(self) -> str:
        text, _ = self.btc()
        i = self.r.randint(5, len(text) - 2)
        alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l" if text.startswith("bc1") else "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        return "wallet " + text[:i] + self.r.choice([c for c in alphabet if c != text[i]]) + text[i + 1:]

    def _bad_eth(self) -> str:
        addr = eip55(self.r.randbytes(20).hex())
        letters = [i for i, c in enumerate(addr) if i > 1 and c.isalpha()]
        i = self.r.choice(letters)
        return "to " + addr[:i] + addr[i].swapcase() + addr[i + 1:]

    def _bad_card(self) -> str:
        body = "4" + self.digits(15)
        while luhn_ok(body):
            body = "4" + self.digits(15)
        return "card " + " ".join(body[i:i + 4] for i in range(0, 16, 4))


_MAKERS = ("email", "phone", "ip", "iban", "btc", "eth", "card", "handle", "paypal", "mtcn", "url", "place")


def make_doc(g: _Gen) -> LabelledDoc:
    region = g.r.choice(_REGIONS) if g.r.random() < 0.25 else None
    parts: list[str] = []
    truth: set[Truth] = set()
    for _ in range(g.r.randint(1, 3)):
        kind = g.r.choice(_MAKERS)
        text, t = g.phone(region) if kind == "phone" else getattr(g, kind)()
        lead = g.r.choice(["", "", "Hi, ", "ok so ", "new one: ", "contact "])
        if kind == "card":
            lead = "card "
        parts.append(f"{lead}{text}{g.r.choice(['.', '', ' ', ', thanks.', ' !'])}")
        truth |= t
    for _ in range(g.r.randint(0, 2)):
        parts.append(g.decoy() + ".")
    if g.r.random() < 0.7:
        parts.append(g.r.choice(_FILLER))
    g.r.shuffle(parts)
    return LabelledDoc(" ".join(parts), frozenset(truth), region)


def make_corpus(n: int, seed: int = 7) -> list[LabelledDoc]:
    g = _Gen(seed)
    return [make_doc(g) for _ in range(n)]


def _log_line(g: _Gen) -> str:
    r = g.r
    return (f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
            f"{r.randint(0, 59):02d}Z INFO worker-{r.randint(1, 16)} request id={g.digits(12)} "
            f"status={r.choice([200, 200, 200, 304, 404, 500])} bytes={r.randint(100, 99999)} "
            f"took={r.randint(1, 999)}ms path=/api/v1/items/{r.randint(1, 99999)}")


def mixed_lines(seed: int = 11, pool: int = 20000) -> Iterator[str]:
    """An endless mix for throughput runs: labelled messages, plain log lines without
    identifiers, log lines with a client IP, CSV order rows."""
    g = _Gen(seed)
    docs = [make_doc(g).text for _ in range(pool)]
    logs = [_log_line(g) for _ in range(pool)]
    while True:
        k = g.r.random()
        if k < 0.45:
            yield g.r.choice(docs)
        elif k < 0.8:
            yield g.r.choice(logs)
        elif k < 0.9:
            yield f"{g.r.choice(logs)} client={g.ip()[0]}"
        else:
            email, _ = g.email()
            name = f"{g.r.choice(_FIRST)} {g.r.choice(_LAST)}"
            yield f"{g.digits(8)},{name},{email},{g.r.randint(1, 500)}.{g.digits(2)},EUR"
