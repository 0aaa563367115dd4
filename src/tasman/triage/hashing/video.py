"""Videos: vPDQ frame hashes, one frame a second (Meta's vpdq, decoding with FFmpeg)."""

from __future__ import annotations

from pathlib import Path

SECONDS_PER_HASH = 1.0


class VideoError(Exception):
    pass


def hash_video(path: Path, seconds_per_hash: float = SECONDS_PER_HASH) -> tuple[tuple[int, str, int], ...]:
    """(frame number, PDQ hex, quality) for one frame per ``seconds_per_hash``."""
    import vpdq

    try:
        features = vpdq.computeHash(str(path), seconds_per_hash=seconds_per_hash, thread_count=1)
    except Exception as exc:  # vpdq raises plain exceptions for anything FFmpeg cannot decode
        raise VideoError(f"cannot decode video: {exc}") from None
    if not features:
        raise VideoError("no frame could be decoded from the video")
    return tuple((int(f.frame_number), str(f.hex), int(f.quality)) for f in features)
