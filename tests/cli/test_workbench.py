"""The investigator's workbench: one rule for "nothing to do", piped output never wrapped or cut,
one `attribute` group (with its deprecated alias), plurals, a corrected mapping never overwritten,
an example in every --help."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select

from tasman.cli.common import plural
from tasman.cli.main import cli
from tasman.core.workspace import Workspace
from tasman.extract.models import ExtractRun
from tests.attribute import factory as f


def _ws(tmp_path: Path, operation: bool = False) -> Path:
    w = Workspace.init(tmp_path / "w", actor="tester")
    with w.session() as s:
        f.operation(s) if operation else f.case(s, "C")
    w.close()
    return tmp_path / "w"


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_nothing_to_do_is_one_line_and_exit_0(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    w = _ws(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    expected = {
        ("extract", "--case", "C"): "nothing to extract: case C has no evidence and no records; add some with "
                                    "`tasman evidence add` or import some with `tasman records import`",
        ("extract", "--case", "C", "--no-records"): "nothing to extract: case C has no evidence; "
                                                    "add some with `tasman evidence add`",
        ("link", "--case", "C"): "nothing to link: case C has no records; import some with `tasman records import`",
        ("attribute", "--case", "C"): "nothing to attribute: case C has no subjects; "
                                      "make them with `tasman link --case C`",
        ("money", "analyse", "--case", "C"): "nothing to analyse: case C has no transactions records; "
                                             "import some with `tasman money import`",
        ("triage", empty, "--case", "C"): f"nothing to triage: {empty} holds no files",
    }
    assert run_cli("-w", w, "keys", "generate", "--agency", "Unit").exit_code == 0
    expected[("refer", "--case", "C", "--out", tmp_path / "p")] = (
        "nothing to refer: case C has no subjects and no money-trail parties; make subjects with `tasman link`")
    for args, line in expected.items():
        r = run_cli("-w", w, *args)
        assert r.exit_code == 0, (args, r.output)
        assert _one_line(r.output) == line, args
        r = run_cli("-w", w, *args, "--json")
        assert r.exit_code == 0 and json.loads(r.stdout) == {"nothing_to_do": line}, args
    assert not (tmp_path / "p").exists()                  # refer wrote nothing
    ws = Workspace.open(w)
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(ExtractRun)) == 0   # no empty run stored
    ws.close()


def test_refer_says_when_no_subject_has_a_country(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    w = _ws(tmp_path, operation=True)
    run_cli("-w", w, "keys", "generate", "--agency", "Unit")
    r = run_cli("-w", w, "refer", "--case", "OP-1", "--out", tmp_path / "p")
    assert r.exit_code == 0 and _one_line(r.output) == (
        "nothing to refer: none of case OP-1's 4 subjects has a country; run `tasman attribute --case OP-1` first")
    run_cli("-w", w, "attribute", "--case", "OP-1")
    r = run_cli("-w", w, "refer", "--case", "OP-1", "--out", tmp_path / "p", "--country", "JP")
    assert r.exit_code == 0 and "nothing to refer: no subject of case OP-1 is attributed to the countries" in r.output


def test_piped_output_never_wraps_or_cuts(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 8)
    r = run_cli("init", deep)
    assert r.exit_code == 0 and f"Created workspace {deep} (database sqlite:///{deep}/tasman.db)" in r.output
    title = " ".join(["a long case title"] * 20)
    run_cli("-w", deep, "case", "create", "OP-1", "--title", title)
    lines = run_cli("-w", deep, "case", "list").output.splitlines()
    assert lines[:2] == ["# Cases", "ref\ttitle\tcreated\tby"]
    assert lines[2].split("\t")[:2] == ["OP-1", title]
    head = run_cli("-w", deep, "summary", "--case", "OP-1").output.splitlines()[1]
    assert head.split("\t")[:3] == ["country", "pkgs", "subjects"]     # no 'coun…'
    w = Workspace.open(deep)
    with w.session() as s:
        c = f.case(s, "OP-2")
        f.subject(s, c, "S-000001", "Ana", {"record_id": "1", "name": "Ana", "note": "word " * 60 + "END"})
    w.close()
    out = run_cli("-w", deep, "subject", "show", "S-000001", "--case", "OP-2").output
    assert re.search(r"^orders.csv#1\tcustomers\trecord_id=1; name=Ana; note=(word ){60}END$", out, re.M), out


def test_one_attribute_group_and_the_deprecated_alias(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    w = _ws(tmp_path, operation=True)
    assert run_cli("-w", w, "attribute", "--case", "OP-1").exit_code == 0
    new = run_cli("-w", w, "attribute", "show", "--case", "OP-1")
    old = run_cli("-w", w, "attribution", "show", "--case", "OP-1")
    assert new.exit_code == old.exit_code == 0 and new.stdout == old.stdout
    assert _one_line(old.stderr) == ("tasman: note: 'tasman attribution' is now 'tasman attribute'; "
                                     "'attribution' will be removed")
    assert new.stderr == ""
    r = run_cli("-w", w, "attribute")
    assert r.exit_code == 2 and "Missing option '--case'" in r.output
    r = run_cli("-w", w, "attribute", "--case", "OP-1", "show", "--case", "OP-1")
    assert r.exit_code == 2 and "--case apply to 'tasman attribute' itself" in r.output


def test_plurals(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert [plural(1, "package"), plural(2, "package"), plural(0, "agency", "agencies")] == [
        "1 package", "2 packages", "0 agencies"]
    w = _ws(tmp_path)
    ev = tmp_path / "ev.bin"
    ev.write_bytes(b"x")
    run_cli("-w", w, "evidence", "add", "C", ev)
    out = run_cli("-w", w, "report", "--case", "C").output
    assert "1 evidence item, 0 matched files, 0 subjects, 0 packages;" in out


def test_a_corrected_mapping_is_used_and_never_overwritten(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    w = _ws(tmp_path)
    orders = tmp_path / "orders.csv"
    orders.write_text("Customer Name,E-mail,Notes\nAna Reyes,ana@example.invalid,x\n", encoding="utf-8")
    r = run_cli("-w", w, "records", "import", orders, "--case", "C", "--kind", "customers")
    assert r.exit_code == 0, r.output
    saved = w / "out" / "mappings" / "orders.customers.mapping.yaml"
    text = saved.read_text(encoding="utf-8")
    assert "Customer Name: name" in text and "Notes:" in text
    corrected = text.replace("Customer Name: name", "Customer Name: ~")
    saved.write_text(corrected, encoding="utf-8")
    r = run_cli("-w", w, "records", "import", orders, "--case", "C", "--kind", "customers")
    assert r.exit_code == 0, r.output
    assert saved.read_text(encoding="utf-8") == corrected               # never overwritten
    guess = saved.with_name("orders.customers.mapping.guess.yaml")
    assert "Customer Name: name" in guess.read_text(encoding="utf-8")
    assert f"Column mapping from {saved}" in r.output
    assert "  column 'Customer Name': yours (ignored), guessed name" in r.output.splitlines()
    data = json.loads(run_cli("-w", w, "records", "import", orders, "--case", "C", "--kind", "customers",
                              "--json").stdout)
    assert data["mapping_used"] == str(saved) and data["mapping"]["Customer Name"] is None
    assert data["mapping_diff"] == ["column 'Customer Name': yours (ignored), guessed name"]


def _commands(cmd: click.Command, path: str) -> list[tuple[str, click.Command]]:
    out = [(path, cmd)]
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None
            if not sub.hidden:
                out += _commands(sub, f"{path} {name}")
    return out


@pytest.mark.parametrize("path", [p for p, _ in _commands(cli, "tasman")])
def test_every_help_has_an_example_that_fits_the_cli(path: str) -> None:
    from tests.test_docs_cli import problem

    cmd = dict(_commands(cli, "tasman"))[path]
    help_text = (cmd.help or "") + "\n" + (cmd.epilog or "")
    parts = re.split(r"Examples?:", help_text, maxsplit=1)
    examples = [line.strip() for line in parts[-1].splitlines()
                if line.strip().startswith("tasman ")] if len(parts) == 2 else []
    assert examples, f"`{path} --help` shows no example"
    for line in examples:
        assert problem(line) is None, f"{path}: {line}: {problem(line)}"
