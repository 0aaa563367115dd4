"""Sliding-window rate limits kept in the server's memory.

One server process serves a workspace (``tasman serve``), so memory is enough and survives no
restart, which for abuse protection is acceptable: a restart is rarer than a window.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from tasman.serve.settings import Limit


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after} seconds")
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _window(self, bucket: str, key: str, limit: Limit, now: float) -> deque[float]:
        q = self._hits.setdefault((bucket, key), deque())
        while q and q[0] <= now - limit.seconds:
            q.popleft()
        return q

    def check(self, bucket: str, key: str, limit: Limit) -> None:
        """Raise :class:`RateLimited` if the limit is reached, without counting this attempt."""
        now = time.monotonic()
        with self._lock:
            q = self._window(bucket, key, limit, now)
            if len(q) >= limit.count:
                raise RateLimited(max(1, int(q[0] + limit.seconds - now) + 1))

    def hit(self, bucket: str, key: str, limit: Limit) -> None:
        """Check, then count this attempt."""
        now = time.monotonic()
        with self._lock:
            q = self._window(bucket, key, limit, now)
            if len(q) >= limit.count:
                raise RateLimited(max(1, int(q[0] + limit.seconds - now) + 1))
            q.append(now)

    def reset(self, bucket: str, key: str) -> None:
        with self._lock:
            self._hits.pop((bucket, key), None)
