"""A benign evidence set for triage, with a hash list of some of its files.

Roles: a folder of uploads (pictures, a PNG, a video, a note, a truncated picture), a zip
holding another zip, and a FAT memory-card image with a deleted picture that still has its
data. ``known.csv`` lists some of them the way a partner's list would (md5, sha1, sha256, pdq,
category), plus decoys that are in no evidence. "Known" only means "in this test list".
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from tasman.synth.disks import make_e01, make_fat_image, make_mbr_disk, split_raw
from tasman.synth.images import draw_picture
from tasman.synth.video import make_video

FIXED_TIME = (2024, 1, 1, 12, 0, 0)
SIZE = (320, 240)


def jpeg(seed: int, size: tuple[int, int] = SIZE, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    draw_picture(seed, size).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def with_artist(data: bytes, artist: str) -> bytes:
    """The same JPEG re-saved with an EXIF Artist tag: cameras and editors write an owner's name or
    address there, which is how a picture can tie to a person without anyone looking at it."""
    im = Image.open(io.BytesIO(data))
    exif = Image.Exif()
    exif[0x013B] = artist
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def reference_pdq(data: bytes) -> tuple[str, int]:
    """PDQ as Meta's reference computes it on the full-size decode (what a partner's list holds)."""
    import pdqhash

    bits, quality = pdqhash.compute(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality)


@dataclass(frozen=True)
class Listed:
    label: str
    data: bytes
    category: int
    with_pdq: bool = True


@dataclass
class TriageSet:
    root: Path
    items: dict[str, Path]                       # role -> top-level evidence path
    hashlist: Path
    expected: dict[str, str] = field(default_factory=dict)   # artifact path -> expected match type
    extras: dict[str, Path] = field(default_factory=dict)    # split raw, E01, partitioned disk


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)
    return buf.getvalue()


def _variant(data: bytes, how: str) -> bytes:
    im = Image.open(io.BytesIO(data)).convert("RGB")
    if how == "resized":
        im = im.resize((im.width * 3 // 4, im.height * 3 // 4), Image.Resampling.LANCZOS)
    elif how == "mirrored":
        im = ImageOps.mirror(im)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def make_triage_set(root: Path, *, disk_extras: bool = False, owner: str | None = None,
                    owner_time: float | None = None) -> TriageSet:
    """``owner``: an address written into the EXIF Artist tag of the listed ``img_0002.jpg``;
    ``owner_time``: that file's modification time (seconds since the epoch)."""
    root.mkdir(parents=True, exist_ok=True)
    listed: list[Listed] = []
    expected: dict[str, str] = {}

    folder = root / "uploads"
    pics = folder / "Pictures"
    pics.mkdir(parents=True, exist_ok=True)
    tagged = with_artist(jpeg(2), owner) if owner else jpeg(2)
    for seed in (1, 2, 5):
        (pics / f"img_{seed:04d}.jpg").write_bytes(tagged if seed == 2 else jpeg(seed))
    if owner_time is not None:
        os.utime(pics / "img_0002.jpg", (owner_time, owner_time))
    listed.append(Listed("uploads exact", tagged, 1))
    expected["uploads/Pictures/img_0002.jpg"] = "exact"
    listed.append(Listed("resized original", jpeg(3), 1))
    (pics / "img_0003_small.jpg").write_bytes(_variant(jpeg(3), "resized"))
    expected["uploads/Pictures/img_0003_small.jpg"] = "perceptual"
    listed.append(Listed("mirrored original", jpeg(4), 2))
    (pics / "img_0004_mirror.jpg").write_bytes(_variant(jpeg(4), "mirrored"))
    expected["uploads/Pictures/img_0004_mirror.jpg"] = "perceptual"
    buf = io.BytesIO()
    draw_picture(7, SIZE).save(buf, "PNG")
    (pics / "drawing.png").write_bytes(buf.getvalue())
    (pics / "broken.jpg").write_bytes(jpeg(8)[:2000])           # truncated: an errors.csv row
    (folder / "notes.txt").write_text("Meeting moved to Tuesday. Contact: demo.user@example.org\n", encoding="utf-8")
    clip = make_video(folder / "Videos" / "clip.mp4", seed=9)
    listed.append(Listed("video", clip.read_bytes(), 1, with_pdq=False))
    expected["uploads/Videos/clip.mp4"] = "exact"

    inner = _zip({f"DCIM/img_{s}.jpg": jpeg(s) for s in (101, 102, 103)})
    archive = root / "backup.zip"
    archive.write_bytes(_zip({"inner.zip": inner, "readme.txt": b"Backup of phone, synthetic.\n",
                              "photos/img_201.jpg": jpeg(201)}))
    listed.append(Listed("nested archive", jpeg(102), 2))
    expected["backup.zip!/inner.zip!/DCIM/img_102.jpg"] = "exact"

    card = make_fat_image(root / "card.img", {"DCIM/IMG_0001.JPG": jpeg(301), "DCIM/IMG_0003.JPG": jpeg(303)},
                          deleted={"DCIM/IMG_0002.JPG": jpeg(302)})
    listed.append(Listed("deleted on card", jpeg(302), 1))
    expected["card.img!/DCIM/_MG_0002.JPG"] = "exact"

    for seed in range(900, 920):                                  # decoys: listed, never present
        listed.append(Listed(f"decoy {seed}", jpeg(seed), 1 + seed % 3))
    hashlist = root / "known.csv"
    with open(hashlist, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["md5", "sha1", "sha256", "pdq", "category"])
        for item in listed:
            pdq = reference_pdq(item.data)[0] if item.with_pdq else ""
            w.writerow([hashlib.md5(item.data).hexdigest(), hashlib.sha1(item.data).hexdigest(),
                        hashlib.sha256(item.data).hexdigest(), pdq, item.category])
    result = TriageSet(root=root, items={"folder": folder, "archive": archive, "disk": card}, hashlist=hashlist,
                       expected=expected)
    if disk_extras:
        disk = make_mbr_disk(root / "extras" / "disk.raw", [card])
        result.extras["partitioned"] = disk
        result.extras["split"] = split_raw(disk, root / "extras" / "split", 2 << 20)[0]
        e01 = make_e01(disk, root / "extras" / "e01" / "disk.E01")
        if e01 is not None:
            result.extras["e01"] = e01
    return result
