"""What an operator may tune when starting the server (``tasman serve`` options)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events per ``seconds`` for one key (an address, a user name)."""

    count: int
    seconds: float


@dataclass(frozen=True)
class Backoff:
    """Sign-in backoff per (user name, address): see ``tasman.serve.lockout``."""

    free: int = 5              # failures from one address before it has to wait
    first: float = 1.0         # the first wait, in seconds; each further failure doubles it
    most: float = 900.0        # the longest wait (15 minutes)
    forget: float = 86400.0    # an address's count is forgotten this long after its last failure
    max_keys: int = 100_000    # (user, address) pairs kept at most; the oldest go first


@dataclass(frozen=True)
class ServeSettings:
    secure_cookies: bool = False          # force the Secure flag (set automatically behind TLS)
    max_body_bytes: int = 60 * 1024 * 1024  # any request body; per-file limits are tighter
    max_records_bytes: int = 50 * 1024 * 1024  # one uploaded records file
    login_per_address: Limit = field(default_factory=lambda: Limit(20, 600))
    login_backoff: Backoff = field(default_factory=Backoff)
    reports_per_address: Limit = field(default_factory=lambda: Limit(5, 3600))
    uploads_per_user: Limit = field(default_factory=lambda: Limit(30, 600))
    start_worker: bool = True
    evidence_root: Path | None = None     # the only folder the web app may record evidence from
    blurred_previews: bool = False        # the review gate for perceptual matches (off unless turned on)
    thumbnail_grant_seconds: float = 60.0
