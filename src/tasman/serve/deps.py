"""Who is asking and what they may see: the dependencies every route uses.

- Pages authenticate with the session cookie and check a CSRF token on every POST.
- The API authenticates with ``Authorization: Bearer <token>`` only (no cookies, so no CSRF).
- A case is reachable only by its members; anyone else gets the same 404 as for a case that
  does not exist (the attempt is audited), and every request that reaches a case is audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import (
    AlreadyExistsError,
    InputError,
    IntegrityError,
    LimitError,
    NotFoundError,
    PermissionDeniedError,
    TasmanError,
)
from tasman.core.models import Case
from tasman.core.workspace import Workspace
from tasman.serve import accounts
from tasman.serve.jobs import ParamsError
from tasman.serve.models import User, WebSession
from tasman.serve.ratelimit import RateLimiter
from tasman.serve.roles import Perm, allowed
from tasman.serve.settings import ServeSettings
from tasman.serve.thumbs import Grants

SESSION_COOKIE = "tasman_session"


class LoginRequired(TasmanError):
    """A page needs a signed-in user: the handler redirects to the login page."""


class Unauthorized(TasmanError):
    """An API call without a valid token (401)."""


class CsrfFailed(TasmanError):
    """A form arrived without the page's CSRF token (403)."""


STATUS: list[tuple[type[TasmanError], int]] = [
    (LoginRequired, 401), (Unauthorized, 401), (CsrfFailed, 403), (PermissionDeniedError, 403),
    (NotFoundError, 404), (AlreadyExistsError, 409), (IntegrityError, 409), (ParamsError, 422),
    (LimitError, 422), (InputError, 400),
]


def error_status(exc: TasmanError) -> int:
    """The HTTP status of a library error (anything unexpected is a 500)."""
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 500)


@dataclass
class AppState:
    ws: Workspace
    settings: ServeSettings
    limiter: RateLimiter
    app_key: bytes
    grants: Grants = field(default_factory=Grants)


@dataclass
class Viewer:
    user: User
    channel: str                      # "web" | "api"
    web_session: WebSession | None = None

    @property
    def name(self) -> str:
        return self.user.name

    def can(self, perm: Perm) -> bool:
        return allowed(self.user.role, perm)

    def need(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDeniedError(f"your role ({self.user.role}) may not {perm.value.replace('_', ' ')}")


@dataclass
class CaseCtx:
    case: Case
    viewer: Viewer
    session: Session
    job_error: str = ""      # why a job the page's form asked for was not started (shown on the page)

    @property
    def ref(self) -> str:
        return self.case.ref


def state(request: Request) -> AppState:
    st: AppState = request.app.state.tasman
    return st


def db(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (``scope="function"``
    everywhere): a browser that follows a redirect must find what the POST stored."""
    with state(request).ws.session() as s:
        yield s


DB = Depends(db, scope="function")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def page_user(request: Request, s: Session = DB) -> Viewer:
    raw = request.cookies.get(SESSION_COOKIE)
    found = accounts.lookup_session(s, raw) if raw else None
    if found is None:
        raise LoginRequired("please sign in")
    return Viewer(found[0], "web", found[1])


async def csrf_protect(request: Request, viewer: Viewer = Depends(page_user)) -> Viewer:
    """Every state-changing page request carries the session's synchronizer token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return viewer
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    assert viewer.web_session is not None
    if not sent or not accounts.same_secret(sent, viewer.web_session.csrf_token):
        raise CsrfFailed("the form expired or did not come from this site; reload the page and try again")
    return viewer


bearer = HTTPBearer(auto_error=False, description="An API token from `tasman user token NAME`.")


def api_user(s: Session = DB, cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Viewer:
    user = accounts.user_for_token(s, cred.credentials) if cred is not None else None
    if user is None:
        raise Unauthorized("a valid API token is required (Authorization: Bearer ...)")
    return Viewer(user, "api")


def case_access(request: Request, ref: str, s: Session, viewer: Viewer) -> CaseCtx:
    from sqlalchemy import select

    case = s.scalar(select(Case).where(Case.ref == ref))
    if case is None or not accounts.is_member(s, viewer.user, case):
        audit.record(s, viewer.name, "case.access.denied", case_ref=ref if case else None,
                     target=request.url.path, channel=viewer.channel, exists=case is not None)
        s.commit()  # the denial is kept although the request fails (and rolls back what follows)
        raise NotFoundError(f"no case {ref!r}")
    audit.record(s, viewer.name, "case.read" if request.method == "GET" else "case.request", case_ref=ref,
                 target=request.url.path, method=request.method, channel=viewer.channel)
    return CaseCtx(case, viewer, s)


def page_case(request: Request, ref: str, s: Session = DB, viewer: Viewer = Depends(csrf_protect)) -> CaseCtx:
    return case_access(request, ref, s, viewer)


def api_case(request: Request, ref: str, s: Session = DB, viewer: Viewer = Depends(api_user)) -> CaseCtx:
    return case_access(request, ref, s, viewer)
