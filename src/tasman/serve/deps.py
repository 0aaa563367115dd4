"""Who is asking and what they may see: the dependencies every route uses.

- Pages authenticate with the session cookie and check a CSRF token on every POST.
- The API authenticates with ``Authorization: Bearer <token>`` only (no cookies, so no CSRF).
- A token acts only within its scopes, on top of its user's role: ``read`` for GET and HEAD,
  ``write`` for any other method, ``review`` for an examiner's decision on a match (a route
  names a scope of its own with ``openapi_extra={TOKEN_SCOPE: ...}``).
- A case is reachable only by its members; anyone else gets the same 404 as for a case that
  does not exist, and every request that reaches a case is audited. A refused request on a case
  route (403 or 404: not a member, no such case, the role or the token's scopes do not allow it)
  is audited once, as ``access.refused`` with the reason, by :func:`audit_refusal`. A view (GET)
  is one entry, ``case.read``, whatever the page reads: the library's reads it makes are folded into
  that entry's ``shown`` (``tasman.core.audit.begin_view``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.accounts import store as accounts
from tasman.accounts.models import User, WebSession
from tasman.accounts.roles import Perm, allowed
from tasman.core import audit
from tasman.core.errors import (
    AlreadyExistsError,
    InputError,
    IntegrityError,
    LimitError,
    NotFoundError,
    NothingToDo,
    PermissionDeniedError,
    TasmanError,
)
from tasman.core.models import Case
from tasman.core.workspace import Workspace
from tasman.serve.jobs import ParamsError
from tasman.serve.lockout import LoginBackoff
from tasman.serve.proxies import real_client
from tasman.serve.ratelimit import RateLimiter
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
    (LimitError, 422), (NothingToDo, 409), (InputError, 400),
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
    backoff: LoginBackoff = field(default_factory=LoginBackoff)


TOKEN_SCOPE = "x-token-scope"        # a route's ``openapi_extra`` key naming the scope a token needs
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SCOPED_PERMS = {Perm.REVIEW_THUMBNAIL: "review"}   # on top of the role, a token needs this scope


class CaseHidden(NotFoundError):
    """The 404 of a case route for a non-member or an unknown case: the requester learns neither;
    ``reason`` is for the audit log only."""

    def __init__(self, ref: str, reason: str, case_ref: str | None) -> None:
        super().__init__(f"no case {ref!r}")
        self.reason, self.case_ref = reason, case_ref


@dataclass
class Viewer:
    user: User
    channel: str                      # "web" | "api"
    web_session: WebSession | None = None
    scopes: frozenset[str] | None = None   # a token's scopes; None: a browser session (the role alone)

    @property
    def name(self) -> str:
        return self.user.name

    def can(self, perm: Perm) -> bool:
        scope = SCOPED_PERMS.get(perm)
        if scope is not None and self.scopes is not None and scope not in self.scopes:
            return False
        return allowed(self.user.role, perm)

    def need(self, perm: Perm) -> None:
        if not allowed(self.user.role, perm):
            raise PermissionDeniedError(f"your role ({self.user.role}) may not {perm.value.replace('_', ' ')}")
        if not self.can(perm):
            raise PermissionDeniedError(f"this token lacks the {SCOPED_PERMS[perm]!r} scope")


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
        audit.end_view(s)      # a page view's one entry, with what its reads showed


DB = Depends(db, scope="function")


def client_address(request: Request) -> str:
    """The client's address, believing ``X-Forwarded-For`` from trusted proxies only."""
    return real_client(request.client.host if request.client else None, request.headers.getlist("x-forwarded-for"),
                       state(request).settings.trusted_proxies)


def page_user(request: Request, s: Session = DB) -> Viewer:
    raw = request.cookies.get(SESSION_COOKIE)
    found = accounts.lookup_session(s, raw) if raw else None
    if found is None:
        raise LoginRequired("please sign in")
    viewer = Viewer(found[0], "web", found[1])
    request.state.who = (viewer.name, viewer.channel)   # for audit_refusal, once the session is gone
    return viewer


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


bearer = HTTPBearer(auto_error=False, description="An API token its owner issued (`tasman user token NAME`, "
                                                   "or the Account page): scopes read, write, review.")


def required_scope(request: Request) -> str:
    """The scope a token needs for this request: the route's own, else read or write by method."""
    extra = getattr(request.scope.get("route"), "openapi_extra", None) or {}
    named = extra.get(TOKEN_SCOPE)
    if isinstance(named, str):
        return named
    return "read" if request.method in SAFE_METHODS else "write"


def api_user(request: Request, s: Session = DB,
             cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Viewer:
    found = accounts.token_user(s, cred.credentials) if cred is not None else None
    if found is None:
        raise Unauthorized("a valid API token is required (Authorization: Bearer ...)")
    viewer = Viewer(found[0], "api", scopes=found[1].scope_set)
    request.state.who = (viewer.name, viewer.channel)
    scope = required_scope(request)
    if scope not in viewer.scopes:  # type: ignore[operator]
        raise PermissionDeniedError(f"this token lacks the {scope!r} scope this request needs")
    return viewer


CASE_PATH = re.compile(r"^(?:/api/v1)?/cases/[^/]+(?:/|$)")


def audit_refusal(request: Request, status: int, exc: Exception) -> None:
    """Write one ``access.refused`` entry for a 403 or 404 of a known user on a case route (or a
    case named in a form), in a transaction of its own (the request's is rolled back); the
    requester is told nothing more."""
    who: tuple[str, str] | None = getattr(request.state, "who", None)
    hidden = exc if isinstance(exc, CaseHidden) else None   # a case named elsewhere (a tip's import) too
    if who is None or status not in (403, 404) or (hidden is None and not CASE_PATH.match(request.url.path)):
        return
    ref = request.path_params.get("ref")
    with state(request).ws.session() as s:
        case_ref = hidden.case_ref if hidden else (ref if isinstance(ref, str) and s.scalar(
            select(Case.id).where(Case.ref == ref)) is not None else None)
        audit.record(s, who[0], "access.refused", case_ref=case_ref, target=request.url.path[:500],
                     method=request.method, channel=who[1], status=status,
                     reason=hidden.reason if hidden else str(exc)[:300])


def case_access(request: Request, ref: str, s: Session, viewer: Viewer) -> CaseCtx:
    case = s.scalar(select(Case).where(Case.ref == ref))
    if case is None:
        raise CaseHidden(ref, "no such case", None)
    if not accounts.is_member(s, viewer.user, case):
        raise CaseHidden(ref, "not a member", case.ref)
    if request.method == "GET":   # one entry per view: the reads the page makes are folded into it
        query = request.url.query
        audit.begin_view(s, viewer.name, "case.read", case_ref=ref, target=request.url.path[:500],
                         method="GET", channel=viewer.channel, **({"query": query[:500]} if query else {}))
    else:
        audit.record(s, viewer.name, "case.request", case_ref=ref, target=request.url.path, method=request.method,
                     channel=viewer.channel)
    return CaseCtx(case, viewer, s)


def page_case(request: Request, ref: str, s: Session = DB, viewer: Viewer = Depends(csrf_protect)) -> CaseCtx:
    return case_access(request, ref, s, viewer)


def api_case(request: Request, ref: str, s: Session = DB, viewer: Viewer = Depends(api_user)) -> CaseCtx:
    return case_access(request, ref, s, viewer)
