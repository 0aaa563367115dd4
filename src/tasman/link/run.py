"""``tasman link``: load the case's records, resolve them with the analysts' decisions, store
subjects, members and explained links with the run's settings, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError
from tasman.core.models import Record
from tasman.core.timeutil import utcnow
from tasman.evidence.cases import get_case
from tasman.link.backends import Backend
from tasman.link.decisions import compile_constraints, list_decisions
from tasman.link.models import LinkRun
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import StageHook, _no_stage, resolve
from tasman.link.settings import LinkSettings
from tasman.link.subjects import store_resolution


@dataclass
class LinkResult:
    run_id: int
    stats: dict[str, Any] = field(default_factory=dict)


def load_parties(session: Session, case_id: int, workers: int | None = None) -> pa.Table:
    """Every party of the case's records, normalised (the fields travel as JSON text, parsed in
    the workers)."""
    rows = session.execute(
        select(Record.id, Record.kind, cast(Record.fields, Text)).where(Record.case_id == case_id)
        .order_by(Record.id).execution_options(yield_per=20_000))
    return normalise_rows(((r[0], r[1], r[2]) for r in rows), workers=workers)


def run_link(session: Session, actor: str, case_ref: str, settings: LinkSettings | None = None,
             threshold: float | None = None, stage: StageHook = _no_stage, workers: int | None = None,
             backend: Backend | None = None) -> LinkResult:
    """``backend``: where the linkage runs, left open for the caller (default: a new backend of
    ``settings.backend`` on this machine); the run records its name in its settings."""
    settings = settings or LinkSettings()
    if backend is not None:
        settings = settings.model_copy(update={"backend": backend.name})
    if threshold is not None:
        if not 0 < threshold < 1:
            raise InputError(f"threshold {threshold!r} must be a probability between 0 and 1 (exclusive)")
        settings = settings.model_copy(update={"threshold": threshold})
    case = get_case(session, case_ref)
    with stage("normalise"):
        parties = load_parties(session, case.id, workers)
    if parties.num_rows == 0:
        raise InputError(f"case {case_ref!r} has no records with a name or an identifier: "
                         "import some with 'tasman records import'")
    present = set(parties.column("uid").to_pylist())
    constraints, decision_stats = compile_constraints(list_decisions(session, case.id), present)
    run = LinkRun(case_id=case.id, threshold=settings.threshold, actor=actor, settings={}, stats={})
    session.add(run)
    session.flush()
    res = resolve(parties, settings, constraints, backend=backend, stage=stage)
    with stage("store"):
        stored = store_resolution(session, case.id, run, res)
    res.stats.pop("predictions_table", None)
    run.settings = {"tasman": settings.model_dump(mode="json"), "splink": res.splink_settings}
    run.stats = {**res.stats, "decisions": decision_stats, "stored": stored.as_dict()}
    run.finished_at = utcnow()
    session.flush()
    audit.record(session, actor, "link.run", case_ref=case_ref, target=f"run {run.id}",
                 threshold=settings.threshold, parties=parties.num_rows, subjects=stored.subjects,
                 links=len(res.links), decisions=decision_stats["decisions"])
    return LinkResult(run_id=run.id, stats=run.stats)
