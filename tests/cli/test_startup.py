"""The collector paused while a command starts (tasman.cli.startup): on again for the work."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tasman.cli import startup
from tasman.cli.common import TasmanGroup

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture
def restore_gc() -> Iterator[None]:
    yield
    startup.resume()
    gc.unfreeze()
    gc.enable()


def _group(seen: list[bool]) -> TasmanGroup:
    @click.group(cls=TasmanGroup)
    def top() -> None:
        seen.append(gc.isenabled())          # the group's own callback: still starting

    @top.group(cls=TasmanGroup)
    def sub() -> None:
        seen.append(gc.isenabled())

    @sub.command("work")
    def work() -> None:
        seen.append(gc.isenabled())          # the command's work

    return top


def test_a_command_does_its_work_with_the_collector_on(restore_gc: None) -> None:
    seen: list[bool] = []
    startup.pause()
    assert not gc.isenabled() and startup.paused()
    result = CliRunner().invoke(_group(seen), ["sub", "work"])
    assert result.exit_code == 0, result.output
    assert seen[-1] is True and gc.isenabled() and not startup.paused()
    assert gc.get_freeze_count() > 0          # what start-up left alive is not traversed again


def test_a_caller_that_never_paused_is_left_alone(restore_gc: None) -> None:
    seen: list[bool] = []
    gc.disable()                              # e.g. a caller that turned it off for its own reasons
    assert CliRunner().invoke(_group(seen), ["sub", "work"]).exit_code == 0
    assert seen == [False, False, False] and not gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.parametrize("argv", [["--help"], ["case", "--help"], ["no-such-command"], ["--version"]])
def test_the_entry_point_leaves_the_collector_on_whatever_it_ran(argv: list[str]) -> None:
    """No command to run (help, a usage error): ``main`` turns the collector back on as it ends."""
    probe = ("import atexit, gc, sys\natexit.register(lambda: print('gc-on' if gc.isenabled() else 'gc-off', "
             "file=sys.stderr))\nfrom tasman.cli.main import main\nmain()")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, env=env, check=False)
    assert done.stderr.strip().splitlines()[-1] == "gc-on", done.stderr
