"""Secreview: per-address limits count an IPv6 client by its /64.

One host or site is routinely given a whole /64; counting single IPv6 addresses let one client
take a fresh address for every sign-in guess (past the per-address limit and the backoff) or
every anonymous report. IPv4 addresses, and IPv6 clients in other /64s, stay apart.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tasman.core.workspace import Workspace
from tasman.serve.lockout import LoginBackoff
from tasman.serve.proxies import limit_key
from tasman.serve.settings import Backoff, Limit
from tests.security.test_lockout import Clock, waited
from tests.security.test_proxy import PASSWORD, client, clients, db_url, login, make_app

__all__ = ["clients", "db_url"]


def test_limit_key() -> None:
    assert limit_key("2001:db8:1:2:aaaa::1") == limit_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert limit_key("2001:db8:1:3::1") != limit_key("2001:db8:1:2::1")
    assert limit_key("203.0.113.5") == "203.0.113.5" and limit_key("testclient") == "testclient"


def test_the_backoff_counts_a_64_as_one_address() -> None:
    b = LoginBackoff(Backoff(free=5, first=1, most=900), Clock())
    for i in range(6):
        b.fail("ana", f"2001:db8::{i + 1:x}")
    assert waited(b, "ana", "2001:db8::ffff") > 0
    assert waited(b, "ana", "2001:db8:0:1::1") == 0        # another /64 is another address


def test_sign_in_guesses_from_one_64_share_its_limit(ws: Workspace, clients: list[TestClient]) -> None:
    app = make_app(ws, login_per_address=Limit(3, 600))
    codes = [login(client(clients, app, forwarded=f"2001:db8:1:2::{i + 1:x}"), f"user{i}", "guess guess guess")
             for i in range(4)]
    assert codes == [401, 401, 401, 429]
    assert login(client(clients, app, forwarded="2001:db8:9:9::1"), "ana", PASSWORD) == 303
