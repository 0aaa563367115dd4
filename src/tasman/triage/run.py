"""A triage run: every file of the evidence inventoried, hashed, matched, stored and reported.

The walking (readers) happens in this process and feeds worker processes that hash; results
are matched and committed in batches. Started again after an interruption (Ctrl-C, kill -9,
power loss), the same run (same case, evidence, hash sets and parameters) picks up where its
last batch ended: finished files are skipped, not hashed again, and no row is written twice.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence, get_case
from tasman.triage import outputs
from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult
from tasman.triage.models import TriageRun
from tasman.triage.pipeline import HashPool, default_workers
from tasman.triage.readers import Limits, iter_entries
from tasman.triage.report import TriageReport, build_report, write_report
from tasman.triage.store import Batch, ResumeState, counts, find_resumable, load_state, run_key, write_batch
from tasman.triage.types import FileHashes, Match


class MatcherLike(Protocol):
    def match(self, files: Sequence[FileHashes]) -> list[Match]: ...


@dataclass(frozen=True)
class TriageOptions:
    hashsets: tuple[str, ...] = ()          # empty: every imported hash set
    pdq_threshold: int = 31
    min_quality: int = 50
    crop: bool = True
    workers: int | None = None              # None: all cores; 0: hash in this process
    min_side: int = 160                     # reduced-scale decode keeps this many pixels on the short side
    video: bool = True
    restart: bool = False                   # start a new run even if an interrupted one matches
    batch_files: int = 500
    batch_seconds: float = 2.0
    limits: Limits = field(default_factory=Limits)

    def parameters(self) -> dict[str, Any]:
        """What makes results comparable (and a run resumable): saved with the run."""
        return {"pdq_threshold": self.pdq_threshold, "min_quality": self.min_quality, "crop": self.crop,
                "min_side": self.min_side, "video": self.video}


@dataclass(frozen=True)
class ProgressInfo:
    files: int
    bytes: int
    skipped: int
    matched: int
    errors: int


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
                                            actor=ws.actor, case_ref=case_ref)
    return matcher


def _hashset_names(matcher: MatcherLike, options: TriageOptions) -> list[str]:
    sets = getattr(matcher, "sets", None)
    if sets is not None:
        return [str(getattr(s, "name", s)) for s in sets]
    return list(options.hashsets)


def _record_evidence(ws: Workspace, case_ref: str, paths: Sequence[Path]) -> tuple[int, list[dict[str, Any]]]:
    for p in paths:
        if not p.exists():
            raise NotFoundError(f"no such file or folder: {p}")
    items: list[dict[str, Any]] = []
    with ws.session() as s:
        case_id = get_case(s, case_ref).id
    for p in paths:
        with ws.session() as s:
            ev = add_evidence(s, ws.actor, case_ref, p).evidence
            items.append({"arg": str(p), "evidence_id": ev.id, "name": ev.name})
    if len({i["evidence_id"] for i in items}) != len(items):
        raise InputError("the same evidence was given twice")
    return case_id, items


def _open_run(ws: Workspace, case_ref: str, case_id: int, evidence: list[dict[str, Any]], hashsets: list[str],
              options: TriageOptions, out_dir: Path | None) -> tuple[int, bool, Path, ResumeState]:
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
        run.parameters = {**params, "workers": options.workers if options.workers is not None else default_workers()}
        if out_dir is not None:
            target = out_dir.resolve()
        else:
            target = Path(run.out_dir) if run.out_dir else ws.out_dir(f"triage-{run.id}")
        run.out_dir = str(target)
        audit.record(s, ws.actor, "triage.resume" if resumed else "triage.start", case_ref=case_ref,
                     target=",".join(e["arg"] for e in evidence), run_id=run.id, hashsets=hashsets, parameters=params)
        state = load_state(s, run.id)
        return run.id, resumed, target, state


class _Runner:
    """One session of a run: the walk, the hashing, the batches."""

    def __init__(self, ws: Workspace, run_id: int, state: ResumeState, matcher: MatcherLike,
                 options: TriageOptions, progress: Callable[[ProgressInfo], None] | None) -> None:
        self.ws, self.run_id, self.state, self.matcher, self.options = ws, run_id, state, matcher, options
        self.progress = progress
        self.temp = ws.root / "tmp" / f"triage-{run_id}"
        self.walk_errors: list[tuple[int, str, str]] = []
        self.tags: dict[int, tuple[int, Path | None]] = {}
        self.next_tag = 1
        self.files = self.bytes = self.skipped = self.matched = self.errors = 0

    def items(self, evidence: list[dict[str, Any]]) -> Iterator[WorkItem]:
        for item in evidence:
            ev = int(item["evidence_id"])

            def on_error(path: str, reason: str, ev: int = ev) -> None:
                self.walk_errors.append((ev, path, reason))

            for entry in iter_entries(Path(item["arg"]), on_error=on_error, temp_dir=self.temp / "spill",
                                      limits=self.options.limits):
                if self.state.is_done(ev, entry.path):
                    self.skipped += 1
                    continue
                tag = self.next_tag
                self.next_tag += 1
                link: Path | None = None
                if entry.data is not None:
                    work = WorkItem(entry.path, entry.size, entry.deleted, data=entry.data, tag=tag)
                else:
                    assert entry.file is not None
                    source = entry.file
                    if entry.temp:  # the reader deletes its spill when it moves on; keep our own name
                        link = self.temp / f"work-{tag}"
                        try:
                            os.link(source, link)
                        except OSError:
                            shutil.copyfile(source, link)
                        source = link
                    work = WorkItem(entry.path, entry.size, entry.deleted, file=str(source), tag=tag)
                self.tags[tag] = (ev, link)
                yield work

    def flush(self, batch: Batch) -> Batch:
        batch.errors.extend(self.walk_errors)
        self.walk_errors = []
        if not len(batch):
            return batch
        groups: dict[int, list[FileHashes]] = {}
        for ev, r in batch.results:
            groups.setdefault(ev, []).append(r.hashes)
        for ev, files in groups.items():
            found = self.matcher.match(files)
            batch.matches.extend((ev, m) for m in found)
            self.matched += len({m.path for m in found if not m.known_good})
        with self.ws.session() as s:
            run = s.get(TriageRun, self.run_id)
            assert run is not None
            write_batch(s, run, self.state, batch)
        self.errors += len(batch.errors)
        return Batch()

    def run(self, evidence: list[dict[str, Any]], pool: HashPool) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)       # leftovers of a killed session
        (self.temp / "spill").mkdir(parents=True, exist_ok=True)
        opts = HashOptions(temp_dir=str(self.temp / "video"), max_pixels=self.options.limits.max_pixels,
                           min_side=self.options.min_side, video=self.options.video, regions=self.options.crop)
        batch = Batch()
        last = time.monotonic()
        results: Generator[WorkResult, None, None] = pool.run(self.items(evidence), opts)
        try:
            for r in results:
                ev, link = self.tags.pop(r.tag)
                if link is not None:
                    link.unlink(missing_ok=True)
                batch.results.append((ev, r))
                batch.errors.extend((ev, r.hashes.path, reason) for reason in r.errors)
                self.files += 1
                self.bytes += r.hashes.size
                due = time.monotonic() - last > self.options.batch_seconds
                if len(batch.results) >= self.options.batch_files or due:
                    batch = self.flush(batch)
                    last = time.monotonic()
                if self.progress is not None:
                    self.progress(ProgressInfo(self.files, self.bytes, self.skipped, self.matched, self.errors))
        except BaseException:
            results.close()                      # stop the workers first
            try:
                self.flush(batch)                # keep what was already hashed
            finally:
                shutil.rmtree(self.temp, ignore_errors=True)
            raise
        self.flush(batch)
        shutil.rmtree(self.temp, ignore_errors=True)


def run_triage(ws: Workspace, case_ref: str, evidence_paths: Sequence[Path], options: TriageOptions | None = None,
               *, out_dir: Path | None = None, matcher: MatcherLike | None = None,
               progress: Callable[[ProgressInfo], None] | None = None) -> TriageResult:
    """Triage ``evidence_paths`` for ``case_ref`` and write matches.csv, files.csv, errors.csv and the report."""
    options = options or TriageOptions()
    if not evidence_paths:
        raise InputError("no evidence given")
    paths = [Path(p) for p in evidence_paths]
    for p in paths:
        if not p.exists():
            raise NotFoundError(f"no such file or folder: {p}")
    with ws.session() as s:
        get_case(s, case_ref)
    workers = options.workers if options.workers is not None else default_workers()
    with HashPool(workers) as pool:          # the workers start while the evidence is hashed for custody
        # the hash sets first: a wrong list name should fail before a disk image is hashed for custody
        matcher = matcher if matcher is not None else default_matcher(ws, case_ref, options)
        case_id, evidence = _record_evidence(ws, case_ref, paths)
        hashsets = _hashset_names(matcher, options)
        run_id, resumed, target, state = _open_run(ws, case_ref, case_id, evidence, hashsets, options, out_dir)
        runner = _Runner(ws, run_id, state, matcher, options, progress)
        started = time.monotonic()
        _run_session(ws, case_ref, run_id, runner, evidence, pool)
    seconds = time.monotonic() - started
    return _finish(ws, case_ref, run_id, resumed, target, runner, seconds)


def _run_session(ws: Workspace, case_ref: str, run_id: int, runner: _Runner, evidence: list[dict[str, Any]],
                 pool: HashPool) -> None:
    try:
        runner.run(evidence, pool)
    except KeyboardInterrupt:
        with ws.session() as s:
            run = s.get(TriageRun, run_id)
            assert run is not None
            run.status = "interrupted"
            audit.record(s, ws.actor, "triage.interrupt", case_ref=case_ref, run_id=run_id, files=runner.files)
        raise


def _finish(ws: Workspace, case_ref: str, run_id: int, resumed: bool, target: Path, runner: _Runner,
            seconds: float) -> TriageResult:
    target.mkdir(parents=True, exist_ok=True)
    paths = {"matches_csv": target / "matches.csv", "files_csv": target / "files.csv",
             "errors_csv": target / "errors.csv", "report_html": target / "report.html",
             "report_json": target / "report.json"}
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
