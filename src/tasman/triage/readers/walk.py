"""``iter_entries``: every file in an evidence item, containers opened to any depth.

The mediator between readers (plaso style): it picks a reader by content, descends into what
the reader yields, turns any failure of a container into a warning tied to the container's
path, and keeps paths unique inside each container.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from tasman.core.errors import NotFoundError
from tasman.triage.filetypes import disk_signature, is_archive
from tasman.triage.readers.archive import ArchiveReader
from tasman.triage.readers.base import Entry, Limits, OnError, ReadContext, Reader, ReaderError
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
) -> Iterator[Entry]:
    """Yield every file of ``evidence_path`` (a file or a folder), containers included and opened.

    Paths are relative to the evidence argument's parent, in ``!/`` form
    (``usb.raw!/DCIM/IMG_1.JPG``, ``backup.zip!/inner.zip!/a.jpg``). An entry's content stays
    readable until the iterator moves on. Unreadable items go to ``on_error(path, reason)`` and
    the walk goes on. Large nested members are spilled to ``temp_dir``; Tasman passes a folder
    inside the workspace (the system temporary folder is only the default for library use).
    """
    evidence_path = Path(evidence_path)
    if not evidence_path.exists():
        raise NotFoundError(f"no such file or folder: {evidence_path}")
    ctx = ReadContext(on_error, Path(temp_dir) if temp_dir else Path(tempfile.gettempdir()) / "tasman-spill",
                      limits or Limits())
    base = evidence_path.resolve().name
    if evidence_path.is_dir():
        top: Iterator[Entry] = folder_entries(evidence_path, base, ctx)
    else:
        top = iter([Entry(base, evidence_path.stat().st_size, file=evidence_path)])
    for entry in top:
        yield from _expand(entry, ctx, 0, expand)


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
    seen: dict[str, int] = {}
    children = reader.entries(entry, ctx)
    try:
        for child in children:
            n = seen.get(child.path, 0) + 1
            seen[child.path] = n
            if n > 1:
                child.path = f"{child.path}~{n}"
            yield from _expand(child, ctx, depth + 1, expand)
    except ReaderError as exc:
        ctx.warn(entry.path, str(exc))
    except (OSError, RuntimeError, ValueError, EOFError, MemoryError) as exc:
        ctx.warn(entry.path, f"unreadable {reader.name}: {type(exc).__name__}: {exc}")
    finally:
        close = getattr(children, "close", None)
        if close is not None:
            close()
