"""Splink on Spark: the same linkage on a cluster, or in Spark's local mode on one machine.

Everything that touches the whole case runs in Spark: loading the parties, the deterministic
rules, Splink's training and scoring (``SparkAPI``), ordering the edges and summarising the
subjects. Tasman's own statements are written in DuckDB's dialect and translated with sqlglot
(as Splink translates its own); Splink renders its settings in Spark's dialect directly.

Point it at a cluster with ``master="spark://host:7077"`` (or ``yarn``, ``k8s://...``: any
master URL Spark accepts); the default, ``local[*]``, runs Spark inside this process on every
core. Splink's Jaro-Winkler and other string functions ship as a jar inside Splink; the session
is started with it, and Spark hands it to the executors.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import sqlglot

from tasman.core.errors import InputError
from tasman.core.progress import Progress
from tasman.link.backends.base import Backend

DEFAULT_MASTER = "local[*]"
DEFAULT_CAPACITY_TIMEOUT = 120.0  # seconds a cluster may go without any executor before the run ends
PROGRESS_SECONDS = 1.0            # how often Spark's status tracker is read for progress
_MASTER_URL = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?|local-cluster\[\d+,\d+,\d+\]|spark://\S+|yarn"
                         r"|k8s://\S+|mesos://\S+")


def _require_pyspark() -> None:
    # PySpark's pandas version check warns on the terminal (on import and on Arrow transfers);
    # Tasman hands Spark Arrow tables, not pandas frames: the warning is no user's message.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise InputError("the Spark backend needs pyspark: pip install 'tasman[spark]'") from None


def _check_java() -> None:
    """Spark runs on the JVM: fail with a sentence, not Py4J's gateway error, when there is none."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        where = f"JAVA_HOME={home} has no bin/java" if home else "no 'java' on PATH"
        raise InputError(f"the Spark backend needs Java 17 or later ({where}): install it "
                         "(Debian: openjdk-17-jre-headless) or set JAVA_HOME")


def _check_master(master: str, timeout: float = 5.0) -> None:
    """A master URL Spark knows, checked here (Spark would print a Java trace). A standalone
    master (``spark://host:port[,host:port]``) must answer before the JVM is
    started: Spark itself would retry for a minute and then fail deep inside a job."""
    if not _MASTER_URL.fullmatch(master):
        raise InputError(f"Spark master {master!r} is not a master URL: use local[*], local[N], "
                         "spark://HOST:PORT, yarn or k8s://HOST:PORT")
    if not master.startswith("spark://"):
        return
    hosts = master[len("spark://"):].split(",")
    for hp in hosts:
        host, _, port = hp.rpartition(":")
        if not host or not port.isdigit():
            raise InputError(f"Spark master {master!r}: expected spark://HOST:PORT")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except OSError:
            continue
    raise InputError(f"Spark master {master} is unreachable (nothing answered within {timeout:.0f} s)")


def _local_cores(master: str) -> int:
    m = re.fullmatch(r"local\[(\d+|\*)(?:,\d+)?\]", master)
    if m and m.group(1) != "*":
        return int(m.group(1))
    return 1 if master == "local" else os.cpu_count() or 1


def check_can_start(master: str) -> None:
    """What can be known without starting Spark: pyspark installed, the master answering,
    Java present, a standalone cluster's secret given."""
    _require_pyspark()
    _check_master(master)
    if _needs_shared_secret(master):
        _shared_secret(master)
    _check_java()


def security_conf(master: str) -> dict[str, str]:
    """Spark's own security, on: authentication (a secret generated for this run in local mode;
    YARN and Kubernetes generate one per application themselves; a standalone cluster's shared
    secret comes from ``TASMAN_SPARK_SECRET``), AES encryption of RPC and block transfers, and
    encryption of the shuffle and spill files Spark writes to local disks. Local mode listens on
    127.0.0.1 only."""
    conf = {"spark.authenticate": "true", "spark.network.crypto.enabled": "true",
            "spark.io.encryption.enabled": "true"}
    if master.startswith("local"):
        conf.update({"spark.authenticate.secret": secrets.token_hex(32), "spark.driver.host": "127.0.0.1",
                     "spark.driver.bindAddress": "127.0.0.1"})
    elif _needs_shared_secret(master):
        secret = _shared_secret(master)
        if secret is None:
            print(f"warning: Spark on {master} without authentication or encryption (TASMAN_SPARK_INSECURE=1): "
                  "suspects' records cross the network in clear", file=sys.stderr)
            return {}
        conf["spark.authenticate.secret"] = secret
    return conf


def _needs_shared_secret(master: str) -> bool:
    return master.startswith(("spark://", "mesos://"))


def _shared_secret(master: str) -> str | None:
    """A standalone cluster's secret (None: the operator chose a cluster without authentication)."""
    secret = os.environ.get("TASMAN_SPARK_SECRET")
    if secret:
        return secret
    if os.environ.get("TASMAN_SPARK_INSECURE") == "1":
        return None
    raise InputError(f"Spark master {master}: set TASMAN_SPARK_SECRET to the shared secret its master and "
                     "workers run with (spark.authenticate), or TASMAN_SPARK_INSECURE=1 for a cluster "
                     "without authentication (records then cross the network in clear)")


_LOG: list[str] = []     # the driver log of the JVM this process started (one JVM a process)


def _driver_log() -> tuple[int, str]:
    """A new file of its own for the JVM's output: created exclusively, readable by this user only
    (it may quote records), never a name someone else could have put a link at."""
    fd, path = tempfile.mkstemp(prefix="tasman-spark-", suffix=".log")
    _LOG[:] = [path]
    return fd, path


def _log_named() -> str:
    return _LOG[0] if _LOG else "none: this process did not start the JVM"


def _start_context(master: str, settings: Mapping[str, str]) -> Any:
    """Start the JVM with its output in a log file, not on this process's terminal (Spark's
    log4j warnings and Java traces are no user's message), then the SparkContext on it."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    conf = SparkConf().setMaster(master).setAppName("tasman-link").setAll(list(settings.items()))
    fd, log_path = _driver_log()
    with os.fdopen(fd, "ab") as log:
        try:
            gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": log})
        except Exception as exc:
            raise InputError(f"could not start Spark on {master}: {_first_line(exc)} (Spark's log: {log_path})") \
                from None
    try:
        return SparkContext(conf=conf, gateway=gateway)
    except Exception as exc:  # Py4J and Spark raise many kinds; the first line says what went wrong
        why = _first_line(exc)  # read while the JVM still answers
        with contextlib.suppress(Exception):  # the JVM may be gone already; the error below is the news
            gateway.shutdown()
        SparkContext._gateway = None
        SparkContext._jvm = None
        raise InputError(f"could not start Spark on {master}: {why} (Spark's log: {log_path})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    java = getattr(exc, "java_exception", None)
    if java is not None:  # Py4J's first line names the call, the Java exception says what went wrong
        with contextlib.suppress(Exception):
            text = str(java.toString())
    return (text.splitlines() or [type(exc).__name__])[0]


def stage_progress(tracker: Any) -> tuple[int, int, str] | None:
    """What Spark is doing now, from its status tracker (``SparkContext.statusTracker()``): tasks
    done of the tasks of the active stages, and which stages (None: no stage running)."""
    infos = [info for sid in sorted(tracker.getActiveStageIds())
             if (info := tracker.getStageInfo(sid)) is not None]
    if not infos:
        return None
    done = sum(i.numCompletedTasks for i in infos)
    total = sum(i.numTasks for i in infos)
    failed = sum(i.numFailedTasks for i in infos)
    first = infos[0]
    name = first.name.split(" at ")[0]          # Spark's call site ("count at NativeMethodAccessorImpl...")
    what = f"stage {first.stageId} ({name})" if len(infos) == 1 else \
        f"stages {', '.join(str(i.stageId) for i in infos)}"
    return done, total, f"Spark {what}: {done}/{total} tasks" + (f", {failed} failed" if failed else "")


def executors(sc: Any) -> int:
    """Executors registered with the driver now (local mode's live inside it: 0)."""
    return max(0, int(sc._jsc.sc().getExecutorMemoryStatus().size()) - 1)


def _no_capacity(master: str, timeout: float) -> str:
    return (f"no Spark executor on {master} for {timeout:g} s: the cluster has no workers or no free "
            "cores/memory for this application (--spark-capacity-timeout)")


def wait_for_executors(sc: Any, master: str, timeout: float, poll: float = 0.5) -> None:
    """A cluster that grants no executor leaves every job waiting for ever: end after ``timeout``."""
    deadline = time.monotonic() + timeout
    while executors(sc) == 0:
        if time.monotonic() >= deadline:
            raise InputError(_no_capacity(master, timeout))
        time.sleep(poll)


def spark_session(master: str = DEFAULT_MASTER, shuffle_partitions: int | None = None,
                  driver_memory: str = "4g", conf: Mapping[str, str] | None = None,
                  capacity_timeout: float = DEFAULT_CAPACITY_TIMEOUT) -> Any:
    """Start (or join) the process's Spark session with what Splink needs: its jar of string
    functions, Arrow transfers, UTC dates, and Spark's authentication and encryption
    (:func:`security_conf`). Local mode gets few shuffle partitions (Spark's 200 are meant for
    clusters) and ``driver_memory`` (the local executors live in the driver). On a cluster the
    session is given back once an executor has joined, or ends after ``capacity_timeout`` s.
    A session already running in this process is joined as it is (only SQL settings apply)."""
    check_can_start(master)
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    settings = {
        "spark.api.mode": "classic",  # Splink drives the JVM session, not Spark Connect
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }
    if not _running():
        settings.update(security_conf(master))
    if master.startswith("local"):
        settings["spark.driver.memory"] = driver_memory
        if "PYSPARK_PYTHON" not in os.environ:  # Spark's Python workers: this interpreter, not PATH's python3
            settings["spark.pyspark.python"] = sys.executable
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions or 4 * _local_cores(master))
    elif shuffle_partitions:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update(conf or {})
    jars = [similarity_jar_location(), *filter(None, settings.get("spark.jars", "").split(","))]
    settings["spark.jars"] = ",".join(jars)
    own = not _running()

    def refused() -> InputError:
        return InputError(f"Spark master {master} did not accept this application: not a Spark master, or its "
                          f"authentication refused the secret (TASMAN_SPARK_SECRET); Spark's log: {_log_named()}")

    if own:
        sc = _start_context(master, settings)
        if sc._jsc.sc().isStopped():  # a standalone master that never accepted the application
            sc.stop()
            raise refused()
    builder = SparkSession.builder
    for key, value in settings.items():
        if key.startswith("spark.sql.") or key == "spark.api.mode":
            builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # Py4J and Spark raise many kinds; the first line says what went wrong
        why = _first_line(exc)
        if own and "stopped SparkContext" in why:  # stopped when the master gave up on it
            raise refused() from None
        raise InputError(f"could not start Spark on {master}: {why} (Spark's log: {_log_named()})") from None
    spark.sparkContext.setLogLevel("ERROR")
    if own and not master.startswith("local"):
        try:
            wait_for_executors(spark.sparkContext, master, capacity_timeout)
        except InputError:
            spark.stop()
            raise
    return spark


def _running() -> bool:
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


class SparkBackend(Backend):
    name = "spark"
    dialect = "spark"

    def __init__(self, master: str = DEFAULT_MASTER, spark: Any = None, checkpoint_dir: str | None = None,
                 shuffle_partitions: int | None = None, driver_memory: str = "4g",
                 conf: Mapping[str, str] | None = None,
                 capacity_timeout: float = DEFAULT_CAPACITY_TIMEOUT) -> None:
        """``spark``: a session to use instead of starting one on ``master``. Otherwise the
        session starts at first use (a case that turns out empty costs no JVM), after the
        checks that need none; one already running in the process is joined. Either way a
        session this backend did not start is left running.

        ``checkpoint_dir``: where Tasman's tables and Splink's intermediate tables are written
        (Spark's reliable checkpoints and Parquet), so that a lost executor's share is read back
        rather than lost, and query plans stay short. On a cluster it must be storage every node
        sees (``hdfs://``, ``s3a://``, a shared mount); default: the system's temporary folder.
        The run writes in a folder of its own there, removed when the backend closes, whether
        the run succeeded or failed (the tables hold personal data).

        ``capacity_timeout``: on a cluster, how long the run may go without any executor (none
        granted at the start, or every one lost) before it ends with a one-line error."""
        if capacity_timeout <= 0:
            raise InputError(f"the Spark capacity timeout must be positive, not {capacity_timeout:g}")
        if spark is None:
            check_can_start(master)
        self._spark = spark
        self._start = (master, shuffle_partitions, driver_memory, conf, capacity_timeout)
        self._own = False
        self._base = checkpoint_dir or tempfile.gettempdir()
        self._run_dir: str | None = None
        self._capacity_timeout = capacity_timeout
        self._lost: str | None = None
        self._watch_stop = threading.Event()
        self._watch: threading.Thread | None = None
        self._progress: Progress | None = None
        self._reporter: threading.Thread | None = None
        self._tables: dict[str, Any] = {}
        self._api: Any = None
        if spark is not None:
            self._prepare()

    @property
    def spark(self) -> Any:
        if self._spark is None:
            self._own = not _running()
            self._spark = spark_session(*self._start)
            self._prepare()
        return self._spark

    @property
    def checkpoint_dir(self) -> str | None:
        """This run's own folder of checkpoints (None before the session starts)."""
        return self._run_dir

    def _prepare(self) -> None:
        sc = self._spark.sparkContext
        run_dir = f"{self._base.rstrip('/')}/tasman-spark-{uuid.uuid4().hex}"
        if _is_local(run_dir):
            os.makedirs(run_dir, mode=0o700)
        self._run_dir = run_dir
        sc.setCheckpointDir(run_dir)  # Spark makes a folder of its own inside, Splink writes there too
        if not sc.master.startswith("local"):
            self._watch = threading.Thread(target=self._watch_capacity, args=(sc,), daemon=True,
                                           name="tasman-spark-capacity")
            self._watch.start()
        self._start_reporting()

    def report_to(self, progress: Progress | None) -> None:
        """Spark's stages are reported through ``progress`` (tasks done of the active stages'
        tasks, every ``PROGRESS_SECONDS``) from the moment the session runs."""
        self._progress = progress
        if self._spark is not None:
            self._start_reporting()

    def _start_reporting(self) -> None:
        if self._progress is None or self._reporter is not None:
            return
        self._reporter = threading.Thread(target=self._report, args=(self._spark.sparkContext, self._progress),
                                          daemon=True, name="tasman-spark-progress")
        self._reporter.start()

    def _report(self, sc: Any, progress: Progress, poll: float = PROGRESS_SECONDS) -> None:
        last: tuple[int, int, str] | None = None
        while not self._watch_stop.wait(poll):
            try:
                now = stage_progress(sc.statusTracker())
            except Exception:  # the context is stopping; nothing left to report
                return
            if now is not None and now != last:
                with contextlib.suppress(Exception):  # a display's failure is no reason to stop a run
                    progress(*now)
                last = now

    def _watch_capacity(self, sc: Any, poll: float = 1.0) -> None:
        """Every executor lost, and none back within the deadline: cancel the jobs (which would
        otherwise wait for ever) and say why when the run ends."""
        since: float | None = None
        while not self._watch_stop.wait(poll):
            try:
                n = executors(sc)
            except Exception:  # the context is stopping; nothing left to watch
                return
            if n:
                since = None
            elif since is None:
                since = time.monotonic()
            elif time.monotonic() - since >= self._capacity_timeout:
                self._lost = _no_capacity(sc.master, self._capacity_timeout)
                sc.cancelAllJobs()
                return

    @staticmethod
    def to_spark_sql(sql: str) -> str:
        """Tasman's statements are written for DuckDB; sqlglot writes them for Spark."""
        return sqlglot.transpile(sql, read="duckdb", write="spark")[0]

    def _keep(self, name: str, df: Any) -> None:
        """Compute ``df`` now, write it to the checkpoint folder (a lost executor's share is read
        back from there) and name it."""
        self.drop(name)
        df = df.checkpoint(eager=True)
        df.createOrReplaceTempView(name)
        self._tables[name] = df

    def load(self, name: str, table: pa.Table) -> None:
        self._keep(name, self.spark.createDataFrame(table))

    def create(self, name: str, sql: str) -> None:
        self._keep(name, self.spark.sql(self.to_spark_sql(sql)))

    def drop(self, name: str) -> None:
        df = self._tables.pop(name, None)
        if df is not None:
            df.unpersist()
        self.spark.catalog.dropTempView(name)

    def query(self, sql: str) -> pa.Table:
        return self.spark.sql(self.to_spark_sql(sql)).toArrow()

    def splink_api(self) -> Any:
        if self._api is None:
            from splink import SparkAPI

            self._api = SparkAPI(spark_session=self.spark, break_lineage_method="parquet")
        return self._api

    def _remove_checkpoints(self) -> None:
        run_dir, self._run_dir = self._run_dir, None
        if run_dir is None:
            return
        removed = False
        try:
            sc = self._spark.sparkContext
            path = sc._jvm.org.apache.hadoop.fs.Path(run_dir)
            path.getFileSystem(sc._jsc.hadoopConfiguration()).delete(path, True)
            removed = True
        except Exception:  # the JVM may be gone (a failed run): the local path is removed below
            pass
        if _is_local(run_dir):
            local = urlparse(run_dir).path if run_dir.startswith("file:") else run_dir
            shutil.rmtree(local, ignore_errors=True)
            removed = not os.path.exists(local)
        if not removed:
            print(f"warning: could not remove Spark's checkpoints (personal data) at {run_dir}: remove them by hand",
                  file=sys.stderr)

    def close(self) -> None:
        if self._spark is None:
            return
        self._watch_stop.set()
        try:
            with contextlib.suppress(Exception):  # a failed run may have lost its JVM: the checkpoints still go
                for name in list(self._tables):
                    self.drop(name)
        finally:
            try:
                self._remove_checkpoints()
            finally:
                if self._own:
                    self._spark.stop()

    def __enter__(self) -> SparkBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        if exc[0] is not None and self._lost is not None:
            raise InputError(self._lost) from None


def _is_local(path: str) -> bool:
    scheme = urlparse(path).scheme
    return scheme in ("", "file") or len(scheme) == 1  # a Windows drive letter is not a scheme
