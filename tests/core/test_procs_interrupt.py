"""Ctrl-C during :func:`tasman.core.procs.ordered_map`: the terminal's SIGINT reaches the whole
process group, workers included; the caller handles it (cancels what is outstanding and ends
with its own one-line message), so a worker must not die printing a KeyboardInterrupt traceback
of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent("""
    import sys, time
    from tasman.core.procs import ordered_map
    if __name__ == "__main__":
        try:
            for i, _ in enumerate(ordered_map(time.sleep, [0.3] * 400, 2)):
                if i == 1:
                    print("started", flush=True)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr, flush=True)
            sys.exit(130)
""")


def _start(script: str, tmp_path: Path) -> subprocess.Popen[str]:
    """``script`` run with this checkout's tasman, in a process group of its own."""
    path = tmp_path / "script.py"
    path.write_text(script)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    return subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)


def _interrupted(script: str, tmp_path: Path) -> tuple[int, str]:
    """``script`` started, then, once it printed ``started``, SIGINT sent to its whole process group
    (as a terminal's Ctrl-C); its exit status and stderr."""
    proc = _start(script, tmp_path)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, err


@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT are POSIX")
def test_ctrl_c_reaches_workers_without_their_tracebacks(tmp_path: Path) -> None:
    returncode, err = _interrupted(SCRIPT, tmp_path)
    assert returncode == 130 and "interrupted" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


IDLE = textwrap.dedent("""
    import os, sys
    from tasman.core.procs import start_pool
    if __name__ == "__main__":
        pool = start_pool(2, ("tasman.triage.hashing.worker",))
        print(" ".join(str(p) for p in pool._processes), flush=True)
        pool.shutdown(wait=True)      # before any task: a run that found nothing to do
""")


def test_a_pool_shut_down_before_its_first_task_lets_the_process_exit(tmp_path: Path) -> None:
    """Its workers are told to end like those of a pool that worked: the interpreter's exit does
    not wait for them for ever, and none is left behind or prints a traceback."""
    import psutil

    proc = _start(IDLE, tmp_path)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in err, err
    workers = [int(p) for p in out.split()]
    assert len(workers) == 2
    _, alive = psutil.wait_procs([psutil.Process(p) for p in workers if psutil.pid_exists(p)], timeout=30)
    assert not alive


WAITING = textwrap.dedent("""
    import sys, time
    from tasman.core.procs import start_pool
    if __name__ == "__main__":
        pool = start_pool(2)
        try:
            assert list(pool.map(abs, [-1, -2, -3, -4])) == [1, 2, 3, 4]   # both workers up, now idle
            print("started", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            pool.shutdown(wait=True, cancel_futures=True)
            print("interrupted", file=sys.stderr, flush=True)
            sys.exit(130)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT are POSIX")
def test_ctrl_c_reaching_workers_that_wait_for_a_task_prints_no_traceback(tmp_path: Path) -> None:
    """Workers between tasks (blocked on the call queue) get the group's SIGINT too: they ignore it
    and end when the caller shuts the pool down (the CI race: a worker idle at Ctrl-C printed
    KeyboardInterrupt from ``call_queue.get``)."""
    returncode, err = _interrupted(WAITING, tmp_path)
    assert returncode == 130 and "interrupted" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
