"""HTTP hardening: security headers, a request body cap, a size and nesting limit on JSON
bodies, and tokens for anonymous forms.

The CSP allows scripts and styles only from our own static files: no inline script, no inline
style, no eval; pages pass data to scripts in ``<script type="application/json">`` blocks or
``data-`` attributes, and htmx runs with eval and its inline indicator styles switched off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasman.core import safejson

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"cross-origin-resource-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SecurityHeaders:
    """Adds the headers to every response; HSTS too when the request came over TLS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in HEADERS]
                headers += list(HEADERS.items())
                if tls:
                    headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await _too_large(send, self.limit)


class BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f"request too large (at most {limit} bytes)".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class JsonBodyLimit:
    """Every JSON request body goes through :mod:`tasman.core.safejson` before a route sees it:
    over ``limit`` bytes it is answered 413, nested deeper than ``max_depth`` 422, each with one
    line, never a 500 (FastAPI would parse it with ``json.loads``, which recurses once a level).

    A body is JSON when its content type is ``application/json`` or ``*/*+json``, or when it has
    none at all (FastAPI reads such a body as JSON too). Other bodies (forms, uploads) pass
    untouched; an uploaded file parsed as JSON is held to the same limit by its importer."""

    def __init__(self, app: ASGIApp, limit: int, max_depth: int = safejson.MAX_DEPTH) -> None:
        self.app, self.limit, self.max_depth = app, limit, max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _json_body(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":       # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _answer(send, 413, f"JSON body too large (at most {self.limit} bytes)")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            safejson.check(body, self.max_depth, self.limit)
        except safejson.DepthError as exc:
            await _answer(send, 422, str(exc))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _json_body(scope: Scope) -> bool:
    """Whether FastAPI may parse this body as JSON: no Content-Type, an empty one, or any of its
    lines naming JSON (FastAPI reads the first line; ``dict`` of the headers would keep the last)."""
    if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
        return False
    declared = [v for k, v in scope.get("headers", []) if k.lower() == b"content-type"]
    if not declared:
        return True
    kinds = [v.split(b";", 1)[0].strip().lower() for v in declared]
    return any(not k or k == b"application/json" or k.endswith(b"+json") for k in kinds)


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# ---- anonymous forms (login, public report): a signed double-submit token ---------------------

FORM_COOKIE = "tasman_form"


def new_form_nonce() -> str:
    return secrets.token_urlsafe(24)


def form_token(key: bytes, nonce: str) -> str:
    return hmac.new(key, nonce.encode("utf-8"), hashlib.sha256).hexdigest()


def check_form_token(key: bytes, nonce: str | None, token: str | None) -> bool:
    if not nonce or not token:
        return False
    return hmac.compare_digest(form_token(key, nonce), token)
