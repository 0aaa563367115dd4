from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tasman.core.errors import AlreadyExistsError, IntegrityError, PermissionDeniedError
from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.refer import keys
from tasman.refer.container import check, open_package
from tasman.refer.document import PackageDocument, schema
from tasman.refer.models import ReceivedPackage, ReferralPackage
from tasman.refer.service import import_package, refer_case, verify
from tests.attribute import factory as f
from tests.refer.conftest import Sent

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def opened(sent: Sent, cc: str, version: int = 1) -> PackageDocument:
    ident = keys.read_age_identity(sent.key_file(cc))
    return open_package(sent.package(cc, version), ident).document


def test_one_package_per_country_and_unattributed_left_out(sent: Sent) -> None:
    assert sorted(b["country"] for b in sent.summary.built) == ["DE", "NL", "PH"]
    assert sent.summary.unattributed == ["S-000004"]
    for cc in ("DE", "NL", "PH"):
        assert sent.package(cc).exists()


def test_minimisation_in_the_decrypted_document(sent: Sent) -> None:
    everything = {cc: json.dumps(opened(sent, cc).model_dump(mode="json")) for cc in ("PH", "NL", "DE")}
    ph = opened(sent, "PH")
    assert [s.ref for s in ph.subjects] == ["S-000001"]
    assert "Jan de Vries" not in everything["PH"] and "Max Muster" not in everything["PH"]
    assert "Unrelated Person" not in everything["PH"] and "unrelated@example.ph" not in everything["PH"]
    assert "+639170001111" not in everything["PH"]
    for cc, other in (("NL", "Ana Reyes"), ("DE", "Ana Reyes"), ("NL", "Max Muster"), ("DE", "Jan de Vries")):
        assert other not in everything[cc]
    ana = ph.subjects[0]
    assert ana.records[0].withheld == ["note"] and "note" not in ana.records[0].fields
    assert {e.path for e in ana.evidence} == {"phone.zip!/chats/msgstore.db", "phone.zip!/DCIM/IMG_0001.jpg"}
    assert all(e.sha256 and e.md5 for e in ana.evidence)
    assert ph.tlp == "amber" and "Law-enforcement sensitive" in ph.handling
    # the DE package shows the conflicting PH phone of its own subject: that is its own data
    de = opened(sent, "DE").subjects[0]
    assert de.attribution.conflict and [c.country for c in de.attribution.ranked] == ["DE", "PH"]


def test_package_json_follows_the_published_schema(sent: Sent) -> None:
    import jsonschema

    published = json.loads((DOCS / "referral-package.schema.json").read_text())
    assert published == json.loads(json.dumps(schema(), sort_keys=True)), "run: tasman package schema --out docs/..."
    data = opened(sent, "PH").model_dump(mode="json")
    jsonschema.validate(data, published)


def test_verify_says_who_signed(sent: Sent) -> None:
    with sent.ws.session() as s:
        got = verify(s, sent.ws.actor, sent.package("PH"))
    assert got["signer"] == "Hotline Unit" and got["fingerprint"] == sent.keys.fingerprint
    assert got["known"] is False  # our own key is not in our directory of partners


def test_a_changed_byte_fails_verify(sent: Sent, tmp_path: Path) -> None:
    good = sent.package("PH").read_bytes()
    check(sent.package("PH"))
    spots = {"start": 0, "end": len(good) - 3, "envelope": good.index(b'"format"') + 2,
             "signature": good.index(b"envelope.sig") + 60, "payload": good.index(b"age-encryption.org") + 200}
    for where, pos in spots.items():
        data = bytearray(good)
        data[pos] ^= 0x01
        bad = tmp_path / f"bad-{where}.tasman"
        bad.write_bytes(bytes(data))
        with pytest.raises(IntegrityError):
            check(bad)


def test_wrong_key_fails_open(sent: Sent) -> None:
    with pytest.raises(PermissionDeniedError, match="encrypted to 'PNP"):
        open_package(sent.package("PH"), keys.read_age_identity(sent.key_file("NL")))


def test_versions_are_frozen(sent: Sent) -> None:
    v1 = sent.package("PH").read_bytes()
    with sent.ws.session() as s:
        again = refer_case(s, sent.ws.actor, "OP-1", sent.out, sent.keys)
    assert again.built == [] and {u["country"] for u in again.unchanged} == {"PH", "NL", "DE"}
    with sent.ws.session() as s:
        rec = s.scalars(select(Record).where(Record.source_id == "17")).one()
        rec.fields = {**rec.fields, "street": "12 Mango Avenue"}
    with sent.ws.session() as s:
        third = refer_case(s, sent.ws.actor, "OP-1", sent.out, sent.keys)
        rows = list(s.scalars(select(ReferralPackage).where(ReferralPackage.country == "PH")))
    assert [b["package_id"] for b in third.built] == ["OP-1-PH-v2"]
    assert sent.package("PH").read_bytes() == v1
    assert [r.version for r in rows] == [1, 2] and rows[0].document["version"] == 1
    v2 = opened(sent, "PH", 2)
    assert v2.supersedes == "OP-1-PH-v1" and v2.subjects[0].records[0].fields["street"] == "12 Mango Avenue"


def test_import_into_the_recipients_workspace(sent: Sent) -> None:
    root, theirs = sent.partners["PH"]
    w = Workspace.init(root / "ws", actor="ph-officer")
    try:
        with w.session() as s:
            from tasman.evidence import create_case
            from tasman.refer import agencies

            create_case(s, w.actor, "PH-2024-7")
            agencies.add_agency(s, w.actor, "Hotline Unit", ["GB"], sent.keys.age_recipient, sent.keys.public_key)
            got = import_package(s, w.actor, "PH-2024-7", sent.package("PH"), theirs.age_identity)
        assert got["known"] is True and got["records_added"] == 1
        with w.session() as s:
            row = s.scalars(select(ReceivedPackage)).one()
            rec = s.scalars(select(Record)).one()
            assert row.record_map == {"S-000001": [rec.id]}
            assert rec.source == "Hotline Unit/OP-1-PH/orders.csv" and rec.source_id == "17"
            with pytest.raises(AlreadyExistsError):
                import_package(s, w.actor, "PH-2024-7", sent.package("PH"), theirs.age_identity)
    finally:
        w.close()


def test_a_directory_key_mismatch_is_refused(sent: Sent) -> None:
    from tasman.refer import agencies

    other = keys.generate(sent.out, "Impostor", [], "")
    with sent.ws.session() as s:
        agencies.add_agency(s, sent.ws.actor, "Hotline Unit", ["GB"], other.age_recipient, other.public_key)
    with pytest.raises(IntegrityError, match="that agency's key in the directory"), sent.ws.session() as s:
        verify(s, sent.ws.actor, sent.package("PH"))


def test_dossier_html_and_pdf_render_from_the_document(sent: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasman.refer import render
    from tasman.refer.container import inner_files

    doc = opened(sent, "DE")
    html = render.html(doc)
    assert "TLP:AMBER" in html and "Max Muster" in html and "Signals conflict" in html and "<script" not in html
    monkeypatch.setattr(render, "WITH_PDF", True)
    files = inner_files(doc, sent.keys)
    assert files["dossier.pdf"].startswith(b"%PDF")
    manifest = json.loads(files["manifest.json"])
    assert set(manifest["files"]) == {"package.json", "dossier.html", "dossier.pdf"}


def test_triage_matches_are_referenced_when_triage_stored_them(sent: Sent) -> None:
    """Triage's own ``triage_matches`` rows (read through ``tasman.triage.hits``); a known-good
    match only takes a file out of review and is no hit."""
    from tasman.core.models import Artifact, Case
    from tasman.link.models import Subject
    from tasman.refer.build import subject_entries

    with sent.ws.session() as s:
        case = s.scalars(select(Case).where(Case.ref == "OP-1")).one()
        photo = s.scalars(select(Artifact).where(Artifact.path.like("%IMG_0001.jpg"))).one()
        f.triage_match(s, case, photo, match_type="perceptual", hash_name="pdq", distance=12)
        f.triage_match(s, case, photo, hashset="nsrl", category=None, known_good=True)
    with sent.ws.session() as s:
        ana = s.scalars(select(Subject).where(Subject.ref == "S-000001")).one()
        (entry,) = subject_entries(s, ana.case_id, [ana])
    (ref,) = [e for e in entry.evidence if e.path.endswith("IMG_0001.jpg")]
    assert [(m.hashset, m.category_name, m.match_type, m.distance) for m in ref.matches] == [
        ("test-list", "cam", "perceptual", 12)]
    assert ref.via == ["email:ana.reyes@example.ph"]


def test_a_failed_run_leaves_no_file_without_its_row(sent: Sent) -> None:
    with sent.ws.session() as s:
        for rec in s.scalars(select(Record).where(Record.source_id.in_(["18", "20"]))):
            rec.fields = {**rec.fields, "postcode": "12345"}
    (sent.out / "OP-1-NL-v2.tasman").write_bytes(b"someone else's file")
    with pytest.raises(AlreadyExistsError, match="never overwritten"), sent.ws.session() as s:
        refer_case(s, sent.ws.actor, "OP-1", sent.out, sent.keys)
    assert not (sent.out / "OP-1-DE-v2.tasman").exists()
    assert (sent.out / "OP-1-NL-v2.tasman").read_bytes() == b"someone else's file"
    with sent.ws.session() as s:
        assert {r.version for r in s.scalars(select(ReferralPackage))} == {1}


def test_a_transfer_gives_the_package_the_side_linking_put_in_the_subject(ws: Workspace) -> None:
    """The side comes from ``SubjectRecord.role``: a namesake sender (the guess by name would have
    picked it) and an observation of the sender's phone stay out."""
    from tasman.link.models import Subject
    from tasman.refer.build import subject_entries

    with ws.session() as s:
        c = f.case(s)
        subj, _ = f.namesake_beneficiary(s, c, "S-000020", 5, reference="school")
        subj.country = "PH"  # as attribution would set it
        s.flush()
        (entry,) = subject_entries(s, c.id, [s.get(Subject, subj.id)])  # type: ignore[list-item]
    (record,) = entry.records
    assert record.fields["subject_side"] == "beneficiary"
    assert record.fields["beneficiary_phone"] == "+63 917 555 0105" and record.fields["sender_country"] == "GB"
    assert "sender_phone" in record.withheld and "sender_name" in record.withheld
    assert [(i.type, i.value) for i in entry.identifiers] == [("phone", "+639175550105")]
