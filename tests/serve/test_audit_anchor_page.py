"""The auditors' audit page shows the signed anchors' status beside the chain's."""

from __future__ import annotations

from collections.abc import Callable

from tasman.core.workspace import Workspace
from tests.core.test_audit_anchor import give_key
from tests.security.test_audit_rewrite import rewrite
from tests.serve.conftest import Client


def test_the_audit_page_shows_whether_the_anchors_hold(make_client: Callable[..., Client], ws: Workspace) -> None:
    page = make_client("aud").get("/audit")
    assert page.status_code == 200 and "the workspace has no signing key" in page.text
    give_key(ws.root)
    aud = make_client("aud")                       # signing in commits entries: the first commit is anchored
    page = aud.get("/audit")
    assert 'id="anchors" class="ok"' in page.text and "Signed anchors hold" in page.text
    rewrite(ws, 2, actor="mallory")
    page = aud.get("/audit")
    assert "Chain intact" in page.text             # the links alone cannot see it
    assert 'id="anchors" class="error"' in page.text and "history was rewritten" in page.text
