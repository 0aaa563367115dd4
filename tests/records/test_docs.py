"""The examples in docs/records.md import as documented (so the docs cannot fall behind)."""

from __future__ import annotations

import re
from pathlib import Path

from tasman.records.importers import Options, importer_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "records.md"


def _block(lang: str) -> str:
    m = re.search(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert m, f"no {lang} example in {DOC.name}"
    return m.group(1)


def test_tip_json_example(tmp_path: Path) -> None:
    f = tmp_path / "tips.json"
    f.write_text(_block("json"), encoding="utf-8")
    p = importer_for("tips").parse(f, Options())
    assert p.skipped == 0 and [sid for sid, _ in p.rows] == ["T-0000001"]
    fields = p.rows[0][1]
    assert fields["username"] == "mantoniou793" and fields["country"] == "GR" and fields["dob"] == "1988-02-11"
    assert {"platform": "telegram", "raw": "m_antoniou", "type": "handle", "value": "telegram:m_antoniou"} in fields[
        "identifiers"]


def test_cybertipline_xml_example(tmp_path: Path) -> None:
    f = tmp_path / "tips.xml"
    f.write_text(_block("xml"), encoding="utf-8")
    p = importer_for("tips").parse(f, Options())
    assert [sid for sid, _ in p.rows] == ["CT-100"] and p.rows[0][1]["phone"] == "+63 917 123 4567"
