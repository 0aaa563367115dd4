"""The README's "A case, step by step" runs as written: every command line of that block is run
through the CLI, in order, on generated benign inputs put where the README's placeholders point.
The partner's side (opening its package, reporting an outcome) runs between `refer` and
`outcome import` with the commands docs/refer.md gives. A README line that stops working fails
here; so does a new line whose inputs this test does not know (add them below)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tasman.synth.corpus import make_corpus
from tasman.synth.disks import make_e01
from tasman.synth.transfers import generate_transfers, write_goaml
from tasman.synth.triage_set import make_triage_set

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
            "refer", "outcome", "money", "report"} <= firsts


@pytest.mark.slow
def test_readme_walk_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             run_cli: Callable[..., Result]) -> None:
    inputs = tmp_path / "inputs"
    seized = make_triage_set(inputs / "seized")
    evidence = make_e01(seized.items["disk"], inputs / "laptop") or seized.items["disk"]
    corpus = make_corpus(inputs / "records", records=120, seed=3, countries=["PH", "GB"])
    by_kind = {kind: path for kind, path in corpus.files.values()}
    goaml = write_goaml(generate_transfers(120, seed=5, facilitator_share=0.05).transfers, inputs / "fiu.xml")

    partner = tmp_path / "partner"
    assert run_cli("init", partner).exit_code == 0
    assert run_cli("-w", partner, "keys", "generate", "--agency", "PH partner unit", "--country", "PH").exit_code == 0
    entry = run_cli("-w", partner, "keys", "show").output
    age = re.search(r"age1[0-9a-z]+", entry)
    signing = re.search(r"signing_key:\s*'?([A-Za-z0-9+/=]+)", entry)
    assert age and signing, entry

    home = tmp_path / "cases"
    swap = {"~/cases/storefront": str(home / "storefront"), "/mnt/evidence/laptop.E01": str(evidence),
            "partner-list.json": str(seized.hashlist), "orders.csv": str(by_kind["customers"]),
            "chats.jsonl": str(by_kind["chats"]), "fiu-report.xml": str(goaml),
            "age1...": age.group(0), "...": signing.group(1), "outcome-PH.json": str(tmp_path / "outcome-PH.json")}
    monkeypatch.chdir(tmp_path)
    ran = []
    for words in readme_commands():
        if words[0] == "cd":
            monkeypatch.chdir(swap.get(words[1], words[1]))
            continue
        assert words[0] == "tasman", words
        if words[1] == "serve":
            continue  # a server: tests/serve covers it
        if words[1:3] == ["outcome", "import"]:
            _partner_reports(run_cli, partner, Path("packages"), tmp_path / "outcome-PH.json")
        args = [swap.get(w, w) for w in words[1:]]
        result = run_cli(*args)
        assert result.exit_code == 0, f"{shlex.join(words)}\n{result.output}"
        ran.append(words[1])
    assert ran.count("records") == 2 and "report" in ran
    assert (home / "storefront" / "out" / "OP-1" / "report.html").is_file()
    (matches,) = (home / "storefront" / "out").glob("triage-*/matches.csv")  # as the README's comment says
    assert len(matches.read_text(encoding="utf-8").splitlines()) > 1
    summary = json.loads(run_cli("-w", home / "storefront", "--json", "summary", "--case", "OP-1").output)
    assert "PH" in json.dumps(summary) and "arrested" in json.dumps(summary)


def _partner_reports(run_cli: Callable[..., Result], partner: Path, packages: Path, out: Path) -> None:
    """docs/refer.md's recipient side: import the PH package into a case, report an arrest."""
    (package,) = sorted(packages.glob("*-PH-*.tasman"))
    assert run_cli("-w", partner, "case", "create", "PH-2024-7").exit_code == 0
    done = run_cli("-w", partner, "--json", "package", "import", package, "--case", "PH-2024-7",
                   "--allow-unknown-sender")
    assert done.exit_code == 0, done.output
    opened = run_cli("package", "open", package, "--key", partner / "keys" / "age.key", "--out", partner / "opened",
                     "--allow-unknown-sender")   # no workspace, so no directory that knows the sender
    assert opened.exit_code == 0, opened.output
    doc = json.loads((partner / "opened" / package.stem / "package.json").read_text(encoding="utf-8"))
    subject = doc["subjects"][0]["ref"]
    report = run_cli("-w", partner, "outcome", "report", "--case", "PH-2024-7", "--package", doc["package_id"],
                     "--subject", subject, "--status", "arrested", "--note", "search warrant executed", "--out", out)
    assert report.exit_code == 0, report.output
