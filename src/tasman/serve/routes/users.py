"""Accounts for admins: create users, disable accounts, see and revoke anyone's API tokens, and
issue a partner system's tokens (shown once). A person's tokens are issued only by that person
(``routes/account.py``): an admin never mints a token to act as someone else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.accounts import store as accounts
from tasman.accounts.models import ApiToken, User
from tasman.accounts.roles import Perm, Role
from tasman.core.errors import AlreadyExistsError, InputError
from tasman.serve.deps import DB, Viewer, api_user, csrf_protect, error_status
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, IdPath, see_other
from tasman.serve.schemas import TokenOut, UserIn, UserOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["users"])


def user_out(u: User) -> UserOut:
    return UserOut(name=u.name, role=u.role, system=u.system, active=u.active)


def token_out(t: ApiToken, user: str) -> TokenOut:
    return TokenOut(id=t.id, user=user, prefix=t.prefix, label=t.label, scopes=sorted(t.scope_set,
                    key=accounts.SCOPES.index), status=accounts.token_status(t), created_at=t.created_at,
                    expires_at=t.expires_at, last_used_at=t.last_used_at, revoked_at=t.revoked_at)


def _users_page(request: Request, viewer: Viewer, s: Session, status_code: int = 200, **extra: Any) -> Response:
    users = accounts.list_users(s)
    tokens = [token_out(t, u.name) for u in users for t in accounts.list_tokens(s, u.name)]
    return render(request, "users.html", viewer, status_code, users=users, tokens=tokens,
                  roles=[r.value for r in ROLES_LEAST_FIRST],
                  scopes=[sc for sc in accounts.SCOPES if sc != "review"], days=accounts.TOKEN_DAYS,
                  max_days=accounts.MAX_TOKEN_DAYS, **extra)


@router.get("/admin/users")
def users_page(request: Request, viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    viewer.need(Perm.MANAGE_USERS)
    return _users_page(request, viewer, s)


# The New user form lists roles from the least privileged up and preselects none: an admin
# chooses, and a form sent without a choice is refused rather than given a role.
ROLES_LEAST_FIRST = [Role.AUDITOR, Role.LIAISON, Role.EXAMINER, Role.ANALYST, Role.ADMIN]
assert set(ROLES_LEAST_FIRST) == set(Role)


def new_user(s: Session, actor: str, name: str, role: str, password: str, system: bool) -> User:
    """A person needs a password (never empty); a partner system has none, and says so explicitly."""
    if not role:
        raise InputError("choose a role for the new user")
    if system and password:
        raise InputError("a system account signs in with API tokens only: leave its password empty")
    if not system and not password:
        raise InputError("a person needs a password (at least 12 characters); for a partner system "
                         "that signs in with tokens only, tick 'system account'")
    return accounts.create_user(s, actor, name, role, password or None, system=system)


@router.post("/admin/users")
def add_user_page(request: Request, name: str = Form(max_length=120), role: str = Form("", max_length=16),
                  password: str = Form(default="", max_length=1000), system: bool = Form(False),
                  viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    viewer.need(Perm.MANAGE_USERS)
    try:
        new_user(s, viewer.name, name, role, password, system)
    except (InputError, AlreadyExistsError) as exc:
        return _users_page(request, viewer, s, status_code=error_status(exc), error=str(exc),
                           form={"name": name, "role": role, "system": system})
    return see_other("/admin/users")


@router.post("/admin/users/{name}/token")
def token_page(request: Request, name: str, label: str = Form("", max_length=120),
               scopes: list[str] = Form(default=[], max_length=3), days: int = Form(accounts.TOKEN_DAYS, ge=1,
                                                                                     le=accounts.MAX_TOKEN_DAYS),
               viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    """A partner system's token (a person's is refused: they issue their own)."""
    viewer.need(Perm.MANAGE_USERS)
    issued = accounts.issue_token(s, viewer.name, name, label, scopes=scopes, days=days, issuer=viewer.user)
    return _users_page(request, viewer, s, new_token=(name, issued.token))


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_page(token_id: IdPath, viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    viewer.need(Perm.MANAGE_USERS)
    accounts.revoke_token(s, viewer.name, token_id)
    return see_other("/admin/users")


@router.post("/admin/users/{name}/active")
def active_page(name: str, active: str = Form(max_length=5), viewer: Viewer = Depends(csrf_protect),
                s: Session = DB) -> Response:
    viewer.need(Perm.MANAGE_USERS)
    accounts.set_active(s, viewer.name, name, active == "yes")
    return see_other("/admin/users")


@api.get("/users", response_model=list[UserOut], responses=ERRORS)
def list_users(viewer: Viewer = Depends(api_user), s: Session = DB) -> list[UserOut]:
    viewer.need(Perm.MANAGE_USERS)
    return [user_out(u) for u in accounts.list_users(s)]


@api.post("/users", response_model=UserOut, status_code=201, responses=WRITE_ERRORS)
def add_user(body: UserIn, viewer: Viewer = Depends(api_user), s: Session = DB) -> UserOut:
    """Create a person (with a password of at least 12 characters: an empty one is refused) or a
    partner system (without one: it signs in with tokens)."""
    viewer.need(Perm.MANAGE_USERS)
    return user_out(accounts.create_user(s, viewer.name, body.name, body.role, body.password,
                                         system=body.system or body.password is None))


@api.get("/users/{name}/tokens", response_model=list[TokenOut], responses=ERRORS)
def user_tokens(name: str, viewer: Viewer = Depends(api_user), s: Session = DB) -> list[TokenOut]:
    """An account's tokens, newest first (admins): never the tokens themselves."""
    viewer.need(Perm.MANAGE_USERS)
    return [token_out(t, name) for t in accounts.list_tokens(s, name)]


@api.delete("/tokens/{token_id}", status_code=204, responses=WRITE_ERRORS)
def revoke_any_token(token_id: IdPath, viewer: Viewer = Depends(api_user), s: Session = DB) -> Response:
    """Revoke any account's token (admins); it stops working at once."""
    viewer.need(Perm.MANAGE_USERS)
    accounts.revoke_token(s, viewer.name, token_id)
    return Response(status_code=204)
