"""Acquisition hashes: a file's SHA-256, or a folder's manifest hash.

A folder's hash is the SHA-256 of its manifest (one ``sha256  size  relative/path`` line per
file, sorted by path), so adding, removing, renaming or changing any file changes it. Where a
caller accepts them (triage does), a file of the folder that cannot be read enters the manifest
as ``unreadable  size  relative/path``: the hash still names every file, and that file becoming
readable (or changing size) changes it.

Only regular files and folders are evidence (``check_evidence_path``): a pipe would hang any
read and a device (``/dev/zero``) never ends.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from tasman.core.errors import InputError, NotFoundError

CHUNK = 1 << 20
UNREADABLE = "unreadable"          # a folder's file that could not be read, in place of its SHA-256
Progress = Callable[[int], None]


def check_evidence_path(path: Path) -> Path:
    """``path`` resolved, when it is a readable regular file or folder; a pipe, socket or device
    is refused before anything is opened (``InputError``, one line)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise NotFoundError(f"no such file or folder: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise InputError(f"{path} is not a file or a folder (a device, pipe or socket): "
                         "acquire it to an image file first and record that")
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read {path}: permission denied")
    return path.resolve()


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:  # read-only: evidence is never opened for writing
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                if progress:
                    progress(len(chunk))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _unreadable(exc: OSError) -> None:
    raise InputError(f"cannot read folder {exc.filename}: {exc.strerror or exc}") from exc


def walk_files(root: Path) -> list[Path]:
    """Every regular file under ``root``, sorted, without following symlinks out of it.

    A folder below ``root`` that cannot be listed is an error: a custody hash that silently left
    out its files would not be the hash of the evidence."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=_unreadable, followlinks=False):
        dirnames.sort()
        for name in filenames:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                files.append(p)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def measure(path: Path) -> tuple[str, int, int]:
    """(kind, total bytes, file count) of a file or folder."""
    if path.is_dir():
        files = walk_files(path)
        return "folder", sum(f.stat().st_size for f in files), len(files)
    return "file", path.stat().st_size, 1


def manifest_hash(files: Iterable[tuple[str, str, int]]) -> str:
    """A folder's hash from its files' ``(relative path, sha256, size)``, in any order: a caller that
    hashed every file in its own read (triage does) gets the folder's hash without reading again."""
    manifest = hashlib.sha256()
    for rel, sha256, size in sorted(files):
        manifest.update(f"{sha256}  {size}  {rel}\n".encode())
    return manifest.hexdigest()


def acquisition_hash(path: Path, progress: Progress | None = None, *, unreadable: list[str] | None = None) -> str:
    """A file's SHA-256 or a folder's manifest hash. A folder's file that cannot be read raises
    ``InputError``, unless ``unreadable`` is given: the file then enters the manifest as
    ``UNREADABLE`` and its relative path is appended to that list."""
    if not path.is_dir():
        return sha256_file(path, progress)

    def digest(f: Path) -> str:
        if unreadable is None:
            return sha256_file(f, progress)
        try:
            return sha256_file(f, progress)
        except InputError:
            unreadable.append(f.relative_to(path).as_posix())
            return UNREADABLE

    return manifest_hash((f.relative_to(path).as_posix(), digest(f), f.stat().st_size) for f in walk_files(path))
