"""A real Spark standalone cluster, as an operator runs one: a master and a worker (``spark-class``
from pyspark's own install) sharing a secret, and Tasman's session with Spark's authentication and
encryption on. Linking a case on it gives DuckDB's subjects; the worker's executor killed mid-run
(SIGKILL, once the first reliable checkpoint is written) costs a new executor and recomputed
tasks, not the run; the run's checkpoint folder is gone when it ends, whether it succeeded or
failed; no process outlives the test."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tasman.core.errors import ExitCode
from tasman.core.workspace import Workspace
from tasman.synth.corpus import Corpus

from .conftest import import_corpus
from .test_spark import SPARK_SOCKET

pyspark = pytest.importorskip("pyspark", reason="the Spark backend's tests need pyspark")

pytestmark = [pytest.mark.cluster, pytest.mark.filterwarnings(SPARK_SOCKET)]
SRC = Path(__file__).resolve().parents[2] / "src"
EXECUTOR = "org.apache.spark.executor.CoarseGrainedExecutorBackend"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _daemon(cls: str, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    home = Path(pyspark.__file__).parent
    with log.open("wb") as out:
        return subprocess.Popen([str(home / "bin" / "spark-class"), cls, *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """A daemon and whatever it started (a worker's executors), ended and reaped."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _wait(what: str, ok: Callable[[], object], procs: list[subprocess.Popen[bytes]], timeout: float = 180) -> None:
    """Until ``ok()``, while every one of ``procs`` runs, for ``timeout`` s at most."""
    deadline = time.monotonic() + timeout
    while not ok():
        assert all(p.poll() is None for p in procs), f"{what}: a process ended"
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(0.1)


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def standalone(tmp_path: Path, secret: str) -> Iterator[tuple[str, subprocess.Popen[bytes], Callable[[], None]]]:
    """A master and a two-core worker on this machine, both with ``spark.authenticate`` and the
    secret, started together (the worker retries its registration until the master answers):
    the master's URL, the worker's process (its executors are its children) and a function that
    waits until the worker is registered. Both are stopped and reaped at the end."""
    port = _free_port()
    opts = f"-Dspark.authenticate=true -Dspark.authenticate.secret={secret}"
    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "SPARK_LOG_DIR": str(tmp_path),
           "SPARK_MASTER_OPTS": opts, "SPARK_WORKER_OPTS": opts, "PYSPARK_PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    url = f"spark://127.0.0.1:{port}"
    master = _daemon("org.apache.spark.deploy.master.Master",
                     ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(_free_port())],
                     env, tmp_path / "master.log")
    worker: subprocess.Popen[bytes] | None = None
    try:
        worker = _daemon("org.apache.spark.deploy.worker.Worker",
                         ["--host", "127.0.0.1", "--cores", "2", "--memory", "2g", "--webui-port", str(_free_port()),
                          "--work-dir", str(tmp_path / "work"), url], env, tmp_path / "worker.log")
        procs = [master, worker]

        def registered() -> bool:
            return "Successfully registered with master" in (tmp_path / "worker.log").read_text(errors="replace")

        def ready() -> None:
            _wait("the worker's registration with the master", registered, procs)

        yield url, worker, ready
    finally:
        if worker is not None:
            _stop(worker)
        _stop(master)


def _executors(worker: subprocess.Popen[bytes]) -> list[psutil.Process]:
    found = []
    with contextlib.suppress(psutil.NoSuchProcess):
        for p in psutil.Process(worker.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if EXECUTOR in p.cmdline():
                    found.append(p)
    return found


def _checkpointed(folder: Path) -> bool:
    """Whether a reliable checkpoint has been written under ``folder`` (Spark's part files)."""
    try:
        return any(p.name.startswith("part-") for p in folder.rglob("*"))
    except OSError:                   # a folder of Spark's gone while it was read (a task's temporary one)
        return False


def _link(ws: Workspace, url: str, env: dict[str, str], out: Path, err: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "tasman.cli.main", "-w", str(ws.root), "--json", "link", "--case", "C1",
            "--backend", "spark", "--spark-master", url, *extra]
    with out.open("wb") as out_fh, err.open("wb") as err_fh:
        return subprocess.Popen(argv, env=env, stdout=out_fh, stderr=err_fh, start_new_session=True)


def _ended(proc: subprocess.Popen[bytes], timeout: float) -> int:
    try:
        return proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_a_standalone_cluster_loses_its_executor_mid_run_and_gives_duckdbs_subjects(
        ws: Workspace, small_corpus: Corpus, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    if ws.engine.dialect.name != "sqlite":
        pytest.skip("the cluster's behaviour does not depend on the store: run once, on SQLite")
    secret = uuid.uuid4().hex
    conf = tmp_path / "conf"          # the operator's spark-defaults.conf, for a small cluster
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("spark.sql.shuffle.partitions 2\nspark.executor.memory 1g\n"
                                              "spark.locality.wait 0s\n")
    temp = tmp_path / "driver-tmp"    # the system's temporary folder for the runs: the driver's log goes there
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(SRC), "TASMAN_SPARK_SECRET": secret, "SPARK_CONF_DIR": str(conf),
           "PYSPARK_PYTHON": sys.executable, "TMPDIR": str(temp)}
    env.pop("TASMAN_SPARK_INSECURE", None)
    checkpoints = Path(ws.root) / "tmp" / "spark"
    with standalone(tmp_path, secret) as (url, worker, ready):
        import_corpus(ws, small_corpus)              # while the master and the worker start
        r = run_cli("-w", ws.root, "--json", "link", "--case", "C1")
        assert r.exit_code == 0, r.output
        duck = json.loads(r.stdout)
        ready()
        proc = _link(ws, url, env, tmp_path / "link.json", tmp_path / "link.err")
        try:
            _wait("the first checkpoint", lambda: _checkpointed(checkpoints) and _executors(worker), [proc, worker])
            first = _executors(worker)
            for p in first:
                p.send_signal(signal.SIGKILL)          # the executor lost, with every block it held
        finally:
            rc = _ended(proc, 600)
        stderr = (tmp_path / "link.err").read_text(errors="replace")
        assert rc == 0 and "Traceback" not in stderr, stderr
        spark = json.loads((tmp_path / "link.json").read_text())
        # the master gave the application a second executor (the worker's folder for each)
        apps = list((tmp_path / "work").glob("app-*"))
        assert len(apps) == 1 and len([d for d in apps[0].iterdir() if d.is_dir()]) >= 2, list(apps[0].iterdir())
        _, alive = psutil.wait_procs(first, timeout=10)
        assert not alive
        assert not checkpoints.exists() or list(checkpoints.iterdir()) == []      # removed on success
        log = "\n".join(p.read_text(errors="replace") for p in temp.glob("tasman-spark-*.log"))
        assert "Lost executor" in log, log[-4000:]     # the driver saw it go mid-run, and went on

        # a run that fails (the whole worker gone mid-run, no capacity left) leaves no checkpoint either
        proc = _link(ws, url, env, tmp_path / "fail.json", tmp_path / "fail.err", "--full",
                     "--spark-capacity-timeout", "5")
        try:
            _wait("the first checkpoint", lambda: _checkpointed(checkpoints), [proc, worker])
            os.killpg(worker.pid, signal.SIGKILL)     # the worker and its executor
        finally:
            rc = _ended(proc, 300)
    stderr = (tmp_path / "fail.err").read_text(errors="replace")
    assert rc == ExitCode.BAD_INPUT, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and f"no Spark executor on {url} for 5 s" in lines[0], stderr
    assert list(checkpoints.iterdir()) == []
    # the same partition as DuckDB's: every subject kept its reference and its records
    assert spark["subjects"] == duck["subjects"]
    assert spark["stored"]["unchanged"] == spark["subjects"] and spark["stored"]["new_refs"] == 0
