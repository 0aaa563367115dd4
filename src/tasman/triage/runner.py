"""One session of a triage run: the walk, the hashing and the batches, with the evidence's
custody hash (``custody``) made from the same read wherever it can be.

Files are walked here and hashed by the worker pool from the first second; their results wait
in memory (up to ``HOLD_RESULTS``) until the custody hash has recorded or checked the evidence,
and are then matched and committed batch by batch. Evidence is referred to by its position in
the command line until its database id is known.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tasman.core.db import short_lock_wait
from tasman.triage.census import Census
from tasman.triage.custody import HOLD_RESULTS, Custody
from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult
from tasman.triage.models import TriageRun
from tasman.triage.options import MatcherLike, TriagePlan
from tasman.triage.pipeline import Engine
from tasman.triage.readers import Budget, Entry, iter_entries
from tasman.triage.store import MARK_LOCK_WAIT, Batch, RunHandle, open_run, write_batch
from tasman.triage.types import FileHashes

__all__ = ["MatcherLike", "ProgressInfo", "RunHandle", "Session"]


@dataclass(frozen=True)
class ProgressInfo:
    files: int
    bytes: int
    skipped: int
    matched: int
    errors: int
    total: int = 0                  # files this session hashes: at least this many, never fewer than ``files``...
    total_exact: bool = False       # ...and exactly this many once the walk has ended (see ``census``)

    @property
    def of_total(self) -> str:
        """``done of total files``, the total "at least" while the walk has not found every file
        (archives and disk images are counted as they are read)."""
        return f"{self.files:,} of {'' if self.total_exact else 'at least '}{self.total:,} files"

    def as_progress(self) -> tuple[int, int | None, str]:
        """The tick in ``core.progress`` terms: no total until the walk has found every file."""
        return (self.files, self.total if self.total_exact else None,
                f"{self.of_total} ({self.bytes / 1e6:,.1f} MB) hashed, {self.matched} matched, "
                f"{self.errors} unreadable" + (f", {self.skipped} already done" if self.skipped else ""))


@dataclass(frozen=True)
class _InFlight:
    """A file handed to the workers: which evidence item (its position) it belongs to, the
    session's own link to a reader's spill, the file itself when it counts for the item's custody
    hash, and what its reader knew of it worth storing."""

    index: int
    link: Path | None
    own_file: str | None
    meta: dict[str, object]


@dataclass
class _Held:
    """Results and warnings by evidence position, before the evidence ids are known."""

    results: list[tuple[int, WorkResult]] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)


KEPT_META = ("mtime", "inode")  # what a reader knows of a file that is worth storing with its artifact


def _kept_meta(meta: dict[str, object]) -> dict[str, object]:
    """The file's own time (seconds since the epoch) and inode, where its container records them,
    and what was wrong with its member name (``name_flag``, see ``evidence.paths.render_member``)."""
    kept = {k: meta[k] for k in KEPT_META if isinstance(meta.get(k), int | float) and not isinstance(meta[k], bool)}
    if isinstance(meta.get("name_flag"), str):
        kept["name_flag"] = meta["name_flag"]
    return kept


def _clean_stale(tmp: Path) -> None:
    """Temporary folders of triage processes that no longer run (killed ones)."""
    for d in tmp.glob("triage-*"):
        pid = d.name.removeprefix("triage-")
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(d, ignore_errors=True)
            except PermissionError:
                pass


class Session:
    """One session of ``plan``'s run. ``handle`` is the run already opened (its evidence was
    recorded before); otherwise the session opens it (``store.open_run``) once the custody hash
    has recorded the evidence."""

    def __init__(self, plan: TriagePlan, custody: Custody, progress: Callable[[ProgressInfo], None] | None = None,
                 handle: RunHandle | None = None) -> None:
        self.plan, self.custody, self.progress, self.handle = plan, custody, progress, handle
        self.ws, self.matcher, self.options = plan.ws, plan.matcher, plan.options
        self.paths, self.known = plan.paths, plan.known
        self.ids: list[int] | None = None
        self.temp = self.ws.root / "tmp" / f"triage-{os.getpid()}"
        self.walk_errors: list[tuple[int, str, str]] = []
        self.tags: dict[int, _InFlight] = {}        # work item tag -> what the session keeps of it
        self.tops: list[int] = []            # containers whose inventory row the custody read gives
        self.next_tag = 1
        self.files = self.bytes = self.skipped = self.matched = self.errors = 0
        self.census = Census([p.listed for p in custody.plans])
        self.budget = Budget(self.options.limits)        # one for the whole run, every evidence item
        self.started = time.monotonic()

    def _is_done(self, index: int, path: str) -> bool:
        if self.handle is None or self.known is None:
            return False
        return self.handle.state.is_done(self.known[index], path)

    def items(self) -> Iterator[WorkItem]:
        for index, arg in enumerate(self.paths):
            def on_error(path: str, reason: str, index: int = index) -> None:
                self.walk_errors.append((index, path, reason))

            plan = self.custody.plans[index]
            own_files = 0
            for entry in iter_entries(arg, on_error=on_error, temp_dir=self.temp / "spill",
                                      limits=self.options.limits, budget=self.budget):
                own = plan.is_own_file(entry)
                if own:
                    self.census.reached(index)
                if self._is_done(index, entry.path):
                    self.skipped += 1
                    if own and plan.own is not None:
                        plan.own.give_up()
                    continue
                self.census.add()
                if own and plan.container:       # hashed by the custody read: never read twice
                    self.tops.append(index)
                    continue
                own_files += own
                yield self._work(index, entry, own)
            self.census.item_walked(index)
            if plan.own is not None:
                plan.own.walked(own_files)
        self.census.walk_ended()

    def _work(self, index: int, entry: Entry, own: bool) -> WorkItem:
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
        self.tags[tag] = _InFlight(index, link, str(entry.file) if own else None, _kept_meta(entry.meta))
        return work

    def _ready(self, final: bool, held: int) -> bool:
        """Whether batches can be committed: once the custody hash has finished (waiting for it
        when the run ends or too much is held). Digests the run's own read has not completed by
        then, or within ``own_custody_seconds`` (so that a long run commits, and keeps on
        interruption, its work as it goes), are left to the custody thread's own pass."""
        if self.ids is not None:
            return True
        if not self.custody.done():
            overdue = time.monotonic() - self.started > self.options.own_custody_seconds
            if final or held >= HOLD_RESULTS or overdue:
                self.custody.fall_back()      # the separate pass: it never waits for this thread
            if not final and held < HOLD_RESULTS:
                return False
        evidence = self.custody.wait()
        if self.handle is None:
            self.handle = open_run(self.plan, evidence)
        self.ids = [int(e["evidence_id"]) for e in evidence]
        return True

    def flush(self, held: _Held, final: bool = False, lock_wait: float | None = None) -> _Held:
        held.errors.extend(self.walk_errors)
        self.walk_errors = []
        if not self._ready(final, len(held.results)):
            return held
        self._take_tops(held)
        if not (held.results or held.errors):
            return held
        assert self.ids is not None and self.handle is not None
        ids = self.ids
        batch = Batch(results=[(ids[i], r) for i, r in held.results],
                      errors=[(ids[i], p, reason) for i, p, reason in held.errors])
        groups: dict[int, list[FileHashes]] = {}
        for ev, r in batch.results:
            groups.setdefault(ev, []).append(r.hashes)
        for ev, files in groups.items():
            found = self.matcher.match(files)
            batch.matches.extend((ev, m) for m in found)
            self.matched += len({m.path for m in found if not m.known_good})
        with self.ws.session() as s, (short_lock_wait(s, lock_wait) if lock_wait else contextlib.nullcontext()):
            run = s.get(TriageRun, self.handle.run_id)
            assert run is not None
            write_batch(s, run, self.handle.state, batch)
        self.errors += len(batch.errors)
        return _Held()

    def _take_tops(self, held: _Held) -> None:
        """The inventory rows of single-file containers, from the custody read."""
        for index in self.tops:
            top = self.custody.plans[index].top
            assert top is not None
            self._hold(held, index, top)
        self.tops = []

    def _hold(self, held: _Held, index: int, r: WorkResult) -> None:
        held.results.append((index, r))
        held.errors.extend((index, r.hashes.path, reason) for reason in r.errors)
        self.files += 1
        self.bytes += r.hashes.size

    def _report(self) -> None:
        if self.progress is not None:
            c = self.census
            self.progress(ProgressInfo(self.files, self.bytes, self.skipped, self.matched, self.errors,
                                       total=c.total, total_exact=c.walked))

    def run(self, pool: Engine) -> None:
        tmp = self.ws.root / "tmp"
        _clean_stale(tmp)
        shutil.rmtree(self.temp, ignore_errors=True)
        (self.temp / "spill").mkdir(parents=True, exist_ok=True)
        opts = HashOptions(temp_dir=str(self.temp / "video"), max_pixels=self.options.limits.max_pixels,
                           min_side=self.options.min_side, video=self.options.video, regions=self.options.crop,
                           hypotheses=self.options.hypotheses)
        for index, plan in enumerate(self.custody.plans):
            if plan.listed > HOLD_RESULTS:           # the custody plan stopped counting there
                self.census.count_later(index, plan.path)
        held = _Held()
        last = time.monotonic()
        results: Generator[WorkResult, None, None] = pool.run(self.items(), opts)
        try:
            for r in results:
                sent = self.tags.pop(r.tag)
                index, link, own_file, seen = sent.index, sent.link, sent.own_file, sent.meta
                if link is not None:
                    link.unlink(missing_ok=True)
                own = self.custody.plans[index].own
                if own_file is not None and own is not None:
                    own.add(own_file, r.hashes.sha256, r.hashes.size)
                if seen:
                    r = dataclasses.replace(r, meta={**seen, **r.meta})
                self._hold(held, index, r)
                due = time.monotonic() - last > self.options.batch_seconds
                if len(held.results) >= self.options.batch_files or due:
                    held = self.flush(held)
                    last = time.monotonic()
                self._report()
            held = self.flush(held, final=True)
            self._report()                           # the containers' own rows, the last batch's matches
        except BaseException:
            results.close()                          # stop the workers first
            if self.ids is not None or self.custody.done():    # keep what was hashed, never wait for custody
                with contextlib.suppress(Exception):    # quick: a lock held elsewhere never holds up the exit
                    self.flush(held, final=True, lock_wait=MARK_LOCK_WAIT)
            else:
                self.custody.cancel()
            raise
        finally:
            self.census.close()
            shutil.rmtree(self.temp, ignore_errors=True)
