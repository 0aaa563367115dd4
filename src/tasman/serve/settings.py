"""What an operator may tune when starting the server (``tasman serve`` options)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasman.core.errors import InputError
from tasman.serve.proxies import Network, parse_networks


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
    max_json_bytes: int = 2 * 1024 * 1024   # a JSON request body (its nesting is limited too: core.safejson)
    max_records_bytes: int = 50 * 1024 * 1024  # one uploaded records file
    login_per_address: Limit = field(default_factory=lambda: Limit(20, 600))
    login_backoff: Backoff = field(default_factory=Backoff)
    reports_per_address: Limit = field(default_factory=lambda: Limit(5, 3600))
    uploads_per_user: Limit = field(default_factory=lambda: Limit(30, 600))
    lookups_per_user: Limit = field(default_factory=lambda: Limit(600, 60))   # the HMA-compatible /m/ API
    max_lookup_bytes: int = 50 * 1024 * 1024   # one picture or video handed to /m/lookup (upload or URL)
    hma_url_hosts: tuple[str, ...] = ()        # hosts (or host:port) /m/lookup?url= may fetch from (none: off)
    start_worker: bool = True
    evidence_root: Path | None = None     # the only folder the web app may record evidence from
    blurred_previews: bool = False        # the review gate for perceptual matches (off unless turned on)
    thumbnail_grant_seconds: float = 60.0
    trusted_proxies: tuple[Network, ...] = ()  # peers whose X-Forwarded-For is believed (tasman.serve.proxies)
    access_log: bool = True                # uvicorn's access log (never with the address on /report)


def from_config(config: dict[str, Any]) -> dict[str, Any]:
    """The ``serve:`` section of ``tasman.yaml`` as ServeSettings arguments; InputError for what it
    cannot use (an unknown key, a value of the wrong type, a bad address)."""
    section = config.get("serve") or {}
    if not isinstance(section, dict):
        raise InputError("tasman.yaml: 'serve' must be a mapping (trusted_proxies, access_log, hma_url_hosts)")
    unknown = sorted(set(section) - {"trusted_proxies", "access_log", "hma_url_hosts"})
    if unknown:
        raise InputError(f"tasman.yaml: unknown serve setting(s) {', '.join(map(str, unknown))}: "
                         "use trusted_proxies, access_log or hma_url_hosts")
    out: dict[str, Any] = {}
    if "trusted_proxies" in section:
        proxies = section["trusted_proxies"]
        if not isinstance(proxies, list):
            raise InputError("tasman.yaml: serve.trusted_proxies must be a list of addresses or networks")
        out["trusted_proxies"] = parse_networks(proxies, "tasman.yaml serve.trusted_proxies")
    if "access_log" in section:
        if not isinstance(section["access_log"], bool):
            raise InputError("tasman.yaml: serve.access_log must be true or false")
        out["access_log"] = section["access_log"]
    if "hma_url_hosts" in section:
        hosts = section["hma_url_hosts"]
        if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() and "/" not in h for h in hosts):
            raise InputError("tasman.yaml: serve.hma_url_hosts must be a list of host names (no scheme or path)")
        out["hma_url_hosts"] = tuple(h.strip().lower() for h in hosts)
    return out
