"""Archives through libarchive: zip, tar and its compressed forms, 7z, RAR (what libarchive
reads), cpio, cabinet, and single compressed streams (``x.jpg.gz``).

Members are read one by one (libarchive streams), each kept in memory up to
``Limits.spill_bytes`` and in a temporary workspace file beyond that. Zip bombs stop the
archive with a warning: too many bytes out per byte in, or too many bytes at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import PurePosixPath
from typing import Any

import libarchive
from libarchive.exception import ArchiveError

from tasman.evidence.paths import SEP, safe_member
from tasman.triage.filetypes import is_compressed_stream
from tasman.triage.readers.base import Entry, ReadContext, Reader, ReaderError, Sink, child_path, release

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
        limits = ctx.limits
        count = 0
        total = 0
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
                    if not member.isreg:
                        continue  # folders, links and devices carry no content of their own
                    raw = raw_member_name(container.name) if fmt == "raw" else _name(member.pathname)
                    try:
                        name = safe_member(raw)
                    except ValueError as exc:
                        ctx.warn(f"{container.path}{SEP}{raw}", f"{exc}; not followed")
                        continue
                    path = child_path(container.path, name)
                    sink = Sink(ctx, name)
                    try:
                        for block in member.get_blocks(BLOCK):
                            sink.write(block)
                            total += len(block)
                            _check_bomb(container, sink.size, total, limits)
                    except ArchiveError as exc:
                        sink.discard()
                        ctx.warn(path, f"cannot read member: {_msg(exc)}")
                        continue
                    except BaseException:
                        sink.discard()
                        raise
                    entry = sink.entry(path, meta={"mtime": _mtime(member)})
                    try:
                        yield entry
                    finally:
                        release(entry)
        except ArchiveError as exc:
            if count == 0 and fmt == "all":
                raise _NotAnArchive(_msg(exc)) from None
            raise ReaderError(f"broken archive: {_msg(exc)}") from None


def _check_bomb(container: Entry, member_bytes: int, total: int, limits: Any) -> None:
    if member_bytes > limits.max_member_bytes:
        raise ReaderError(f"a member grew past {limits.max_member_bytes} bytes uncompressed "
                          "(zip bomb?); stopped reading this archive")
    if total > limits.max_archive_bytes:
        raise ReaderError(f"members grew past {limits.max_archive_bytes} bytes uncompressed "
                          "(zip bomb?); stopped reading this archive")
    if total > limits.ratio_floor and total > limits.max_ratio * max(container.size, 1):
        raise ReaderError(f"{total} bytes came out of {container.size} bytes, a ratio over "
                          f"{limits.max_ratio:g} (zip bomb?); stopped reading this archive")


def _mtime(member: Any) -> float | None:
    try:
        value = member.mtime
        return float(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
