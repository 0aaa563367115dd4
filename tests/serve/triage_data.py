"""A small benign evidence folder and a test hash list for the web app's triage tests.

The pictures are procedurally drawn shapes (``tasman.synth``). The list names one picture of the
folder exactly (category 1), the original of a resized copy kept inside a zip in the folder (a
perceptual match, category 2), and decoys that are in no evidence. "Known" only means "in this
test list".
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tasman.core.workspace import Workspace
from tasman.synth.triage_set import FIXED_TIME, jpeg, reference_pdq
from tasman.triage.hashsets.store import import_hashset

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
