"""Importing into a case: one transaction, idempotent, an import log that says how complete it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.core.errors import ExitCode, InputError
from tasman.core.models import AuditEvent, Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.records.importing import import_file, list_imports


def _orders(path: Path, bad_rows: int = 0) -> Path:
    lines = ["Order No,Customer,E-Mail,Phone,Country"]
    for i in range(1, 21):
        lines.append(f"{i},Person {chr(64 + i)}lpha,p{i}@example.org,+44 7700 900{i:03d},UK")
    lines += [f"{100 + i},###,,," for i in range(bad_rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_is_idempotent_and_logged(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
    f = _orders(tmp_path / "orders.csv")
    with ws.session() as s:
        first = import_file(s, ws.actor, "C1", f, "customers", save_mapping_dir=ws.out_dir("mappings"))
    assert (first.added, first.skipped, first.complete) == (20, 0, True)
    assert first.mapping_saved and Path(first.mapping_saved).name == "orders.customers.mapping.yaml"
    with ws.session() as s:
        again = import_file(s, ws.actor, "C1", f, "customers")
    assert (again.added, again.unchanged) == (0, 20)
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 20
        rec = s.scalar(select(Record).where(Record.source_id == "3"))
        assert rec is not None and rec.fields["email"] == "p3@example.org" and rec.source == "orders.csv"
        log = list_imports(s, ws.actor, "C1")
        assert [(r.total, r.added, r.unchanged, r.complete) for r in log] == [(20, 20, 0, True), (20, 0, 20, True)]
        actions = [a for (a,) in s.execute(select(AuditEvent.action).order_by(AuditEvent.seq))]
        assert actions.count("records.import.file") == 2 and "records.list" in actions


def test_partial_import_is_marked_and_strict_imports_nothing(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
    f = _orders(tmp_path / "orders.csv", bad_rows=2)
    with pytest.raises(InputError, match="2 of 22 rows are bad"), ws.session() as s:
        import_file(s, ws.actor, "C1", f, "customers", strict=True)
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 0
        rep = import_file(s, ws.actor, "C1", f, "customers")
    assert (rep.imported, rep.skipped, rep.complete) == (20, 2, False)
    with ws.session() as s:
        (log,) = list_imports(s, ws.actor, "C1")
        assert log.complete is False and log.skipped == 2 and "orders.csv#row 22" in log.warnings[0]


def test_a_changed_file_updates_its_records(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
    f = _orders(tmp_path / "orders.csv")
    with ws.session() as s:
        import_file(s, ws.actor, "C1", f, "customers")
    f.write_text(f.read_text().replace("p3@example.org", "p3.new@example.org"), encoding="utf-8")
    with ws.session() as s:
        rep = import_file(s, ws.actor, "C1", f, "customers")
    assert (rep.updated, rep.unchanged) == (1, 19) and any("imported before" in n for n in rep.notes)


def test_cli_import_exit_codes_and_list(run_cli, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    w = ["-w", tmp_path / "ws"]
    assert run_cli("--db", db_url, "init", tmp_path / "ws").exit_code == 0
    assert run_cli(*w, "case", "create", "C1").exit_code == 0
    good = _orders(tmp_path / "good.csv")
    r = run_cli(*w, "records", "import", good, "--case", "C1", "--kind", "customers")
    assert r.exit_code == 0, r.output
    assert "Guessed column mapping" in r.stdout and "20 imported" in r.stdout and "[complete]" in r.stdout
    bad = _orders(tmp_path / "bad.csv", bad_rows=3)
    r = run_cli(*w, "records", "import", bad, "--case", "C1", "--kind", "customers", "--json")
    assert r.exit_code == ExitCode.BAD_INPUT
    data = json.loads(r.stdout)
    assert (data["imported"], data["skipped"], data["complete"]) == (20, 3, False)
    assert "3 of 23 rows were skipped" in r.stderr and "Traceback" not in r.output
    mapping = Path(tmp_path / "ws" / "out" / "mappings" / "good.customers.mapping.yaml")
    r = run_cli(*w, "records", "import", good, "--case", "C1", "--kind", "customers", "--map", mapping,
                "--source", "good-again.csv")
    assert r.exit_code == 0 and "Guessed" not in r.stdout
    r = run_cli(*w, "--json", "records", "list", "--case", "C1")
    assert [(x["source"], x["complete"]) for x in json.loads(r.stdout)] == [
        ("good.csv", True), ("bad.csv", False), ("good-again.csv", True)]
    errors = [
        ([*w, "records", "import", tmp_path / "nope.csv", "--case", "C1", "--kind", "customers"],
         ExitCode.NOT_FOUND, "no such file"),
        ([*w, "records", "import", good, "--case", "NOPE", "--kind", "customers"], ExitCode.NOT_FOUND, "no case"),
        ([*w, "records", "import", good, "--case", "C1", "--kind", "emails"], ExitCode.USAGE, "emails"),
        ([*w, "records", "import", good, "--case", "C1", "--kind", "tips", "--map", mapping], ExitCode.BAD_INPUT,
         "--map applies to table kinds"),
    ]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    errors.append(([*w, "records", "import", empty, "--case", "C1", "--kind", "customers"], ExitCode.BAD_INPUT,
                   "empty.csv is empty"))
    for args, code, text in errors:
        r = run_cli(*args)
        assert r.exit_code == code, (args, r.output)
        assert text in r.stderr and "Traceback" not in r.output
