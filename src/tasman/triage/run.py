"""A triage run: every file of the evidence inventoried, hashed, matched, stored and reported.

The walking (readers) happens in this process and feeds worker processes that hash; results
are matched and committed in batches. Started again after an interruption (Ctrl-C, kill -9,
power loss), the same run (same case, evidence, hash sets and parameters) picks up where its
last batch ended: finished files are skipped, not hashed again, and no row is written twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from tasman.core import audit
from tasman.core.errors import InputError
from tasman.core.models import Evidence
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence, get_case
from tasman.evidence.hashing import check_evidence_path
from tasman.triage import outputs
from tasman.triage.custody import Custody
from tasman.triage.custody import plan as plan_custody
from tasman.triage.hashing.worker import HashOptions
from tasman.triage.models import TriageRun
from tasman.triage.pipeline import make_engine
from tasman.triage.readers import Limits
from tasman.triage.report import TriageReport, build_report, write_report
from tasman.triage.runner import MatcherLike, ProgressInfo, RunHandle, Session
from tasman.triage.store import counts, find_resumable, load_state, run_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TriageOptions:
    hashsets: tuple[str, ...] = ()          # empty: every imported hash set
    pdq_threshold: int = 31
    min_quality: int = 50
    crop: bool = True
    hypotheses: bool = True                 # crop/overlay guesses at the original for pictures nothing matched
    hypothesis_threshold: int = 28          # their radius (bits), never looser than pdq_threshold
    workers: int | None = None              # None: all cores (a Ray cluster's CPUs); 0: hash in this process
    engine: str = "local"                   # local: a process pool here; ray: tasks on a Ray cluster
    ray_address: str | None = None          # engine ray: None starts a local Ray; auto, HOST:PORT, ray://HOST:PORT
    min_side: int = 160                     # reduced-scale decode keeps this many pixels on the short side
    video: bool = True
    restart: bool = False                   # start a new run even if an interrupted one matches
    batch_files: int = 500
    batch_seconds: float = 2.0
    own_custody_seconds: float = 60.0       # a folder's custody hash from the run's own read if it is
                                            # complete by then (else a separate pass: see ``custody``)
    limits: Limits = field(default_factory=Limits)

    def budget_parameters(self) -> dict[str, Any]:
        """The run's budget (``Limits``), recorded with the run and shown in its report."""
        lim = self.limits
        return {"max_inflated": lim.max_inflated, "max_ratio": lim.max_ratio, "ratio_floor": lim.ratio_floor,
                "max_members": lim.max_members, "max_depth": lim.max_depth, "max_pixels": lim.max_pixels,
                "max_member_bytes": lim.max_member_bytes}

    def parameters(self) -> dict[str, Any]:
        """What makes results comparable (and a run resumable): saved with the run."""
        return {"pdq_threshold": self.pdq_threshold, "min_quality": self.min_quality, "crop": self.crop,
                "hypotheses": self.hypotheses, "hypothesis_threshold": self.hypothesis_threshold,
                "min_side": self.min_side, "video": self.video}


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


def default_matcher(ws: Workspace, case_ref: str, options: TriageOptions) -> MatcherLike:
    """The named hash sets (all imported ones when none is named), loaded once for the run."""
    from tasman.triage.match import load_matcher

    with ws.session() as s:
        matcher: MatcherLike = load_matcher(s, list(options.hashsets) or None, pdq_threshold=options.pdq_threshold,
                                            min_quality=options.min_quality, crop=options.crop,
                                            hypotheses=options.hypotheses,
                                            hypothesis_threshold=options.hypothesis_threshold,
                                            actor=ws.actor, case_ref=case_ref)
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


def _record_evidence(ws: Workspace, case_ref: str, path: Path, sha256: str | None) -> dict[str, Any]:
    """One item recorded as evidence or checked unchanged, with the hash the run's own read gave
    (``custody``), or hashed by ``add_evidence`` itself."""
    with ws.session() as s:
        ev = add_evidence(s, ws.actor, case_ref, path, sha256=sha256, unreadable_ok=True).evidence
        return {"arg": str(path), "evidence_id": ev.id, "name": ev.name}


def _open_run(ws: Workspace, case_ref: str, case_id: int, evidence: list[dict[str, Any]], hashsets: list[str],
              options: TriageOptions, out_dir: Path | None, engine: dict[str, object]) -> RunHandle:
    params = options.parameters()
    key = run_key(case_id, [e["evidence_id"] for e in evidence], hashsets, params)
    with ws.session() as s:
        run = None if options.restart else find_resumable(s, case_id, key)
        resumed = run is not None
        if options.restart:
            old = find_resumable(s, case_id, key)
            if old is not None:
                old.status = "superseded"
        if run is None:
            run = TriageRun(case_id=case_id, key=key, evidence=evidence, hashsets=hashsets,
                            parameters={**params, "workers": 0}, started_by=ws.actor)
            s.add(run)
            s.flush()
        else:
            run.resumed += 1
            run.status = "running"
        run.parameters = {**params, **engine, "limits": options.budget_parameters()}  # this session's (not the key)
        if out_dir is not None:
            target = out_dir.resolve()
        else:
            target = Path(run.out_dir) if run.out_dir else ws.out_dir(f"triage-{run.id}")
        run.out_dir = str(target)
        audit.record(s, ws.actor, "triage.resume" if resumed else "triage.start", case_ref=case_ref,
                     target=",".join(e["arg"] for e in evidence), run_id=run.id, hashsets=hashsets, parameters=params)
        return RunHandle(run.id, resumed, target, load_state(s, run.id))


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
    # the workers start while the run is being set up; a Ray cluster that cannot be used stops here
    with make_engine(options.engine, options.workers, options.ray_address) as pool:
        case_id, known = _known_evidence(ws, case_ref, paths)
        # the hash sets before any hashing: a wrong list name fails at once
        matcher = matcher if matcher is not None else default_matcher(ws, case_ref, options)
        hashsets = _hashset_names(matcher, options)

        def open_run(evidence: list[dict[str, Any]]) -> RunHandle:
            return _open_run(ws, case_ref, case_id, evidence, hashsets, options, out_dir, pool.describe())

        handle = None
        if known is not None:                # a resumable run needs recorded evidence: find it first
            handle = open_run([{"arg": str(p), "evidence_id": i, "name": p.resolve().name}
                               for p, i in zip(paths, known, strict=True)])
        custody = Custody(plan_custody(paths, resumed=handle is not None and handle.resumed),
                          lambda p, sha256: _record_evidence(ws, case_ref, p, sha256),
                          HashOptions(temp_dir=str(ws.root / "tmp"), max_pixels=options.limits.max_pixels,
                                      video=False, regions=False, hypotheses=False))
        session = Session(ws, matcher, options, progress, paths, known, handle, custody, open_run)
        started = time.monotonic()
        try:
            session.run(pool)
        except BaseException as exc:
            _stop(ws, case_ref, session, exc)
            raise
    assert session.handle is not None
    return _finish(ws, case_ref, session.handle, session, time.monotonic() - started)


def _stop(ws: Workspace, case_ref: str, session: Session, exc: BaseException) -> None:
    """An interrupted run stays resumable; one that failed on its evidence does not.

    Marking the run is best effort: a Ctrl-C that lands inside a write can leave that
    connection holding SQLite's lock, so the pool's connections are closed and the mark tried
    once more; if it still cannot be written the run keeps its 'running' status, which resumes
    exactly like an interrupted run (as after a kill), and the interrupt or error goes on."""
    if session.handle is None:
        return
    status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
    for attempt in (1, 2):
        try:
            with ws.session() as s:
                run = s.get(TriageRun, session.handle.run_id)
                assert run is not None
                run.status = status
                audit.record(s, ws.actor, f"triage.{status}", case_ref=case_ref, run_id=run.id,
                             files=session.files, reason=str(exc)[:300])
            return
        except DBAPIError as db_exc:
            if attempt == 2:
                log.warning("triage run %s could not be marked %s (%s); it resumes as it is",
                            session.handle.run_id, status, str(db_exc).splitlines()[0])
                return
            ws.engine.dispose()


def _finish(ws: Workspace, case_ref: str, handle: RunHandle, runner: Session, seconds: float) -> TriageResult:
    run_id, resumed, target = handle.run_id, handle.resumed, handle.target
    target.mkdir(parents=True, exist_ok=True)
    paths = outputs.output_paths(target)
    with ws.session() as s:
        run = s.get(TriageRun, run_id)
        assert run is not None
        run.counts = counts(s, run_id)
        earlier = float((run.figures or {}).get("seconds", 0.0))
        run.figures = {
            "seconds": round(earlier + seconds, 3),
            "session_seconds": round(seconds, 3),
            "hashed_this_session": runner.files,
            "skipped_as_done": runner.skipped,
            "files_per_second": round(runner.files / seconds, 1) if seconds > 0 else 0.0,
            "megabytes_per_second": round(runner.bytes / 1e6 / seconds, 2) if seconds > 0 else 0.0,
        }
        run.status = "finished"
        run.finished_at = utcnow()
        s.flush()
        matched = outputs.matched_files(s, run_id)
        outputs.write_matches_csv(matched, paths["matches_csv"])
        outputs.write_files_csv(s, run_id, paths["files_csv"])
        outputs.write_errors_csv(s, run_id, paths["errors_csv"])
        doc = build_report(s, run, matched, {k: str(v) for k, v in paths.items()})
        write_report(doc, paths["report_html"], paths["report_json"])
        audit.record(s, ws.actor, "triage.finish", case_ref=case_ref, target=str(target), run_id=run_id,
                     counts=run.counts, resumed=resumed)
        return TriageResult(run_id=run_id, status=run.status, resumed=resumed, out_dir=target, counts=dict(run.counts),
                            figures=dict(run.figures), outputs=paths, report=doc)
