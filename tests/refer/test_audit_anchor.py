"""Packages and exports sign the audit head they leave with (``tasman.core.anchor``)."""

from __future__ import annotations

from sqlalchemy import select

from tasman.core import anchor
from tasman.core.models import AuditAnchor
from tasman.refer.exports import export_set
from tasman.refer.models import ReferralPackage
from tests.refer.conftest import Sent


def test_the_head_a_package_carries_is_signed_and_stored(sent: Sent) -> None:
    with sent.ws.session() as s:
        docs = [p.document for p in s.scalars(select(ReferralPackage))]
        rows = list(s.scalars(select(AuditAnchor).order_by(AuditAnchor.id)))
        report = anchor.verify_anchors(s, key=sent.keys.public_key)
    assert docs and report.ok
    refer = [r for r in rows if r.reason == "refer"]
    assert len(refer) == 1 and {d["audit_head"] for d in docs} == {refer[0].head}
    assert refer[0].fingerprint == sent.keys.fingerprint
    # and the head after the packages' own entries, when the transaction committed
    assert rows[-1].reason == "refer.package" and rows[-1].seq > refer[0].seq


def test_an_export_is_anchored_when_it_commits(sent: Sent) -> None:
    with sent.ws.session() as s:
        before = len(list(s.scalars(select(AuditAnchor))))
        export_set(s, sent.ws.actor, "OP-1", "csv")
    with sent.ws.session() as s:
        rows = list(s.scalars(select(AuditAnchor).order_by(AuditAnchor.id)))
    assert len(rows) == before + 1 and rows[-1].reason == "export.csv"
