"""Helpers the route modules share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import RedirectResponse

from tasman.serve.deps import SESSION_COOKIE, state
from tasman.serve.schemas import MAX_ID, Problem

API = "/api/v1"
MAX_OFFSET = 10**9
MAX_LIMIT = 500             # the most rows one page of a list holds
# Every integer from a path or query is bounded here, so an out-of-range one answers 422 (400 on a
# page), never a database overflow (tests/security/test_int_edges.py walks every route).
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
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
    return max(0, offset), max(1, min(limit, MAX_LIMIT))
