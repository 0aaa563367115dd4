"""Who the client is behind a reverse proxy: the trusted-proxy setting and ``X-Forwarded-For``.

Guarantee: ``X-Forwarded-For`` is believed only from a peer named in the trusted set, and only
as far as it was written by trusted proxies. The client is the right-most address in the header
that is not a trusted proxy (each proxy appends the address it saw, so everything left of that
was written by the client and may be forged). A request from any other peer is keyed on the
peer, whatever it sends. Rate limits and the reporter's address digest use this address; the
per-address limits and the sign-in backoff count an IPv6 address by its /64 (``limit_key``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from tasman.core.errors import InputError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[object], where: str = "--trusted-proxy") -> tuple[Network, ...]:
    """``10.0.0.1``, ``10.0.0.0/8``, ``::1``: an InputError naming the value that is neither."""
    out: list[Network] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where}: {value!r} is not an address or network (e.g. 10.0.0.1 or 10.0.0.0/8)")
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise InputError(f"{where}: {value!r} is not an address or network ({exc})") from None
    return tuple(out)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1 and text.partition(":")[2].isdigit():   # "203.0.113.5:4711" (some proxies add the port)
        text = text.partition(":")[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: Address, trusted: tuple[Network, ...]) -> bool:
    return any(addr.version == net.version and addr in net for net in trusted)


def limit_key(address: str) -> str:
    """The key a per-address limit counts ``address`` under: an IPv6 address as its /64 (one
    host or site is routinely given a whole /64, so counting single IPv6 addresses would let it
    try 2**64 times); an IPv4 address, or anything else, as it is."""
    addr = _address(address)
    if isinstance(addr, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return address


def real_client(peer: str | None, forwarded_for: list[str], trusted: tuple[Network, ...]) -> str:
    """The client's address: the peer, or (from a trusted peer) the right-most untrusted hop of
    ``X-Forwarded-For`` (all its header lines, in order). A hop that is not an address stops the
    walk at the last trusted one: it cannot have been written by a proxy we trust."""
    if not peer:
        return "unknown"
    current = _address(peer)
    if current is None or not trusted or not _trusted(current, trusted):
        return peer
    hops = [h for line in forwarded_for for h in line.split(",") if h.strip()]
    for hop in reversed(hops):
        addr = _address(hop)
        if addr is None:
            break
        current = addr
        if not _trusted(addr, trusted):
            break
    return str(current)
