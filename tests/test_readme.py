"""The README's "A case, step by step" runs as written: every command line of that block is run
through the CLI, in order, with ``~`` standing for a temporary home folder. Its inputs come from
its own first line (``tasman samples``), the partner's side from ``tasman samples --reply``: a
README line that stops working fails here, and so does one that names an input nobody wrote."""

from __future__ import annotations

import csv
import json
import os
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## A case, step by step"


def readme_commands() -> list[list[str]]:
    """The section's code block as commands (comments dropped, ``&&`` chains split)."""
    text = README.read_text(encoding="utf-8")
    body = text[text.index(SECTION) + len(SECTION):]
    body = body[:body.index("\n## ")]
    commands = []
    for line in body.splitlines():
        if not line.startswith("    ") or not line.strip() or line.strip().startswith("#"):
            continue
        words = shlex.split(line, comments=True)
        while "&&" in words:
            i = words.index("&&")
            commands.append(words[:i])
            words = words[i + 1:]
        commands.append(words)
    return commands


def test_the_block_is_found_and_covers_every_stage() -> None:
    firsts = {c[1] for c in readme_commands() if c[0] == "tasman"}
    assert {"init", "case", "evidence", "hashset", "triage", "records", "extract", "link", "attribute",
            "refer", "outcome", "money", "report", "samples"} <= firsts


@pytest.mark.slow
def test_readme_walk_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             run_cli: Callable[..., Result]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    ran = []
    for words in readme_commands():
        words = [os.path.expanduser(w) for w in words]   # what the shell does with ~
        if words[0] == "cd":
            monkeypatch.chdir(words[1])
            continue
        assert words[0] == "tasman", words
        if words[1] == "serve":
            continue  # a server: tests/serve covers it
        result = run_cli(*words[1:])
        assert result.exit_code == 0, f"{shlex.join(words)}\n{result.output}"
        ran.append(words[1])
    assert ran.count("records") == 2 and ran.count("samples") == 2 and "report" in ran
    storefront = home / "cases" / "storefront"
    assert (storefront / "out" / "OP-1" / "report.html").is_file()
    (matches,) = (storefront / "out").glob("triage-*/matches.csv")  # as the README's comment says
    with matches.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert any(r["deleted"] == "true" and r["match_type"] == "exact" for r in rows), rows  # the deleted picture
    assert any(r["match_type"] != "exact" for r in rows), rows                            # the mirrored one
    summary = json.loads(run_cli("-w", storefront, "--json", "summary", "--case", "OP-1").output)
    assert "PH" in json.dumps(summary) and "arrested" in json.dumps(summary)
