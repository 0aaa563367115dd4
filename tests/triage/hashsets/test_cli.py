"""``tasman hashset`` through the CLI runner: output, --json, one-line errors with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasman.core.errors import ExitCode
from tasman.synth.images import draw_picture
from tests.triage.hashsets.test_formats import MD5, SHA1


@pytest.fixture
def w(run_cli, tmp_path: Path) -> list[object]:  # type: ignore[no-untyped-def]
    d = tmp_path / "ws"
    assert run_cli("init", d).exit_code == 0
    return ["-w", d]


def test_import_list_build_remove(run_cli, w: list[object], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "list.csv"
    f.write_text(f"md5,sha1,category\n{MD5},{SHA1},1\nbad,,1\n", encoding="utf-8")
    r = run_cli(*w, "hashset", "import", f, "--name", "partner")
    assert r.exit_code == 0, r.output
    assert "Imported partner: 1 entry" in r.stdout and "line 3" in r.stderr
    r = run_cli(*w, "hashset", "import", f, "--name", "partner", "--json")
    data = json.loads(r.stdout)
    assert (data["replaced"], data["added"], data["removed"], data["warning_count"]) == (True, 0, 0, 1)
    pics = tmp_path / "pics"
    pics.mkdir()
    draw_picture(1, (200, 150)).save(pics / "a.png")
    r = run_cli(*w, "hashset", "build", pics, "--name", "lab", "--category", "A", "--category-scheme", "caid",
                "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["warning_count"] == 0 and json.loads(r.stdout)["counts"]["region"] == 5
    r = run_cli(*w, "hashset", "list", "--json")
    assert [(h["name"], h["format"]) for h in json.loads(r.stdout)] == [("lab", "folder"), ("partner", "csv")]
    assert "partner" in run_cli(*w, "hashset", "list").stdout
    r = run_cli(*w, "hashset", "remove", "partner")
    assert r.exit_code == 0 and "Removed hash set partner (1 entry)" in r.stdout
    assert "vics" in run_cli(*w, "hashset", "formats").stdout


def test_errors_are_one_line_with_exit_codes(run_cli, w: list[object], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    prose = tmp_path / "prose.txt"
    prose.write_text("just some words\n")
    good = tmp_path / "good.txt"
    good.write_text(f"{MD5}\n")
    cases = [
        (["hashset", "import", tmp_path / "missing.csv", "--name", "x"], ExitCode.NOT_FOUND, "no file"),
        (["hashset", "import", empty, "--name", "x"], ExitCode.BAD_INPUT, "is empty"),
        (["hashset", "import", prose, "--name", "x"], ExitCode.BAD_INPUT, "cannot tell the format"),
        (["hashset", "import", good, "--name", "x", "--format", "xml"], ExitCode.BAD_INPUT, "unknown hash-set format"),
        (["hashset", "import", good, "--name", "x", "--category-scheme", "zz"], ExitCode.BAD_INPUT, "scheme 'zz'"),
        (["hashset", "import", good, "--name", "no spaces"], ExitCode.BAD_INPUT, "hash-set name"),
        (["hashset", "build", tmp_path / "nowhere", "--name", "x"], ExitCode.NOT_FOUND, "no folder"),
        (["hashset", "remove", "ghost"], ExitCode.NOT_FOUND, "no hash set 'ghost'"),
    ]
    for args, code, text in cases:
        r = run_cli(*w, *args)
        assert r.exit_code == code, (args, r.output)
        assert text in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert "Traceback" not in r.output
