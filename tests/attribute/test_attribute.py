from __future__ import annotations

from sqlalchemy import select

from tasman.attribute import attribute_case, show
from tasman.attribute.models import AttributionRun
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.link.models import Subject
from tests.attribute import factory as f


def test_attribute_sets_country_and_keeps_every_reason(ws: Workspace) -> None:
    with ws.session() as s:
        f.operation(s)
    with ws.session() as s:
        summary = attribute_case(s, ws.actor, "OP-1")
    assert (summary.subjects, summary.attributed) == (4, 3)
    assert summary.by_country == {"PH": 1, "NL": 1, "DE": 1}
    with ws.session() as s:
        got = {x.ref: (x.country, x.confidence) for x in s.scalars(select(Subject))}
        assert got["S-000001"][0] == "PH" and got["S-000001"][1] > 0.8  # type: ignore[operator]
        assert got["S-000002"][0] == "NL"
        assert got["S-000003"][0] == "DE"
        assert got["S-000004"] == (None, None)
        data = show(s, ws.actor, "OP-1", "S-000003")
    max_ = data["subjects"][0]
    assert max_["conflict"] is True
    assert [c["country"] for c in max_["ranked"]] == ["DE", "PH"]
    assert max_["ranked"][1]["reasons"][0]["signal"] == "phone"


def test_nl_subject_conflict_ip_and_evidence_from_artifacts(ws: Workspace) -> None:
    with ws.session() as s:
        f.operation(s)
        attribute_case(s, ws.actor, "OP-1")
        jan = show(s, ws.actor, "OP-1", "S-000002")["subjects"][0]
        ana = show(s, ws.actor, "OP-1", "S-000001")["subjects"][0]
        nobody = show(s, ws.actor, "OP-1", "S-000004")["subjects"][0]
    assert [c["country"] for c in jan["ranked"]][:2] == ["NL", "GB"]  # the GB IP is shown, not hidden
    ph = ana["ranked"][0]
    signals = {r["signal"] for r in ph["reasons"]}
    assert {"phone", "address", "email_domain", "stated_place", "gps", "timezone"} <= signals
    gps = next(r for r in ph["reasons"] if r["signal"] == "gps")
    assert gps["sources"] == ["phone.zip!/DCIM/IMG_0001.jpg"]
    assert ana["ignored"][0]["value"] == "192.168.1.20"
    assert nobody["ranked"] == [] and nobody["ignored"][0]["why"].startswith("a private address")


def test_rerun_makes_a_new_run_and_is_audited(ws: Workspace) -> None:
    with ws.session() as s:
        f.operation(s)
        attribute_case(s, ws.actor, "OP-1")
        attribute_case(s, ws.actor, "OP-1")
        runs = list(s.scalars(select(AttributionRun)))
        assert [r.status for r in runs] == ["finished", "finished"] and all(r.finished_at for r in runs)
        assert runs[0].settings["weights"] == runs[1].settings["weights"] != {}   # the weights used, kept
        actions = [e.action for e in s.scalars(select(AuditEvent))]
    assert actions.count("attribute.run") == 2


def test_transfer_reads_only_the_subjects_own_party(ws: Workspace) -> None:
    with ws.session() as s:
        c = f.case(s)
        f.subject(s, c, "S-000010", "Maria Santos",
                  {"record_id": "t1", "sender_name": "Pat Doe", "sender_phone": "+44 7700 900123",
                   "sender_country": "GB", "beneficiary_name": "Maria Santos", "beneficiary_phone": "+63 917 555 0101",
                   "beneficiary_country": "PH", "amount": "50", "currency": "USD"},
                  kind="transactions", source="transfers.csv", role="beneficiary")
        attribute_case(s, ws.actor, "OP-1")
        data = show(s, ws.actor, "OP-1", "S-000010")["subjects"][0]
    assert [c["country"] for c in data["ranked"]] == ["PH"]


def test_transfer_side_comes_from_the_membership_role_not_from_names(ws: Workspace) -> None:
    """A namesake on the other side (the name matches the sender) and a counterparty's phone in the
    record's observations must not move the subject: linking said it is the beneficiary."""
    with ws.session() as s:
        c = f.case(s)
        f.namesake_beneficiary(s, c, "S-000011", 4)
        attribute_case(s, ws.actor, "OP-1")
        data = show(s, ws.actor, "OP-1", "S-000011")["subjects"][0]
    assert [c["country"] for c in data["ranked"]] == ["PH"]
    assert not any("+44" in r["value"] for c in data["ranked"] for r in c["reasons"])


def test_a_probable_link_lends_the_other_subjects_own_country(ws: Workspace) -> None:
    from tasman.link.models import LinkRun, ProbableLink

    with ws.session() as s:
        c = f.case(s)
        _pl, (order,) = f.subject(s, c, "S-000001", "Marta Kowalska",
                                  {"record_id": "o1", "name": "Marta Kowalska", "country": "PL", "city": "Lublin",
                                   "phone": "+48 601 234 567"})
        _chat, (chat,) = f.subject(s, c, "S-000002", "", {"record_id": "c1", "username": "mart_kowal77"},
                                   kind="chats", source="chats.jsonl")
        _de, (other,) = f.subject(s, c, "S-000003", "M. Kowalski",
                                  {"record_id": "o2", "name": "M. Kowalski", "country": "DE"})
        run = LinkRun(case_id=c.id, threshold=0.99, actor="tester")
        s.add(run)
        s.flush()
        s.add(ProbableLink(run_id=run.id, record_a=order.id, record_b=chat.id, match_weight=3.0, probability=0.8))
        s.add(ProbableLink(run_id=run.id, record_a=order.id, record_b=other.id, match_weight=3.0, probability=0.7))
        s.flush()
        attribute_case(s, ws.actor, "OP-1")
        got = {x.ref: x.country for x in s.scalars(select(Subject))}
        chat_row = show(s, ws.actor, "OP-1", "S-000002")["subjects"][0]
        de_row = show(s, ws.actor, "OP-1", "S-000003")["subjects"][0]
    # nothing of its own: the chat takes the order's country, saying why and how weakly
    assert got["S-000002"] == "PL"
    (reason,) = chat_row["ranked"][0]["reasons"]
    assert reason["signal"] == "probable_link" and "S-000001" in reason["detail"] and reason["points"] < 0.8
    assert chat_row["confidence"] < 0.3
    # its own evidence (a German address) stands: the probable link only corroborates
    assert got["S-000003"] == "DE" and [c["country"] for c in de_row["ranked"]] == ["DE"]
    assert any(n["signal"] == "probable_link" for n in de_row["ignored"])
    assert got["S-000001"] == "PL"
