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

import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import sqlglot

from tasman.core.errors import InputError
from tasman.link.backends.base import Backend

DEFAULT_MASTER = "local[*]"


def _require_pyspark() -> None:
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
    """A standalone master (``spark://host:port[,host:port]``) must answer before the JVM is
    started: Spark itself would retry for a minute and then fail deep inside a job."""
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
    Java present."""
    _require_pyspark()
    _check_master(master)
    _check_java()


def spark_session(master: str = DEFAULT_MASTER, shuffle_partitions: int | None = None,
                  driver_memory: str = "4g", conf: Mapping[str, str] | None = None) -> Any:
    """Start (or join) the process's Spark session with what Splink needs: its jar of string
    functions, Arrow transfers, UTC dates. Local mode gets few shuffle partitions (Spark's 200
    are meant for clusters) and ``driver_memory`` (the local executors live in the driver).
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
    builder = SparkSession.builder.master(master).appName("tasman-link")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # Py4J and Spark raise many kinds; the first line says what went wrong
        line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"could not start Spark on {master}: {line}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _running() -> bool:
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


class SparkBackend(Backend):
    name = "spark"
    dialect = "spark"

    def __init__(self, master: str = DEFAULT_MASTER, spark: Any = None, checkpoint_dir: str | None = None,
                 shuffle_partitions: int | None = None, driver_memory: str = "4g",
                 conf: Mapping[str, str] | None = None) -> None:
        """``spark``: a session to use instead of starting one on ``master``. Otherwise the
        session starts at first use (a case that turns out empty costs no JVM), after the
        checks that need none; one already running in the process is joined. Either way a
        session this backend did not start is left running.

        ``checkpoint_dir``: where Splink writes its intermediate tables as Parquet, which cuts
        Spark's query plans short; on a cluster it must be storage every node sees (``hdfs://``,
        ``s3a://``, a shared mount). Without one, local mode uses a temporary folder and a
        cluster keeps them cached in the executors (memory, then disk)."""
        if spark is None:
            check_can_start(master)
        self._spark = spark
        self._start = (master, shuffle_partitions, driver_memory, conf)
        self._own = False
        self._checkpoint_dir = checkpoint_dir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._lineage = "persist"
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

    def _prepare(self) -> None:
        sc = self._spark.sparkContext
        if self._checkpoint_dir is None and sc.getCheckpointDir() is None and sc.master.startswith("local"):
            self._tmp = tempfile.TemporaryDirectory(prefix="tasman-spark-")
            self._checkpoint_dir = self._tmp.name
        if self._checkpoint_dir is not None:
            sc.setCheckpointDir(self._checkpoint_dir)
        self._lineage = "parquet" if sc.getCheckpointDir() is not None else "persist"

    @staticmethod
    def to_spark_sql(sql: str) -> str:
        """Tasman's statements are written for DuckDB; sqlglot writes them for Spark."""
        return sqlglot.transpile(sql, read="duckdb", write="spark")[0]

    def _keep(self, name: str, df: Any) -> None:
        """Compute ``df`` now, cut its lineage (kept in the executors) and name it."""
        self.drop(name)
        df = df.localCheckpoint(eager=True)
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

            self._api = SparkAPI(spark_session=self.spark, break_lineage_method=self._lineage)
        return self._api

    def close(self) -> None:
        if self._spark is None:
            return
        for name in list(self._tables):
            self.drop(name)
        if self._own:
            self._spark.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
