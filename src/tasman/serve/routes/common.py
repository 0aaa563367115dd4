"""Helpers the route modules share."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse

from tasman.serve.deps import SESSION_COOKIE, state
from tasman.serve.schemas import Problem

API = "/api/v1"
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid API token"},
    403: {"model": Problem, "description": "The user's role may not do this"},
    404: {"model": Problem, "description": "No such case, or the user is not a member"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"model": Problem, "description": "Bad input"},
    409: {"model": Problem, "description": "Already exists or conflicts"},
}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def secure(request: Request) -> bool:
    return state(request).settings.secure_cookies or request.url.scheme == "https"


def set_session_cookie(response: RedirectResponse, request: Request, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="strict", secure=secure(request), path="/")


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host) is followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/cases"


def paging(offset: int, limit: int) -> tuple[int, int]:
    return max(0, offset), max(1, min(limit, 500))
