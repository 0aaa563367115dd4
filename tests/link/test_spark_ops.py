"""The Spark backend as an operator meets it: checkpoints Spark can recover from and that do not
outlive the run, one-line errors for a bad master or a cluster without capacity, and Spark's
authentication and encryption on in the session Tasman starts."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tasman.core.errors import ExitCode, InputError
from tasman.core.workspace import Workspace
from tasman.synth.corpus import Corpus

from .conftest import import_corpus
from .test_spark import SPARK_SOCKET

pytest.importorskip("pyspark", reason="the Spark backend's tests need pyspark")

from tasman.link.backends import spark as spark_mod
from tasman.link.backends.spark import SparkBackend

pytestmark = pytest.mark.filterwarnings(SPARK_SOCKET)
TABLE = pa.table({"uid": list(range(50)), "name": [f"person {i % 7}" for i in range(50)]})


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.slow
def test_checkpoints_are_reliable_and_removed_on_success(spark: Any, tmp_path: Path) -> None:
    base = tmp_path / "cp"
    with SparkBackend(spark=spark, checkpoint_dir=str(base)) as be:
        be.load("t", TABLE)
        be.create("u", "SELECT name, count(*) AS n FROM t GROUP BY name")
        run_dir = Path(be.checkpoint_dir or "")
        assert run_dir.parent == base and run_dir.is_dir()
        # written to the folder (a reliable checkpoint), not kept in the executors' block managers
        assert any(p.name.startswith("part-") for p in _files(run_dir)), _files(run_dir)
        assert be.query("SELECT sum(n) AS s FROM u").column("s").to_pylist() == [50]
        plan = be._tables["t"]._jdf.queryExecution().toString()
        assert "LocalCheckpoint" not in plan
    assert not run_dir.exists() and list(base.iterdir()) == []


@pytest.mark.slow
def test_a_failed_run_leaves_no_checkpoint_behind(spark: Any, tmp_path: Path) -> None:
    base = tmp_path / "cp"
    with pytest.raises(RuntimeError, match="the run failed"), SparkBackend(spark=spark, checkpoint_dir=str(base)) as be:
        be.load("t", TABLE)
        assert _files(Path(be.checkpoint_dir or ""))
        raise RuntimeError("the run failed")
    assert list(base.iterdir()) == []
    with pytest.raises(Exception), SparkBackend(spark=spark, checkpoint_dir=str(base)) as be:  # noqa: B017
        be.load("t", TABLE)
        be.create("bad", "SELECT no_such_column FROM t")  # Spark's own error mid-run
    assert list(base.iterdir()) == []


@pytest.mark.slow
def test_the_session_tasman_starts_authenticates_and_encrypts(spark: Any) -> None:
    conf = dict(spark.sparkContext.getConf().getAll())
    assert conf["spark.authenticate"] == "true" and len(conf["spark.authenticate.secret"]) == 64
    assert conf["spark.network.crypto.enabled"] == "true" and conf["spark.io.encryption.enabled"] == "true"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"  # local mode listens on this machine only


def test_security_settings_by_master(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = spark_mod.security_conf("local[2]"), spark_mod.security_conf("local[2]")
    assert a["spark.authenticate.secret"] != b["spark.authenticate.secret"]  # generated per run
    monkeypatch.delenv("TASMAN_SPARK_SECRET", raising=False)
    monkeypatch.delenv("TASMAN_SPARK_INSECURE", raising=False)
    with pytest.raises(InputError, match="TASMAN_SPARK_SECRET"):
        spark_mod.security_conf("spark://h:7077")
    monkeypatch.setenv("TASMAN_SPARK_SECRET", "s3cret")
    conf = spark_mod.security_conf("spark://h:7077")
    assert conf["spark.authenticate.secret"] == "s3cret" and conf["spark.network.crypto.enabled"] == "true"
    yarn = spark_mod.security_conf("yarn")  # YARN and Kubernetes make a secret per application
    assert yarn["spark.authenticate"] == "true" and "spark.authenticate.secret" not in yarn
    monkeypatch.delenv("TASMAN_SPARK_SECRET")
    monkeypatch.setenv("TASMAN_SPARK_INSECURE", "1")
    assert spark_mod.security_conf("spark://h:7077") == {}
    assert "without authentication" in capsys.readouterr().err  # said, not silent


class _FakeContext:
    """What the capacity checks read of a SparkContext: executors registered, jobs cancelled."""

    master = "spark://h:7077"

    def __init__(self, executors: list[int]) -> None:
        self.counts = executors
        self.cancelled = False

        class Status:
            def size(inner) -> int:
                return 1 + (self.counts.pop(0) if len(self.counts) > 1 else self.counts[0])

        class Sc:
            def getExecutorMemoryStatus(inner) -> Status:
                return Status()

        class Jsc:
            def sc(inner) -> Sc:
                return Sc()

        self._jsc = Jsc()

    def cancelAllJobs(self) -> None:
        self.cancelled = True


def test_no_executor_ends_after_the_deadline() -> None:
    with pytest.raises(InputError, match=r"no Spark executor on spark://h:7077 for 0.2 s: the cluster has no workers"):
        spark_mod.wait_for_executors(_FakeContext([0]), "spark://h:7077", 0.2, poll=0.01)
    spark_mod.wait_for_executors(_FakeContext([0, 0, 2]), "spark://h:7077", 5, poll=0.01)  # one came


def test_losing_every_executor_cancels_the_jobs_and_says_why() -> None:
    be = SparkBackend.__new__(SparkBackend)
    be._capacity_timeout = 0.05
    be._lost = None
    import threading

    be._watch_stop = threading.Event()
    sc = _FakeContext([2, 2, 0])
    be._watch_capacity(sc, poll=0.01)
    assert sc.cancelled and be._lost and "no Spark executor on spark://h:7077" in be._lost


def test_bad_master_urls_are_one_line_before_any_jvm(ws: Workspace, run_cli, small_corpus: Corpus,  # type: ignore[no-untyped-def]
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import_corpus(ws, small_corpus)
    monkeypatch.delenv("TASMAN_SPARK_SECRET", raising=False)
    monkeypatch.delenv("TASMAN_SPARK_INSECURE", raising=False)
    for master, says in [("nonsense://x", "is not a master URL"), ("spark:/h:7077", "is not a master URL"),
                         ("spark://nohostport", "expected spark://HOST:PORT")]:
        r = run_cli("-w", ws.root, "link", "--case", "C1", "--backend", "spark", "--spark-master", master)
        assert r.exit_code == ExitCode.BAD_INPUT and says in r.stderr, (master, r.output)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    r = run_cli("-w", ws.root, "link", "--case", "C1", "--spark-capacity-timeout", "5")
    assert r.exit_code == ExitCode.BAD_INPUT and "need --backend spark" in r.stderr


@pytest.mark.slow
def test_spark_refusing_its_master_prints_no_java(ws: Workspace, small_corpus: Corpus, tmp_path: Path) -> None:
    """A master URL Spark itself refuses (no executor threads): the JVM's log and trace go to a log
    file, the terminal gets one line, exit 5, and no checkpoint folder is left."""
    import_corpus(ws, small_corpus)
    env = {**os.environ, "PYTHONPATH": str(Path(spark_mod.__file__).parents[3])}
    r = subprocess.run([sys.executable, "-m", "tasman.cli.main", "-w", str(ws.root), "link", "--case", "C1",
                        "--backend", "spark", "--spark-master", "local[0]"],
                       capture_output=True, text=True, env=env, timeout=300, check=False)
    assert r.returncode == ExitCode.BAD_INPUT, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not start Spark on local[0]" in lines[0], r.stderr
    log = Path(lines[0].split("Spark's log: ", 1)[1].rstrip(")"))
    assert log.is_file() and not log.is_symlink() and log.stat().st_mode & 0o077 == 0   # this user's alone
    spark_tmp = Path(ws.root) / "tmp" / "spark"
    assert not spark_tmp.exists() or list(spark_tmp.iterdir()) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_a_master_without_workers_ends_after_the_deadline(ws: Workspace, small_corpus: Corpus,
                                                          tmp_path: Path) -> None:
    """A real standalone master, with authentication and no worker: the run registers (the
    shared secret is accepted), waits --spark-capacity-timeout for an executor, then ends with
    one line and exit 5, leaving no checkpoint folder. With the wrong secret the master refuses
    the application: one line, exit 5."""
    import pyspark

    if ws.engine.dialect.name != "sqlite":
        pytest.skip("the master's refusal and deadline do not depend on the store: run once, on SQLite")
    import_corpus(ws, small_corpus)
    home = Path(pyspark.__file__).parent
    port, ui, secret = _free_port(), _free_port(), uuid.uuid4().hex
    daemon_env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(tmp_path),
                  "SPARK_MASTER_OPTS": f"-Dspark.authenticate=true -Dspark.authenticate.secret={secret}"}
    master = subprocess.Popen([str(home / "bin" / "spark-class"), "org.apache.spark.deploy.master.Master",
                               "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui)],
                              env=daemon_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert master.poll() is None and time.monotonic() < deadline, "the test's Spark master did not start"
            time.sleep(1)
        env = {**os.environ, "PYTHONPATH": str(Path(spark_mod.__file__).parents[3]), "TASMAN_SPARK_SECRET": secret}
        env.pop("TASMAN_SPARK_INSECURE", None)
        url = f"spark://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "tasman.cli.main", "-w", str(ws.root), "link", "--case", "C1",
                "--backend", "spark", "--spark-master", url, "--spark-capacity-timeout", "3"]
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
        # the wrong secret: the master refuses the application (after Spark's own minute of retries)
        wrong = subprocess.run(argv, capture_output=True, text=True, env={**env, "TASMAN_SPARK_SECRET": "wrong"},
                               timeout=300, check=False)
    finally:
        master.terminate()
        master.wait(60)
    assert r.returncode == ExitCode.BAD_INPUT, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"no Spark executor on {url} for 3 s: the cluster has no workers" in lines[0], r.stderr
    spark_tmp = Path(ws.root) / "tmp" / "spark"
    assert not spark_tmp.exists() or list(spark_tmp.iterdir()) == []
    assert wrong.returncode == ExitCode.BAD_INPUT, wrong.stderr
    lines = wrong.stderr.strip().splitlines()
    assert len(lines) == 1 and f"Spark master {url} did not accept this application" in lines[0], wrong.stderr


class _Tracker:
    """Spark's status tracker, as ``stage_progress`` reads it."""

    def __init__(self, stages: dict[int, tuple[int, int, int]]) -> None:
        self.stages = stages

    def getActiveStageIds(self) -> list[int]:
        return list(self.stages)

    def getStageInfo(self, sid: int) -> Any:
        from pyspark.status import SparkStageInfo

        if sid not in self.stages:
            return None
        total, done, failed = self.stages[sid]
        return SparkStageInfo(sid, 0, "count at NativeMethodAccessorImpl.java:0", total, 1, done, failed)


def test_stage_progress_sums_the_active_stages_tasks() -> None:
    assert spark_mod.stage_progress(_Tracker({})) is None
    assert spark_mod.stage_progress(_Tracker({7: (200, 37, 0)})) == (37, 200, "Spark stage 7 (count): 37/200 tasks")
    done, total, words = spark_mod.stage_progress(_Tracker({9: (4, 4, 1), 8: (10, 2, 0)})) or (0, 0, "")
    assert (done, total) == (6, 14) and words == "Spark stages 8, 9: 6/14 tasks, 1 failed"


def test_a_running_job_is_reported_through_progress(spark: Any, tmp_path: Path) -> None:
    """The job's tasks wait until a report has been made (at most 60 s), so the report does not
    depend on how fast the machine is."""
    seen = tmp_path / "seen"
    reports: list[tuple[int, int | None, str]] = []

    def progress(done: int, total: int | None, message: str) -> None:
        reports.append((done, total, message))
        seen.touch()

    def wait_for_a_report(x: int) -> int:
        deadline = time.monotonic() + 60
        while not os.path.exists(seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        return x

    with SparkBackend(spark=spark, checkpoint_dir=str(tmp_path / "cp")) as be:
        be.report_to(progress)
        assert spark.sparkContext.parallelize(range(4), 4).map(wait_for_a_report).count() == 4
    assert reports, "no progress while the job ran"
    done, total, message = reports[0]
    assert total == 4 and 0 <= done < 4 and message.startswith("Spark stage ")
    assert be._reporter is not None
    be._reporter.join(10)
    assert not be._reporter.is_alive()                    # stopped with the backend


def test_the_link_command_hands_its_progress_bar_to_the_backend(run_cli, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the bar reaches the backend (Spark's stages show in it); with --json it does not."""
    from tasman.cli import link_cmd
    from tasman.cli.common import Ticker
    from tasman.link.backends.duckdb import DuckDBBackend
    from tests.link.test_review import write_people

    handed: list[object] = []

    @contextlib.contextmanager
    def shown(_label: str) -> Any:
        yield Ticker(lambda **_kw: None)

    monkeypatch.setattr(DuckDBBackend, "report_to", lambda self, progress: handed.append(progress))
    w = ["-w", tmp_path / "ws"]
    assert run_cli("init", tmp_path / "ws").exit_code == 0
    assert run_cli(*w, "case", "create", "C1").exit_code == 0
    assert run_cli(*w, "records", "import", write_people(tmp_path), "--case", "C1", "--kind", "customers"
                   ).exit_code == 0
    assert run_cli(*w, "link", "--case", "C1").exit_code == 0
    assert handed == []                                   # nothing drawn: nothing handed
    monkeypatch.setattr(link_cmd, "progress", shown)
    assert run_cli(*w, "link", "--case", "C1", "--full").exit_code == 0
    assert len(handed) == 1 and isinstance(handed[0], Ticker)
