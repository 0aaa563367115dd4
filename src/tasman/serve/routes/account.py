"""A signed-in person's own account: their API tokens (issue, list, revoke) and their password.

Only here, signed in, does a person get a token (or with ``tasman user token NAME`` and their
password): nobody else, an admin included, mints one that acts as them. A password change ends
every token of the account and every other browser session. The API lists and revokes the
caller's own tokens but issues none (a token never mints a token).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.accounts import store as accounts
from tasman.accounts.roles import Perm, allowed
from tasman.core import audit
from tasman.serve.deps import DB, Viewer, api_user, client_address, csrf_protect, state
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, IdPath, see_other
from tasman.serve.routes.users import token_out
from tasman.serve.schemas import TokenOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["account"])


def _page(request: Request, viewer: Viewer, s: Session, status_code: int = 200, **extra: Any) -> Response:
    tokens = [token_out(t, viewer.name) for t in accounts.list_tokens(s, viewer.name)]
    scopes = [sc for sc in accounts.SCOPES if sc != "review" or allowed(viewer.user.role, Perm.REVIEW_THUMBNAIL)]
    return render(request, "account.html", viewer, status_code=status_code, tokens=tokens, scopes=scopes,
                  days=accounts.TOKEN_DAYS, max_days=accounts.MAX_TOKEN_DAYS, **extra)


@router.get("/account")
def account_page(request: Request, viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    return _page(request, viewer, s)


@router.post("/account/tokens")
def issue_page(request: Request, label: str = Form("", max_length=120), scopes: list[str] = Form(default=[],
               max_length=3), days: int = Form(accounts.TOKEN_DAYS, ge=1, le=accounts.MAX_TOKEN_DAYS),
               viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    """Issue a token for oneself; it is shown once on the page that answers."""
    issued = accounts.issue_token(s, viewer.name, viewer.name, label, scopes=scopes, days=days, issuer=viewer.user)
    return _page(request, viewer, s, new_token=issued.token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_page(token_id: IdPath, viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    accounts.revoke_token(s, viewer.name, token_id, owner=viewer.user)
    return see_other("/account")


@router.post("/account/password")
def password_page(request: Request, current: str = Form(max_length=1000), new: str = Form(max_length=1000),
                  viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    """Change one's own password: every token ends, and every session but this one."""
    st, address = state(request), client_address(request)
    st.backoff.check(viewer.name, address)      # the current password is guessed no faster than at sign-in
    try:
        accounts.change_own_password(s, viewer.user, current, new, viewer.web_session)
    except accounts.WrongPassword:
        st.backoff.fail(viewer.name, address)
        audit.record(s, viewer.name, "user.password.failed", target=viewer.name, address=address)
        return _page(request, viewer, s, 403, error="The current password is wrong.")
    return _page(request, viewer, s, notice="Password changed: your API tokens and other sessions have ended.")


@api.get("/me/tokens", response_model=list[TokenOut], responses=ERRORS)
def my_tokens(viewer: Viewer = Depends(api_user), s: Session = DB) -> list[TokenOut]:
    """The caller's own tokens, newest first: never the tokens themselves, only their first characters."""
    return [token_out(t, viewer.name) for t in accounts.list_tokens(s, viewer.name)]


@api.delete("/me/tokens/{token_id}", status_code=204, responses=WRITE_ERRORS)
def revoke_my_token(token_id: IdPath, viewer: Viewer = Depends(api_user), s: Session = DB) -> Response:
    """Revoke one of the caller's own tokens (another account's answers 404)."""
    accounts.revoke_token(s, viewer.name, token_id, owner=viewer.user)
    return Response(status_code=204)
