"""Money-trail parties in the referral packages: each alerted party goes to its own country only
(a facilitator in the Philippines to the Philippine agency, its senders to theirs), including
countries without subjects; and a package from a sender not in the directory is refused."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pymisp import MISPEvent

from tasman.attribute import attribute_case
from tasman.core.errors import InputError, IntegrityError
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.money.importer import import_transactions
from tasman.money.referral import parties_by_country
from tasman.money.run import analyse_case
from tasman.refer import agencies, keys, render
from tasman.refer.container import inner_files, open_package
from tasman.refer.document import PackageDocument
from tasman.refer.exports import export_set
from tasman.refer.exports.csv_rows import to_csv
from tasman.refer.exports.ftm import to_jsonl, validate
from tasman.refer.exports.misp import misp_event
from tasman.refer.keys import LocalKeys
from tasman.refer.money import scrub
from tasman.refer.outcomes import import_outcome, report_outcome
from tasman.refer.service import ReferSummary, import_package, refer_case
from tasman.refer.summary import build_summary
from tasman.refer.summary import to_csv as summary_csv
from tasman.synth.transfers import TransferCorpus, generate_transfers, write_goaml
from tests.attribute import factory as f

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
NO_AGENCY = "SE"  # an alerted sender's country left out of the directory


@dataclass
class MoneySent:
    ws: Workspace
    keys: LocalKeys
    out: Path
    summary: ReferSummary
    corpus: TransferCorpus
    partners: dict[str, LocalKeys]
    everyone: dict[str, list[dict[str, object]]]  # country -> every scored party (alerted or not), as dumped

    def doc(self, cc: str) -> PackageDocument:
        return open_package(self.out / f"OP-1-{cc}-v1.tasman", self.partners[cc].age_identity).document


@pytest.fixture
def money_sent(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MoneySent]:
    """Case OP-1 (subjects in PH, NL and DE) with generated transfers: facilitators in PH and DO
    paid by senders in DE, NL, AU, NZ, FR and SE; analysed, then referred."""
    monkeypatch.setattr(render, "WITH_PDF", False)
    corpus = generate_transfers(40, seed=2, facilitator_share=0.05, family_share=0.3)
    report = write_goaml(corpus.transfers, tmp_path / "str.xml")
    local = keys.generate(ws.root, "Hotline Unit", ["GB"], "unit@example.invalid")
    with ws.session() as s:
        f.operation(s)
        attribute_case(s, ws.actor, "OP-1")
        import_transactions(s, ws.actor, "OP-1", report, "goaml")
    with ws.session() as s:
        analyse_case(s, ws.actor, "OP-1", out_dir=tmp_path / "money")
    partners = {}
    with ws.session() as s:
        everyone = {cc: [p.model_dump() for p in ps]
                    for cc, ps in parties_by_country(s, "OP-1", actor="t", alerted_only=False).items()}
        alerted = parties_by_country(s, "OP-1", actor="t")
        for cc in sorted({*alerted, "PH", "NL", "DE"} - {NO_AGENCY}):
            root = tmp_path / f"partner-{cc}"
            root.mkdir()
            partners[cc] = keys.generate(root, f"Agency {cc}", [cc], "")
            agencies.add_agency(s, ws.actor, f"Agency {cc}", [cc], partners[cc].age_recipient,
                                partners[cc].public_key)
    out = tmp_path / "out"
    with ws.session() as s:
        summary = refer_case(s, ws.actor, "OP-1", out, local)
    yield MoneySent(ws, local, out, summary, corpus, partners, everyone)


def _ids(p: dict[str, object]) -> list[str]:
    return [*p["phones"], *p["emails"], *p["accounts"], str(p["name"])]  # type: ignore[misc]


def test_each_party_goes_to_its_own_country_only(money_sent: MoneySent) -> None:
    m = money_sent
    built = {b["country"]: b for b in m.summary.built}
    assert {"PH", "DO", "DE", "NL", "AU", "NZ", "FR"} <= set(built)
    assert [sk["country"] for sk in m.summary.skipped] == [NO_AGENCY]
    docs = {cc: m.doc(cc) for cc in built}
    texts = {cc: json.dumps(d.model_dump(mode="json")) for cc, d in docs.items()}

    # the Philippine facilitator is in the PH package, beside the PH subject; no sender is
    ph = docs["PH"]
    assert [s.ref for s in ph.subjects] == ["S-000001"]
    assert [(p.role, m.corpus.truth.get(p.phones[0])) for p in ph.money_parties] == [("beneficiary", "facilitator")]
    fac = ph.money_parties[0]
    assert fac.reasons and fac.records and fac.key.startswith("phone:+63")
    assert {"several_unrelated_senders", "small_frequent_corridor"} <= {r.indicator for r in fac.reasons}
    # countries with alerted senders and no subject get a package of their own
    for cc in ("AU", "NZ", "FR"):
        assert built[cc]["subjects"] == 0 and built[cc]["money_parties"] >= 1
        assert docs[cc].subjects == [] and all(p.role == "sender" for p in docs[cc].money_parties)
    senders = [p for d in docs.values() for p in d.money_parties if p.role == "sender"]
    assert senders and all(m.corpus.senders_truth.get(p.phones[0]) == "facilitator_customer" for p in senders)
    assert {p.key for p in docs["DE"].money_parties} and [s.ref for s in docs["DE"].subjects] == ["S-000003"]

    # no package holds another country's party, alerted or not: not in its entries, not in a reason
    for cc, text in texts.items():
        assert all(p.country == cc for p in docs[cc].money_parties)
        for other, parties in m.everyone.items():
            if other == cc:
                continue
            for p in parties:
                for value in _ids(p):
                    assert value not in text, (cc, other, value)


def test_schema_dossier_and_versions(money_sent: MoneySent, monkeypatch: pytest.MonkeyPatch) -> None:
    import jsonschema

    m = money_sent
    ph = m.doc("PH")
    assert ph.schema_version == "1.2"
    published = json.loads((DOCS / "referral-package.schema.json").read_text())
    jsonschema.validate(ph.model_dump(mode="json"), published)
    html = render.html(ph)
    fac = ph.money_parties[0]
    assert "Money trails: alerted parties in PH" in html and fac.name in html and fac.phones[0] in html
    assert fac.ref is not None and f"reference {fac.ref}" in html
    assert "<script" not in html
    monkeypatch.setattr(render, "WITH_PDF", True)
    assert inner_files(ph, m.keys)["dossier.pdf"].startswith(b"%PDF")
    # the same analysis again changes nothing: no new versions
    with m.ws.session() as s:
        analyse_case(s, m.ws.actor, "OP-1", out_dir=m.out.parent / "money2")
    with m.ws.session() as s:
        again = refer_case(s, m.ws.actor, "OP-1", m.out, m.keys)
    assert again.built == [] and {u["country"] for u in again.unchanged} == {b["country"] for b in m.summary.built}


def test_a_document_without_money_digests_as_1_0_and_1_0_still_reads(money_sent: MoneySent) -> None:
    nl = money_sent.doc("NL").model_copy(update={"money_parties": []})
    old = nl.model_dump(mode="json")
    old["schema_version"] = "1.0"
    del old["money_parties"]
    as_1_0 = PackageDocument.model_validate(old)
    assert as_1_0.content_digest() == nl.content_digest()


def test_exports_carry_the_money_parties(money_sent: MoneySent) -> None:
    m = money_sent
    with m.ws.session() as s:
        everything = export_set(s, m.ws.actor, "OP-1", "ftm")
        ph_only = export_set(s, m.ws.actor, "OP-1", "misp", ["PH"])
        au_csv = export_set(s, m.ws.actor, "OP-1", "csv", ["AU"])
    lines = [json.loads(line) for line in to_jsonl(everything).splitlines()]
    for data in lines:
        validate(data)
    payments = [e for e in lines if e["schema"] == "Payment"]
    assert payments and all(e["properties"]["payer"] and e["properties"]["beneficiary"] for e in payments)
    fac = next(p for p in everything.money_parties if p.country == "PH")
    assert any(fac.name in e["properties"].get("name", []) for e in lines if e["schema"] == "Person")

    ph_lines = to_jsonl(ph_only)
    assert "Payment" not in ph_lines  # its payers are in other countries: never named here
    assert {p.country for p in ph_only.money_parties} == {"PH"}
    text = misp_event(ph_only).to_json()
    ev = MISPEvent()
    ev.load(json.loads(text))
    persons = [o for o in ev.objects if o.name == "person"]
    assert len(persons) == 2 and fac.phones[0] in text  # Ana Reyes and the facilitator
    for other, parties in m.everyone.items():
        if other != "PH":
            assert not any(v in text or v in ph_lines for p in parties for v in _ids(p))

    rows = list(csv.DictReader(io.StringIO(to_csv(au_csv))))
    assert rows and {r["role"] for r in rows} == {"sender"} and {r["country"] for r in rows} == {"AU"}
    assert all(r["type"] == "phone" and r["value"].startswith("+61") for r in rows)


def test_a_package_from_an_unknown_sender_is_refused(money_sent: MoneySent, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    m = money_sent
    pkg = m.out / "OP-1-PH-v1.tasman"
    root = tmp_path / "partner-PH"
    w = Workspace.init(root / "ws", actor="ph-officer")
    try:
        with w.session() as s:
            create_case(s, w.actor, "PH-1")
        with pytest.raises(IntegrityError, match="not in the agency directory"), w.session() as s:
            import_package(s, w.actor, "PH-1", pkg, m.partners["PH"].age_identity)
    finally:
        w.close()
    key = root / keys.KEYS_DIR / keys.AGE_FILE
    r = run_cli("-w", root / "ws", "package", "import", pkg, "--case", "PH-1", "--key", key)
    assert r.exit_code == 7 and "--allow-unknown-sender" in r.stderr and r.stderr.count("\n") == 1
    r = run_cli("-w", root / "ws", "package", "import", pkg, "--case", "PH-1", "--key", key,
                "--allow-unknown-sender", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["known"] is False and got["subjects"] == 1 and got["money_parties"] == 1


def test_scrub_keeps_counts_and_countries_and_drops_identifiers() -> None:
    plain = "7 transfers of 10-200 from abroad into PH, up to 4 within 30 days"
    assert scrub(plain, [], set()) == plain
    assert scrub("paid by 2 subjects of the case: S-000001, S-000003", [], {"S-000001"}) == \
        "paid by 2 subjects of the case: S-000001, [a subject referred elsewhere]"
    got = scrub("like Kalo Renta at +63 905 123 4567 or kalo@example.invalid, DE89370400440532013000, phone:+6390",
                ["Kalo Renta"], set())
    assert got == "like [withheld] at [withheld] or [withheld], [withheld], [withheld]"


def test_outcomes_can_be_about_a_money_trail_party(money_sent: MoneySent, tmp_path: Path) -> None:
    """A package holding only money-trail parties (AU: senders, no subject) can get outcomes too:
    the recipient names a party by its P- reference, stable across analyses."""
    from datetime import date

    m = money_sent
    au = m.doc("AU")
    assert au.subjects == [] and au.money_parties
    party = au.money_parties[0]
    assert party.ref and party.ref.startswith("P-") and party.ref not in json.dumps(m.doc("PH").model_dump())
    with m.ws.session() as s:  # a later analysis gives the same party the same reference
        analyse_case(s, m.ws.actor, "OP-1", out_dir=tmp_path / "again")
        again = parties_by_country(s, "OP-1", actor="t")["AU"]
    assert party.ref in {p.ref for p in again}
    w = Workspace.init(tmp_path / "partner-AU" / "ws", actor="au-officer")
    try:
        with w.session() as s:
            create_case(s, w.actor, "AU-1")
            import_package(s, w.actor, "AU-1", m.out / "OP-1-AU-v1.tasman", m.partners["AU"].age_identity,
                           allow_unknown_sender=True)
        day = date(2024, 6, 1)
        with pytest.raises(InputError, match="P-0000000000"), w.session() as s:
            report_outcome(s, w.actor, "AU-1", "OP-1-AU-v1", [{"subject_ref": "P-0000000000", "status": "arrested",
                                                                "date": day}], m.partners["AU"])
        with w.session() as s:
            signed = report_outcome(s, w.actor, "AU-1", "OP-1-AU-v1", [
                {"subject_ref": party.ref, "status": "arrested", "date": day},
                {"subject_ref": party.ref, "status": "children_safeguarded", "date": day, "children_safeguarded": 2}],
                m.partners["AU"])
    finally:
        w.close()
    report = tmp_path / "au-outcome.json"
    report.write_text(json.dumps(signed.model_dump(mode="json")))
    with m.ws.session() as s:
        got = import_outcome(s, m.ws.actor, "OP-1", report)
        summary = build_summary(s, m.ws.actor, "OP-1")
    assert got["items"] == 2
    row = next(r for r in summary.rows if r.country == "AU")
    assert (row.subjects, row.money_parties, row.acknowledged, row.arrested, row.children_safeguarded) == (
        0, len(au.money_parties), 1, 1, 2)
    assert "money_parties" in summary_csv(summary).splitlines()[0]
