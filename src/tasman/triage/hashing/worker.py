"""One file in, its hashes out: what each worker process runs.

A file is read once: the three cryptographic hashes take every chunk; the first chunk gives
the content type (libmagic); pictures keep their bytes for decoding, videos are hashed from a
file (the original, or a temporary copy in the workspace). Any failure is a one-line reason in
``WorkResult.errors`` next to whatever hashes were computed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from tasman.triage.filetypes import MAGIC_BYTES, mime_of
from tasman.triage.hashing.crypto import CHUNK, MultiHash
from tasman.triage.hashing.pictures import PictureError, RegionFn, hash_picture
from tasman.triage.hashing.video import VideoError, hash_video
from tasman.triage.types import FileHashes

PICTURE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".bmp", ".webp", ".heic", ".heif",
                    ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".wmv", ".mpg", ".mpeg", ".3gp", ".flv"}
NOT_RASTER = {"image/svg+xml", "image/x-xcf"}
VIDEO_MIMES = {"application/mp4", "application/x-matroska", "application/vnd.rn-realmedia"}


@dataclass(frozen=True)
class HashOptions:
    temp_dir: str
    max_pixels: int = 100_000_000               # as readers.Limits: a picture at it costs < 0.5 GB to decode
    min_side: int = 160
    max_picture_bytes: int = 256 << 20
    video: bool = True
    regions: bool = True
    hypotheses: bool = True                     # crop/overlay guesses at the original (``hypotheses``)
    decode: bool = True                         # False: cryptographic hashes and type only


@dataclass(frozen=True)
class WorkItem:
    path: str
    size: int
    deleted: bool = False
    file: str | None = None
    data: bytes | None = None
    tag: int = 0                                # the caller's handle, given back in the result


@dataclass(frozen=True)
class WorkResult:
    hashes: FileHashes
    kind: str                                   # picture | video | other
    errors: tuple[str, ...] = ()
    meta: dict[str, object] = field(default_factory=dict)
    tag: int = 0


_regions: RegionFn | None = None
_regions_loaded = False


def _region_fn(opts: HashOptions) -> RegionFn | None:
    """The crop stage's query-side regions (see ``hashing.regions``), hashed with the picture's PDQ."""
    global _regions, _regions_loaded
    if not opts.regions:
        return None
    if not _regions_loaded:
        _regions_loaded = True
        try:
            from tasman.triage.hashing.regions import region_buffers

            _regions = region_buffers
        except ImportError:  # the match package is not installed: no crop stage
            _regions = None
    return _regions


def init_worker() -> None:
    """Workers leave Ctrl-C to the parent, which stops them and keeps finished work; BLAS gets one
    thread per worker (the PDQ matrices are small, and threads fighting over cores cost 10x)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    one_blas_thread()


def one_blas_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def is_picture(mime: str) -> bool:
    return mime.startswith("image/") and mime not in NOT_RASTER


def is_video(mime: str) -> bool:
    return mime.startswith("video/") or mime in VIDEO_MIMES


def hash_item(item: WorkItem, opts: HashOptions) -> WorkResult:
    result = _hash(item, opts)
    return replace(result, tag=item.tag) if item.tag else result


def _read(item: WorkItem, opts: HashOptions) -> tuple[str, MultiHash, bytes | None]:
    """(content type, the three digests, the bytes when a picture keeps them for decoding), from
    one read. A reader's bytes (``item.data``) are hashed and decoded where they are, without a
    copy; a file is read in one piece when it fits the first read (a right-sized one: most
    pictures), else streamed in chunks, a picture's chunks kept and joined once."""
    digest = MultiHash()
    if item.data is not None:
        data = item.data
        mime = mime_of(data[:MAGIC_BYTES]) if data else "application/x-empty"
        digest.update(data)
        keep = opts.decode and is_picture(mime) and len(data) <= opts.max_picture_bytes
        return mime, digest, data if keep else None
    assert item.file is not None
    kept: list[bytes] = []
    with open(item.file, "rb") as fh:  # read-only
        first = fh.read(item.size + 1 if 0 <= item.size < CHUNK else CHUNK)
        mime = mime_of(first[:MAGIC_BYTES]) if first else "application/x-empty"
        keep = opts.decode and is_picture(mime) and item.size <= opts.max_picture_bytes
        chunk = first
        while chunk:
            digest.update(chunk)
            if keep:
                kept.append(chunk)
            chunk = fh.read(CHUNK)
    return mime, digest, (kept[0] if len(kept) == 1 else b"".join(kept)) if keep else None


def _hash(item: WorkItem, opts: HashOptions) -> WorkResult:
    errors: list[str] = []
    try:
        mime, digest, content = _read(item, opts)
    except OSError as exc:
        return WorkResult(FileHashes(item.path, item.size, deleted=item.deleted), "other",
                          (f"cannot read: {exc.strerror or exc}",))
    md5, sha1, sha256 = digest.hexdigests()
    base = FileHashes(item.path, digest.size, mime, md5, sha1, sha256, deleted=item.deleted)
    suffix = PurePosixPath(item.path.rsplit("!/", 1)[-1]).suffix.lower()
    meta: dict[str, object] = {}
    if not opts.decode:
        return WorkResult(base, "other")
    if is_picture(mime):
        if content is None:
            errors.append(f"picture of {item.size} bytes is over the {opts.max_picture_bytes}-byte limit; "
                          "not decoded")
            return WorkResult(base, "picture", tuple(errors))
        try:
            pic = hash_picture(content, max_pixels=opts.max_pixels, min_side=opts.min_side,
                               regions=_region_fn(opts), hypotheses=opts.hypotheses)
        except PictureError as exc:
            errors.append(str(exc))
            return WorkResult(base, "picture", tuple(errors))
        meta = {"width": pic.width, "height": pic.height, "format": pic.format, "scale": pic.scale}
        if pic.note:
            meta["hypotheses"] = pic.note
        return WorkResult(replace(base, pdq=pic.pdq, pdq_quality=pic.quality, pdq_variants=pic.variants,
                                  pdq_regions=pic.regions, pdq_hypotheses=pic.hypotheses,
                                  pdq_hypothesis_masks=pic.hypothesis_masks), "picture",
                          (pic.warning,) if pic.warning else (), meta)
    if is_video(mime) and opts.video:
        try:
            with _video_file(item, opts) as path:
                frames = hash_video(path)
        except (VideoError, OSError) as exc:
            errors.append(str(exc))
            return WorkResult(base, "video", tuple(errors))
        meta = {"frames": len(frames)}
        return WorkResult(replace(base, vpdq=frames), "video", (), meta)
    if suffix in PICTURE_SUFFIXES:
        errors.append("empty file named as a picture" if digest.size == 0
                      else f"named as a picture ({suffix}) but the content is {mime}")
    elif suffix in VIDEO_SUFFIXES:
        errors.append("empty file named as a video" if digest.size == 0
                      else f"named as a video ({suffix}) but the content is {mime}")
    return WorkResult(base, "other", tuple(errors))


def hash_batch(items: Sequence[WorkItem], opts: HashOptions) -> list[WorkResult]:
    return [hash_item(item, opts) for item in items]


@contextlib.contextmanager
def _video_file(item: WorkItem, opts: HashOptions) -> Iterator[Path]:
    if item.file is not None:
        yield Path(item.file)
        return
    assert item.data is not None
    Path(opts.temp_dir).mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="video-", dir=opts.temp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(item.data)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
