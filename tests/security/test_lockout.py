"""Sign-in backoff per (user, address): a flood of wrong passwords from one address slows that
address for that user only, never the user signing in from elsewhere; the wait doubles."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tasman.core.workspace import Workspace
from tasman.serve.app import create_app
from tasman.serve.lockout import LoginBackoff
from tasman.serve.ratelimit import RateLimited
from tasman.serve.settings import Backoff, Limit, ServeSettings
from tests.serve.conftest import Client


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def waited(b: LoginBackoff, name: str, address: str) -> int:
    try:
        b.check(name, address)
    except RateLimited as exc:
        return exc.retry_after
    return 0


def test_the_wait_doubles_up_to_the_cap_and_is_per_address() -> None:
    clock = Clock()
    b = LoginBackoff(Backoff(free=5, first=1, most=900), clock)
    for _ in range(5):
        assert waited(b, "eve", "A") == 0
        b.fail("eve", "A")
    waits = []
    for _ in range(13):
        w = waited(b, "eve", "A")
        waits.append(w)
        clock.now += w            # waits it out, then fails again
        assert waited(b, "eve", "A") == 0
        b.fail("eve", "A")
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert waited(b, "eve", "B") == 0 and waited(b, "ana", "A") == 0     # other addresses, other users
    b.clear("eve", "A")                                                 # a success from A clears A
    assert waited(b, "eve", "A") == 0


def test_counts_are_forgotten_and_bounded() -> None:
    clock = Clock()
    b = LoginBackoff(Backoff(free=1, first=10, most=10, forget=100, max_keys=3), clock)
    b.fail("eve", "A")
    assert waited(b, "eve", "A") == 10
    clock.now += 100
    assert waited(b, "eve", "A") == 0
    for i in range(10):
        b.fail(f"made-up-{i}", "A")
    assert len(b._seen) == 3


def test_a_flood_from_one_address_does_not_lock_the_user_out_elsewhere(ws: Workspace, tokens: dict[str, str]) -> None:
    app = create_app(ws, ServeSettings(start_worker=False, login_per_address=Limit(100, 600),
                                       login_backoff=Backoff(free=5, first=60, most=900)))

    def client_at(address: str) -> Client:
        c = Client(app)
        c.http = TestClient(app, base_url="http://testserver", follow_redirects=False, client=(address, 40000))
        return c

    attacker, owner = client_at("203.0.113.7"), client_at("198.51.100.20")
    statuses = [attacker.login("eve", f"guess number {i}").status_code for i in range(12)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    blocked = attacker.login("eve")                      # even the right password waits, from there
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert owner.login("eve").status_code == 303         # the owner, elsewhere, signs in at once
    assert client_at("203.0.113.7").login("ana").status_code == 303   # and A's other users are not slowed


def test_the_default_policy_is_the_documented_one() -> None:
    policy = ServeSettings().login_backoff
    assert (policy.free, policy.first, policy.most) == (5, 1.0, 900.0)
