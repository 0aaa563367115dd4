"""Artifacts tied to subjects by their strong identifiers (tasman.link.artifacts), and member
records read with their transfer side (tasman.link.members)."""

from __future__ import annotations

from tasman.core.workspace import Workspace
from tasman.link.artifacts import artifacts_holding, subject_artifacts, subject_identifiers
from tasman.link.members import members_of
from tasman.link.models import Subject
from tests.attribute import factory as f


def test_strong_identifiers_tie_artifacts_to_subjects(ws: Workspace) -> None:
    with ws.session() as s:
        c = f.case(s)
        subj = Subject(case_id=c.id, ref="S-000001", name="Ana Reyes",
                       identifiers={"emails": ["ana.reyes@example.ph"], "phones": ["+639171234567"],
                                    "payrefs": ["iban:NL91ABNA0417164300", "ref:ABC123"], "countries": ["PH"]})
        s.add(subj)
        s.flush()
        mail = f.artifact(s, c, "chats/msgstore.db")
        f.observation(s, c, "email", "Ana.Reyes@example.ph", artifact=mail)   # local part as written
        bank = f.artifact(s, c, "docs/statement.pdf")
        f.observation(s, c, "iban", "NL91ABNA0417164300", artifact=bank)
        town = f.artifact(s, c, "notes.txt")
        f.observation(s, c, "city", "Cebu", artifact=town)                      # not a strong identifier
        f.observation(s, c, "phone", "+639171234567", record=f.record(s, c, {"phone": "+63 917 123 4567"}))
        assert subject_identifiers(subj) == {("email", "ana.reyes@example.ph"), ("phone", "+639171234567"),
                                             ("iban", "NL91ABNA0417164300")}
        found = subject_artifacts(s, c.id, ["S-000001", "S-000404"])
        assert found == {"S-000001": {mail.id: {("email", "ana.reyes@example.ph")},
                                      bank.id: {("iban", "NL91ABNA0417164300")}}}
        assert artifacts_holding(s, c.id, [("city", "Cebu")]) == {}
        assert subject_artifacts(s, c.id, []) == {}


def test_members_keep_the_side_linking_stored(ws: Workspace) -> None:
    with ws.session() as s:
        c = f.case(s)
        fields = {"sender_name": "Pat Doe", "sender_phone": "+44 7700 900123", "beneficiary_name": "Pat Doe",
                  "beneficiary_phone": "+63 917 555 0101", "timestamp": "2024-03-01T10:00:00Z"}
        subj, _ = f.subject(s, c, "S-000002", "Pat Doe", fields, kind="transactions", role="sender")
        bare, _ = f.subject(s, c, "S-000003", "Pat Doe", fields, kind="transactions")   # no role: no side
        (m,) = members_of(s, [subj.id])[subj.id]
        assert m.side == "sender" and m.is_own("sender_phone") and not m.is_own("beneficiary_phone")
        assert not m.is_own("reference")
        assert m.own_fields() == {"name": "Pat Doe", "phone": "+44 7700 900123", "timestamp": fields["timestamp"]}
        (b,) = members_of(s, [bare.id])[bare.id]
        assert b.side is None and b.own_fields() == {} and not b.is_own("sender_phone")
        assert members_of(s, []) == {}
