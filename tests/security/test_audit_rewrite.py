"""The attack the anchors answer: someone with write access to the database rewrites an old
audit entry and recomputes every hash after it with the chain's own ``entry_hash``. The plain
chain check cannot see it; a signed anchor (stored, or kept in a file elsewhere) does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import text

from tasman.core import anchor, audit
from tasman.core.signing import LocalSigner
from tasman.core.workspace import Workspace
from tests.core.test_audit_anchor import give_key, reopen


def rewrite(ws: Workspace, seq: int, **changes: str) -> None:
    """Change entry ``seq`` with raw SQL and recompute its hash and every later one, and the head."""
    with ws.engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text(
            "SELECT seq, ts, actor, action, case_ref, target, details, prev_hash, hash FROM audit_events "
            "ORDER BY seq"))]
        prev = audit.GENESIS
        for r in rows:
            if r["seq"] == seq:
                r.update(changes)
            if r["seq"] >= seq:
                r["prev_hash"] = prev
                r["hash"] = audit.entry_hash(prev, r["ts"], r["actor"], r["action"], r["case_ref"], r["target"],
                                             r["details"])
                conn.execute(text("UPDATE audit_events SET actor=:actor, target=:target, details=:details, "
                                  "prev_hash=:prev_hash, hash=:hash WHERE seq=:seq"), r)
            prev = r["hash"]
        conn.execute(text("UPDATE audit_head SET last_hash=:h WHERE id=1"), {"h": prev})


def forge_stored_anchors(ws: Workspace, signer: LocalSigner) -> None:
    """The attacker re-signs every stored anchor over the rewritten chain with a key of their own."""
    with ws.engine.begin() as conn:
        hashes = dict(conn.execute(text("SELECT seq, hash FROM audit_events")).all())
        for aid, seq, ts, why in conn.execute(text(
                "SELECT id, seq, ts, reason FROM audit_anchors")).all():
            doc = anchor.AnchorDoc(log_id=hashes[1], seq=seq, count=seq, head=hashes[seq], ts=ts, reason=why,
                                   fingerprint=signer.fingerprint, public_key=signer.public_key)
            conn.execute(text("UPDATE audit_anchors SET head=:h, log_id=:l, fingerprint=:f, public_key=:k, "
                              "signature=:s WHERE id=:id"),
                         {"h": doc.head, "l": doc.log_id, "f": doc.fingerprint, "k": doc.public_key,
                          "s": signer.sign(doc.payload()), "id": aid})


@pytest.fixture
def plain(migrated_db_url: str, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh workspace of its own (this package's ``ws`` is the web app's, with users and a case)."""
    w = Workspace.init(tmp_path / "audited", db_url=migrated_db_url, actor="tester")
    yield w
    w.close()


@pytest.fixture
def keyed(plain: Workspace) -> Iterator[Workspace]:
    """A keyed workspace of 12 entries, anchored every 4 (at entries 2, 6, 10)."""
    ws = plain
    give_key(ws.root)
    w = reopen(ws, audit_anchor_every_entries=4)
    for i in range(11):
        with w.session() as s:
            audit.record(s, "alice", "evidence.list", case_ref="OP-1", target=f"t{i}", n=i)
    yield w
    w.close()


def _cli(run_cli: Any, ws: Workspace, *args: str | Path) -> Result:
    return run_cli("--workspace", ws.root, "audit", *args)


def test_a_rewritten_history_passes_the_plain_check_but_not_the_anchor_file(
        keyed: Workspace, tmp_path: Path, run_cli: Any) -> None:
    out = tmp_path / "kept-elsewhere.json"
    assert _cli(run_cli, keyed, "anchor", "--out", out).exit_code == 0          # anchors entry 12
    with keyed.engine.begin() as conn:                                          # drop the stored anchors too
        conn.execute(text("DELETE FROM audit_anchors"))
    rewrite(keyed, 7, actor="mallory", target="nothing to see")
    with keyed.session() as s:
        assert audit.verify(s).ok                                               # as before: blind to it
    r = _cli(run_cli, keyed, "verify", "--anchor", out)
    assert r.exit_code == 7
    assert "rewritten" in r.stdout and "entries 2..12" in r.stderr             # entry 1 still matches log_id
    r = _cli(run_cli, keyed, "verify", "--json", "--anchor", out)
    data = json.loads(r.stdout)
    assert data["ok"] is False and [p["kind"] for p in data["problems"]] == ["rewritten"]
    assert data["anchors"]["checks"][0]["signed"] is True and data["anchors"]["checks"][0]["holds"] is False


def test_stored_anchors_name_where_the_rewrite_lies(keyed: Workspace, run_cli: Any) -> None:
    rewrite(keyed, 7, actor="mallory")
    r = _cli(run_cli, keyed, "verify", "--json")
    assert r.exit_code == 7
    problems = json.loads(r.stdout)["problems"]
    # the anchor at entry 6 still holds, the one at 10 does not: the change lies in 7..10
    assert [(p["seq"], p["kind"]) for p in problems] == [(7, "rewritten")]
    assert "entries 7..10" in problems[0]["message"] and "up to 6 still match" in problems[0]["message"]


def test_an_anchor_on_every_entry_names_the_entry(plain: Workspace, run_cli: Any) -> None:
    ws = plain
    give_key(ws.root)
    w = reopen(ws, audit_anchor_every_entries=1)
    try:
        for i in range(6):
            with w.session() as s:
                audit.record(s, "alice", "evidence.list", target=f"t{i}")
        rewrite(w, 4, target="changed")
        r = _cli(run_cli, w, "verify")
        assert r.exit_code == 7 and "entry 4 differs from what was anchored" in r.stderr
        assert "Audit chain intact" not in r.stdout
    finally:
        w.close()


def test_stored_anchors_re_signed_without_the_key_fail_their_signature(
        keyed: Workspace, tmp_path: Path, run_cli: Any) -> None:
    rewrite(keyed, 3, details='{"n": 99}')
    forge_stored_anchors(keyed, give_key(tmp_path / "mallory"))
    r = _cli(run_cli, keyed, "verify", "--json")
    assert r.exit_code == 7
    kinds = {p["kind"] for p in json.loads(r.stdout)["problems"]}
    assert kinds == {"forged"}
    # checked against the keys they carry, the forgeries hold: which is why the default is the workspace key
    assert _cli(run_cli, keyed, "verify", "--key", "file").exit_code == 0


def test_the_key_holder_can_forge_the_database_but_not_an_anchor_kept_elsewhere(
        keyed: Workspace, tmp_path: Path, run_cli: Any) -> None:
    out = tmp_path / "sent-to-partner.json"
    assert _cli(run_cli, keyed, "anchor", "--out", out).exit_code == 0
    rewrite(keyed, 5, actor="mallory")
    signer = keyed.signer()
    assert signer is not None
    forge_stored_anchors(keyed, signer)                                 # with the real key: all hold again
    assert _cli(run_cli, keyed, "verify").exit_code == 0
    assert _cli(run_cli, keyed, "verify", "--anchor", out).exit_code == 7


def test_a_tampered_anchor_file_is_refused(keyed: Workspace, tmp_path: Path, run_cli: Any) -> None:
    out = tmp_path / "a.json"
    assert _cli(run_cli, keyed, "anchor", "--out", out).exit_code == 0
    data = json.loads(out.read_text())
    rewrite(keyed, 5, actor="mallory")
    with keyed.engine.begin() as conn:
        data["head"] = conn.execute(text("SELECT hash FROM audit_events WHERE seq=:s"), {"s": data["seq"]}).scalar()
    out.write_text(json.dumps(data))                                   # "fix" the file to match
    r = _cli(run_cli, keyed, "verify", "--anchor", out)
    assert r.exit_code == 7 and "signature does not hold" in r.stderr


def test_verify_names_which_key_checked_and_a_mistyped_key_is_an_input_error(
        keyed: Workspace, tmp_path: Path, run_cli: Any) -> None:
    signer = keyed.signer()
    assert signer is not None
    r = _cli(run_cli, keyed, "verify", "--json")
    data = json.loads(r.stdout)["anchors"]
    assert r.exit_code == 0 and data["key"] == "workspace" and data["key_fingerprint"] == signer.fingerprint
    assert data["checked"] == data["stored"] == 3 and data["latest"]["seq"] == 10
    r = _cli(run_cli, keyed, "verify", "--json", "--key", signer.public_key)
    assert r.exit_code == 0 and json.loads(r.stdout)["anchors"]["key"] == "given"
    other = give_key(tmp_path / "other")
    assert _cli(run_cli, keyed, "verify", "--key", other.public_key).exit_code == 7
    r = _cli(run_cli, keyed, "verify", "--key", "not-a-key")
    assert r.exit_code == 5 and "Traceback" not in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = _cli(run_cli, keyed, "verify", "--anchor", bad)
    assert r.exit_code == 5 and "not a Tasman audit anchor" in r.stderr


def test_anchor_without_a_key_says_how_to_make_one(plain: Workspace, run_cli: Any) -> None:
    r = _cli(run_cli, plain, "anchor")
    assert r.exit_code == 3 and "tasman keys generate" in r.stderr
