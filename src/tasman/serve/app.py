"""The FastAPI application: pages, ``/api/v1`` and ``/report`` over one workspace.

Each stage has one router module in ``routes/`` holding its pages and its API endpoints side
by side; both call the same library functions the CLI calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from tasman import __version__
from tasman.core.errors import TasmanError
from tasman.core.workspace import Workspace
from tasman.serve import (
    accesslog,
    jobkinds,  # noqa: F401  (registers the job kinds)
    jobs,
)
from tasman.serve.assets import static_dir
from tasman.serve.deps import AppState, LoginRequired, Unauthorized, audit_refusal, error_status
from tasman.serve.lockout import LoginBackoff
from tasman.serve.ratelimit import RateLimited, RateLimiter
from tasman.serve.routes import ROUTERS
from tasman.serve.secrets_store import app_key
from tasman.serve.security import BodyLimit, JsonBodyLimit, SecurityHeaders
from tasman.serve.settings import ServeSettings
from tasman.serve.web import render

DESCRIPTION = """The Tasman API: everything the web pages do, as JSON.

Authenticate with `Authorization: Bearer <token>`. A person issues their own tokens (the Account
page, or `tasman user token NAME` with their password); an admin issues a partner system's. A
token has scopes (`read` for GET, `write` for other methods, `review` for an examiner's decision
on a match) on top of its user's role, expires (90 days by default, at most 365), and ends when
revoked or when its user's password changes. A token sees only the cases its user is a member of;
other cases answer 404. Every read of case data is written to the case's audit log, and so is
every refused request on a case (`access.refused`)."""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/m/"))   # /m/: the HMA-compatible lookup API


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    response = render(request, "error.html", None, status_code=status, status=status, message=message)
    response.headers.update(headers or {})
    return response


def create_app(ws: Workspace, settings: ServeSettings | None = None) -> FastAPI:
    settings = settings or ServeSettings()
    accesslog.install()  # never a reporter's address in uvicorn's access log
    st = AppState(ws=ws, settings=settings, limiter=RateLimiter(), app_key=app_key(ws.root),
                  backoff=LoginBackoff(settings.login_backoff))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.start_worker:
            jobs.requeue_interrupted(ws)
            worker = jobs.Worker(ws)
            worker.start()
        yield
        if worker is not None:
            worker.stop()

    app = FastAPI(title="Tasman", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json")
    app.state.tasman = st
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(TasmanError)
    async def tasman_error(request: Request, exc: TasmanError) -> Response:
        if isinstance(exc, LoginRequired) and not _is_api(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        status = error_status(exc)
        audit_refusal(request, status, exc)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return _error(request, status, str(exc), headers)

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> Response:
        return _error(request, 429, str(exc), {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}) or None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "input"
        return _error(request, 400, f"{where}: {first.get('msg', 'invalid')}")

    app.add_middleware(JsonBodyLimit, limit=settings.max_json_bytes)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str, bytes: lambda b: b.decode("latin-1")})
