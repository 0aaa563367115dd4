"""The tips queue by case membership, and the reporter's contact: encrypted at rest, shown only to
those who may see the tip, each read audited. A tip one may not see answers like one that does
not exist, on pages and API alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tasman.accounts import store as accounts
from tasman.core import db as coredb
from tasman.core.errors import IntegrityError
from tasman.core.models import Record, UTCDateTime
from tasman.core.workspace import Workspace
from tasman.tips import intake as tips
from tasman.tips.models import Tip
from tasman.tips.vault import TipVault
from tests.serve.conftest import CASE, Client, audit_actions

OTHER = "OP-2"  # a case only 'out' (an analyst) is a member of
CONTACT = "witness-7@example.org"


@pytest.fixture
def other_case(ws: Workspace) -> None:
    with ws.session() as s:
        from tasman.evidence.cases import create_case

        create_case(s, "setup", OTHER, "Another team's case")
        accounts.add_member(s, "setup", OTHER, "out")


def submit(ws: Workspace, what: str, contact: str = "") -> str:
    with ws.session() as s:
        return tips.submit_tip(s, TipVault(ws.root), tips.TipInput(what=what, username="user_4711",
                                                                    contact=contact), []).ref


def imported(ws: Workspace, ref: str, case: str, actor: str) -> None:
    with ws.session() as s:
        tips.import_tip(s, actor, ref, case)


def case_of(ws: Workspace, ref: str) -> tuple[str | None, str]:
    with ws.session() as s:
        tip = s.scalar(select(Tip).where(Tip.ref == ref))
        assert tip is not None
        from tasman.core.models import Case

        case = s.get(Case, tip.case_id) if tip.case_id is not None else None
        return (case.ref if case else None), tip.status


def test_contact_is_encrypted_at_rest_and_shown_only_to_those_who_may_see_the_tip(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], ws: Workspace,
        other_case: None) -> None:
    public = make_client()
    token = re.search(r'name="form_token" value="([^"]+)"', public.get("/report").text)
    assert token is not None
    r = public.http.post("/report", data={"what": "A group swaps pictures of children.", "contact": CONTACT,
                                          "form_token": token.group(1)})
    assert r.status_code == 200
    (ref,) = re.findall(r"TIP-\d{8}-[A-Z0-9]{8}", r.text)[:1]
    with ws.engine.connect() as conn:  # the raw column, as a database dump shows it
        raw = conn.execute(text("SELECT contact FROM tips")).scalar_one()
    assert raw.startswith("fernet:") and CONTACT not in raw and "witness" not in raw
    ana = make_client("ana")
    page = ana.get(f"/tips/{ref}")
    assert page.status_code == 200 and CONTACT in page.text
    assert audit_actions(ws, "ana").count(("ana", "tip.contact.read", None, ref)) == 1
    assert CONTACT not in ana.get("/tips").text  # the queue never shows it
    assert CONTACT not in api("ana").get(f"/api/v1/tips/{ref}").text  # nor the API
    assert CONTACT not in api("ana").get("/api/v1/tips").text
    eve = make_client("eve")  # an examiner has no tips role
    assert eve.get(f"/tips/{ref}").status_code == 403
    assert ("eve", "tip.contact.read", None, ref) not in audit_actions(ws, "eve")
    # once in a case, only its members see the tip and its contact
    assert ana.post(f"/tips/{ref}/import", {"case": CASE}).status_code == 303
    out = make_client("out")
    hidden = out.get(f"/tips/{ref}")
    assert hidden.status_code == 404 and CONTACT not in hidden.text
    assert ("out", "tip.contact.read", None, ref) not in audit_actions(ws, "out")
    assert ("out", "tip.access.denied", None, ref) in audit_actions(ws, "out")
    assert CONTACT in ana.get(f"/tips/{ref}").text
    with ws.session() as s:  # and the record imported into the case never carries it
        rec = s.scalar(select(Record).where(Record.kind == "tips"))
        assert rec is not None and CONTACT not in str(rec.fields)


def test_the_queue_follows_case_membership_on_pages_and_api(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], ws: Workspace,
        other_case: None) -> None:
    fresh = submit(ws, "not yet triaged")
    in_op1 = submit(ws, "in the first case")
    in_op2 = submit(ws, "in the other case")
    imported(ws, in_op1, CASE, "ana")
    imported(ws, in_op2, OTHER, "out")

    def listed(user: str) -> set[str]:
        return {t["ref"] for t in api(user).get("/api/v1/tips").json()}

    assert listed("ana") == {fresh, in_op1}
    assert listed("ada") == {fresh, in_op1}   # an admin too sees a case's tips only as its member
    assert listed("out") == {fresh, in_op2}
    by_case = {t["ref"]: t["case"] for t in api("out").get("/api/v1/tips").json()}
    assert by_case == {fresh: None, in_op2: OTHER}
    page = make_client("out").get("/tips?status=all").text
    assert fresh in page and in_op2 in page and in_op1 not in page
    # one may not see: 404 like a tip that does not exist, the same words
    missing = "TIP-20000101-ZZZZZZZZ"
    for user, ref in (("out", in_op1), ("ana", in_op2), ("ada", in_op2)):
        got, none = api(user).get(f"/api/v1/tips/{ref}"), api(user).get(f"/api/v1/tips/{missing}")
        assert got.status_code == none.status_code == 404
        assert got.json()["detail"].replace(ref, "REF") == none.json()["detail"].replace(missing, "REF")
        assert make_client(user).get(f"/tips/{ref}").status_code == 404
    # nor dismiss nor re-import it, pages or API; nothing changes
    out = make_client("out")
    assert out.post(f"/tips/{in_op1}/dismiss", {"reason": "x"}).status_code == 404
    assert out.post(f"/tips/{in_op1}/import", {"case": OTHER}).status_code == 404
    assert api("out").post(f"/api/v1/tips/{in_op1}/dismiss").status_code == 404
    assert api("out").post(f"/api/v1/tips/{in_op1}/import", json={"case": OTHER}).status_code == 404
    assert case_of(ws, in_op1) == (CASE, "imported")
    with ws.session() as s:
        from tasman.core.models import Case

        op2 = s.scalar(select(Case).where(Case.ref == OTHER))
        assert op2 is not None
        assert s.scalar(select(Record).where(Record.case_id == op2.id, Record.kind == "tips",
                                             Record.source_id == in_op1)) is None
    denied = [a for a in audit_actions(ws, "out") if a[1] == "tip.access.denied"]
    assert len(denied) >= 4  # kept although each request failed
    # a member works it as before; an unimported tip stays with the tips role
    assert api("ana").post(f"/api/v1/tips/{in_op1}/dismiss").json()["status"] == "dismissed"
    assert case_of(ws, in_op1) == (CASE, "dismissed")
    assert api("out").post(f"/api/v1/tips/{fresh}/import", json={"case": OTHER}).json()["case"] == OTHER
    assert api("ana").get(f"/api/v1/tips/{fresh}").status_code == 404
    assert api("lia").get("/api/v1/tips").status_code == 403


def test_the_command_line_sees_every_tip(ws: Workspace, other_case: None) -> None:
    ref = submit(ws, "in the other case")
    imported(ws, ref, OTHER, "out")
    with ws.session() as s:
        assert [t.ref for t in tips.list_tips(s, "tester")] == [ref]
        assert tips.get_tip(s, "tester", ref)[0].ref == ref
        with pytest.raises(tips.TipHidden):
            tips.get_tip(s, "ana", ref, case_ids=set())


# ---- the migration that seals contacts stored before -------------------------------------------

def _database_at_0700(path: Path) -> sa.Engine:
    engine = coredb.make_engine(f"sqlite:///{path}")
    command.upgrade(coredb._alembic_config(engine), "0700_serve")
    table = sa.table("tips", *(sa.column(c) for c in ("ref", "what", "url", "platform", "username", "seen_when",
                                                       "contact", "status", "match_status", "source_digest")),
                     sa.column("received_at", UTCDateTime))
    with engine.begin() as conn:
        for ref, contact in (("TIP-20250101-AAAAAAAA", CONTACT), ("TIP-20250101-BBBBBBBB", "")):
            conn.execute(table.insert().values(ref=ref, what="old tip", url="", platform="", username="",
                                               seen_when="", contact=contact, status="new", match_status="none",
                                               source_digest="", received_at=datetime(2025, 1, 1, tzinfo=UTC)))
    return engine


def test_migration_encrypts_contacts_stored_in_plain_text(tmp_path: Path) -> None:
    engine = _database_at_0700(tmp_path / "old.db")
    root = tmp_path / "ws"
    root.mkdir()
    assert coredb.migrate(engine, root) is True
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT ref, contact FROM tips")).all())
    assert rows["TIP-20250101-BBBBBBBB"] == ""
    sealed = rows["TIP-20250101-AAAAAAAA"]
    assert sealed.startswith("fernet:") and "witness" not in sealed
    assert TipVault(root).unseal(sealed) == CONTACT
    assert oct((root / "serve" / "tips.key").stat().st_mode & 0o777) == "0o600"
    command.downgrade(coredb._alembic_config(engine, root), "0700_serve")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT contact FROM tips WHERE contact != ''")).scalar_one() == CONTACT
    engine.dispose()


def test_migration_without_the_workspace_refuses_to_leave_contacts_plain(tmp_path: Path) -> None:
    engine = _database_at_0700(tmp_path / "old.db")
    with pytest.raises(IntegrityError, match="open the database through its workspace"):
        coredb.migrate(engine)
    with engine.connect() as conn:  # nothing half-done: the plain contact is still there, unencrypted
        assert conn.execute(text("SELECT count(*) FROM tips WHERE contact LIKE 'fernet:%'")).scalar_one() == 0
    engine.dispose()
