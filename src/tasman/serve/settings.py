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
class ServeSettings:
    secure_cookies: bool = False          # force the Secure flag (set automatically behind TLS)
    max_body_bytes: int = 60 * 1024 * 1024  # any request body; per-file limits are tighter
    max_json_bytes: int = 2 * 1024 * 1024   # a JSON request body (its nesting is limited too: core.safejson)
    max_records_bytes: int = 50 * 1024 * 1024  # one uploaded records file
    login_per_address: Limit = field(default_factory=lambda: Limit(20, 600))
    login_failures_per_user: Limit = field(default_factory=lambda: Limit(8, 900))
    reports_per_address: Limit = field(default_factory=lambda: Limit(5, 3600))
    uploads_per_user: Limit = field(default_factory=lambda: Limit(30, 600))
    start_worker: bool = True
    evidence_root: Path | None = None     # the only folder the web app may record evidence from
    blurred_previews: bool = False        # the review gate for perceptual matches (off unless turned on)
    thumbnail_grant_seconds: float = 60.0
