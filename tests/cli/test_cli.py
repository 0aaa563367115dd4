"""Every command through the CLI runner: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasman.core.errors import ExitCode


def _no_traceback(result) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.output
    assert "Traceback" not in (result.stderr or "")


@pytest.fixture
def wsdir(run_cli, tmp_path: Path, migrated_db_url: str) -> Path:  # type: ignore[no-untyped-def]
    d = tmp_path / "ws"
    r = run_cli("--db", migrated_db_url, "init", d)
    assert r.exit_code == 0, r.output
    # later commands find the database from the workspace config
    return d


def test_full_flow_with_json(run_cli, wsdir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = ["-w", wsdir]
    assert run_cli(*w, "case", "create", "OP-1", "--title", "Storefront").exit_code == 0
    f = tmp_path / "disk.raw"
    f.write_bytes(b"x" * 1000)
    r = run_cli(*w, "evidence", "add", "OP-1", f, "--custodian", "Unit 7", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data[0]["size"] == 1000 and data[0]["created"] is True
    r = run_cli(*w, "--json", "evidence", "list", "OP-1")
    assert [e["name"] for e in json.loads(r.stdout)] == ["disk.raw"]
    r = run_cli(*w, "evidence", "verify", "OP-1")
    assert r.exit_code == 0
    r = run_cli(*w, "audit", "verify", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["ok"] is True
    r = run_cli(*w, "audit", "log", "--case", "OP-1", "--json")
    actions = [e["action"] for e in json.loads(r.stdout)]
    assert "evidence.add" in actions and "case.create" in actions


def test_errors_have_codes_and_no_traceback(run_cli, wsdir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = ["-w", wsdir]
    cases = [
        (["init", wsdir], ExitCode.ALREADY_EXISTS, "already a Tasman workspace"),
        ([*w, "evidence", "add", "NOPE", tmp_path], ExitCode.NOT_FOUND, "no case 'NOPE'"),
        ([*w, "case", "create", "bad ref!"], ExitCode.BAD_INPUT, "case reference"),
        (["-w", tmp_path / "nowhere", "case", "list"], ExitCode.NOT_FOUND, "no Tasman workspace"),
    ]
    run_cli(*w, "case", "create", "C1")
    cases.append(([*w, "evidence", "add", "C1", tmp_path / "missing.E01"], ExitCode.NOT_FOUND, "no such file"))
    for args, code, text in cases:
        r = run_cli(*args)
        assert r.exit_code == code, (args, r.output)
        assert text in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        _no_traceback(r)


def test_changed_evidence_exits_7(run_cli, wsdir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = ["-w", wsdir]
    run_cli(*w, "case", "create", "C1")
    f = tmp_path / "a.bin"
    f.write_bytes(b"1")
    assert run_cli(*w, "evidence", "add", "C1", f).exit_code == 0
    f.write_bytes(b"2")
    r = run_cli(*w, "evidence", "add", "C1", f)
    assert r.exit_code == ExitCode.INTEGRITY and "changed since" in r.stderr
    r = run_cli(*w, "evidence", "verify", "C1")
    assert r.exit_code == ExitCode.INTEGRITY


def test_second_init_changes_nothing(run_cli, wsdir: Path) -> None:  # type: ignore[no-untyped-def]
    before = {p: p.read_bytes() for p in wsdir.rglob("*") if p.is_file()}
    run_cli(*["-w", wsdir], "case", "create", "C1")
    before = {p: p.read_bytes() for p in wsdir.rglob("*.yaml")}
    r = run_cli("init", wsdir)
    assert r.exit_code == ExitCode.ALREADY_EXISTS
    assert {p: p.read_bytes() for p in wsdir.rglob("*.yaml")} == before
    assert "C1" in run_cli("-w", wsdir, "case", "list").stdout


def test_tampered_audit_exits_7(run_cli, wsdir: Path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from tasman.core.models import AuditEvent
    from tasman.core.workspace import Workspace

    run_cli("-w", wsdir, "case", "create", "C1")
    ws = Workspace.open(wsdir)
    with ws.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(target="forged"))
    ws.close()
    r = run_cli("-w", wsdir, "audit", "verify")
    assert r.exit_code == ExitCode.INTEGRITY
    assert "entry 2" in r.stderr


def test_unreachable_database(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("--db", "postgresql://nobody@127.0.0.1:1/none", "init", tmp_path / "w")
    assert r.exit_code == ExitCode.DATABASE
    assert "cannot reach database" in r.stderr
    assert not (tmp_path / "w").exists()
    r = run_cli("--db", "mysql://x@y/z", "init", tmp_path / "w2")
    assert r.exit_code == ExitCode.DATABASE


def test_help_lists_commands(run_cli) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("--help")
    for cmd in ("init", "case", "evidence", "audit", "demo"):
        assert cmd in r.stdout


def test_database_url_from_environment(run_cli, tmp_path: Path, db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TASMAN_DATABASE_URL", db_url)
    d = tmp_path / "envws"
    assert run_cli("init", d).exit_code == 0
    assert "database_url" not in (d / "tasman.yaml").read_text()  # the env var is not written down
    assert run_cli("-w", d, "case", "create", "E1").exit_code == 0
    monkeypatch.setenv("TASMAN_WORKSPACE", str(d))
    r = run_cli("--json", "case", "list")
    assert [c["ref"] for c in json.loads(r.stdout)] == ["E1"]
