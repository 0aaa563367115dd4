"""Signed anchors of the audit chain: made at intervals, when data leaves, on demand; checked."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from tasman.core import anchor, audit
from tasman.core.errors import AlreadyExistsError, InputError
from tasman.core.models import AuditAnchor, AuditEvent
from tasman.core.signing import KEYS_DIR, SIGNING_FILE, LocalSigner, signature_ok
from tasman.core.workspace import Workspace


def give_key(root: Path, mode: int = 0o600) -> LocalSigner:
    """What 'tasman keys generate' leaves for core: keys/signing.pem, private to its owner."""
    key = Ed25519PrivateKey.generate()
    (root / KEYS_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
    path = root / KEYS_DIR / SIGNING_FILE
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(path, mode)
    return LocalSigner(key)


def reopen(ws: Workspace, **config: int) -> Workspace:
    path = ws.root / "tasman.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **config}), encoding="utf-8")
    return Workspace.open(ws.root, db_url=ws.db_url, actor="tester")


@pytest.fixture
def keyed(ws: Workspace) -> Iterator[Workspace]:
    """A workspace with a signing key that anchors every 3 entries (or every 60 minutes)."""
    give_key(ws.root)
    w = reopen(ws, audit_anchor_every_entries=3)
    yield w
    w.close()


def _fill(ws: Workspace, n: int, action: str = "thing.do") -> None:
    for i in range(n):
        with ws.session() as s:
            audit.record(s, "alice", action, case_ref="C1", target=f"t{i}")


def _anchors(ws: Workspace) -> list[tuple[int, str]]:
    with ws.session() as s:
        return [(a.seq, a.reason) for a in s.scalars(select(AuditAnchor).order_by(AuditAnchor.id))]


def test_no_key_no_anchor_and_nothing_fails(ws: Workspace) -> None:
    _fill(ws, 5)
    assert _anchors(ws) == []
    with ws.session() as s:
        assert anchor.verify_anchors(s).ok


def test_anchors_are_made_every_n_entries(keyed: Workspace) -> None:
    _fill(keyed, 7)
    # entry 1 is workspace.init; the first commit with a key anchors at once, then every 3 entries
    assert _anchors(keyed) == [(2, "interval"), (5, "interval"), (8, "interval")]
    with keyed.session() as s:
        report = anchor.verify_anchors(s, key=keyed.signer().public_key)  # type: ignore[union-attr]
    assert report.ok and len(report.checks) == 3 and all(c.holds for c in report.checks)


def test_an_anchor_is_made_after_the_interval_in_minutes(keyed: Workspace) -> None:
    _fill(keyed, 1)
    assert _anchors(keyed) == [(2, "interval")]
    _fill(keyed, 1)
    assert len(_anchors(keyed)) == 1                    # one entry, one minute: not yet due
    with keyed.session() as s:
        s.execute(update(AuditAnchor).values(ts="2026-01-01T00:00:00.000000Z"))
    _fill(keyed, 1)
    assert _anchors(keyed)[-1] == (4, "interval")


def test_data_leaving_the_workspace_is_anchored_when_it_commits(keyed: Workspace) -> None:
    _fill(keyed, 1)
    _fill(keyed, 1, "export.csv")
    _fill(keyed, 1, "refer.package")
    assert _anchors(keyed) == [(2, "interval"), (3, "export.csv"), (4, "refer.package")]


def test_the_key_is_read_only_when_an_anchor_is_due(keyed: Workspace) -> None:
    """A commit with no anchor due does not read the key (nor import cryptography for it)."""
    reads = []
    real = keyed.signer

    def counting() -> LocalSigner | None:
        reads.append(1)
        return real()

    keyed.factory.kw["info"][anchor.SIGNER] = counting
    _fill(keyed, 1)                                     # the first commit with a key: due
    assert len(reads) == 1 and _anchors(keyed) == [(2, "interval")]
    _fill(keyed, 2)                                     # 2 entries of 3, within the hour: not due
    assert len(reads) == 1 and len(_anchors(keyed)) == 1
    _fill(keyed, 1, "export.csv")                       # data leaving: due at once
    assert len(reads) == 2 and _anchors(keyed)[-1] == (5, "export.csv")
    _fill(keyed, 3)                                     # 3 entries since: due
    assert len(reads) == 3 and _anchors(keyed)[-1] == (8, "interval")


def test_a_rolled_back_transaction_anchors_nothing(keyed: Workspace) -> None:
    _fill(keyed, 1)
    with pytest.raises(RuntimeError), keyed.session() as s:
        audit.record(s, "alice", "export.csv")
        raise RuntimeError("cut short")
    _fill(keyed, 1)                                     # no export pending from the rolled-back one
    assert _anchors(keyed) == [(2, "interval")]


def test_a_key_others_may_read_is_not_used_and_verify_says_why(ws: Workspace) -> None:
    give_key(ws.root, mode=0o644)
    _fill(ws, 3)                                        # the work still commits
    assert _anchors(ws) == []
    key, why = anchor.workspace_key(ws.signer)
    assert key is None and why is not None and "chmod 600" in why


def test_a_bad_interval_in_the_config_is_refused(ws: Workspace) -> None:
    with pytest.raises(InputError, match="audit_anchor_every_entries"):
        reopen(ws, audit_anchor_every_entries=0)


def test_the_anchor_file_round_trips_and_its_signature_holds(keyed: Workspace, tmp_path: Path) -> None:
    signer = keyed.signer()
    assert signer is not None
    out = tmp_path / "anchor.json"
    with keyed.session() as s:
        doc = anchor.anchor_to(s, "alice", signer, out)
    data = json.loads(out.read_text())
    assert data["type"] == "tasman.audit-anchor" and data["seq"] == data["count"] == doc.seq == 1
    assert data["fingerprint"] == signer.fingerprint and data["public_key"] == signer.public_key
    back = anchor.read_file(out)
    assert back == doc and signature_ok(signer.public_key, back.payload(), back.signature)
    with keyed.session() as s:
        report = anchor.verify_anchors(s, [(str(out), back)], key=signer.public_key)
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert report.ok and report.checks[-1].holds
    assert last is not None and last.action == "audit.anchor" and last.target == str(out)
    with keyed.session() as s, pytest.raises(AlreadyExistsError):
        anchor.anchor_to(s, "alice", signer, out)    # never overwritten


def test_a_tampered_anchor_file_fails_its_signature(keyed: Workspace, tmp_path: Path) -> None:
    signer = keyed.signer()
    assert signer is not None
    _fill(keyed, 2)
    out = tmp_path / "anchor.json"
    with keyed.session() as s:
        anchor.anchor_to(s, "alice", signer, out)
    data = json.loads(out.read_text())
    data["seq"] = data["count"] = 2                    # "the chain was only this long"
    out.write_text(json.dumps(data))
    with keyed.session() as s:
        report = anchor.verify_anchors(s, [(str(out), anchor.read_file(out))], key=signer.public_key)
    assert [p.kind for p in report.problems] == ["forged"]
    assert "altered after it was signed" in report.problems[0].message


def test_an_anchor_signed_by_another_key_fails(keyed: Workspace, tmp_path: Path) -> None:
    other = give_key(tmp_path)
    with keyed.session() as s:
        doc = anchor.make(s, other, "manual")
        report = anchor.verify_anchors(s, key=keyed.signer().public_key)  # type: ignore[union-attr]
    assert [p.kind for p in report.problems] == ["forged"]
    assert doc.fingerprint in report.problems[0].message and "workspace key" in report.problems[0].message
    with keyed.session() as s:                          # against the key each carries: holds, with a warning
        own = anchor.verify_anchors(s)
    assert own.ok and own.warnings


@pytest.mark.parametrize("text,why", [
    ("not json", "not a Tasman audit anchor"),
    ('{"type": "something.else"}', "type"),
    ('{"type": "tasman.audit-anchor", "version": 1, "log_id": "", "seq": 3, "count": 4, "head": "' + "a" * 64
     + '", "ts": "x", "reason": "r", "fingerprint": "f", "public_key": "k", "signature": "s"}', "count 4"),
    ("[" * 100 + "]" * 100, "not a Tasman audit anchor"),
])
def test_a_file_that_is_not_an_anchor_is_an_input_error(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(text)
    with pytest.raises(InputError, match=why):
        anchor.read_file(path)


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(" " * (anchor.MAX_FILE + 1))
    with pytest.raises(InputError, match="larger than"):
        anchor.read_file(path)
