"""The default backend: DuckDB embedded in the process, spilling to a temporary folder when a
case outgrows memory."""

from __future__ import annotations

import tempfile
from typing import Any

import duckdb
import pyarrow as pa

from tasman.link.backends.base import Backend


class DuckDBBackend(Backend):
    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str = "4GB", temp_dir: str | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="tasman-link-") if temp_dir is None else None
        self.con = duckdb.connect(":memory:")
        spill = temp_dir or (self._tmp.name if self._tmp else ".")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET temp_directory = '{spill}'")
        self.con.execute("SET preserve_insertion_order = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._api: Any = None

    def load(self, name: str, table: pa.Table) -> None:
        self.con.register("__tasman_incoming", table)
        self.drop(name)  # a view of that name too
        self.con.execute(f"CREATE TABLE {name} AS SELECT * FROM __tasman_incoming")
        self.con.unregister("__tasman_incoming")

    def create(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")

    def view(self, name: str, sql: str) -> None:
        self.drop(name)
        self.con.execute(f"CREATE VIEW {name} AS {sql}")

    def drop(self, name: str) -> None:
        kind = self.con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                                [name]).fetchone()
        self.con.execute(f"DROP {'VIEW' if kind and kind[0] == 'VIEW' else 'TABLE'} IF EXISTS {name}")

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def splink_api(self) -> Any:
        if self._api is None:
            from splink import DuckDBAPI

            self._api = DuckDBAPI(self.con)
        return self._api

    def close(self) -> None:
        self.con.close()
        if self._tmp is not None:
            self._tmp.cleanup()
