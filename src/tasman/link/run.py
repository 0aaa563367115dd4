"""``tasman link``: load the case's records, resolve them with the analysts' decisions, store
subjects, members and explained links with the run's settings.

A run reads, computes, then writes its whole result in one short transaction: the run's row, its
subjects, members, links and audit entry commit together or not at all, so a run that fails or is
interrupted leaves nothing behind, and other writers (the web app's pages, which audit every read)
wait at most for that final write, never for the computation. ``link_case`` reads and writes in
two transactions of its own (the CLI and the web app's job); ``run_link`` does all of it in the
caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError, NothingToDo
from tasman.core.models import Record
from tasman.core.progress import Line, StageHook, no_stage, plural
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tasman.evidence.cases import get_case
from tasman.link import incremental, partycache
from tasman.link.backends import Backend
from tasman.link.clustering import Constraints
from tasman.link.decisions import compile_constraints, list_decisions
from tasman.link.models import Decision, LinkRun
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import Resolution, resolve
from tasman.link.review import labels as review_labels
from tasman.link.settings import LinkSettings
from tasman.link.subjects import store_resolution

# How often link_case computes again when analysts record decisions while it computes.
ATTEMPTS = 3


@dataclass(frozen=True)
class LinkResult:
    run_id: int
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def page(self) -> str:
        return "subjects"

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "run_id": self.run_id, **self.stats}

    def summary_line(self) -> str:
        st, stored = self.stats, self.stats.get("stored", {})
        if st.get("mode") == "incremental":
            return (f"incremental link run {self.run_id}: {st.get('new_parties', 0)} new parties, "
                    f"{stored.get('touched', 0)} subjects touched, {stored.get('new_refs', 0)} new, "
                    f"{stored.get('retired', 0)} retired")
        return (f"link run {self.run_id}: {st.get('parties', 0)} parties into {st.get('subjects', 0)} subjects "
                f"({stored.get('new_refs', 0)} new, {stored.get('retired', 0)} retired)")

    def lines(self) -> list[Line]:
        st = self.stats
        stored = st["stored"]
        out: list[Line] = []
        if st.get("mode") == "incremental":
            out.append(f"Incremental run (after run {st['previous_run']}): "
                       f"{plural(st['new_parties'], 'new party', 'new parties')}, "
                       f"{plural(stored['touched'], 'subject')} touched, {stored['unchanged']} untouched")
        out += [
            f"Run {self.run_id}: {plural(st['parties'], 'party', 'parties')} -> {plural(st['subjects'], 'subject')} "
            f"({stored['kept_refs']} kept their reference, {stored['new_refs']} new, "
            f"{stored['retired']} retired); {plural(st['links'], 'explained link')}; threshold {st['threshold']}"]
        alone = st.get("singletons") or {}
        if alone.get("parties"):
            why = "; ".join(f"{n} {reason}" for reason, n in alone["why"].items())
            out.append(f"{plural(alone['parties'], 'record')} {'is' if alone['parties'] == 1 else 'are'} alone "
                       f"in their subject (a subject of one): {why}")
        if st.get("probable_links"):
            out.append(f"{plural(st['probable_links'], 'probable link')} (scored at or above "
                       f"{st['review_threshold']}, below the threshold) kept for review")
        cap = st.get("blocking_capped") or {}
        if cap.get("keys"):
            out.append(f"note: {plural(cap['values'], 'blocking key')} held by more than {cap['limit']} different "
                       f"parties not used to find candidate pairs ({plural(cap['parties'], 'record')} left with no "
                       "key; pairs that share a rarer key are still scored)")
        for c in st["deterministic"].get("too_common", [])[:5]:
            out.append(f"note: {c['kind']} {c['value']!r} is shared by {plural(c['parties'], 'record')}: "
                       "not used to link")
        if st["decisions"]["decisions"]:
            out.append(f"{st['decisions']['decisions']} analyst decisions replayed; "
                       f"{st['edges']['refused_by_decisions']} links refused by splits")
        return out


@dataclass
class LinkInput:
    """What a run read: the case's parties and the decisions it replays."""

    case_id: int
    case_ref: str
    parties: pa.Table
    decision_ids: list[int]
    constraints: Constraints
    decision_stats: dict[str, Any]
    started_at: datetime
    # analysts' "same person" verdicts on probable links, as party uid pairs (tasman.link.review)
    labels: list[tuple[int, int]] = field(default_factory=list)


class DecisionsChanged(InputError):
    """An analyst recorded a decision after the run read them: its result would ignore it."""


def load_parties(session: Session, case_id: int, workers: int | None = None) -> pa.Table:
    """Every party of the case's records, normalised (the fields travel as JSON text, parsed in
    the workers)."""
    rows = session.execute(
        select(Record.id, Record.kind, cast(Record.fields, Text)).where(Record.case_id == case_id)
        .order_by(Record.id).execution_options(yield_per=20_000))
    return normalise_rows(((r[0], r[1], r[2]) for r in rows), workers=workers)


def link_settings(settings: LinkSettings | None = None, threshold: float | None = None,
                  backend: Backend | None = None, review_threshold: float | None = None) -> LinkSettings:
    """The run's settings: ``settings`` (default: the defaults) with the thresholds and the name of
    the backend given."""
    settings = settings or LinkSettings()
    if backend is not None:
        settings = settings.model_copy(update={"backend": backend.name})
    for name, value in (("threshold", threshold), ("review threshold", review_threshold)):
        if value is not None and not 0 < value < 1:
            raise InputError(f"{name} {value!r} must be a probability between 0 and 1 (exclusive)")
    if threshold is not None:
        settings = settings.model_copy(update={"threshold": threshold})
    if review_threshold is not None:
        if review_threshold > settings.threshold:
            raise InputError(f"review threshold {review_threshold!r} is above the threshold {settings.threshold!r}: "
                             "probable links are the pairs scored between the two")
        settings = settings.model_copy(update={"review_threshold": review_threshold})
    return settings


def _decision_ids(session: Session, case_id: int) -> list[int]:
    return list(session.scalars(select(Decision.id).where(Decision.case_id == case_id).order_by(Decision.id)))


def read_input(session: Session, case_ref: str, stage: StageHook = no_stage,
               workers: int | None = None) -> LinkInput:
    """The run's reads (no writes): the case's parties, normalised, and the analysts' decisions."""
    started = utcnow()
    case = get_case(session, case_ref)
    with stage("normalise"):
        parties = load_parties(session, case.id, workers)
    if parties.num_rows == 0:
        raise NothingToDo(f"nothing to link: case {case.ref} has no records; "
                          "import some with `tasman records import`")
    present = set(parties.column("uid").to_pylist())
    decided = list_decisions(session, case.id)
    constraints, decision_stats = compile_constraints(decided, present)
    return LinkInput(case.id, case.ref, parties, [d.id for d in decided], constraints, decision_stats, started,
                     review_labels(session, case.id, present))


def compute(inp: LinkInput, settings: LinkSettings, backend: Backend | None = None,
            stage: StageHook = no_stage) -> Resolution:
    """The resolution (no database: the run's long part)."""
    return resolve(inp.parties, settings, inp.constraints, backend=backend, stage=stage, labels=inp.labels)


def store(session: Session, actor: str, inp: LinkInput, settings: LinkSettings, res: Resolution,
          stage: StageHook = no_stage, why: str = "") -> LinkResult:
    """Write the run, its subjects, members, links and audit entry in the caller's transaction.

    The run's row comes first (on SQLite the write lock), then the audit entry (on PostgreSQL the
    audit chain's row lock, which every audited write takes first too): from there no decision can
    be recorded until this transaction ends, and one recorded since the run read them refuses the
    store (``DecisionsChanged``: compute again)."""
    run = LinkRun(case_id=inp.case_id, threshold=settings.threshold, actor=actor, settings={}, stats={},
                  started_at=inp.started_at)
    session.add(run)
    session.flush()
    audit.record(session, actor, "link.run", case_ref=inp.case_ref, target=f"run {run.id}", mode="full",
                 threshold=settings.threshold, parties=inp.parties.num_rows, subjects=len(res.subjects),
                 links=len(res.links), decisions=inp.decision_stats["decisions"])
    if _decision_ids(session, inp.case_id) != inp.decision_ids:
        raise DecisionsChanged(f"analysts recorded decisions on case {inp.case_ref} while linking ran; "
                               "run linking again to replay them")
    with stage("store"):
        stored = store_resolution(session, inp.case_id, run, res)
    res.stats.pop("predictions_table", None)
    run.settings = {"tasman": settings.model_dump(mode="json"), "splink": res.splink_settings}
    run.stats = {**res.stats, "mode": "full", "mode_reason": why, "decisions": inp.decision_stats,
                 "stored": stored.as_dict()}
    run.finish()
    session.flush()
    return LinkResult(run_id=run.id, stats=run.stats)


def run_link(session: Session, actor: str, case_ref: str, settings: LinkSettings | None = None,
             threshold: float | None = None, stage: StageHook = no_stage, workers: int | None = None,
             backend: Backend | None = None, review_threshold: float | None = None) -> LinkResult:
    """A whole run in the caller's transaction (which, on SQLite, takes the write lock only when
    the result is stored). ``backend``: where the linkage runs, left open for the caller (default:
    a new backend of ``settings.backend`` on this machine); the run records its name in its settings."""
    settings = link_settings(settings, threshold, backend, review_threshold)
    inp = read_input(session, case_ref, stage, workers)
    res = compute(inp, settings, backend, stage)
    return store(session, actor, inp, settings, res, stage)


def link_case(ws: Workspace, case_ref: str, settings: LinkSettings | None = None, threshold: float | None = None,
              stage: StageHook = no_stage, workers: int | None = None, backend: Backend | None = None,
              attempts: int = ATTEMPTS, review_threshold: float | None = None, mode: str = "auto") -> LinkResult:
    """A run as ``ws.actor`` in two transactions of its own: one that reads, one that stores the
    result; the computation between them holds no transaction. A decision recorded meanwhile
    makes it compute again (up to ``attempts`` times), so the stored run replays every decision.

    ``mode``: ``auto`` (default) links only the records added since the last run when nothing
    else changed (``tasman.link.incremental``), else the whole case; ``incremental`` insists
    (an error naming why it cannot); ``full`` re-links the whole case. Both keep the case's
    normalised parties in the workspace's cache for the next incremental run."""
    settings = link_settings(settings, threshold, backend, review_threshold)
    for attempt in range(1, attempts + 1):
        with ws.session() as s:
            chosen, why = incremental.plan(s, case_ref, settings, mode)
            if chosen == "incremental":
                try:
                    iinp = incremental.read_input(s, case_ref, ws.root, stage, workers)
                except incremental.CannotIncrement as exc:
                    if mode != "auto":
                        raise
                    chosen, why = "full", str(exc)
            if chosen == "full":
                inp = read_input(s, case_ref, stage, workers)
        try:
            if chosen == "incremental":
                ires = incremental.compute(iinp, settings, backend, stage)
                with ws.session() as s:
                    run_id, stats = incremental.store(s, ws.actor, iinp, settings, ires, stage, why)
                if iinp.cache == "used":  # the cache holds the stored parties: add the new ones to it
                    partycache.append(ws.root, iinp.case_id, iinp.new, iinp.old)
                else:
                    partycache.write(ws.root, iinp.case_id, pa.concat_tables([iinp.old, iinp.new]))
                return LinkResult(run_id=run_id, stats=stats)
            res = compute(inp, settings, backend, stage)
            with ws.session() as s:
                result = store(s, ws.actor, inp, settings, res, stage, why)
            partycache.write(ws.root, inp.case_id, inp.parties)
            return result
        except DecisionsChanged:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
