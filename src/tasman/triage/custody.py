"""The evidence's custody hash, taken from the triage's own read wherever it can be.

``add_evidence`` records an item with its acquisition hash (a file's SHA-256, a folder's
manifest of its files' SHA-256s), or hashes it again to check that it is unchanged. Hashing the
evidence for that and then again for triage would read every byte twice, so:

* a folder of up to ``HOLD_RESULTS`` files: its manifest is made of the SHA-256s the hashing
  workers compute anyway, once its walk has ended and every one of its files is hashed;
* a single file that is a container (disk image, archive): it is hashed here, in a thread beside
  the walk, MD5, SHA-1 and SHA-256 in one read, and that read also gives its inventory row (the
  workers never read the container itself, only what is inside);
* any other single file (a picture, a video): its SHA-256 from the worker that hashes it.

The separate pass of ``add_evidence`` is kept where the triage cannot supply every digest: a
folder with more files (its results would wait in memory too long), a resumed run (files done
before are not read again), a file that could not be read (``add_evidence`` words the error),
or results piling up past ``HOLD_RESULTS`` before the digests are complete. Either way nothing
is committed before the custody hash is known, and an item that changed since it was recorded
stops the run. A folder's file that cannot be read enters the manifest as unreadable (see
``evidence.hashing``): it is an errors.csv row, never the end of the run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasman.core.errors import InputError
from tasman.evidence.hashing import UNREADABLE, manifest_hash
from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult, hash_item
from tasman.triage.readers.base import Entry
from tasman.triage.readers.folder import count_files
from tasman.triage.readers.walk import reader_for

HOLD_RESULTS = 20_000      # hashed files kept in memory while the custody hash finishes (~1 KB each)
Record = Callable[[Path, "str | None"], dict[str, Any]]   # add_evidence for one item (None: hash it there)


class OwnDigest:
    """The acquisition hash of one item, made from the SHA-256s of the triage's results: a folder's
    manifest, or a single file's own hash. Filled by the session's thread, read by the custody thread."""

    def __init__(self, root: Path, folder: bool) -> None:
        self.folder = folder
        self.prefix = os.path.join(os.fspath(root), "")     # the walk's file names start with it
        self.files: dict[str, tuple[str, int]] = {}
        self.expected: int | None = None
        self.value: str | None = None
        self._done = threading.Event()

    @property
    def pending(self) -> bool:
        return not self._done.is_set()

    def add(self, file: str, sha256: str | None, size: int) -> None:
        if not self.pending:
            return
        if sha256 is None:           # unreadable: a single file is refused by add_evidence; a folder's
            if not self.folder:      # file enters its manifest as such (an errors.csv row of the run)
                self.give_up()
                return
            sha256 = UNREADABLE
        rel = file.removeprefix(self.prefix).replace(os.sep, "/") if self.folder else ""
        self.files[rel] = (sha256, size)
        self._check()

    def walked(self, count: int) -> None:
        """The walk has ended: ``count`` files of the item itself went to the workers."""
        self.expected = count
        self._check()

    def give_up(self) -> None:
        """The custody pass hashes the item itself."""
        self._done.set()

    def _check(self) -> None:
        if self.pending and self.expected is not None and len(self.files) == self.expected:
            if self.folder:
                self.value = manifest_hash((rel, sha, size) for rel, (sha, size) in self.files.items())
            elif self.files:
                self.value = self.files[""][0]
            self._done.set()

    def wait(self) -> str | None:
        self._done.wait()
        return self.value


@dataclass
class Plan:
    """How one evidence item gets its custody hash."""

    path: Path
    own: OwnDigest | None = None        # from the workers' results
    container: bool = False             # a single-file container, hashed by the custody thread
    top: WorkResult | None = field(default=None, repr=False)   # that hash, as its inventory row
    listed: int = 0                     # the item's own files by listing (a folder's up to HOLD_RESULTS + 1;
                                        # 1 for a single file; 0 when resumed: files done before are skipped)

    def is_own_file(self, entry: Entry) -> bool:
        """Whether ``entry`` is one of the item's own files (not a member of a container inside it)."""
        return entry.file is not None and not entry.temp


def plan(paths: Sequence[Path], resumed: bool) -> list[Plan]:
    plans: list[Plan] = []
    for p in paths:
        if resumed:              # files done before are skipped, so their digests never come
            plans.append(Plan(p))
        elif p.is_dir():
            listed = count_files(p, HOLD_RESULTS)
            plans.append(Plan(p, OwnDigest(p, folder=True) if listed <= HOLD_RESULTS else None, listed=listed))
        else:
            top = Entry(p.resolve().name, p.stat().st_size, file=p)
            container = p.stat().st_size > 0 and reader_for(top) is not None
            plans.append(Plan(p, None if container else OwnDigest(p, folder=False), container, listed=1))
    return plans


class Custody:
    """The custody hash of every item, in a daemon thread beside the walk (hashlib releases the
    GIL); ``wait`` hands the recorded items (or the error) to the session's thread."""

    def __init__(self, plans: list[Plan], record: Record, opts: HashOptions) -> None:
        self.plans, self._record, self._opts = plans, record, opts
        self._value: list[dict[str, Any]] | None = None
        self._error: BaseException | None = None
        self._cancelled = False
        self._done = threading.Event()
        threading.Thread(target=self._run, name="tasman-custody", daemon=True).start()

    def _run(self) -> None:
        try:
            items = []
            for p in self.plans:
                digest = self._digest(p)
                if self._cancelled:
                    return
                items.append(self._record(p.path, digest))
            if len({i["evidence_id"] for i in items}) != len(items):
                raise InputError("the same evidence was given twice")
            self._value = items
        except BaseException as exc:  # handed to the session's thread by wait()
            self._error = exc
        finally:
            self._done.set()

    def _digest(self, p: Plan) -> str | None:
        if p.container:
            p.top = hash_item(WorkItem(p.path.resolve().name, p.path.stat().st_size, file=str(p.path)), self._opts)
            return p.top.hashes.sha256
        return p.own.wait() if p.own is not None else None

    def done(self) -> bool:
        return self._done.is_set()

    def fall_back(self) -> None:
        """Digests still missing are computed by the custody pass itself (no waiting on the walk)."""
        for p in self.plans:
            if p.own is not None:
                p.own.give_up()

    def cancel(self) -> None:
        """The run stops: the thread records nothing more and reads nothing more."""
        self._cancelled = True
        self.fall_back()

    def wait(self) -> list[dict[str, Any]]:
        self._done.wait()
        if self._error is not None:
            raise self._error
        if self._value is None:
            raise RuntimeError("the custody hash was cancelled")
        return self._value
