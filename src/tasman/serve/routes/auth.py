"""Sign in and out; the account's own details over the API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tasman.accounts import store as accounts
from tasman.accounts.roles import PERMISSIONS, Role
from tasman.core import audit
from tasman.serve.deps import DB, SESSION_COOKIE, Viewer, api_user, client_address, csrf_protect, state
from tasman.serve.proxies import limit_key
from tasman.serve.routes.common import API, ERRORS, safe_next, secure, see_other, set_session_cookie
from tasman.serve.schemas import Me
from tasman.serve.security import FORM_COOKIE, check_form_token, form_token, new_form_nonce
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["account"])


def anonymous_form(request: Request, template: str, status_code: int = 200, **ctx: object) -> HTMLResponse:
    """A page with a form for people not signed in: a signed double-submit token instead of a session."""
    nonce = request.cookies.get(FORM_COOKIE) or new_form_nonce()
    response = render(request, template, None, status_code=status_code,
                      form_token=form_token(state(request).app_key, nonce), **ctx)
    response.set_cookie(FORM_COOKIE, nonce, httponly=True, samesite="strict", secure=secure(request), path="/")
    return response


@router.get("/")
def home() -> RedirectResponse:
    return see_other("/cases")


@router.get("/login")
def login_page(request: Request, next: str = "/cases") -> Response:
    return anonymous_form(request, "login.html", next=safe_next(next))


@router.post("/login")
def login(request: Request, name: str = Form(max_length=120), password: str = Form(max_length=1000),
          form_token: str = Form(default=""), next: str = Form(default="/cases"),
          s: Session = DB) -> Response:
    st, address = state(request), client_address(request)
    if not check_form_token(st.app_key, request.cookies.get(FORM_COOKIE), form_token):
        return anonymous_form(request, "login.html", 403, next=safe_next(next),
                              error="The form expired; please try again.")
    st.limiter.hit("login-address", limit_key(address), st.settings.login_per_address)
    st.backoff.check(name, address)   # per (name, address): nobody else's failures lock a user out
    user = accounts.authenticate(s, name, password)
    if user is None:
        st.backoff.fail(name, address)
        audit.record(s, "anonymous", "user.login.failed", target=name[:120], address=address)
        return anonymous_form(request, "login.html", 401, next=safe_next(next),
                              error="Wrong user name or password.")
    st.backoff.clear(name, address)
    if request.cookies.get(SESSION_COOKIE):  # a new sign-in never keeps an earlier session id
        accounts.close_session(s, request.cookies[SESSION_COOKIE])
    opened = accounts.open_session(s, user)
    audit.record(s, user.name, "user.login", address=address)
    response = see_other(safe_next(next))
    set_session_cookie(response, request, opened.cookie)
    return response


@router.post("/logout")
def logout(request: Request, viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    accounts.close_session(s, request.cookies.get(SESSION_COOKIE, ""))
    audit.record(s, viewer.name, "user.logout")
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure(request))
    return response


@api.get("/me", response_model=Me, responses=ERRORS)
def me(viewer: Viewer = Depends(api_user)) -> Me:
    perms = sorted(p.value for p in PERMISSIONS[Role(viewer.user.role)])
    return Me(name=viewer.name, role=viewer.user.role, system=viewer.user.system, permissions=perms)
