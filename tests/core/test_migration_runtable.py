"""The run-table migration (``0900_runtable``) on a workspace made by the previous release: every
run row kept, the drifted columns renamed with their values, the missing status filled in, and
the way back restoring the old columns with the same values. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.orm import Session

import tasman.models_registry  # noqa: F401
from tasman.attribute.models import AttributionRun
from tasman.core.db import _alembic_config, make_engine, migrate, pending_revisions
from tasman.extract.models import ExtractRun
from tasman.link.models import LinkRun
from tasman.money.models import MoneyRun
from tasman.triage.models import TriageFile, TriageRun

# every branch head of the release before the run tables were made one shape
PREVIOUS_HEADS = ["0003_core_ingest", "0101_extract_runs", "0203_link_review", "0301_hashsets_ingest",
                  "0311_triage_reviews", "0400_attribute", "0500_refer", "0601_money_document", "0702_serve_tokens"]
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 9, 45, tzinfo=UTC)
WEIGHTS = {"phone_country": {"weight": 0.4}, "ip_geo": {"weight": 0.7}}


def _insert(conn: sa.Connection, table: str, **values: Any) -> int:
    """One row in a table as the previous release's schema has it (reflected, not the models)."""
    t = sa.Table(table, sa.MetaData(), autoload_with=conn)
    for name, value in values.items():     # JSON and aware datetimes bound as the models bind them
        if isinstance(value, (dict, list)):
            t.c[name].type = sa.JSON()
    return int(conn.execute(t.insert().values(**values).returning(t.c.id)).scalar_one())


def _old_workspace(url: str) -> sa.Engine:
    engine = make_engine(url)
    cfg = _alembic_config(engine)
    for head in PREVIOUS_HEADS:
        command.upgrade(cfg, head)
    assert "0900_runtable" in pending_revisions(engine)
    with engine.begin() as conn:
        case = _insert(conn, "cases", ref="T-1", title="", created_at=T0, created_by="ana")
        ev = _insert(conn, "evidence", case_id=case, name="usb", path="/x/usb", kind="folder", sha256="0" * 64,
                     size=1, file_count=1, custodian="", note="", acquired_at=T0, added_by="ana")
        art = _insert(conn, "artifacts", case_id=case, evidence_id=ev, path="a.png", deleted=False, meta={})
        triage = _insert(conn, "triage_runs", case_id=case, key="k" * 64, evidence=[{"name": "usb"}], hashsets=["h"],
                         parameters={"workers": 2, "engine": "local"}, status="interrupted",
                         counts={"files": 7, "matched_files": 1}, figures={}, out_dir="/out", started_at=T0,
                         finished_at=None, started_by="ana", resumed=1)
        _insert(conn, "triage_files", run_id=triage, artifact_id=art, kind="picture")
        _insert(conn, "extract_runs", case_id=case, actor="ben", started_at=T0, finished_at=T1, status="done",
                settings={"jobs": 1}, counts={"files": 3, "observations": 9}, errors=[])
        _insert(conn, "link_runs", case_id=case, started_at=T0, finished_at=T1, threshold=0.9,
                settings={"tasman": {}}, stats={"subjects": 4}, actor="cay")
        _insert(conn, "attribution_runs", case_id=case, started_at=T0, actor="dee", weights=WEIGHTS,
                settings={"ip_database": "geoip2fast (embedded)"}, stats={"subjects": 4})
        _insert(conn, "money_runs", case_id=case, created_at=T1, actor="eve", settings={"threshold": 5.0},
                stats={"transfers": 12}, document={})
    return engine


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_the_run_tables_of_the_previous_release_are_renamed_with_their_rows_kept(db_url: str) -> None:
    engine = _old_workspace(db_url)
    assert migrate(engine) is True
    assert pending_revisions(engine) == set()
    shared = {"id", "case_id", "actor", "started_at", "finished_at", "status", "settings", "stats"}
    for table in ("triage_runs", "extract_runs", "link_runs", "attribution_runs", "money_runs"):
        assert shared <= _columns(engine, table), table
    assert not {"started_by", "parameters", "counts"} & _columns(engine, "triage_runs")
    assert "weights" not in _columns(engine, "attribution_runs")
    assert "created_at" not in _columns(engine, "money_runs")

    with Session(engine) as s:
        [t] = s.scalars(sa.select(TriageRun)).all()
        assert (t.actor, t.settings, t.stats, t.status, t.resumed) == (
            "ana", {"workers": 2, "engine": "local"}, {"files": 7, "matched_files": 1}, "interrupted", 1)
        assert t.started_at == T0 and t.finished_at is None
        assert [f.run_id for f in s.scalars(sa.select(TriageFile))] == [t.id]     # its files still point at it
        [e] = s.scalars(sa.select(ExtractRun)).all()
        assert (e.actor, e.stats, e.status, e.settings) == ("ben", {"files": 3, "observations": 9}, "done", {"jobs": 1})
        [lk] = s.scalars(sa.select(LinkRun)).all()
        assert (lk.actor, lk.status, lk.stats, lk.finished_at) == ("cay", "finished", {"subjects": 4}, T1)
        [a] = s.scalars(sa.select(AttributionRun)).all()
        assert a.settings == {"ip_database": "geoip2fast (embedded)", "weights": WEIGHTS}
        assert (a.actor, a.status, a.stats, a.started_at, a.finished_at) == ("dee", "finished", {"subjects": 4},
                                                                              T0, None)
        [m] = s.scalars(sa.select(MoneyRun)).all()
        assert (m.actor, m.status, m.started_at, m.finished_at, m.stats) == ("eve", "finished", T1, T1,
                                                                             {"transfers": 12})

        # a run stored after the upgrade goes through the shared columns like any other
        s.add(MoneyRun(case_id=m.case_id, actor="fay", settings={}, stats={}))
        s.flush()
        assert s.scalars(sa.select(MoneyRun.status).order_by(MoneyRun.id)).all() == ["finished", "running"]
        s.rollback()
    engine.dispose()


def test_the_run_table_migration_goes_back_to_the_old_columns_and_values(db_url: str) -> None:
    engine = _old_workspace(db_url)
    migrate(engine)
    command.downgrade(_alembic_config(engine), "runtable@-1")
    assert "0900_runtable" in pending_revisions(engine)
    assert {"started_by", "parameters", "counts"} <= _columns(engine, "triage_runs")
    assert "status" not in _columns(engine, "link_runs")
    with engine.connect() as conn:
        def row(table: str, *cols: str) -> tuple[Any, ...]:
            t = sa.table(table, *(sa.column(c, sa.String if c == "started_by" else sa.JSON) for c in cols))
            return tuple(conn.execute(sa.select(*(t.c[c] for c in cols))).one())

        assert row("triage_runs", "started_by", "parameters", "counts") == (
            "ana", {"workers": 2, "engine": "local"}, {"files": 7, "matched_files": 1})
        assert row("extract_runs", "counts") == ({"files": 3, "observations": 9},)
        assert row("attribution_runs", "weights", "settings") == (WEIGHTS, {"ip_database": "geoip2fast (embedded)"})
        assert conn.execute(sa.text("SELECT actor FROM money_runs")).scalar_one() == "eve"
        assert "created_at" in _columns(engine, "money_runs") and "status" not in _columns(engine, "money_runs")
    assert migrate(engine) is True     # and up again
    engine.dispose()
