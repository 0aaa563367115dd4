"""The command line, and resuming after the process was killed outright (kill -9)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tasman.core.errors import ExitCode
from tasman.synth.images import write_pictures
from tasman.synth.triage_set import TriageSet

SRC = Path(__file__).resolve().parents[3] / "src"


@pytest.fixture
def wsdir(run_cli, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    d = tmp_path / "ws"
    assert run_cli("init", d).exit_code == 0
    assert run_cli("-w", d, "case", "create", "CLI-1").exit_code == 0
    return d


def one_line_error(result, code: int) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in (result.stderr or "").splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("tasman: error:"), lines


def test_triage_command_json(run_cli, wsdir: Path, triage_set: TriageSet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "results"
    r = run_cli("-w", wsdir, "triage", triage_set.items["archive"], triage_set.items["disk"], "--case", "CLI-1",
                "--out", out, "--workers", "0", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["status"] == "finished" and data["files"] >= 10 and data["deleted"] == 1
    for name in ("matches.csv", "files.csv", "errors.csv", "report.html", "report.json"):
        assert (out / name).is_file()
    r = run_cli("-w", wsdir, "triage", triage_set.items["folder"], "--case", "CLI-1", "--workers", "0", "--strict")
    assert r.exit_code == ExitCode.BAD_INPUT                    # broken.jpg could not be read
    assert "could not be read" in r.stderr


def test_cli_errors_are_one_line(run_cli, wsdir: Path, triage_set: TriageSet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = ("-w", wsdir)
    one_line_error(run_cli(*w, "triage", tmp_path / "missing.E01", "--case", "CLI-1"), ExitCode.NOT_FOUND)
    one_line_error(run_cli(*w, "triage", triage_set.items["disk"], "--case", "NOPE"), ExitCode.NOT_FOUND)
    r = run_cli(*w, "triage", triage_set.items["disk"], "--case", "CLI-1", "--hashset", "no-such-list")
    assert r.exit_code in (ExitCode.NOT_FOUND, ExitCode.BAD_INPUT) and "Traceback" not in r.output
    assert run_cli(*w, "triage", triage_set.items["disk"]).exit_code == ExitCode.USAGE          # no --case
    assert run_cli(*w, "triage", "--case", "CLI-1").exit_code == ExitCode.USAGE                 # no evidence
    r = run_cli(*w, "triage", triage_set.items["disk"], "--case", "CLI-1", "--pdq-threshold", "300")
    assert r.exit_code == ExitCode.USAGE


def _count(db: Path, sql: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute(sql).fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def start_triage(tmp_path: Path, run_cli, case: str, *extra: str  # type: ignore[no-untyped-def]
                 ) -> tuple[subprocess.Popen[bytes], Path, Path, Path]:
    """``tasman triage`` of 300 small pictures in a process group of its own (so a test can kill
    or interrupt the whole group), committing every 10 files: (process, workspace, evidence, db)."""
    evidence = tmp_path / "many"
    write_pictures(evidence, range(300), (48, 36))
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    assert run_cli("-w", ws, "case", "create", case).exit_code == 0
    cmd = [sys.executable, "-c", "from tasman.cli.main import main; main()", "-w", str(ws), "triage", str(evidence),
           "--case", case, "--workers", "1", "--batch-files", "10", "--own-custody-seconds", "0", *extra]
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "PYTHONFAULTHANDLER": "1"}           # SIGABRT dumps every thread's stack (see wait_exit)
    # stderr to a file, whose handle this process closes at once: a failing test leaks no pipe
    with (tmp_path / STDERR).open("wb") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    return proc, ws, evidence, ws / "tasman.db"


STDERR = "triage-stderr.txt"


def stderr_of(tmp_path: Path) -> str:
    """What the process ``start_triage`` started wrote to stderr so far."""
    return (tmp_path / STDERR).read_text(encoding="utf-8", errors="replace")


def wait_exit(proc: subprocess.Popen[bytes], tmp_path: Path, timeout: float) -> int:
    """The exit code of the process ``start_triage`` started, within ``timeout`` seconds; else the
    test fails with what hung: its process tree and every thread's stack (faulthandler, on
    SIGABRT), and the whole group is killed so nothing outlives the test."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        tree = [f"{p.pid} {p.status()} {' '.join(p.cmdline())[:160]}"
                for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]]
        os.kill(proc.pid, signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        kill_group(proc)
        pytest.fail(f"no exit {timeout} s after the signal; processes:\n" + "\n".join(tree)
                    + "\nits stderr (stacks at the end):\n" + stderr_of(tmp_path)[-8000:])


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """The process ``start_triage`` started and everything in its group, killed and reaped."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def wait_for_files(proc: subprocess.Popen[bytes], db: Path, n: int, timeout: float) -> None:
    """Until the running triage has committed ``n`` files (it must not exit before)."""
    deadline = time.monotonic() + timeout
    while _count(db, "SELECT count(*) FROM triage_files") < n and time.monotonic() < deadline:
        assert proc.poll() is None, (db.parent.parent / STDERR).read_text(errors="replace")
        time.sleep(0.02)


def test_resume_after_kill_9(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    proc, ws, evidence, db = start_triage(tmp_path, run_cli, "KILL")
    wait_for_files(proc, db, 20, timeout=60)
    os.killpg(proc.pid, signal.SIGKILL)                    # the CLI and its worker, no chance to clean up
    proc.wait()
    done_before = _count(db, "SELECT count(*) FROM triage_files")
    assert 20 <= done_before < 300, done_before
    assert _count(db, "SELECT count(*) FROM triage_runs WHERE status = 'running'") == 1

    r = run_cli("-w", ws, "triage", evidence, "--case", "KILL", "--workers", "0", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["resumed"] is True and data["run_id"] == 1
    assert data["files"] == 300
    assert data["figures"]["skipped_as_done"] == done_before
    assert data["figures"]["hashed_this_session"] == 300 - done_before        # nothing hashed twice
    assert _count(db, "SELECT count(*) FROM triage_files") == 300
    assert _count(db, "SELECT count(DISTINCT artifact_id) FROM triage_files") == 300
    assert _count(db, "SELECT count(*) FROM artifacts") == 300                # no row twice
    with open(Path(data["outputs"]["files_csv"]), newline="") as fh:
        paths = [row["path"] for row in csv.DictReader(fh)]
    assert len(paths) == len(set(paths)) == 300
    assert not (ws / "tmp" / "triage-1").exists()
