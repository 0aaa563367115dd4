"""Shared fixtures: every storage test runs on SQLite, and on PostgreSQL when
``TASMAN_TEST_DATABASE_URL`` is set (CI sets it). Each test gets its own database."""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from tasman.core.db import make_engine, migrate, normalise_url
from tasman.core.workspace import Workspace

PG_ENV = "TASMAN_TEST_DATABASE_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("TASMAN_DATABASE_URL", "TASMAN_WORKSPACE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TASMAN_USER", "tester")


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str | None]:
    """A PostgreSQL database migrated once per session; each test copies it (CREATE ... TEMPLATE)."""
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        yield None
        return
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"tasman_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = normalise_url(admin_url).rsplit("/", 1)[0]
    engine = make_engine(f"{base}/{name}")
    migrate(engine)
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def _pg_database(template: str | None, migrated: bool) -> Iterator[str]:
    admin_url = os.environ.get(PG_ENV)
    if not admin_url or template is None:
        pytest.skip(f"{PG_ENV} not set")
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"tasman_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if migrated else "")))
    base = normalise_url(admin_url).rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _pg_template: str | None) -> Iterator[str]:
    """A fresh, EMPTY database URL on each backend (for tests of migrations and init)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield from _pg_database(_pg_template, migrated=False)


@pytest.fixture(params=BACKENDS)
def migrated_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, _pg_template: str | None, _sqlite_template: Path
) -> Iterator[str]:
    """A fresh database already at the latest schema (copied from a per-session template: fast)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(_sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        yield from _pg_database(_pg_template, migrated=True)


@pytest.fixture
def ws(migrated_db_url: str, tmp_path: Path) -> Iterator[Workspace]:
    """A fresh workspace on each backend."""
    w = Workspace.init(tmp_path / "ws", db_url=migrated_db_url, actor="tester")
    yield w
    w.close()


@pytest.fixture
def run_cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI in-process; returns click's Result (exit code, stdout, stderr)."""
    from tasman.cli.main import cli

    def run(*args: str | Path) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def one_case_ontology() -> Iterator[None]:
    """case_utils' ``case_validate.validate`` parses its bundled CASE/UCO ontology (14,000
    triples, about a third of a small document's validation) at every call: here once per test
    run. Its first validation adds the same deactivation flags a fresh parse gets each time, and
    later ones change it no further, so each validation sees the graph a fresh parse gives."""
    case_validate = pytest.importorskip("case_utils.case_validate")
    with warnings.catch_warnings():   # case-utils reads it with importlib.resources' legacy calls
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = case_validate.get_ontology_graph(None, None)

    def parsed(case_version: str | None = None, supplemental_graphs: list[str] | None = None) -> object:
        assert case_version is None and not supplemental_graphs, "only the bundled ontology is kept"
        return graph

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(case_validate, "get_ontology_graph", parsed)
        yield
