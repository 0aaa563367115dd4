"""A small benign evidence folder and a test hash list for the web app's triage tests.

The pictures are procedurally drawn shapes (``tasman.synth``). The list names one picture of the
folder exactly (category 1), the original of a resized copy kept inside a zip in the folder (a
perceptual match, category 2), and decoys that are in no evidence. "Known" only means "in this
test list". ``make_video_set`` does the same for videos: drawn clips and a vPDQ list.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from tasman.core.models import Artifact
from tasman.core.workspace import Workspace
from tasman.synth.triage_set import FIXED_TIME, jpeg, reference_pdq
from tasman.triage.hashsets.store import import_hashset
from tasman.triage.run import TriageOptions, run_triage

LIST_NAME = "test-list"


@dataclass(frozen=True)
class SmallSet:
    folder: Path
    hashlist: Path
    exact: str          # artifact path of the exact match
    perceptual: str     # artifact path of the perceptual match (inside the zip)
    plain: str          # artifact path of a picture that matches nothing


def _resized(data: bytes) -> bytes:
    im = Image.open(io.BytesIO(data)).convert("RGB")
    im = im.resize((im.width * 3 // 4, im.height * 3 // 4), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def make_small_set(root: Path, name: str = "uploads") -> SmallSet:
    folder = root / name
    (folder / "DCIM").mkdir(parents=True)
    for seed in (10, 11, 12):
        (folder / "DCIM" / f"img_{seed}.jpg").write_bytes(jpeg(seed))
    (folder / "notes.txt").write_text("Meeting moved to Tuesday.\n", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("phone/img_13_small.jpg", FIXED_TIME), _resized(jpeg(13)))
    (folder / "backup.zip").write_bytes(buf.getvalue())
    hashlist = root / f"{name}-known.csv"
    with open(hashlist, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["md5", "sha1", "sha256", "pdq", "category"])
        for seed, category in ((11, 1), (13, 2), (900, 1), (901, 3)):
            data = jpeg(seed)
            w.writerow([hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),
                        hashlib.sha256(data).hexdigest(), reference_pdq(data)[0], category])
    return SmallSet(folder, hashlist, exact=f"{name}/DCIM/img_11.jpg",
                    perceptual=f"{name}/backup.zip!/phone/img_13_small.jpg", plain=f"{name}/DCIM/img_10.jpg")


def import_list(ws: Workspace, small: SmallSet, actor: str = "setup") -> None:
    with ws.session() as s:
        import_hashset(s, actor, small.hashlist, LIST_NAME)


VIDEO_LIST = "test-videos"
VIDEO_FPS = 5


@dataclass(frozen=True)
class VideoSet:
    folder: Path
    hashlist: Path
    matched: str        # artifact path of the vPDQ match (inside a zip): 1 s of another clip, then the listed one
    exact: str          # artifact path of the listed clip itself (an exact match)
    listed_seed: int    # the drawn picture the listed clip pans across
    prefix_seed: int    # the one of the unlisted second before it


def make_video_set(root: Path, name: str = "phone") -> VideoSet:
    """A folder with two benign drawn videos (``tasman.synth.video``) and a vPDQ list of one of
    them: the folder holds that clip as it is (an exact match) and, inside a zip, a re-encoded copy
    after one second of an unlisted clip (a video match whose matched part starts at 1 s)."""
    from tasman.synth.video import make_video
    from tasman.triage.hashing.video import hash_video

    listed_seed, prefix_seed = 21, 22
    work = root / f"{name}-make"
    listed = make_video(work / "listed.mp4", listed_seed, seconds=8, fps=VIDEO_FPS)
    prefix = make_video(work / "prefix.mp4", prefix_seed, seconds=1, fps=VIDEO_FPS)
    joined = work / "joined.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(prefix), "-i", str(listed),
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "mpeg4", "-q:v", "6",
                    "-fflags", "+bitexact", "-flags", "+bitexact", "-map_metadata", "-1", str(joined)],
                   check=True, capture_output=True)
    folder = root / name
    (folder / "Videos").mkdir(parents=True)
    data = listed.read_bytes()
    (folder / "Videos" / "clip.mp4").write_bytes(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("clips/joined.mp4", FIXED_TIME), joined.read_bytes())
    (folder / "backup.zip").write_bytes(buf.getvalue())
    hashlist = root / f"{name}-videos.txt"
    lines = [f"# video name=listed-clip md5={hashlib.md5(data).hexdigest()} category=2"]
    lines += [f"{n},{q},{h},{k:.3f}" for k, (n, h, q) in enumerate(hash_video(listed))]
    hashlist.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(work)
    return VideoSet(folder, hashlist, matched=f"{name}/backup.zip!/clips/joined.mp4", exact=f"{name}/Videos/clip.mp4",
                    listed_seed=listed_seed, prefix_seed=prefix_seed)


def import_video_list(ws: Workspace, videos: VideoSet, actor: str = "setup") -> None:
    with ws.session() as s:
        import_hashset(s, actor, videos.hashlist, VIDEO_LIST)


def triaged_ids(ws: Workspace, case: str, folder: Path, hashset: str) -> dict[str, int]:
    """A real triage run of ``folder`` against ``hashset`` in ``case``; the artifacts' ids by path."""
    run_triage(ws, case, [folder], TriageOptions(hashsets=(hashset,), workers=0))
    with ws.session() as s:
        return dict(s.execute(select(Artifact.path, Artifact.id)).all())
