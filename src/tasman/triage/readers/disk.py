"""Disk images through The Sleuth Kit (pytsk3): raw/dd, split raw (.001, .002...) and EWF/E01
(libewf), with their partitions (MBR, GPT...) and file systems (FAT, exFAT, NTFS, ext, HFS+).

Deleted files whose metadata still points at data are yielded with ``deleted=True``. A
partition is a path step: ``disk.E01!/p2/Users/a/x.jpg``; a bare file-system image has none:
``usb.raw!/DCIM/IMG_1.JPG``. A read error (bad sector, truncated image) is a warning for that
one file. Every file read out of an image is charged to the run's budget (``Budget``), as
archive members are: a crafted file system whose files all share the same clusters ends there.
Names are rendered as archive members' are (``evidence.paths.render_step``: control characters
and a ``/`` inside a name escaped, over-long names cut, with a ``name_flag``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytsk3

from tasman.evidence.paths import render_step
from tasman.triage.filetypes import disk_signature, is_ewf
from tasman.triage.readers.base import Entry, ReadContext, Reader, ReaderError, Sink, child_path, release

CHUNK = 1 << 20
SPLIT = re.compile(r"^(?P<stem>.+)\.(?P<num>\d{3})$")
SKIP_NAMES = {".", ".."}
# file-system metadata TSK shows as files in the root folder: not evidence
EXFAT_METADATA = {"$ALLOC_BITMAP", "$UPCASE_TABLE", "$VOLUME_GUID", "$VOLUME_LABEL_NONE", "$TEX_FAT", "$ACT"}
NTFS_METADATA_FOLDER = "$Extend"


class _ExternalImage(pytsk3.Img_Info):
    """A TSK image over any random-access byte source."""

    def __init__(self, size: int) -> None:
        self._size = size
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def get_size(self) -> int:
        return self._size

    def close(self) -> None:
        pass


class _BytesImage(_ExternalImage):
    def __init__(self, data: bytes) -> None:
        self._data = data
        super().__init__(len(data))

    def read(self, offset: int, size: int) -> bytes:
        return self._data[offset:offset + size]


class _SplitImage(_ExternalImage):
    """Split raw: segments read as one image, in order."""

    def __init__(self, segments: list[Path]) -> None:
        self._files = [open(p, "rb") for p in segments]  # noqa: SIM115 - read-only, closed in close()
        self._starts: list[int] = []
        pos = 0
        for p in segments:
            self._starts.append(pos)
            pos += p.stat().st_size
        super().__init__(pos)

    def read(self, offset: int, size: int) -> bytes:
        out = bytearray()
        for i, fh in enumerate(self._files):
            start = self._starts[i]
            end = self._starts[i + 1] if i + 1 < len(self._starts) else self._size
            if offset + size <= start or offset >= end:
                continue
            lo = max(offset, start)
            hi = min(offset + size, end)
            fh.seek(lo - start)
            out += fh.read(hi - lo)
        return bytes(out)

    def close(self) -> None:
        for fh in self._files:
            fh.close()


class _EwfImage(_ExternalImage):
    def __init__(self, handle: Any) -> None:
        self._handle = handle
        super().__init__(handle.get_media_size())

    def read(self, offset: int, size: int) -> bytes:
        self._handle.seek(offset)
        return bytes(self._handle.read(size))

    def close(self) -> None:
        self._handle.close()


def split_segments(path: Path) -> list[Path]:
    """``disk.001`` and its siblings ``disk.002``, ``disk.003``... in order (just ``path`` otherwise)."""
    m = SPLIT.match(path.name)
    if not m or int(m["num"]) != 1:
        return [path]
    segments = [path]
    n = 2
    while (nxt := path.with_name(f"{m['stem']}.{n:03d}")).is_file():
        segments.append(nxt)
        n += 1
    return segments


def _open_ewf(container: Entry) -> Any:
    import pyewf

    handle = pyewf.handle()
    if container.data is not None:
        handle.open_file_objects([io.BytesIO(container.data)])
        return handle
    assert container.file is not None
    try:
        names = pyewf.glob(str(container.file)) if not container.temp else [str(container.file)]
    except (OSError, ValueError):
        names = [str(container.file)]
    handle.open(names)
    return handle


def open_image(container: Entry) -> pytsk3.Img_Info:
    try:
        if is_ewf(container.head(16)):
            return _EwfImage(_open_ewf(container))
        if container.data is not None:
            return _BytesImage(container.data)
        assert container.file is not None
        segments = [container.file] if container.temp else split_segments(container.file)
        if len(segments) > 1:
            return _SplitImage(segments)
        return pytsk3.Img_Info(str(container.file))
    except (OSError, RuntimeError) as exc:
        raise ReaderError(f"cannot open disk image: {exc}") from None


class DiskReader(Reader):
    name = "disk"

    def entries(self, container: Entry, ctx: ReadContext) -> Iterator[Entry]:
        strength = disk_signature(container.head())
        img = open_image(container)
        try:
            yield from self._volumes(img, container, ctx, strength == "strong")
        finally:
            img.close()

    def _volumes(self, img: Any, container: Entry, ctx: ReadContext, strong: bool) -> Iterator[Entry]:
        try:
            volumes = pytsk3.Volume_Info(img)
        except (OSError, RuntimeError):
            volumes = None
        if volumes is None:
            try:
                fs = pytsk3.FS_Info(img, offset=0)
            except (OSError, RuntimeError) as exc:
                if strong:
                    raise ReaderError(f"no partition table or file system The Sleuth Kit reads ({_tsk(exc)})") \
                        from None
                return
            yield from FileSystemWalker(fs, container, "", ctx).walk()
            return
        block = volumes.info.block_size
        n = 0
        for part in volumes:
            if not part.flags & pytsk3.TSK_VS_PART_FLAG_ALLOC:
                continue
            n += 1
            prefix = f"p{n}"
            try:
                fs = pytsk3.FS_Info(img, offset=part.start * block)
            except (OSError, RuntimeError) as exc:
                desc = _text(part.desc)
                ctx.warn(child_path(container.path, prefix),
                         f"partition {n} ({desc}): no file system The Sleuth Kit reads ({_tsk(exc)})")
                continue
            yield from FileSystemWalker(fs, container, prefix, ctx).walk()


class FileSystemWalker:
    """Walks one file system by inode, deleted entries included, each inode at most once."""

    def __init__(self, fs: Any, container: Entry, prefix: str, ctx: ReadContext) -> None:
        self.fs, self.container, self.prefix, self.ctx = fs, container, prefix, ctx
        self.seen: set[int] = set()
        self.flagged: dict[str, tuple[str, ...]] = {}     # folders (rendered rel path) whose names were rewritten
        self.ntfs = bool(fs.info.ftype & pytsk3.TSK_FS_TYPE_NTFS_DETECT)
        self.exfat = fs.info.ftype == pytsk3.TSK_FS_TYPE_EXFAT

    def path(self, rel: str) -> str:
        inner = f"{self.prefix}/{rel}" if self.prefix else rel
        return child_path(self.container.path, inner)

    def walk(self) -> Iterator[Entry]:
        root = self.fs.info.root_inum
        self.seen.add(root)
        yield from self._dir(root, "")

    def _dir(self, inode: int, rel: str) -> Iterator[Entry]:
        try:
            directory = self.fs.open_dir(inode=inode)
        except (OSError, RuntimeError) as exc:
            where = self.path(rel) if rel else (child_path(self.container.path, self.prefix) if self.prefix
                                                 else self.container.path)
            self.ctx.warn(where, f"cannot list folder: {_tsk(exc)}")
            return
        subdirs: list[tuple[int, str]] = []
        files: list[tuple[str, bool, Any]] = []       # name, deleted name, file
        for f in directory:
            name = _text(f.info.name.name)
            if name in SKIP_NAMES or not name:
                continue
            unalloc = bool(f.info.name.flags & pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
            if f.info.meta is None:
                f = self._orphaned(f, name) if unalloc else None
                if f is None:
                    continue
            meta = f.info.meta
            if meta.addr in self.seen and meta.type != pytsk3.TSK_FS_META_TYPE_REG:
                continue
            if meta.type in (pytsk3.TSK_FS_META_TYPE_DIR, pytsk3.TSK_FS_META_TYPE_VIRT_DIR):
                if self.ntfs and not rel and name == NTFS_METADATA_FOLDER:
                    continue
                self.seen.add(meta.addr)
                shown, flags = render_step(name)
                sub = f"{rel}/{shown}" if rel else shown
                if flags or rel in self.flagged:
                    self.flagged[sub] = tuple(dict.fromkeys((*self.flagged.get(rel, ()), *flags)))
                subdirs.append((meta.addr, sub))
            elif meta.type == pytsk3.TSK_FS_META_TYPE_REG and not self._metadata(name, rel):
                files.append((name, unalloc, f))
        for name, unalloc, f in sorted(files, key=lambda t: t[0]):
            yield from self._file(f, rel, name, unalloc)
        for addr, sub in sorted(subdirs, key=lambda t: t[1]):
            yield from self._dir(addr, sub)

    def _metadata(self, name: str, rel: str) -> bool:
        """Whether a root entry is the file system's own bookkeeping (NTFS ``$MFT``..., exFAT's
        bitmap and up-case table, FAT volume labels)."""
        if name.endswith("(Volume Label Entry)"):
            return True
        if rel:
            return False
        return (self.ntfs and name.startswith("$")) or (self.exfat and name in EXFAT_METADATA)

    def _orphaned(self, f: Any, name: str) -> Any | None:
        """The record a deleted name points at when TSK did not attach it (on NTFS, a name rebuilt
        from a deleted record carries no sequence number, so TSK cannot match the two): taken
        when it is a free regular file and, on NTFS, still carries this name, so that a record
        reused by another file never lends its content."""
        try:
            g = self.fs.open_meta(inode=f.info.name.meta_addr)
        except (OSError, RuntimeError):
            return None
        meta = g.info.meta
        free = meta is not None and bool(meta.flags & pytsk3.TSK_FS_META_FLAG_UNALLOC)
        if not free or meta.type != pytsk3.TSK_FS_META_TYPE_REG:
            return None
        if self.ntfs and name not in _ntfs_names(g):
            return None
        return g

    def _file(self, f: Any, rel: str, name: str, unalloc: bool) -> Iterator[Entry]:
        meta = f.info.meta
        key = meta.addr
        deleted = unalloc or bool(meta.flags & pytsk3.TSK_FS_META_FLAG_UNALLOC)
        if key in self.seen and not deleted:
            return
        self.seen.add(key)
        shown, own_flags = render_step(name)
        flags = tuple(dict.fromkeys((*self.flagged.get(rel, ()), *own_flags)))
        path = self.path(f"{rel}/{shown}" if rel else shown)
        size = int(meta.size)
        self.ctx.spent.spend_member()
        if size > self.ctx.limits.max_member_bytes:
            limit = self.ctx.limits.max_member_bytes
            self.ctx.warn(path, f"claims {size} bytes, over the {limit}-byte limit; not read")
            return
        sink = Sink(self.ctx, name)
        try:
            offset = 0
            while offset < size:
                chunk = f.read_random(offset, min(CHUNK, size - offset))
                if not chunk:
                    raise OSError("short read")
                sink.write(chunk)
                self.ctx.spent.spend_bytes(len(chunk))
                offset += len(chunk)
        except (OSError, RuntimeError) as exc:
            sink.discard()
            what = "deleted file, data not recoverable" if deleted else "unreadable data"
            self.ctx.warn(path, f"{what} ({_tsk(exc)})")
            return
        except BaseException:
            sink.discard()
            raise
        info: dict[str, object] = {"inode": int(key), "mtime": _num(meta.mtime)}
        if flags:
            info["name_flag"] = ",".join(flags)
        entry = sink.entry(path, deleted=deleted, meta=info)
        try:
            yield entry
        finally:
            release(entry)


def _ntfs_names(f: Any) -> set[str]:
    """The names an NTFS record's ``$FILE_NAME`` attributes hold."""
    names = set()
    for attr in f:
        if attr.info.type != pytsk3.TSK_FS_ATTR_TYPE_NTFS_FNAME:
            continue
        try:
            raw = f.read_random(0, attr.info.size, attr.info.type, attr.info.id)
        except (OSError, RuntimeError):
            continue
        if len(raw) > 0x42:
            names.add(raw[0x42:0x42 + 2 * raw[0x40]].decode("utf-16-le", "replace"))
    return names


def _text(raw: Any) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def _tsk(exc: BaseException) -> str:
    """TSK messages carry a source location prefix; keep the readable part."""
    text = " ".join(str(exc).split())
    return re.sub(r"^\w+: \([^)]*\) ", "", text)


def _num(v: Any) -> float | None:
    try:
        return float(v) if v else None
    except (TypeError, ValueError):
        return None
