"""Secreview: ``X-Forwarded-For`` as proxies really write it.

A proxy that appends ``address:port`` (IPv4) must still name the client; were the hop read as no
address, every client behind that proxy would share the proxy's address, and so one rate limit
and one sign-in backoff (anyone could keep everyone out). Forged variants stay unread.
"""

from __future__ import annotations

import pytest

from tasman.serve.proxies import real_client
from tests.security.test_proxy import ALICE, TRUSTED


@pytest.mark.parametrize(("header", "expected"), [
    ([f"{ALICE}:4711"], ALICE),                                     # IPv4 with the port the proxy saw
    ([f"1.2.3.4, {ALICE}:4711"], ALICE),
    (["[2001:db8::7]:443"], "2001:db8::7"),                         # IPv6 with a port
    ([f" {ALICE} ,  "], ALICE),                                     # spaces and an empty hop
    ([f"{ALICE}", "unknown"], "10.0.0.2"),                          # 'unknown' stops at the last trusted hop
    ([f"{ALICE}:notaport"], "10.0.0.2"),
    ([f"{ALICE}, 10.0.0.9:80"], ALICE),                             # a trusted hop with a port is still trusted
])
def test_real_client_reads_ports_and_refuses_the_rest(header: list[str], expected: str) -> None:
    assert real_client("10.0.0.2", header, TRUSTED) == expected
