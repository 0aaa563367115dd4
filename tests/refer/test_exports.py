from __future__ import annotations

import csv
import io
import json

from pymisp import MISPEvent

from tasman.refer.exports import export_set
from tasman.refer.exports.csv_rows import to_csv
from tasman.refer.exports.ftm import to_jsonl, validate
from tasman.refer.exports.misp import SUBJECT_REF_COMMENT, UNNAMED, misp_event
from tests.refer.conftest import Sent


def test_misp_event_loads_with_pymisp(sent: Sent) -> None:
    with sent.ws.session() as s:
        es = export_set(s, sent.ws.actor, "OP-1", "misp", ["NL"], "amber")
    text = misp_event(es, distribution=1).to_json()
    ev = MISPEvent()
    ev.load(json.loads(text))
    assert ev.distribution == 1 and {t.name for t in ev.tags} == {"tlp:amber", "tasman:referral"}
    names = sorted(o.name for o in ev.objects)
    assert names == ["bank-account", "person"]
    person = next(o for o in ev.objects if o.name == "person")
    assert len(person.references) == 1
    assert "Ana Reyes" not in text and "Jan de Vries" in text


def _misp_all(sent: Sent) -> MISPEvent:
    with sent.ws.session() as s:
        es = export_set(s, sent.ws.actor, "OP-1", "misp")
    ev = MISPEvent()
    ev.load(json.loads(misp_event(es).to_json()))
    return ev


def test_misp_personal_identifiers_are_never_ids_indicators(sent: Sent) -> None:
    ev = _misp_all(sent)
    attrs = [a for o in ev.objects for a in o.attributes]
    assert {a.type for a in attrs} >= {"email-src", "ip-src", "iban", "phone-number"}
    assert attrs and all(a.to_ids is False for a in attrs), [(a.type, a.value) for a in attrs if a.to_ids]


def test_misp_persons_carry_the_person_templates_own_relations(sent: Sent) -> None:
    ev = _misp_all(sent)
    assert "email" not in {o.name for o in ev.objects}   # an e-mail address is not an e-mail message
    persons = {o.get_attributes_by_relation("full-name")[0].value: o for o in ev.objects if o.name == "person"}
    jan, max_ = persons["Jan de Vries"], persons["Max Muster"]
    rel = {a.object_relation: a.value for a in jan.attributes}
    assert rel["e-mail"] == "jdv@example.nl" and rel["phone-number"] == "+31612345678"
    assert rel["ip-src"] == "81.2.69.160"
    assert [a.value for a in max_.get_attributes_by_relation("handle")] == ["skype:maxm"]
    acct = next(o for o in ev.objects if o.uuid == jan.references[0].referenced_uuid)
    assert acct.name == "bank-account" and acct.get_attributes_by_relation("iban")[0].value == "NL91ABNA0417164300"
    for p in persons.values():      # every relation the template knows, none more often than it allows
        assert p._validate()


def test_misp_subject_ref_does_not_correlate(sent: Sent) -> None:
    ev = _misp_all(sent)
    refs = [a for o in ev.objects for a in o.attributes if a.value.startswith("S-00000")]
    assert len(refs) == 3
    for a in refs:
        assert (a.object_relation, a.type, a.comment) == ("text", "text", SUBJECT_REF_COMMENT)
        assert a.disable_correlation is True and a.to_ids is False
    assert not any(o.get_attributes_by_relation("alias") for o in ev.objects)


def test_ftm_entities_validate_with_the_model(sent: Sent) -> None:
    with sent.ws.session() as s:
        es = export_set(s, sent.ws.actor, "OP-1", "ftm")
    lines = [json.loads(line) for line in to_jsonl(es).splitlines()]
    schemas = sorted({e["schema"] for e in lines})
    assert schemas == ["BankAccount", "Ownership", "Person", "UserAccount"]
    for data in lines:
        proxy = validate(data)
        assert proxy.id == data["id"]
    jan = next(e for e in lines if e["schema"] == "Person" and "Jan de Vries" in e["properties"]["name"])
    assert jan["properties"]["country"] == ["nl"] and "+31612345678" in jan["properties"]["phone"]


def test_ftm_subject_ref_is_an_identifier_not_a_name(sent: Sent) -> None:
    with sent.ws.session() as s:
        es = export_set(s, sent.ws.actor, "OP-1", "ftm")
    persons = [json.loads(line) for line in to_jsonl(es).splitlines() if '"Person"' in line]
    assert sorted(v for p in persons for v in p["properties"]["idNumber"]) == [
        "tasman:OP-1:S-000001", "tasman:OP-1:S-000002", "tasman:OP-1:S-000003"]
    for p in persons:
        proxy = validate(p)
        assert proxy.schema.properties["idNumber"].type.name == "identifier"
        assert "alias" not in p["properties"]
        names = [v for prop in proxy.schema.properties.values() if prop.type.name == "name"
                 for v in proxy.get(prop)]
        assert names and not any("S-0000" in v for v in names)


def test_nameless_subject_is_never_named_by_its_ref(sent: Sent) -> None:
    with sent.ws.session() as s:
        es = export_set(s, sent.ws.actor, "OP-1", "ftm", ["NL"])
    nameless = es.model_copy(update={"subjects": [es.subjects[0].model_copy(update={"name": ""})]})
    person = next(json.loads(line) for line in to_jsonl(nameless).splitlines() if '"Person"' in line)
    assert person["properties"]["name"] == ["jdv@example.nl"]
    ev = MISPEvent()
    ev.load(json.loads(misp_event(nameless).to_json()))
    name = ev.objects[0].get_attributes_by_relation("full-name")[0]
    assert name.value == UNNAMED and name.disable_correlation is True


def test_csv_one_row_per_identifier(sent: Sent) -> None:
    with sent.ws.session() as s:
        es = export_set(s, sent.ws.actor, "OP-1", "csv", ["PH"])
    rows = list(csv.DictReader(io.StringIO(to_csv(es))))
    assert {r["subject"] for r in rows} == {"S-000001"}
    assert {r["type"] for r in rows} == {"email", "phone"}
    assert all(r["country"] == "PH" for r in rows)
