"""Local fakes of hash-exchange APIs (a real HTTP server on 127.0.0.1) and the redirect that
sends python-threatexchange's requests for an exchange's real address to them.

``redirect`` works at the HTTP layer (``requests.adapters.HTTPAdapter.send``): the library builds
its URLs, sessions, authentication, retries and parsing exactly as it does against the real
exchange, and only the connection goes to the fake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from requests.adapters import HTTPAdapter


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


Answer = tuple[int, bytes, str]     # status, body, content type
Respond = Callable[[Request], Answer]


class FakeServer:
    """Answers every request with ``respond(request)``; keeps every request in ``requests``."""

    def __init__(self, respond: Respond) -> None:
        self.requests: list[Request] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(self.command, url.path, {k: v[0] for k, v in parse_qs(url.query).items()},
                              self.rfile.read(length) if length else b"", dict(self.headers))
                fake.requests.append(req)
                status, body, ctype = respond(req)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def redirect(monkeypatch: pytest.MonkeyPatch, prefix: str, to: str) -> None:
    """Requests for URLs starting with ``prefix`` go to ``to`` instead (same path and query)."""
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.url.startswith(prefix):
            request.url = to + request.url[len(prefix):]
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
