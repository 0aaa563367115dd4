"""Short benign videos: drawn pictures that drift across the frame, encoded by FFmpeg."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from tasman.core.errors import InputError
from tasman.synth.images import draw_picture


def make_video(path: Path, seed: int, seconds: int = 3, size: tuple[int, int] = (160, 120), fps: int = 5) -> Path:
    """An MPEG-4 video of ``seconds`` seconds: a drawn picture panning slowly, deterministic per seed."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InputError("'ffmpeg' is not installed (Debian package ffmpeg); run scripts/setup.sh")
    w, h = size
    canvas = np.asarray(draw_picture(seed, (w * 2, h)))
    frames = bytearray()
    n = seconds * fps
    for i in range(n):
        x = int(i * w / max(1, n - 1))
        frames += np.ascontiguousarray(canvas[:, x:x + w]).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps),
         "-i", "-", "-c:v", "mpeg4", "-q:v", "4", "-fflags", "+bitexact", "-flags", "+bitexact",
         "-map_metadata", "-1", str(path)],
        input=bytes(frames), capture_output=True, check=False)
    if proc.returncode != 0:
        raise InputError(f"ffmpeg failed: {proc.stderr.decode(errors='replace').strip()[:300]}")
    return path
