"""Import, list and remove hash sets. An import streams the file through its format's parser
into a staging hash set and only then swaps it for the old one, in one transaction: a failed
import leaves the old list as it was, and a re-import reports what it added and removed.

A *resumable* import (the CLI's) commits the staging set every ``commit_every`` rows with its
progress (rows stored, and which file, format and settings they came from) in the staging set's
``counts["resume"]``. Killed half-way, the same import run again finds that staging set, parses
the file from the start without storing the rows it already has, and goes on from there: the
list ends with exactly the file's rows, none doubled, none lost. A different file (path, size,
modification time) or settings start afresh; a file that turns out bad removes the staging set."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sqlite3
import time
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError, LimitError, NotFoundError
from tasman.core.safejson import DepthError
from tasman.triage.hashsets import HEAD_BYTES, HashSetFormat, ParseWarning, detect_format, get_format
from tasman.triage.hashsets.base import BATCH_SIZE, Batch, entry_batches
from tasman.triage.hashsets.bulk import BulkWriter, stream_rows, tune_for_bulk
from tasman.triage.hashsets.categories import keeps_source_label, resolve_scheme
from tasman.triage.hashsets.models import HashSet, HashSetEntry

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$")
KEY_COLUMNS = "kind, ref, part, md5, sha1, sha256, pdq, quality, category"
STAGING = "~import~"
COMMIT_EVERY = 1_000_000


@dataclass(frozen=True)
class ImportResult:
    name: str
    format: str
    known_good: bool
    entries: int
    added: int
    removed: int
    replaced: bool
    counts: dict[str, int]
    warning_count: int
    warnings: tuple[ParseWarning, ...] = field(default=())
    seconds: float = 0.0
    resumed_after: int = 0          # rows an interrupted run of this import had stored already


class _HashingReader:
    """Hashes what the parser reads, so the stored source hash costs no second pass."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None] | None = None) -> None:
        self.raw, self.sha256 = raw, hashlib.sha256()
        self.name = getattr(raw, "name", "")
        self.progress = progress

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha256.update(data)
        if self.progress is not None:
            self.progress(len(data))
        return data

    def read1(self, n: int = -1) -> bytes:
        return self.read(n)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def __getattr__(self, item: str) -> Any:   # closed, seekable, ... for io wrappers
        return getattr(self.raw, item)

    def finish(self) -> str:
        while self.read(1 << 20):
            pass
        return self.sha256.hexdigest()


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise InputError(f"hash-set name {name!r} must be 1-120 letters, digits, '.', '_', ':' or '-'")
    return name


def resolve_format(path: Path, fmt: str | None) -> type[HashSetFormat]:
    if fmt:
        try:
            return get_format(fmt)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    found = detect_format(head, path.name)
    if found is None:
        raise InputError(f"cannot tell the format of {path}: pass --format (see 'tasman hashset formats')")
    return found


class _Rows:
    """Table rows, column-wise, from batches of entries: categories mapped to Project VIC and
    JSON ``extra`` written once per distinct value, not per row (the import's hot loop); ``keys``
    collects a 64-bit hash of each row's identity when a re-import must count changes."""

    def __init__(self, hashset_id: int, mapper: Callable[[Any], Any], lossy: bool, default: int | None,
                 parser: HashSetFormat, keys: array[int] | None) -> None:
        self.hashset_id, self.mapper, self.lossy, self.default = hashset_id, mapper, lossy, default
        self.parser, self.keys = parser, keys
        self.dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode     # orjson's fallback
        self.seen = 0                   # entries taken so far (warnings name "entry N")

    def _json(self, extra: Sequence[dict[str, Any] | None]) -> list[str | None]:
        """Each row's ``extra`` as JSON text (None for none): orjson, a tenth of the json module's
        time a row; the json module for a batch orjson refuses (an integer over 64 bits, a key
        that is not a string)."""
        dumps = orjson.dumps
        try:
            return [dumps(e, default=str).decode() if e else None for e in extra]
        except TypeError:
            return [self.dumps(e) if e else None for e in extra]

    def columns(self, batch: Batch) -> list[Sequence[Any]]:
        md5, sha1, sha256, pdq, quality, raw, kind, ref, part, extra = batch
        n = len(md5)
        try:
            labels = set(raw)
        except TypeError:               # a list or object where a label belongs (JSON): read as its text
            raw = [r if r is None or isinstance(r, str | int | float) else str(r) for r in raw]
            labels = set(raw)
        mapped: dict[Any, int | None] = {None: self.default}
        failed: dict[Any, str] = {}     # labels that map to nothing: stored without a category
        for label in labels - {None}:
            try:
                mapped[label] = int(self.mapper(label))
            except ValueError as exc:
                mapped[label], failed[label] = self.default, str(exc)
        category = list(map(mapped.__getitem__, raw))
        if failed:
            for i, label in enumerate(raw, self.seen + 1):
                if label in failed and str(label).strip():
                    self.parser.warn(f"entry {i}", f"{failed[label]}; stored without a category")
        if self.lossy and raw.count(None) < n:
            extra = [{**(e or {}), "source_category": str(label)} if label is not None and label not in failed else e
                     for e, label in zip(extra, raw, strict=True)]
        self.seen += n
        if self.keys is not None:
            self.keys.extend(map(hash, zip(kind, ref, part, md5, sha1, sha256, pdq, quality, category, strict=True)))
        stored = [None] * n if extra.count(None) == n else self._json(extra)
        return [[self.hashset_id] * n, kind, ref, part, md5, sha1, sha256, pdq, quality, category, stored]


def import_hashset(session: Session, actor: str, path: Path, name: str, *, fmt: str | None = None,
                   known_good: bool | None = None, category_scheme: str | None = None,
                   category: str | int | None = None, progress: Callable[[int], None] | None = None,
                   resumable: bool = False, commit_every: int = COMMIT_EVERY) -> ImportResult:
    """Import (or re-import, replacing in place) the list at ``path`` as hash set ``name``; its
    categories read in ``category_scheme``, by default the format's own (``vic`` for most).
    ``progress(n)`` is told each time ``n`` more bytes of the file were read. ``resumable``
    commits the session every ``commit_every`` rows and takes up an interrupted run of the same
    import (see the module's docstring); without it all happens in the caller's transaction."""
    check_name(name)
    if not path.exists():
        raise NotFoundError(f"no file {str(path)!r}")
    if not path.is_file():
        raise InputError(f"{str(path)!r} is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{str(path)!r} is empty")
    if category_scheme is not None:
        _scheme(category_scheme, category)          # refuses a bad scheme or label before reading the file
    fmt_cls = resolve_format(path, fmt)
    category_scheme, mapper, default = _scheme(category_scheme or fmt_cls.default_scheme, category)
    parser = fmt_cls()
    resume: dict[str, Any] | None = None
    if resumable:
        st = path.stat()
        resume = {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                  "format": parser.name, "scheme": category_scheme, "default": default, "known_good": known_good,
                  "commit_every": max(1, int(commit_every))}
    size = min(BATCH_SIZE, resume["commit_every"]) if resume is not None else BATCH_SIZE    # commits land on time
    with path.open("rb") as raw:
        reader = _HashingReader(raw, progress)
        return _ingest(session, actor, name, parser, lambda: parser.batches(reader, size),  # type: ignore[arg-type]
                       reader.finish, source=str(path), known_good=known_good, scheme_name=category_scheme,
                       mapper=mapper, default=default, resume=resume)


def build_hashset(session: Session, actor: str, folder: Path, name: str, *, category: str | int | None = None,
                  known_good: bool = False, category_scheme: str = "vic") -> ImportResult:
    """Build hash set ``name`` from the files under ``folder`` (with region hashes for the crop stage)."""
    from tasman.triage.hashsets.folder import FolderSource

    check_name(name)
    if not folder.is_dir():
        if folder.exists():
            raise InputError(f"{str(folder)!r} is a file: give the folder of pictures to build from")
        raise NotFoundError(f"no folder {str(folder)!r}")
    category_scheme, mapper, _ = _scheme(category_scheme, category)     # refuses a bad label before any work
    source = FolderSource(folder, category)
    return _ingest(session, actor, name, source, lambda: entry_batches(source.parse()), lambda: "", source=str(folder),
                   known_good=known_good,
                   scheme_name=category_scheme, mapper=mapper, default=None)


def _scheme(name: str, category: str | int | None) -> tuple[str, Callable[[Any], Any], int | None]:
    """``(stored name, mapper, default category)`` for a built-in scheme or a scheme file."""
    try:
        stored, mapper = resolve_scheme(name)
        default = mapper(category) if category is not None and str(category).strip() else None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return stored, mapper, None if default is None else int(default)


def _ingest(session: Session, actor: str, name: str, parser: HashSetFormat, batches: Callable[[], Iterator[Batch]],
            source_hash: Callable[[], str], *, source: str, known_good: bool | None, scheme_name: str,
            mapper: Callable[[Any], Any], default: int | None,
            resume: dict[str, Any] | None = None) -> ImportResult:
    """Stream entries into a staging set, then swap it for the old one (all in the caller's
    transaction, unless ``resume`` says which import this is: then committed as it goes)."""
    started = time.perf_counter()
    good = parser.known_good if known_good is None else known_good
    staging, skip = _staging(session, name, resume, parser=parser.name, source=source, good=good,
                             scheme_name=scheme_name, actor=actor)
    staging_id = staging.id
    writer = BulkWriter(session)
    mapper = functools.lru_cache(maxsize=4096)(mapper)     # a list repeats a handful of labels
    lossy = keeps_source_label(scheme_name)
    old_id = session.scalar(select(HashSet.id).where(HashSet.name == name))
    new_keys = array("q") if old_id is not None else None
    every = int(resume["commit_every"]) if resume is not None else 0
    total = 0
    try:
        rows = _Rows(staging_id, mapper, lossy, default, parser, new_keys)
        counted = _Counts()
        for batch in batches():
            columns = rows.columns(batch)
            counted.add(columns)
            n = len(columns[0])
            start = max(0, min(n, skip - total))    # rows an interrupted run stored: parsed again, not stored
            while start < n:
                end = min(n, start + every - (total + start) % every) if every else n
                writer.write([c[start:end] for c in columns] if (start, end) != (0, n) else columns)
                if every and (total + end) % every == 0:
                    _checkpoint(session, staging_id, resume, total + end)
                start = end
            total += n
        if total < skip:
            raise ValueError(f"has {total:,} rows, fewer than the {skip:,} an interrupted import stored")
    except DepthError as exc:
        _discard(session, staging_id, resume)
        raise LimitError(f"{source}: {exc}") from None
    except ValueError as exc:
        _discard(session, staging_id, resume)
        raise InputError(f"{source}: {exc}") from None
    except (OSError, sqlite3.DatabaseError) as exc:
        _discard(session, staging_id, resume)
        raise InputError(f"{source}: cannot be read: {exc}") from None
    source_sha256 = source_hash()
    if total == 0:
        _discard(session, staging_id, resume)
        first = f"; first problem: {parser.warnings[0].where}: {parser.warnings[0].message}" if parser.warnings else ""
        raise InputError(f"no hashes found in {source!r} read as {parser.name}{first}")
    staging = session.get_one(HashSet, staging_id)
    old = session.get(HashSet, old_id) if old_id is not None else None
    counts = counted.counts
    added, removed = total, 0
    if old is not None and new_keys is not None:
        added, removed = _diff(session, new_keys, old.id)
        session.execute(delete(HashSetEntry).where(HashSetEntry.hashset_id == old.id))
        session.delete(old)
        session.flush()
    staging.name = name
    staging.source_sha256 = source_sha256
    staging.entry_count = total
    staging.counts = {**counts, "warnings": parser.warning_count}
    session.flush()
    audit.record(session, actor, "hashset.replace" if old is not None else "hashset.import", target=name,
                 format=parser.name, source=source, sha256=source_sha256, entries=total, added=added,
                 removed=removed, known_good=good, category_scheme=scheme_name, warnings=parser.warning_count)
    return ImportResult(name=name, format=parser.name, known_good=good, entries=total, added=added,
                        removed=removed, replaced=old is not None, counts=counts,
                        warning_count=parser.warning_count, warnings=tuple(parser.warnings),
                        seconds=time.perf_counter() - started, resumed_after=skip)


def _staging(session: Session, name: str, resume: dict[str, Any] | None, *, parser: str, source: str,
             good: bool, scheme_name: str, actor: str) -> tuple[HashSet, int]:
    """The staging set to import into, and how many rows it holds already: a fresh one, or (for a
    resumable import) the one an interrupted run of the same import left, committed."""
    if resume is None:
        staging_name = f"{STAGING}{uuid.uuid4().hex[:16]}"
    else:           # one per target name, so that a re-run finds it
        staging_name = STAGING + hashlib.sha256(name.encode()).hexdigest()[:40]
        tune_for_bulk(session)
        left = session.scalar(select(HashSet).where(HashSet.name == staging_name))
        if left is not None:
            mark = dict((left.counts or {}).get("resume") or {})
            done = int(mark.pop("rows", 0))
            if mark == resume:
                return left, done
            _discard(session, left.id, resume)      # another file or other settings: start afresh
    staging = HashSet(name=staging_name, format=parser, source=source, known_good=good,
                      category_scheme=scheme_name, imported_by=actor,
                      counts={} if resume is None else {"resume": {**resume, "rows": 0}})
    session.add(staging)
    session.flush()
    if resume is not None:
        session.commit()
        tune_for_bulk(session)
    return staging, 0


def _checkpoint(session: Session, staging_id: int, resume: dict[str, Any] | None, total: int) -> None:
    """Commit the rows so far with the progress that lets a re-run go on after them."""
    session.execute(update(HashSet).where(HashSet.id == staging_id)
                    .values(entry_count=total, counts={"resume": {**(resume or {}), "rows": total}}))
    session.commit()
    tune_for_bulk(session)


def _discard(session: Session, staging_id: int, resume: dict[str, Any] | None) -> None:
    """Remove a resumable import's committed staging set (a bad file: nothing to resume)."""
    if resume is None:
        return                      # the caller's rollback removes it
    session.rollback()
    session.execute(delete(HashSetEntry).where(HashSetEntry.hashset_id == staging_id))
    session.execute(delete(HashSet).where(HashSet.id == staging_id))
    session.commit()


def _counts(session: Session, hashset_id: int) -> dict[str, int]:
    """Hashes a kind of a stored set, counted by the database (an exchange's fetch, which adds to
    and removes from a set in place; an import counts as it writes: ``_Counts``)."""
    counts = dict.fromkeys(("md5", "sha1", "sha256", "pdq", "video", "frame", "region"), 0)
    row = session.execute(text(
        "SELECT COUNT(md5), COUNT(sha1), COUNT(sha256), COUNT(pdq) FROM hashset_entries "
        "WHERE hashset_id = :h AND kind IN ('file', 'video')"), {"h": hashset_id}).one()
    counts.update(zip(("md5", "sha1", "sha256", "pdq"), (int(v) for v in row), strict=True))
    for kind, n in session.execute(text("SELECT kind, COUNT(*) FROM hashset_entries WHERE hashset_id = :h "
                                        "AND kind <> 'file' GROUP BY kind"), {"h": hashset_id}):
        counts[str(kind)] = int(n)
    return counts


class _Counts:
    """Hashes a kind (md5, sha1, sha256 and PDQ of files and videos; entries of every other kind),
    counted from each batch's columns as it is written: a few C-level ``count`` calls a batch of
    plain files. (The database counted them after the insert before: two scans of the whole set,
    about two and a half minutes of a 30,000,000-row import on PostgreSQL.) A resumed import
    counts the rows an interrupted run stored as it parses them again, so the counts are the
    whole list's either way."""

    HASHES = (("md5", 4), ("sha1", 5), ("sha256", 6), ("pdq", 7))      # (name, column in _Rows.columns)

    def __init__(self) -> None:
        self.counts = dict.fromkeys(("md5", "sha1", "sha256", "pdq", "video", "frame", "region"), 0)

    def add(self, columns: list[Sequence[Any]]) -> None:
        kind, counts = columns[1], self.counts
        n = len(kind)
        if kind.count("file") == n:
            for name, j in self.HASHES:
                counts[name] += n - columns[j].count(None)
            return
        for k, m in Counter(kind).items():
            if k != "file":
                counts[str(k)] = counts.get(str(k), 0) + m
        hashed = [i for i, k in enumerate(kind) if k in ("file", "video")]
        for name, j in self.HASHES:
            column = columns[j]
            counts[name] += sum(column[i] is not None for i in hashed)


def _diff(session: Session, new_keys: array[int], old_id: int) -> tuple[int, int]:
    """(added, removed) distinct entries between two versions of a list, compared on 64-bit hashes
    of their identity (kind, ref, part, hashes, quality, category). An SQL EXCEPT over two million
    rows took minutes on SQLite; this takes seconds."""
    old = array("q")
    for part in stream_rows(session, f"SELECT {KEY_COLUMNS} FROM hashset_entries WHERE hashset_id = ?", [old_id]):
        old.extend(map(hash, part))
    new_u = np.unique(np.frombuffer(new_keys, dtype=np.int64))
    old_u = np.unique(np.frombuffer(old, dtype=np.int64))
    added = int((~np.isin(new_u, old_u, assume_unique=True)).sum())
    return added, int((~np.isin(old_u, new_u, assume_unique=True)).sum())


def hashset_dict(h: HashSet) -> dict[str, Any]:
    return {"name": h.name, "format": h.format, "known_good": h.known_good, "entries": h.entry_count,
            "counts": h.counts, "category_scheme": h.category_scheme, "source": h.source,
            "source_sha256": h.source_sha256, "imported_at": h.imported_at.isoformat(), "imported_by": h.imported_by}


def list_hashsets(session: Session, actor: str) -> list[HashSet]:
    rows = list(session.scalars(select(HashSet).where(~HashSet.name.startswith("~import~")).order_by(HashSet.name)))
    audit.record(session, actor, "hashset.list", count=len(rows))
    return rows


def get_hashset(session: Session, name: str) -> HashSet:
    h = session.scalar(select(HashSet).where(HashSet.name == name))
    if h is None:
        raise NotFoundError(f"no hash set {name!r}: see 'tasman hashset list'")
    return h


def remove_hashset(session: Session, actor: str, name: str) -> int:
    h = get_hashset(session, name)
    n = session.scalar(select(func.count()).select_from(HashSetEntry).where(HashSetEntry.hashset_id == h.id)) or 0
    session.execute(delete(HashSetEntry).where(HashSetEntry.hashset_id == h.id))
    session.delete(h)
    session.flush()
    audit.record(session, actor, "hashset.remove", target=name, entries=int(n), source_sha256=h.source_sha256)
    return int(n)
