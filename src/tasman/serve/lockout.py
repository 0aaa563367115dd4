"""Sign-in backoff per (user name, client address), kept in the server's memory.

A lockout per user name alone lets anyone who knows a name keep its owner out. Here failures
count per user name *and* address: after ``free`` failures from one address, that address waits
``first`` seconds before its next try for that user, then twice as long after each further
failure, up to ``most`` seconds. Failures from other addresses never slow the user's own
address; a successful sign-in from an address clears its count. An address's count is forgotten
``forget`` seconds after its last failure; at most ``max_keys`` pairs are kept (the oldest go
first), so a flood of made-up names cannot fill the memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from tasman.serve.proxies import limit_key
from tasman.serve.ratelimit import RateLimited
from tasman.serve.settings import Backoff


@dataclass
class _Failures:
    count: int
    last: float


class LoginBackoff:
    def __init__(self, policy: Backoff | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or Backoff()
        self.clock = clock
        self._seen: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, count: int) -> float:
        """Seconds an address waits after ``count`` failures (0 while it has tries left)."""
        p = self.policy
        if count < p.free:
            return 0.0
        return float(min(p.most, p.first * 2.0 ** min(count - p.free, 64)))

    def _get(self, key: tuple[str, str], now: float) -> _Failures | None:
        found = self._seen.get(key)
        if found is not None and now - found.last >= self.policy.forget:
            del self._seen[key]
            return None
        return found

    def check(self, name: str, address: str) -> None:
        """Raise :class:`RateLimited` while this address must wait before trying NAME again."""
        now = self.clock()
        with self._lock:
            found = self._get((name, limit_key(address)), now)
            if found is None:
                return
            left = found.last + self.wait(found.count) - now
        if left > 0:
            raise RateLimited(max(1, int(left + 0.999)))

    def fail(self, name: str, address: str) -> None:
        now = self.clock()
        key = (name, limit_key(address))
        with self._lock:
            found = self._get(key, now)
            if found is None:
                found = self._seen[key] = _Failures(0, now)
            found.count, found.last = found.count + 1, now
            self._seen.move_to_end(key)
            while len(self._seen) > self.policy.max_keys:
                self._seen.popitem(last=False)

    def clear(self, name: str, address: str) -> None:
        with self._lock:
            self._seen.pop((name, limit_key(address)), None)
