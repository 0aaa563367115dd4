"""Accounts for admins: create users, issue API tokens (shown once), disable accounts."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.serve import accounts
from tasman.serve.deps import DB, Viewer, api_user, csrf_protect
from tasman.serve.models import User
from tasman.serve.roles import Perm, Role
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.schemas import UserIn, UserOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["users"])


def user_out(u: User) -> UserOut:
    return UserOut(name=u.name, role=u.role, system=u.system, active=u.active)


@router.get("/admin/users")
def users_page(request: Request, viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    viewer.need(Perm.MANAGE_USERS)
    return render(request, "users.html", viewer, users=accounts.list_users(s), roles=[r.value for r in Role])


@router.post("/admin/users")
def add_user_page(name: str = Form(max_length=120), role: str = Form(max_length=16),
                  password: str = Form(default="", max_length=1000), viewer: Viewer = Depends(csrf_protect),
                  s: Session = DB) -> Response:
    viewer.need(Perm.MANAGE_USERS)
    accounts.create_user(s, viewer.name, name, role, password or None, system=not password)
    return see_other("/admin/users")


@router.post("/admin/users/{name}/token")
def token_page(request: Request, name: str, viewer: Viewer = Depends(csrf_protect),
               s: Session = DB) -> Response:
    viewer.need(Perm.MANAGE_USERS)
    issued = accounts.issue_token(s, viewer.name, name, label="issued in the web app")
    return render(request, "users.html", viewer, users=accounts.list_users(s), roles=[r.value for r in Role],
                  new_token=(name, issued.token))


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
    """Create a person (with a password) or a partner system (without one; it signs in with tokens)."""
    viewer.need(Perm.MANAGE_USERS)
    return user_out(accounts.create_user(s, viewer.name, body.name, body.role, body.password,
                                         system=body.system or body.password is None))
