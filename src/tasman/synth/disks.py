"""Small benign disk images for tests and the demo, built without root.

A FAT file system is made in a plain file with ``mkfs.fat`` and filled with ``mcopy``
(Debian ``dosfstools`` and ``mtools``); ``mdel`` deletes a file so that its directory entry is
marked free while its clusters keep the data, which is what a deleted photo on a memory card
looks like. ext2/3/4 come from ``mke2fs -d`` and ``debugfs`` (``e2fsprogs``); NTFS and exFAT
have modules of their own (``ntfs``, ``exfat``). An MBR in front makes a partitioned disk;
``ewfacquire`` (``ewf-tools``) turns a raw image into an E01.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from tasman.core.errors import InputError

FIXED_MTIME = 1_704_110_400  # 2024-01-01 12:00 UTC, so images only differ by what the tools stamp


def find_tool(name: str, package: str) -> str:
    """The tool's path; file-system makers live in sbin, which a user's PATH may leave out."""
    path = shutil.which(name) or shutil.which(name, path=os.pathsep.join(("/usr/sbin", "/sbin")))
    if path is None:
        raise InputError(f"{name!r} is not installed (Debian package {package}); run scripts/setup.sh")
    return path


def run_tool(args: list[str], env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise InputError(f"{Path(args[0]).name} failed: {(proc.stderr or proc.stdout).strip()[:300]}")


def _mtools_env(tmp: Path) -> dict[str, str]:
    """No user or system mtools configuration, and no state file in the home folder."""
    rc = tmp / "mtoolsrc"
    rc.write_text("", encoding="utf-8")
    return {**os.environ, "MTOOLS_SKIP_CHECK": "1", "MCWD": str(tmp / "mcwd"), "MTOOLSRC": str(rc)}


def make_fat_image(path: Path, files: dict[str, bytes], deleted: dict[str, bytes] | None = None,
                   size_kib: int = 4096, label: str = "CARD") -> Path:
    """A FAT image holding ``files`` (``"DCIM/IMG_1.JPG": bytes``) and the ``deleted`` ones, removed."""
    mkfs = find_tool("mkfs.fat", "dosfstools")
    mcopy, mmd, mdel = (find_tool(t, "mtools") for t in ("mcopy", "mmd", "mdel"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    run_tool([mkfs, "-C", "-n", label, "-i", "1234ABCD", str(path), str(size_kib)])
    made: set[str] = set()
    everything = {**files, **(deleted or {})}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".fat-") as tmp:
        env = _mtools_env(Path(tmp))
        for i, (name, data) in enumerate(everything.items()):
            parts = name.strip("/").split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in made:
                    run_tool([mmd, "-i", str(path), f"::/{folder}"], env)
                    made.add(folder)
            src = Path(tmp) / f"f{i}"
            src.write_bytes(data)
            os.utime(src, (FIXED_MTIME, FIXED_MTIME))
            run_tool([mcopy, "-m", "-i", str(path), str(src), f"::/{'/'.join(parts)}"], env)
        for name in deleted or {}:
            run_tool([mdel, "-i", str(path), f"::/{name.strip('/')}"], env)
    return path


def make_ext_image(path: Path, files: dict[str, bytes], deleted: dict[str, bytes] | None = None,
                   size_kib: int = 4096, fs_type: str = "ext4") -> Path:
    """An ext2/3/4 image holding ``files`` and the ``deleted`` ones, removed.

    ``mke2fs -d`` fills the new file system from a folder (e2fsprogs, no mounting). ``debugfs rm``
    unlinks a file and frees its inode and blocks in the bitmaps, but, unlike the kernel, leaves
    the inode's block map in place: the data stays findable, as on many real disks."""
    mke2fs, debugfs = find_tool("mke2fs", "e2fsprogs"), find_tool("debugfs", "e2fsprogs")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".ext-") as tmp:
        root = Path(tmp) / "root"
        for name, data in {**files, **(deleted or {})}.items():
            target = root / name.strip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.utime(target, (FIXED_MTIME, FIXED_MTIME))
        root.mkdir(exist_ok=True)
        env = {**os.environ, "E2FSPROGS_FAKE_TIME": str(FIXED_MTIME)}
        run_tool([mke2fs, "-q", "-F", "-t", fs_type, "-b", "1024", "-N", "128", "-E", "root_owner=0:0",
              "-U", "0b5e2f1c-0000-4000-8000-000000000001", "-L", "disk", "-d", str(root), str(path),
              f"{size_kib}k"], env)
    for name in deleted or {}:
        run_tool([debugfs, "-w", "-R", f"rm /{name.strip('/')}", str(path)], env)
    return path


def make_mbr_disk(path: Path, partitions: list[Path], start_sector: int = 2048) -> Path:
    """A disk image with an MBR partition table holding each file-system image as a FAT16 partition."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = b""
    layout: list[tuple[int, Path]] = []
    lba = start_sector
    for part in partitions:
        sectors = -(-part.stat().st_size // 512)
        table += struct.pack("<B3sB3sII", 0x00, b"\xfe\xff\xff", 0x06, b"\xfe\xff\xff", lba, sectors)
        layout.append((lba, part))
        lba += sectors + (-sectors % 2048)
    mbr = bytearray(512)
    mbr[446:446 + len(table)] = table
    mbr[510:512] = b"\x55\xaa"
    with open(path, "wb") as out:
        out.write(mbr)
        for start, part in layout:
            out.seek(start * 512)
            out.write(part.read_bytes())
        out.truncate(lba * 512)
    return path


def split_raw(image: Path, folder: Path, segment_bytes: int) -> list[Path]:
    """``image`` cut into ``NAME.001``, ``NAME.002``... of ``segment_bytes`` each (dd/split style)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = image.stem
    out: list[Path] = []
    with open(image, "rb") as fh:
        n = 1
        while chunk := fh.read(segment_bytes):
            seg = folder / f"{stem}.{n:03d}"
            seg.write_bytes(chunk)
            out.append(seg)
            n += 1
    return out


def make_e01(raw: Path, target: Path) -> Path | None:
    """An E01 of ``raw`` at ``target`` (``.E01`` added by ewfacquire), or None without ewf-tools."""
    tool = shutil.which("ewfacquire")
    if tool is None:
        return None
    stem = target.with_suffix("") if target.suffix.lower() == ".e01" else target
    stem.parent.mkdir(parents=True, exist_ok=True)
    for old in stem.parent.glob(stem.name + ".E0*"):
        old.unlink()
    run_tool([tool, "-u", "-q", "-t", str(stem), "-c", "deflate:fast", "-C", "SYNTH-1", "-D", "synthetic test image",
          "-e", "tasman", "-E", "1", "-N", "benign generated data", "-m", "removable", str(raw)])
    made = stem.with_name(stem.name + ".E01")
    return made if made.exists() else None
