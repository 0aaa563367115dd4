"""Secreview: the JSON body limit sees every body FastAPI parses as JSON.

FastAPI parses a body as JSON when the *first* ``Content-Type`` says JSON or the header is empty;
the limit must not read another header line (``dict`` keeps the last) or skip an empty value,
or a deep body reaches ``json.loads`` (a 500 from RecursionError) and a large one passes 2 MiB.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tasman.core.workspace import Workspace
from tasman.serve import security
from tests.security.test_json_bombs import _auth, client, nested

__all__ = ["client"]


@pytest.mark.parametrize("headers", [
    [("content-type", "application/json"), ("content-type", "text/plain")],
    [("content-type", "application/json; charset=utf-8"), ("content-type", "multipart/form-data; boundary=x")],
])
def test_a_deep_or_large_body_is_refused_whatever_the_content_type_lines(
        client: tuple[Workspace, TestClient, dict[str, str]], headers: list[tuple[str, str]]) -> None:
    _ws, c, tokens = client
    auth = list(_auth(tokens, "ada").items())
    deep = '{"ref": "OP-9", "title": ' + nested(5000) + "}"
    r = c.post("/api/v1/cases", content=deep, headers=auth + headers)
    assert r.status_code == 422 and "over the limit of 64" in r.text, r.text[:200]
    big = json.dumps({"ref": "OP-9", "title": "x" * (3 << 20)})
    r = c.post("/api/v1/cases", content=big, headers=auth + headers)
    assert r.status_code == 413, r.text[:200]
    assert "OP-9" not in {x["ref"] for x in c.get("/api/v1/cases", headers=dict(auth)).json()}


@pytest.mark.parametrize(("lines", "is_json"), [
    ([], True), ([b""], True), ([b"  "], True), ([b"text/plain", b"application/json"], True),
    ([b"application/problem+json; charset=x"], True), ([b"text/plain"], False),
    ([b"multipart/form-data; boundary=x"], False)])
def test_which_bodies_the_limit_reads_as_json(lines: list[bytes], is_json: bool) -> None:
    """FastAPI parses a body whose Content-Type is empty as JSON, like one with none."""
    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", v) for v in lines]}
    assert security._json_body(scope) is is_json
