"""Which files a run reads, and reading one of them (in a worker process).

:func:`iter_entries` is the one place that knows how evidence is opened: the triage readers
(``tasman.triage.readers.iter_entries``: folders, archives, disk images), so extraction reads
exactly the entries, by the same paths, that triage inventoried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasman.extract.process import scan_units
from tasman.extract.scan import default_scanner
from tasman.extract.sources import FileBlob, Sighting, pick
from tasman.extract.sources.base import CHUNK, BytesBlob, TextUnit
from tasman.extract.sources.text import TextSource, detect_encoding, windows
from tasman.triage.readers import Entry
from tasman.triage.readers import iter_entries as triage_entries

RANGE = 8 * CHUNK           # a plain text file larger than this is split among workers
INLINE_BYTES = 64 * 1024 * 1024  # container members up to this size travel to workers as bytes


def iter_entries(evidence_path: Path, on_error: Callable[..., None], temp_dir: Path | None = None) -> Iterator[Entry]:
    """The entries triage walks (folders, archives, disk images, by the same ``!/`` paths its
    inventory holds), so that an observation finds its artifact."""
    return triage_entries(evidence_path, on_error=on_error, temp_dir=temp_dir)


def real_file(entry: Entry) -> Path | None:
    """The file on disk behind an entry that is not inside a container (read in place)."""
    return None if "!/" in entry.path or entry.file is None else entry.file


@dataclass(frozen=True)
class Task:
    path: str
    file: str | None = None
    data: bytes | None = None
    region: str | None = None
    span: tuple[int, int] | None = None   # byte range of a large plain text file
    encoding: str | None = None
    temp: bool = False
    ref: Any = None                       # what the caller needs back (artifact/evidence ids)


@dataclass
class TaskResult:
    task_path: str
    ref: Any
    source: str | None
    bytes_read: int
    sightings: list[Sighting] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def _range_units(task: Task) -> Iterator[TextUnit]:
    assert task.file is not None and task.span is not None
    start, end = task.span
    with open(task.file, "rb") as fh:
        # begin a window early so that the first bytes of the range have their left context
        begin = max(0, start - 4096)
        begin -= begin % 2 if task.encoding and task.encoding.startswith("utf-16") else 0
        for offset, data, a, b in windows(fh, begin, 2 if task.encoding else 1):
            if offset + a >= end:
                break
            own = (max(a, start - offset), min(b, end - offset))
            if own[0] >= own[1]:
                continue
            if task.encoding is None:
                yield TextUnit(data=data, offset=offset, own=own)
            else:
                yield TextUnit(text=data.decode(task.encoding, "replace"), offset=offset, encoding=task.encoding,
                               own=own)


def init_worker() -> None:
    """A worker's first act: load the scanner (its compiled patterns come from the disk cache
    after the first run), so the first file it is given is not also the slow one."""
    default_scanner()


def run_task(task: Task) -> TaskResult:
    """Read one file (or one range of a large one): never raises for bad input."""
    result = TaskResult(task.path, task.ref, None, 0)

    def warn(path: str, message: str) -> None:
        result.warnings.append((path, message))

    try:
        if task.span is not None:
            result.source = "text"
            result.sightings = list(scan_units(_range_units(task), task.region))
            result.bytes_read = task.span[1] - task.span[0]
            return result
        blob = FileBlob(Path(task.file), task.path) if task.file else BytesBlob(task.data or b"", task.path)
        with blob.open() as fh:
            head = fh.read(65536)
        source = pick(task.path.rsplit("!/", 1)[-1].rsplit("/", 1)[-1], head)
        if source is None:
            return result
        result.source = source.name
        result.sightings = list(scan_units(source.read(blob, warn), task.region))
        result.bytes_read = Path(task.file).stat().st_size if task.file else len(task.data or b"")
    except MemoryError:
        warn(task.path, "out of memory reading this file: skipped")
    except Exception as exc:  # a reader bug must cost one file, not the run
        warn(task.path, f"not read ({type(exc).__name__}: {exc})")
    finally:
        if task.temp and task.file:
            Path(task.file).unlink(missing_ok=True)
    return result


def run_tasks(tasks: list[Task]) -> list[TaskResult]:
    """A worker's batch (the pool's unit): each task read on its own, as :func:`run_task`."""
    return [run_task(t) for t in tasks]


def worker_died(task: Task, reason: str) -> TaskResult:
    """The result of a file (or range) whose reading killed its worker (a C decoder crashing on a
    hostile PST, picture or database): nothing found, a warning naming the file and how the worker
    died; its temporary copy, which the worker could not remove, removed here."""
    if task.temp and task.file:
        Path(task.file).unlink(missing_ok=True)
    return TaskResult(task.path, task.ref, None, 0, warnings=[(task.path, f"{reason} reading this file: skipped")])


def split_text_file(file: Path, path: str, region: str | None, ref: Any) -> list[Task] | None:
    """Range tasks for a large plain text file, or None when it is small or not plain text."""
    size = file.stat().st_size
    if size <= RANGE:
        return None
    with file.open("rb") as fh:
        head = fh.read(65536)
    if not isinstance(pick(file.name, head), TextSource):
        return None
    encoding, skip = detect_encoding(head)
    step = RANGE
    return [Task(path, str(file), region=region, span=(max(s, skip), min(s + step, size)), encoding=encoding,
                 ref=ref) for s in range(0, size, step)]
