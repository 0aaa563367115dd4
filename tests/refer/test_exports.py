from __future__ import annotations

import csv
import io
import json

from pymisp import MISPEvent

from tasman.refer.exports import export_set
from tasman.refer.exports.csv_rows import to_csv
from tasman.refer.exports.ftm import to_jsonl, validate
from tasman.refer.exports.misp import misp_event
from tests.refer.conftest import Sent


def test_misp_event_loads_with_pymisp(sent: Sent) -> None:
    with sent.ws.session() as s:
        es = export_set(s, sent.ws.actor, "OP-1", "misp", ["NL"], "amber")
    text = misp_event(es, distribution=1).to_json()
    ev = MISPEvent()
    ev.load(json.loads(text))
    assert ev.distribution == 1 and {t.name for t in ev.tags} == {"tlp:amber", "tasman:referral"}
    names = sorted(o.name for o in ev.objects)
    assert names == ["bank-account", "email", "person", "phone-number"]
    person = next(o for o in ev.objects if o.name == "person")
    assert len(person.references) == 3
    assert "Ana Reyes" not in text and "Jan de Vries" in text


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


def test_csv_one_row_per_identifier(sent: Sent) -> None:
    with sent.ws.session() as s:
        es = export_set(s, sent.ws.actor, "OP-1", "csv", ["PH"])
    rows = list(csv.DictReader(io.StringIO(to_csv(es))))
    assert {r["subject"] for r in rows} == {"S-000001"}
    assert {r["type"] for r in rows} == {"email", "phone"}
    assert all(r["country"] == "PH" for r in rows)
