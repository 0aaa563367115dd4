"""The acquisition hashes an EWF image (E01) carries: read, and checked against its media.

An acquisition tool (ewfacquire, FTK Imager, EnCase) stores the MD5, and often the SHA-1, of
the media it read inside the image. ``check_media_hashes`` reads those stored hashes with
libewf (``pyewf``), hashes the media content the image holds (every sector, decompressed) and
says, per algorithm, whether they agree. Guarantee: an image is only ever opened read-only; a
stored hash that cannot be checked is never reported as agreeing: each image ends ``agree``
(every stored hash matches), ``disagree`` (one does not), ``absent`` (the image stores none)
or ``unreadable`` (libewf could not open or read it; the reason says why).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasman.evidence.hashing import CHUNK, Progress

EWF_SIGNATURES = (b"EVF\x09\x0d\x0a\xff\x00", b"EVF2\x0d\x0a\x81\x00")   # EWF-E01 / Ex01
ALGORITHMS = {"MD5": "md5", "SHA1": "sha1"}   # libewf's names -> hashlib's

AGREE, DISAGREE, ABSENT, UNREADABLE = "agree", "disagree", "absent", "unreadable"


@dataclass(frozen=True)
class HashCheck:
    algorithm: str          # "MD5" | "SHA1"
    stored: str             # as the image stores it (lower-case hex); "" when it stores none
    computed: str | None    # of the media as read now; None when it could not be read
    status: str             # agree | disagree | absent | unreadable


@dataclass(frozen=True)
class MediaCheck:
    status: str                                   # agree | disagree | absent | unreadable
    checks: list[HashCheck] = field(default_factory=list)
    reason: str = ""                              # why unreadable, or what disagrees


def is_ewf(path: Path) -> bool:
    """Whether ``path`` is a file that starts with an EWF segment signature."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return head.startswith(EWF_SIGNATURES)


def _open(path: Path) -> Any:
    import pyewf

    try:
        names = pyewf.glob(str(path))     # E01 and its E02, E03... segments
    except (OSError, ValueError):
        names = [str(path)]
    handle = pyewf.handle()
    handle.open(names, "r")
    return handle


def _one_line(exc: BaseException) -> str:
    text = str(exc).split(". ")[0].strip()   # libewf chains its call stack; the first link says what
    return text.splitlines()[0] if text else type(exc).__name__


def check_media_hashes(path: Path, progress: Progress | None = None) -> MediaCheck:
    """Read the hashes stored in the EWF image at ``path`` and check them against its media."""
    try:
        handle = _open(path)
    except (OSError, RuntimeError, ValueError) as exc:
        return MediaCheck(UNREADABLE, reason=f"libewf cannot open the image: {_one_line(exc)}")
    try:
        stored_all = {k.upper(): (v or "").strip().lower() for k, v in (handle.get_hash_values() or {}).items()}
        stored = {alg: stored_all[alg] for alg in ALGORITHMS if stored_all.get(alg)}
        digests = {alg: hashlib.new(name) for alg, name in ALGORITHMS.items()}
        remaining = int(handle.get_media_size())
        try:       # read even when nothing is stored: a truncated image must say 'unreadable'
            handle.seek(0)
            while remaining > 0:
                chunk = handle.read(min(CHUNK, remaining))
                if not chunk:
                    raise OSError(f"the media ends {remaining} bytes early")
                for d in digests.values():
                    d.update(chunk)
                remaining -= len(chunk)
                if progress:
                    progress(len(chunk))
        except (OSError, RuntimeError, ValueError) as exc:
            reason = f"libewf cannot read the media: {_one_line(exc)}"
            return MediaCheck(UNREADABLE, [HashCheck(a, s, None, UNREADABLE) for a, s in stored.items()], reason)
    finally:
        handle.close()
    media = {alg: d.hexdigest() for alg, d in digests.items()}
    if not stored:
        return MediaCheck(ABSENT, [HashCheck(alg, "", media[alg], ABSENT) for alg in ALGORITHMS],
                          "the image stores no MD5 or SHA-1 of its media")
    checks = [HashCheck(alg, s, media[alg], AGREE if media[alg] == s else DISAGREE) for alg, s in stored.items()]
    bad = [c for c in checks if c.status == DISAGREE]
    if bad:
        return MediaCheck(DISAGREE, checks, "; ".join(
            f"stored {c.algorithm} {c.stored}, media {c.computed}" for c in bad))
    return MediaCheck(AGREE, checks)


def media_size(path: Path) -> int:
    """The media size an EWF image declares (for progress), or 0 when it cannot be opened."""
    try:
        handle = _open(path)
    except (OSError, RuntimeError, ValueError):
        return 0
    try:
        return int(handle.get_media_size())
    finally:
        handle.close()
