"""``iter_entries``: every file in an evidence item, containers opened to any depth.

The mediator between readers (plaso style): it picks a reader by content, descends into what
the reader yields, turns any failure of a container into a warning tied to the container's
path, and keeps paths unique inside each container (a name used twice is read twice, flagged
``duplicate``). One :class:`Budget` covers the whole walk (every evidence item of a run when
the caller passes one): when it is spent, the outermost container being read stops with one
warning naming the budget, and the walk goes on with the evidence's other files.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

from tasman.core.errors import InputError, NotFoundError
from tasman.evidence.hashing import check_evidence_path
from tasman.evidence.paths import SEP
from tasman.triage.filetypes import disk_signature, is_archive
from tasman.triage.readers.archive import ArchiveReader
from tasman.triage.readers.base import Budget, BudgetSpent, Entry, Limits, OnError, ReadContext, Reader, ReaderError
from tasman.triage.readers.disk import DiskReader
from tasman.triage.readers.folder import folder_entries

SNIFF_BYTES = 2048          # every signature we look for lies in the first 1,082 bytes
ARCHIVES = ArchiveReader()
DISKS = DiskReader()


def reader_for(entry: Entry) -> Reader | None:
    """The reader that opens ``entry`` as a container, chosen by content; None for plain files."""
    if entry.size == 0:
        return None
    head = entry.head(SNIFF_BYTES)
    if is_archive(head):
        return ARCHIVES
    if disk_signature(head) is not None:
        return DISKS
    return None


def iter_entries(
    evidence_path: Path,
    *,
    on_error: OnError,
    temp_dir: Path | None = None,
    limits: Limits | None = None,
    expand: bool = True,
    budget: Budget | None = None,
) -> Iterator[Entry]:
    """Yield every file of ``evidence_path`` (a file or a folder), containers included and opened.

    Paths are relative to the evidence argument's parent, in ``!/`` form
    (``usb.raw!/DCIM/IMG_1.JPG``, ``backup.zip!/inner.zip!/a.jpg``). An entry's content stays
    readable until the iterator moves on. Unreadable items go to ``on_error(path, reason)`` and
    the walk goes on. Large nested members are spilled to ``temp_dir``; Tasman passes a folder
    inside the workspace (the system temporary folder is only the default for library use).
    ``budget``: what the walk may inflate and list (a run passes one for all its evidence items;
    by default a new one from ``limits``). A pipe or device given as ``evidence_path`` is
    refused (``InputError``) before anything is opened; met inside a folder it is a warning.
    """
    evidence_path = Path(evidence_path)
    check_evidence_path(evidence_path)
    ctx = _context(on_error, temp_dir, limits, budget)
    base = evidence_path.resolve().name
    if evidence_path.is_dir():
        top: Iterator[Entry] = folder_entries(evidence_path, base, ctx)
    else:
        st = evidence_path.stat()
        top = iter([Entry(base, st.st_size, file=evidence_path, meta={"mtime": st.st_mtime})])
    for entry in top:
        ctx.spent.evidence_bytes += entry.size
        yield from _expand(entry, ctx, 0, expand)


def _context(on_error: OnError, temp_dir: Path | None, limits: Limits | None,
             budget: Budget | None = None) -> ReadContext:
    limits = budget.limits if budget is not None and limits is None else (limits or Limits())
    return ReadContext(on_error, Path(temp_dir) if temp_dir else Path(tempfile.gettempdir()) / "tasman-spill",
                       limits, budget)


def _children(entry: Entry, reader: Reader, ctx: ReadContext) -> Generator[Entry, None, None]:
    """The members of one container with paths made unique (``a.txt``, ``a.txt~2``), as the walk names them:
    a path already given (a member's own, or one made here) is never given again, so a member
    named ``a.txt~2`` cannot take the path of the second ``a.txt``."""
    seen: dict[str, int] = {}
    used: set[str] = set()
    members = reader.entries(entry, ctx)
    try:
        for child in members:
            if child.path in used:
                n = seen.get(child.path, 1) + 1
                while f"{child.path}~{n}" in used:
                    n += 1
                seen[child.path] = n
                child.path = f"{child.path}~{n}"
                flag = child.meta.get("name_flag")
                child.meta["name_flag"] = f"{flag},duplicate" if flag else "duplicate"
            used.add(child.path)
            yield child
    finally:
        close = getattr(members, "close", None)
        if close is not None:
            close()


@contextmanager
def _members(entry: Entry, reader: Reader, ctx: ReadContext, depth: int = 0) -> Iterator[Iterator[Entry]]:
    """A container's members; a failure of the container becomes a warning tied to its path, a
    spent budget one tied to the outermost container (``depth`` 0): containers inside it stop too."""
    children = _children(entry, reader, ctx)
    try:
        yield children
    except BudgetSpent as exc:
        if depth > 0:
            raise
        ctx.warn(entry.path, str(exc))
    except ReaderError as exc:
        ctx.warn(entry.path, str(exc))
    except (OSError, RuntimeError, ValueError, EOFError, MemoryError) as exc:
        ctx.warn(entry.path, f"unreadable {reader.name}: {type(exc).__name__}: {exc}")
    finally:
        children.close()


def _expand(entry: Entry, ctx: ReadContext, depth: int, expand: bool) -> Iterator[Entry]:
    yield entry
    if not expand:
        return
    try:
        reader = reader_for(entry)
    except OSError as exc:
        ctx.warn(entry.path, f"cannot read: {exc.strerror or exc}")
        return
    if reader is None:
        return
    if depth >= ctx.limits.max_depth:
        ctx.warn(entry.path, f"nested more than {ctx.limits.max_depth} containers deep; not opened")
        return
    with _members(entry, reader, ctx, depth) as children:
        for child in children:
            yield from _expand(child, ctx, depth + 1, expand)


def read_member(evidence_path: Path, artifact_path: str, *, max_bytes: int, temp_dir: Path | None = None,
                limits: Limits | None = None) -> bytes:
    """The bytes of one file of an evidence item, found by the ``!/`` path a walk gave it.

    Only the containers on the path are opened (``backup.zip!/inner.zip!/a.jpg`` opens two
    archives and reads one member), read-only like every walk. A file larger than ``max_bytes``
    is refused rather than read: callers want a bounded amount of memory.
    """
    evidence_path = Path(evidence_path)
    if not evidence_path.exists():
        raise NotFoundError(f"no such file or folder: {evidence_path}")
    reasons: list[str] = []
    ctx = _context(lambda p, r: reasons.append(f"{p}: {r}"), temp_dir, limits)
    top = _top_entry(evidence_path, artifact_path.split(SEP, 1)[0])
    data = _descend(top, artifact_path, ctx, 0, max_bytes)
    if data is None:
        why = f" ({reasons[0]})" if reasons else ""
        raise NotFoundError(f"{artifact_path!r} is not in {evidence_path.name}{why}")
    return data


def _top_entry(evidence_path: Path, first: str) -> Entry:
    """The file on disk the path starts with: the evidence file itself, or a file below the evidence folder
    (regular files only, symbolic links never followed, nothing outside the folder)."""
    base = evidence_path.resolve().name
    if evidence_path.is_dir():
        if not first.startswith(base + "/"):
            raise NotFoundError(f"{first!r} is not below the evidence folder {base!r}")
        parts = first[len(base) + 1:].split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise InputError(f"{first!r} is not a plain path inside the evidence folder")
        target = evidence_path.joinpath(*parts)
    elif first == base:
        target = evidence_path
    else:
        raise NotFoundError(f"{first!r} is not the evidence file {base!r}")
    try:
        st = target.lstat()
    except OSError as exc:
        raise NotFoundError(f"{first!r} cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise NotFoundError(f"{first!r} is not a regular file")
    return Entry(first, st.st_size, file=Path(os.fspath(target)))


def _descend(entry: Entry, target: str, ctx: ReadContext, depth: int, max_bytes: int) -> bytes | None:
    if entry.path == target:
        if entry.size > max_bytes:
            raise InputError(f"{target!r} is larger than {max_bytes:,} bytes")
        with entry.open() as fh:
            return fh.read(max_bytes)
    reader = reader_for(entry)
    if reader is None or depth >= ctx.limits.max_depth:
        return None
    with _members(entry, reader, ctx) as children:
        for child in children:
            if child.path == target or target.startswith(child.path + SEP):
                return _descend(child, target, ctx, depth + 1, max_bytes)
    return None
