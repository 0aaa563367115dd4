"""A triage run: every file of the evidence inventoried, hashed, matched, stored and reported.

The walking (readers) happens in this process and feeds worker processes that hash; results
are matched and committed in batches. Started again after an interruption (Ctrl-C, kill -9,
power loss), the same run (same case, evidence, hash sets and parameters) picks up where its
last batch ended: finished files are skipped, not hashed again, and no row is written twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tasman.core import audit
from tasman.core.errors import InputError
from tasman.core.models import Evidence
from tasman.core.progress import Line, Table, plural
from tasman.core.workspace import Workspace
from tasman.evidence import get_case
from tasman.evidence.hashing import check_evidence_path
from tasman.triage import outputs
from tasman.triage.custody import Custody
from tasman.triage.custody import plan as plan_custody
from tasman.triage.engines import make_engine
from tasman.triage.hashing.worker import HashOptions
from tasman.triage.options import MatcherLike, TriageOptions, TriagePlan
from tasman.triage.report import TriageReport, build_report, write_report
from tasman.triage.runner import ProgressInfo, Session
from tasman.triage.store import RunHandle, finish_run, mark_stopped, open_run, record_evidence

__all__ = ["ProgressInfo", "TriageOptions", "TriageResult", "default_matcher", "run_triage"]


@dataclass(frozen=True)
class TriageResult:
    run_id: int
    status: str
    resumed: bool
    out_dir: Path
    counts: dict[str, int]
    figures: dict[str, float]
    outputs: dict[str, Path]
    report: TriageReport

    @property
    def page(self) -> str:
        return f"triage?run={self.run_id}"

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "status": self.status, "resumed": self.resumed, "out_dir": str(self.out_dir),
                **self.counts, "figures": self.figures, "outputs": {k: str(v) for k, v in self.outputs.items()}}

    def summary_line(self) -> str:
        c = self.counts
        return f"run {self.run_id}: {c['files']} files, {c['matched_files']} matched, {c['errors']} unreadable"

    def lines(self) -> list[Line]:
        c = self.counts
        verb = "Resumed and finished" if self.resumed else "Finished"
        return [f"{verb} triage run {self.run_id}: {plural(c['files'], 'file')} ({c['bytes'] / 1e6:,.1f} MB), "
                f"{plural(c['pictures'], 'picture')}, {plural(c['videos'], 'video')}, {c['deleted']} deleted",
                Table(None, ("matched files", "known-good files", "errors", "files/s"),
                      ((c["matched_files"], c["known_good_files"], c["errors"],
                        self.figures.get("files_per_second")),)),
                f"Report: {self.outputs['report_html']}",
                f"Matches: {self.outputs['matches_csv']}"]


def default_matcher(ws: Workspace, case_ref: str, options: TriageOptions) -> MatcherLike:
    """The named hash sets (all imported ones when none is named), loaded once for the run."""
    from tasman.triage.match import load_matcher

    with ws.session() as s:
        matcher: MatcherLike = load_matcher(s, list(options.hashsets) or None, pdq_threshold=options.pdq_threshold,
                                            min_quality=options.min_quality,
                                            low_quality_threshold=options.low_quality_threshold, crop=options.crop,
                                            hypotheses=options.hypotheses,
                                            hypothesis_threshold=options.hypothesis_threshold,
                                            actor=ws.actor, case_ref=case_ref, index_dir=ws.root / "index" / "pdq")
    return matcher


def _hashset_names(matcher: MatcherLike, options: TriageOptions) -> list[str]:
    sets = getattr(matcher, "sets", None)
    if sets is not None:
        return [str(getattr(s, "name", s)) for s in sets]
    return list(options.hashsets)


def _known_evidence(ws: Workspace, case_ref: str, paths: Sequence[Path]) -> tuple[int, list[int] | None]:
    """The case id, and the evidence ids when every path is already recorded (no hashing here)."""
    with ws.session() as s:
        case_id = get_case(s, case_ref).id
        found = {e.path: e.id for e in s.scalars(select(Evidence).where(
            Evidence.case_id == case_id, Evidence.path.in_([str(p.resolve()) for p in paths])))}
    ids = [found.get(str(p.resolve())) for p in paths]
    return case_id, None if any(i is None for i in ids) else [int(i) for i in ids if i is not None]


def run_triage(ws: Workspace, case_ref: str, evidence_paths: Sequence[Path], options: TriageOptions | None = None,
               *, out_dir: Path | None = None, matcher: MatcherLike | None = None,
               progress: Callable[[ProgressInfo], None] | None = None) -> TriageResult:
    """Triage ``evidence_paths`` for ``case_ref`` and write matches.csv, files.csv, errors.csv and the report.

    The evidence's custody hash (``add_evidence``) comes from the run's own read where it can
    (see ``custody``), otherwise from a pass in a background thread while the files are already
    being walked and hashed; nothing is committed before it is known.
    """
    options = options or TriageOptions()
    if not evidence_paths:
        raise InputError("no evidence given")
    paths = [Path(p) for p in evidence_paths]
    for p in paths:
        check_evidence_path(p)          # a pipe or a device is refused before anything is read
    if len({p.resolve() for p in paths}) != len(paths):
        raise InputError("the same evidence was given twice")
    session: Session | None = None
    stopped = False
    try:
        # the workers start while the run is being set up; a Ray cluster that cannot be used stops here
        with make_engine(options.engine, options.workers, options.ray_address, options.ray_shared_storage) as pool:
            case_id, known = _known_evidence(ws, case_ref, paths)
            # the hash sets before any hashing: a wrong list name fails at once
            matcher = matcher if matcher is not None else default_matcher(ws, case_ref, options)
            plan = TriagePlan(ws, case_ref, case_id, tuple(paths), None if known is None else tuple(known), matcher,
                              tuple(_hashset_names(matcher, options)), options, out_dir, pool.describe())
            handle = None
            if known is not None:                # a resumable run needs recorded evidence: find it first
                handle = open_run(plan, [{"arg": str(p), "evidence_id": i, "name": p.resolve().name}
                                         for p, i in zip(paths, known, strict=True)])
            custody = Custody(plan_custody(paths, resumed=handle is not None and handle.resumed),
                              partial(record_evidence, ws, case_ref),
                              HashOptions(temp_dir=str(ws.root / "tmp"), max_pixels=options.limits.max_pixels,
                                          video=False, regions=False, hypotheses=False))
            session = Session(plan, custody, progress, handle)
            started = time.monotonic()
            try:
                session.run(pool)
                engine_figures = pool.figures()
            except BaseException as exc:
                stopped = True
                if session.handle is not None:
                    mark_stopped(ws, case_ref, session.handle.run_id, session.files, exc)
                raise
    except KeyboardInterrupt as exc:     # Ctrl-C after the last batch, while the engine stops (a Ray: seconds)
        if not stopped and session is not None and session.handle is not None:
            mark_stopped(ws, case_ref, session.handle.run_id, session.files, exc)
        raise
    assert session.handle is not None
    return _finish(ws, case_ref, session.handle, session, time.monotonic() - started, engine_figures)


def _finish(ws: Workspace, case_ref: str, handle: RunHandle, runner: Session, seconds: float,
            engine_figures: dict[str, float]) -> TriageResult:
    run_id, resumed, target = handle.run_id, handle.resumed, handle.target
    target.mkdir(parents=True, exist_ok=True)
    paths = outputs.output_paths(target)
    with ws.session() as s:
        run = finish_run(s, run_id, {
            "session_seconds": round(seconds, 3),
            "hashed_this_session": runner.files,
            "skipped_as_done": runner.skipped,
            "files_per_second": round(runner.files / seconds, 1) if seconds > 0 else 0.0,
            "megabytes_per_second": round(runner.bytes / 1e6 / seconds, 2) if seconds > 0 else 0.0,
            **engine_figures,
        })
        matched = outputs.matched_files(s, run_id)
        outputs.write_matches_csv(matched, paths["matches_csv"])
        outputs.write_files_csv(s, run_id, paths["files_csv"])
        outputs.write_errors_csv(s, run_id, paths["errors_csv"])
        doc = build_report(s, run, matched, {k: str(v) for k, v in paths.items()})
        write_report(doc, paths["report_html"], paths["report_json"])
        audit.record(s, ws.actor, "triage.finish", case_ref=case_ref, target=str(target), run_id=run_id,
                     counts=run.stats, resumed=resumed)
        return TriageResult(run_id=run_id, status=run.status, resumed=resumed, out_dir=target, counts=dict(run.stats),
                            figures=dict(run.figures), outputs=paths, report=doc)
