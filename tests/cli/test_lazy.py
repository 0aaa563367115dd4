"""The command registry: `tasman --help` and light commands start without the heavy stages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from tasman.cli.lazy import LazyGroup
from tasman.cli.main import COMMANDS, cli

SRC = str(Path(__file__).resolve().parents[2] / "src")
HEAVY = ["splink", "duckdb", "followthemoney", "pymisp", "ray", "pyspark", "fastapi", "networkx", "alembic",
         "tasman.link.run", "tasman.money.run", "tasman.refer.service", "tasman.attribute.service", "tasman.demo"]


def _imported_after(code: str, *argv: str) -> list[str]:
    """The HEAVY modules in sys.modules after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, env=env, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_stage() -> None:
    assert _imported_after("import tasman.cli.main") == []


def test_help_and_case_list_import_no_heavy_stage(tmp_path: Path) -> None:
    run = ("import sys\nfrom tasman.cli.main import cli\n"
           "try:\n    cli(sys.argv[1:], prog_name='tasman')\nexcept SystemExit:\n    pass")
    assert _imported_after(run, "--help") == []
    _imported_after(run, "init", str(tmp_path / "ws"))     # creating the schema needs Alembic
    assert _imported_after(run, "-w", str(tmp_path / "ws"), "case", "list") == []


def test_case_list_into_a_pipe_starts_without_rich_cryptography_or_the_evidence_store(tmp_path: Path) -> None:
    """Output that is no terminal is written without Rich; no key is read to list cases."""
    run = ("import sys\nfrom tasman.cli.main import cli\n"
           "try:\n    cli(sys.argv[1:], prog_name='tasman')\nexcept SystemExit:\n    pass\n"
           "import json\nprint(json.dumps([m for m in ('rich', 'cryptography', 'tasman.evidence.store')"
           " if m in sys.modules]))")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("FORCE_COLOR", None)
    env.pop("TTY_COMPATIBLE", None)
    ws = str(tmp_path / "ws")
    for argv in (["init", ws], ["-w", ws, "case", "create", "C-1"]):
        subprocess.run([sys.executable, "-c", "from tasman.cli.main import main; main()", *argv], env=env,
                       capture_output=True, check=True)
    out = subprocess.run([sys.executable, "-c", run, "-w", ws, "case", "list"], capture_output=True, text=True,
                         env=env, check=True).stdout.splitlines()
    assert out[:3] == ["# Cases", "ref\ttitle\tcreated\tby", out[2]] and out[2].startswith("C-1\t")
    assert json.loads(out[-1]) == []


def test_help_lists_every_command_from_the_registry_alone() -> None:
    fresh = LazyGroup(name="tasman", lazy=dict(COMMANDS))
    text = CliRunner().invoke(fresh, ["--help"]).output
    assert not fresh.commands                       # listed, none imported
    for name, (_, short) in COMMANDS.items():
        if " " not in name and short is not None:
            assert f"  {name} " in text and short in text, name
    assert "attribution" not in text                # the deprecated alias is hidden


def test_every_registry_entry_loads_with_its_short_help() -> None:
    ctx = click.Context(cli)
    for name, (where, short) in COMMANDS.items():
        group, _, sub = name.rpartition(" ")
        parent = cli.get_command(ctx, group) if group else cli
        assert isinstance(parent, click.Group), name
        cmd = parent.get_command(click.Context(parent), sub)
        assert isinstance(cmd, click.Command), (name, where)
        assert cmd.hidden == (short is None) or short is None, name
        if short is not None:
            assert cmd.get_short_help_str(200) == short, name
            assert len(short) <= 70, f"{name}: short help over 70 characters"
