"""Archives through libarchive: zip, tar and its compressed forms, 7z, RAR (what libarchive
reads), cpio, cabinet, and single compressed streams (``x.jpg.gz``).

Members are read one by one (libarchive streams), each kept in memory up to
``Limits.spill_bytes`` and in a temporary workspace file beyond that (a temporary name, never
the member's). Every member is read whatever its name: hostile names (``../../x``, absolute,
control characters, over-long) get a safe rendering and a ``name_flag`` (``evidence.paths``).
Every block inflated and every member header is charged to the run's budget (``Budget``), and
a member over ``Limits.max_member_bytes`` stops the archive: zip bombs end in a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import PurePosixPath
from typing import Any

import libarchive
from libarchive.exception import ArchiveError

from tasman.evidence.paths import render_member
from tasman.triage.filetypes import is_compressed_stream
from tasman.triage.readers.base import Entry, Limits, ReadContext, Reader, ReaderError, Sink, child_path, release

BLOCK = 1 << 20
RAW_SUFFIXES = {".gz": "", ".tgz": ".tar", ".bz2": "", ".tbz2": ".tar", ".xz": "", ".txz": ".tar",
                ".zst": "", ".z": "", ".lz": "", ".lzma": ""}


class _NotAnArchive(Exception):
    pass


def _msg(exc: ArchiveError) -> str:
    return str(getattr(exc, "msg", exc) or exc)


def _name(raw: Any) -> str:
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp437")
    return str(raw or "")


def raw_member_name(container_name: str) -> str:
    p = PurePosixPath(container_name)
    if p.suffix.lower() in RAW_SUFFIXES and p.stem:
        return p.stem + RAW_SUFFIXES[p.suffix.lower()]
    return "data"


class ArchiveReader(Reader):
    name = "archive"

    def entries(self, container: Entry, ctx: ReadContext) -> Iterator[Entry]:
        try:
            yield from self._read(container, ctx, "all")
        except _NotAnArchive as exc:
            if not is_compressed_stream(container.head(16)):
                raise ReaderError(f"not an archive libarchive can read ({exc})") from None
            yield from self._read(container, ctx, "raw")

    def _open(self, container: Entry, fmt: str) -> AbstractContextManager[Any]:
        if container.file is not None:
            return libarchive.file_reader(str(container.file), format_name=fmt, block_size=1 << 16)
        return libarchive.memory_reader(container.data, format_name=fmt)

    def _read(self, container: Entry, ctx: ReadContext, fmt: str) -> Iterator[Entry]:
        limits, budget = ctx.limits, ctx.spent
        count = 0
        try:
            with self._open(container, fmt) as archive:
                members = iter(archive)
                while True:
                    try:
                        member = next(members)
                    except StopIteration:
                        break
                    except ArchiveError as exc:
                        if count == 0 and fmt == "all":
                            raise _NotAnArchive(_msg(exc)) from None
                        raise ReaderError(f"broken archive after {count} member(s): {_msg(exc)}") from None
                    count += 1
                    budget.spend_member()
                    if not member.isreg:
                        continue  # folders, links and devices carry no content of their own
                    flags: tuple[str, ...] = ()
                    if fmt == "raw":
                        name = raw_member_name(container.name)
                    else:
                        name, flags = render_member(_name(member.pathname))
                    path = child_path(container.path, name)
                    sink = Sink(ctx, name)
                    try:
                        for block in member.get_blocks(BLOCK):
                            sink.write(block)
                            budget.spend_bytes(len(block))
                            _check_member(sink.size, limits)
                    except ArchiveError as exc:
                        sink.discard()
                        ctx.warn(path, f"cannot read member: {_msg(exc)}")
                        continue
                    except BaseException:
                        sink.discard()
                        raise
                    meta: dict[str, object] = {"mtime": _mtime(member)}
                    if flags:
                        meta["name_flag"] = ",".join(flags)
                    entry = sink.entry(path, meta=meta)
                    try:
                        yield entry
                    finally:
                        release(entry)
        except ArchiveError as exc:
            if count == 0 and fmt == "all":
                raise _NotAnArchive(_msg(exc)) from None
            raise ReaderError(f"broken archive: {_msg(exc)}") from None


def _check_member(member_bytes: int, limits: Limits) -> None:
    if member_bytes > limits.max_member_bytes:
        raise ReaderError(f"a member grew past {limits.max_member_bytes} bytes uncompressed "
                          "(zip bomb?); stopped reading this archive")


def _mtime(member: Any) -> float | None:
    try:
        value = member.mtime
        return float(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
