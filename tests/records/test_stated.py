"""Facts the person states about themselves, kept at import: a chat counterpart's own lines, the
lines a tip quotes the reported person saying; never the operator's or the reporter's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("tasman.extract.scan")

from tasman.records.importers import Options, importer_for


def test_a_chat_keeps_what_the_counterpart_says_with_message_and_pattern(tmp_path: Path) -> None:
    msgs = [("operator", "hi, I'm Anna, I live in Berlin"), ("quietfox", "hey, I'm Marta"),
            ("operator", "where are you?"), ("quietfox", "I was in Paris last week"),
            ("quietfox", "mieszkam w Poznaniu"), ("quietfox", 'my friend says "I\'m Tom from Leeds"')]
    line = {"session": "S-1", "platform": "chatroom", "counterpart": "quietfox",
            "messages": [{"t": f"2024-03-01T10:0{i}:00Z", "from": w, "text": t} for i, (w, t) in enumerate(msgs)]}
    f = tmp_path / "chats.jsonl"
    f.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (_sid, fields), = importer_for("chats").parse(f, Options()).rows
    assert [(s["kind"], s["value"], s["message"], s["pattern"]) for s in fields["stated"]] == [
        ("first_name", "Marta", 1, "en:i-am"), ("city", "PL:poznan", 4, "pl:mieszkam-w")]
    assert fields["city"] == "Poznan" and fields["country"] == "PL"  # beats "in Paris", a place mentioned
    # a city is kept as written (read back from its inflected form), not as the gazetteer names it
    line["messages"][4]["text"] = "vivo en Roma"
    f.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (_sid, fields), = importer_for("chats").parse(f, Options()).rows
    assert fields["city"] == "Roma" and fields["stated"][1]["value"] == "IT:rome"


def _tip(description: str, **person: object) -> dict[str, object]:
    return {"report_id": "T-1", "incident": {"type": "Online Enticement", "description": description},
            "person_or_user_reported": {"screen_name": "quietfox", **person}}


def test_a_tip_keeps_only_what_it_quotes_the_reported_person_saying(tmp_path: Path) -> None:
    f = tmp_path / "tips.json"
    f.write_text(json.dumps({"tips": [
        _tip("I'm Anna, a moderator in Lyon. The user wrote to a child: \"my name is Marta Kowalska, "
             "I live in Kovecourt\". Her friend said \"I'm Tom\"."),
        {**_tip("El usuario le escribió a la menor: «me llamo Luis, vivo en Lima»."), "report_id": "T-2"},
        {**_tip("I am Jan Nowak from Gdańsk and I report this account. My wife said \"I live in Lyon\", "
                "she said \"I'm Ewa\". The reporting person said \"I'm Olga\"."), "report_id": "T-3"},
        {**_tip('quietfox said "I live in Poznań"', estimated_location={"city": "Kraków", "country_code": "PL"}),
         "report_id": "T-4"},
    ]}), encoding="utf-8")
    rows = dict(importer_for("tips").parse(f, Options()).rows)
    t1 = rows["T-1"]
    assert {(s["kind"], s["value"]) for s in t1["stated"]} == {("name", "Marta Kowalska"), ("place", "kovecourt")}
    assert all(s["where"] == "incident.description" for s in t1["stated"]) and t1["city"] == "Kovecourt"
    assert {(s["kind"], s["value"]) for s in rows["T-2"]["stated"]} == {("first_name", "Luis"), ("city", "PE:lima")}
    assert rows["T-2"]["country"] == "PE"
    assert "stated" not in rows["T-3"] and "city" not in rows["T-3"]  # the reporter's own first person
    assert rows["T-4"]["city"] == "Kraków"  # the tip's own location field comes first; the statement is kept
    assert [s["value"] for s in rows["T-4"]["stated"]] == ["PL:poznan"]
