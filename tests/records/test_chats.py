"""Chat logs: one record per session, identifiers from the counterpart's own messages only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("tasman.extract.scan")

from tasman.records.importers import Options, importer_for


def _session(sid: str, counterpart: str, lines: list[tuple[str, str]], **extra: object) -> str:
    msgs = [{"t": f"2024-03-01T10:{i:02d}:00Z", "from": who, "text": text} for i, (who, text) in enumerate(lines)]
    return json.dumps({"session": sid, "platform": "skype", "counterpart": counterpart, "messages": msgs, **extra})


def test_identifiers_come_from_the_counterparts_messages_only(tmp_path: Path) -> None:
    f = tmp_path / "chats.jsonl"
    f.write_text("\n".join([
        _session("S-1", "live:river.fox12", [
            ("operator", "you can write to me at operator.desk@mail.example or call +44 7700 900123"),
            ("live:river.fox12", "ok. write me at river.fox@mail.example"),
            ("live:river.fox12", "or text me on +63 917 123 4567"),
        ]),
        _session("S-2", "@amber_k", [("amber_k", "I'm in Germany, call me on 0151 23456789")]),
        "not json",
        json.dumps({"session": "S-3", "messages": []}),
        _session("S-1", "live:river.fox12", [("live:river.fox12", "telegram: @river_fox_tg")]),
    ]) + "\n", encoding="utf-8")
    p = importer_for("chats").parse(f, Options())
    assert [sid for sid, _ in p.rows] == ["S-1", "S-2"]
    assert (p.total, p.skipped) == (4, 2)
    s1 = p.rows[0][1]
    assert s1["username"] == "live:river.fox12" and s1["platform"] == "skype"
    values = {(i["type"], i.get("value") or i.get("raw")) for i in s1["identifiers"]}
    assert ("email", "river.fox@mail.example") in values and ("phone", "+639171234567") in values
    assert not any("operator.desk" in v or v == "+447700900123" for _, v in values)
    assert s1["email"] == "river.fox@mail.example" and s1["timestamp"] == "2024-03-01T10:00:00Z"
    assert s1["extra"]["messages"] == 4 and s1["extra"]["counterpart_messages"] == 3
    s2 = p.rows[1][1]  # a country the counterpart names reads their national number
    assert s2["phone"] == "+4915123456789" and s2["country"] == "DE"
    assert any("line 3: not JSON" in w for w in p.warnings) and any("no counterpart" in w for w in p.warnings)


def test_a_session_line_nested_too_deep_is_skipped_with_the_limit(tmp_path: Path) -> None:
    f = tmp_path / "chats.jsonl"
    deep = '{"session": "S-9", "counterpart": "x", "messages": ' + "[" * 3000 + "]" * 3000 + "}"
    f.write_text(deep + "\n" + _session("S-1", "@amber_k", [("amber_k", "hello")]) + "\n", encoding="utf-8")
    p = importer_for("chats").parse(f, Options())
    assert [sid for sid, _ in p.rows] == ["S-1"]
    assert (p.total, p.skipped) == (2, 1)
    assert "line 1: JSON nested 3001 levels deep, over the limit of 64" in p.warnings[0]
