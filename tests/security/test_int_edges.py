"""Integers at the edge: every int path, query and form parameter of every route, and the ints
of the request models, are bounded, so 2**70 and -1 answer 422 (400 on a page), never a 500
(SQLite cannot bind an integer past 64 bits; PostgreSQL's ids are 32-bit)."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.serve.conftest import CASE, Client

BAD = [2**70, -1, 2**31]
FILLERS = {"ref": CASE, "name": "eve", "sref": "S-1", "package_id": "none"}


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_int(a) for a in typing.get_args(annotation))
    return False


def fields(dependant: Dependant, where: str) -> list[Any]:
    """The route's own parameters of one kind and those of every dependency it uses."""
    own = list(getattr(dependant, f"{where}_params"))
    return own + [f for sub in dependant.dependencies for f in fields(sub, where)]


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every endpoint, also inside included routers (FastAPI may keep those as one route each;
    the app includes its routers without a prefix of their own)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)


def int_params(app: FastAPI) -> Iterator[tuple[APIRoute, str, str]]:
    """(route, where, name) for every int parameter: where is path, query or form."""
    for route in api_routes(app.routes):
        for where, found in (("path", fields(route.dependant, "path")), ("query", fields(route.dependant, "query")),
                             ("form", fields(route.dependant, "body"))):
            for f in found:
                if where == "form" and not isinstance(f.field_info, params.Form):
                    continue
                if _is_int(f.field_info.annotation):
                    yield route, where, f.name


def _form_fields(route: APIRoute) -> dict[str, Any]:
    return {f.name: 1 if _is_int(f.field_info.annotation) else "confirmed"
            for f in fields(route.dependant, "body")
            if isinstance(f.field_info, params.Form) and f.field_info.is_required()}


def test_the_walk_finds_the_int_parameters(app: FastAPI) -> None:
    found = {(r.path, where, name) for r, where, name in int_params(app)}
    assert {("/api/v1/cases/{ref}/jobs/{job_id}", "path", "job_id"), ("/cases/{ref}/triage", "query", "run"),
            ("/api/v1/cases/{ref}/records", "query", "limit"), ("/cases/{ref}/records", "query", "offset"),
            ("/cases/{ref}/triage/review", "form", "artifact_id"), ("/api/v1/tokens/{token_id}", "path", "token_id"),
            ("/cases/{ref}/artifacts/{artifact_id}/reveal", "path", "artifact_id")} <= found
    assert len(found) >= 20


def _query_fillers(route: APIRoute) -> dict[str, Any]:
    return {f.name: "x" for f in fields(route.dependant, "query")
            if f.field_info.is_required() and not _is_int(f.field_info.annotation)}


def test_no_int_parameter_gives_a_server_error(app: FastAPI, tokens: dict[str, str],
                                               make_client: Callable[..., Client]) -> None:
    """A server error would raise here (the test clients re-raise it); each answer must be 400 or 422."""
    page = make_client("eve")
    api = TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {tokens['ada']}"})
    checked = 0
    for route, where, name in int_params(app):
        method = sorted(route.methods)[0]
        for bad in BAD:
            path_values = {p: (bad if p == name and where == "path" else FILLERS.get(p, 1))
                           for p in re.findall(r"{(\w+)}", route.path)}
            url = route.path.format(**path_values)
            query = {**_query_fillers(route), **({name: bad} if where == "query" else {})}
            form = {**_form_fields(route), **({name: bad} if where == "form" else {})}
            if route.path.startswith("/api/"):
                r = api.request(method, url, params=query, **({} if method == "GET" else {"json": {}}))
            elif method == "GET":
                r = page.get(url, params=query)
            else:
                r = page.http.request(method, url, params=query, data={**form, "csrf_token": page.csrf})
            assert r.status_code in (400, 422), (method, url, query, form, r.status_code, r.text[:200])
            checked += 1
    api.close()
    assert checked >= 60


@pytest.mark.parametrize("bad", [2**70, -1, 0])
def test_request_models_bound_their_ints(api: Callable[[str], TestClient], bad: int) -> None:
    eve = api("eve")
    r = eve.post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "triage", "params": {"evidence": [bad]}})
    assert r.status_code == 422, r.text
    r = eve.post(f"/api/v1/cases/{CASE}/triage/review", json={"artifact_id": bad, "decision": "confirmed"})
    assert r.status_code == 422, r.text
