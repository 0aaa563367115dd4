"""Inputs an investigator plausibly gets wrong: one line on stderr, a documented exit code, no
traceback, and nothing stored lost (the bad-input sweep of every command)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tasman.core.errors import ExitCode

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))       # the head of a picture, given where text is expected
BAD_YAML = "weights: [\n"                           # PyYAML's message for it spans five lines


@pytest.fixture
def w(run_cli, tmp_path: Path, migrated_db_url: str) -> list[str | Path]:  # type: ignore[no-untyped-def]
    d = tmp_path / "ws"
    assert run_cli("--db", migrated_db_url, "init", d).exit_code == 0
    assert run_cli("-w", d, "case", "create", "C1").exit_code == 0
    return ["-w", d]


def _one_line_error(r, code: int, text: str) -> None:  # type: ignore[no-untyped-def]
    assert r.exit_code == code, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tasman: error: "), r.stderr
    assert text in lines[0]
    assert "Traceback" not in r.output and "internal error" not in r.stderr


def _audit_actions(run_cli, w: list[str | Path]) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["action"] for e in json.loads(run_cli(*w, "audit", "log", "--json", "--limit", "1000").stdout)]


def test_an_output_file_that_cannot_be_written_is_one_line(run_cli, w, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "no-such-folder" / "subjects.csv"
    _one_line_error(run_cli(*w, "export", "csv", "--case", "C1", "--out", missing), ExitCode.NOT_FOUND,
                    f"{missing}: No such file or directory")
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("x")
    _one_line_error(run_cli(*w, "export", "misp", "--case", "C1", "--out", not_a_folder / "event.json"),
                    ExitCode.BAD_INPUT, "Not a directory")
    assert "export.csv" not in _audit_actions(run_cli, w)     # nothing written, so nothing exported

    def read_only(self: Path, *_a: object, **_k: object) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", read_only)       # as on a read-only folder (the tests may run as root)
    _one_line_error(run_cli(*w, "export", "ftm", "--case", "C1", "--out", tmp_path / "ftm.jsonl"),
                    ExitCode.PERMISSION, "ftm.jsonl: Permission denied")


def test_an_oserror_about_no_path_is_still_a_logged_bug(run_cli, w, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from tasman.evidence import cases

    def broken(*_a: object, **_k: object) -> None:
        raise OSError("something inside broke")

    monkeypatch.setattr(cases, "list_cases", broken)
    r = run_cli(*w, "case", "list")
    assert r.exit_code == ExitCode.INTERNAL and "internal error" in r.stderr and "details in" in r.stderr


def test_files_that_are_not_text_or_not_yaml(run_cli, w, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png, bad = tmp_path / "photo.png", tmp_path / "bad.yaml"
    png.write_bytes(PNG)
    bad.write_text(BAD_YAML)
    _one_line_error(run_cli(*w, "attribute", "--case", "C1", "--weights", png), ExitCode.BAD_INPUT,
                    "not UTF-8 text (byte 0x89 at position 0)")
    _one_line_error(run_cli(*w, "attribute", "--case", "C1", "--weights", bad), ExitCode.BAD_INPUT,
                    "is not valid YAML: expected the node content, but found '<stream end>' at line 2, column 1")
    _one_line_error(run_cli(*w, "agency", "import", png), ExitCode.BAD_INPUT, "not UTF-8 text")
    _one_line_error(run_cli(*w, "agency", "import", bad), ExitCode.BAD_INPUT, "at line 2, column 1")
    _one_line_error(run_cli(*w, "money", "analyse", "--case", "C1", "--config", bad), ExitCode.BAD_INPUT,
                    "at line 2, column 1")
    _one_line_error(run_cli(*w, "package", "open", png, "--key", png, "--out", tmp_path / "opened"),
                    ExitCode.BAD_INPUT, "is not an age identity file")


def test_a_hash_list_in_the_wrong_format_is_one_line(run_cli, w, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "list.csv"
    csv.write_text("md5\n" + "0" * 32 + "\n")
    _one_line_error(run_cli(*w, "hashset", "import", csv, "--name", "l", "--format", "vics"), ExitCode.BAD_INPUT,
                    "broken JSON after 0 Media records: lexical error")


def test_folders_given_for_files_and_files_for_folders(run_cli, w, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _one_line_error(run_cli(*w, "records", "import", tmp_path, "--case", "C1", "--kind", "customers"),
                    ExitCode.BAD_INPUT, "is a folder")
    f = tmp_path / "one.jpg"
    f.write_bytes(b"x")
    _one_line_error(run_cli(*w, "hashset", "build", f, "--name", "lab"), ExitCode.BAD_INPUT, "is a file")


def test_unknown_countries_are_refused_not_ignored(run_cli, w, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _one_line_error(run_cli(*w, "export", "csv", "--case", "C1", "--country", "ZZ", "--out", tmp_path / "x.csv"),
                    ExitCode.BAD_INPUT, "unknown country 'ZZ'")
    assert not (tmp_path / "x.csv").exists()
    assert run_cli(*w, "keys", "generate", "--agency", "Unit", "--country", "GB").exit_code == 0
    _one_line_error(run_cli(*w, "refer", "--case", "C1", "--country", "Narnia", "--out", tmp_path / "pk"),
                    ExitCode.BAD_INPUT, "unknown country 'Narnia'")
    r = run_cli(*w, "export", "csv", "--case", "C1", "--country", "germany", "--out", tmp_path / "de.csv")
    assert r.exit_code == 0, r.output                          # a country's name is as good as its code


def test_numbers_out_of_range_and_unknown_references(run_cli, w, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for args in (["audit", "log", "--limit", "0"], ["audit", "log", "--limit", "-5"],
                 ["subject", "list", "--case", "C1", "--limit", "-3"],
                 ["subject", "list", "--case", "C1", "--min-records", "0"],
                 ["refer", "--case", "C1", "--out", tmp_path / "pk", "--min-confidence", "5"]):
        r = run_cli(*w, *args)
        assert r.exit_code == ExitCode.USAGE and "is not in the range" in r.stderr, (args, r.output)
    r = run_cli(*w, "audit", "log", "--limit", "99999999999999999999")
    assert r.exit_code == 0, r.output
    _one_line_error(run_cli(*w, "audit", "log", "--case", "NOPE"), ExitCode.NOT_FOUND, "no case 'NOPE'")


def test_serve_refuses_what_it_cannot_use_before_starting(run_cli, w, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "cert.pem"
    png.write_bytes(PNG)
    r = run_cli(*w, "serve", "--keyfile", png)
    assert r.exit_code == ExitCode.USAGE and "--keyfile needs --certfile" in r.stderr
    _one_line_error(run_cli(*w, "serve", "--certfile", png, "--keyfile", png), ExitCode.BAD_INPUT,
                    "for TLS")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        r = run_cli(*w, "serve", "--port", port)
        _one_line_error(r, ExitCode.BAD_INPUT, f"cannot listen on 127.0.0.1:{port}")
        assert r.stderr.strip() == f"tasman: error: cannot listen on 127.0.0.1:{port}: Address already in use"
