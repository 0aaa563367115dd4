"""The shortcuts for new identifiers give the libraries' answers, value for value, and a scan
with them finds the same identifiers, in the same order, at the same offsets, as one without."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import astuple

import pytest

from tasman.extract import fastcheck
from tasman.extract.detectors import email as email_detector
from tasman.extract.detectors import network as network_detector
from tasman.extract.identifiers import clean_email, clean_ip
from tasman.extract.payments import eip55
from tasman.extract.scan import Scanner
from tasman.synth.identifiers import _Gen, make_corpus


def _same(a: object, b: object) -> bool:
    # Identifier's meta is left out of its equality: compare it too
    return a == b and (a is None or a.meta == b.meta)  # type: ignore[attr-defined]


def _emails(r: random.Random) -> list[str]:
    g = _Gen(5)
    out = [g.email()[0] for _ in range(400)]
    atoms = ["a", "john.smith", "x_y", "o'neil", "tag+box", "p%q", "Info", "SALES", "postmaster", "www", "ab",
             "a..b", ".a", "a.", "a b", '"q"', "ü", "a!b", "a#b", "1", "a" * 64, "a" * 65, "a" * 240]
    hosts = ["example.org", "Example.ORG", "mail.co.uk", "x.io", "a-b.com", "a--b.com", "xn--bcher-kva.de",
             "xn--abc.de", "ab--cd.net", "-a.com", "a-.com", "a..com", ".a.com", "a.com.", "localhost",
             "host.local", "x.test", "y.invalid", "z.onion", "q.arpa", "site.123", "site.c0m", "münchen.de",
             "a" * 63 + ".com", "a" * 64 + ".com", ("b" * 60 + ".") * 4 + "com", "a_b.com", "[1.2.3.4]",
             "1.2.3.4", "x.y", "nodot", "LOCAL.host.LOCAL", "ex.Test"]
    out += [f"{a}@{h}" for a in atoms for h in hosts]
    out += ["<a@example.org>", "mailto:a@example.org", " a@example.org ", "a@b@example.org", "@example.org",
            "a@", "a@example.org\n", "Name <a@example.org>"]
    for _ in range(300):
        chars = "abcXYZ019._-+'%@!"
        out.append("".join(r.choice(chars) for _ in range(r.randint(3, 20))) + r.choice([".com", ".de", ""]))
    return out


def test_email_shortcut_agrees_with_email_validator() -> None:
    values = _emails(random.Random(1))
    taken = sum(fastcheck._plain_email(v) is not None for v in values)
    assert taken > 300  # the shortcut is actually used
    for v in values:
        assert _same(fastcheck.email(v), clean_email(v)), v
        shortcut = fastcheck._plain_email(v)
        assert shortcut is None or _same(shortcut, clean_email(v)), v


def _ips(r: random.Random) -> list[str]:
    table = fastcheck._ipv4_scopes()
    assert table is not None
    ints = {0, 2**32 - 1}
    for s in table[0]:
        ints |= {max(0, s - 1), s, min(2**32 - 1, s + 1)}
    ints |= {r.getrandbits(32) for _ in range(3000)}
    out = [str(ipaddress.IPv4Address(i)) for i in sorted(ints)]
    v6 = fastcheck._scopes(6)
    assert v6 is not None
    big = {0, 1, 2, 2**128 - 1} | {r.getrandbits(128) for _ in range(500)}
    for s in v6[0]:
        big |= {max(0, s - 1), s, min(2**128 - 1, s + 1)}
    for i in sorted(big):
        a = ipaddress.IPv6Address(i)
        out += [str(a), a.exploded, a.exploded.upper()]
    out += ["01.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3.999", "1.2.3", "1.2.3.4.5", "00.0.0.0", "1.2.3.4 ",
            "::1", "::ffff:10.0.0.1", "2001:db8::1", "fe80::1", "[::1]", "1..2.3", "a.b.c.d", "1.2.3.4\n",
            "fe80::1%eth0", "::", ":::", "1:2:3:4:5:6:7:8:9", "12345::", "abcd", "::ffff:a00:1", "64:ff9b::1.2.3.4",
            "2001:db8::g", "1::2::3", "2002::1", "::ffff:0:0", "0:0:0:0:0:ffff:ffff:ffff"]
    return out


def test_ip_shortcut_agrees_with_ipaddress() -> None:
    values = _ips(random.Random(2))
    for v in values:
        assert _same(fastcheck.ip(v), clean_ip(v)), v


def _clear() -> None:
    for module in (email_detector, network_detector):
        for obj in vars(module).values():
            if callable(getattr(obj, "cache_clear", None)):
                obj.cache_clear()


def _scan_all(texts: list[str]) -> list[tuple[object, ...]]:
    _clear()
    sc = Scanner()
    out: list[tuple[object, ...]] = []
    for t in texts:
        for f in sc.scan_bytes(t.encode("utf-8")):
            out.append((*astuple(f.identifier), f.raw, f.start, f.end, f.context, f.extractor, repr(f.meta)))
    return out


def test_scan_with_shortcuts_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    r = random.Random(3)
    docs = [d.text for d in make_corpus(400, seed=99)]
    lookalikes = ["mail postmaster@Example.ORG or info@x.local, a--b@ab--cd.net; ip 010.1.2.3 and 192.168.1.1.",
                  "from 100.64.0.1 to 255.255.255.255, 0.0.0.0 and 8.8.8.8 (v 1.2.3.4) x@y.test",
                  "contact: " + "a" * 70 + "@example.org, b@" + "c" * 64 + ".com, Jürgen@münchen.de"]
    emails, ips = _emails(r), _ips(r)
    lines = [f"mail {e} and ip {i} here." for e, i in zip(emails, ips, strict=False)]
    texts = docs + lookalikes + ["\n".join(lines[k:k + 50]) for k in range(0, len(lines), 50)]
    monkeypatch.setattr(fastcheck, "ENABLED", False)
    slow = _scan_all(texts)
    monkeypatch.setattr(fastcheck, "ENABLED", True)
    fast = _scan_all(texts)
    _clear()
    assert len(slow) > 1000
    assert fast == slow


# EIP-55's own test vectors: all upper, all lower, mixed
_EIP55 = ("0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
          "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
          "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
          "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb")


@pytest.mark.parametrize("address", _EIP55)
def test_eip55_vectors(address: str) -> None:
    assert eip55(address[2:].lower()) == address
    assert eip55(address[2:].upper()) == address


def test_eip55_on_whole_strings_agrees_with_the_letter_by_letter_rule() -> None:
    """``eip55`` works on byte strings; EIP-55 as written (each hex letter upper-cased where the
    Keccak-256 digest's hex digit at its place is 8 or more) on 5,000 random addresses."""
    from Cryptodome.Hash import keccak

    def by_letter(address: str) -> str:
        lower = address.lower()
        digest = keccak.new(data=lower.encode("ascii"), digest_bits=256).hexdigest()
        return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, digest, strict=False))

    r = random.Random(55)
    addresses = ["".join(r.choice("0123456789abcdefABCDEF") for _ in range(40)) for _ in range(5000)]
    addresses += ["0" * 40, "f" * 40, "F" * 40, "9" * 40, "a" * 39 + "8"]
    for a in addresses:
        assert eip55(a) == by_letter(a), a
