"""A Ctrl-C is dropped inside the short steps that must not be cut in half (core.interrupts)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tasman.core.interrupts import sigint_ignored
from tasman.core.workspace import Workspace


def test_sigint_is_dropped_inside_and_handled_again_after() -> None:
    before = signal.getsignal(signal.SIGINT)
    with sigint_ignored():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)                       # a KeyboardInterrupt would be raised here
    assert signal.getsignal(signal.SIGINT) is before
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)


def test_a_ctrl_c_while_the_cli_closes_its_workspace_ends_the_command_as_it_was(
        run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C pressed just as a command closes its database connections: no "Aborted!", no
    traceback, the command's own exit code."""
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    real_close = Workspace.close

    def close_under_ctrl_c(self: Workspace) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        real_close(self)

    monkeypatch.setattr(Workspace, "close", close_under_ctrl_c)
    r = run_cli("-w", ws, "case", "create", "INT-CLOSE")
    assert r.exit_code == 0, r.output
    assert "Aborted" not in r.output and "Traceback" not in r.output
