"""A folder on disk: every regular file below it, in a stable order, symlinks never followed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from tasman.triage.readers.base import Entry, ReadContext


def folder_entries(root: Path, base: str, ctx: ReadContext) -> Iterator[Entry]:
    """Yield the files below ``root``; their paths start with ``base`` (the folder's own name)."""

    def onerror(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        ctx.warn(_rel(base, root, where), f"cannot list folder: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        for name in sorted(filenames + [d for d in dirnames if (here / d).is_symlink()]):
            p = here / name
            rel = _rel(base, root, p)
            try:
                st = p.lstat()
            except OSError as exc:
                ctx.warn(rel, f"cannot read: {exc.strerror or exc}")
                continue
            if stat.S_ISLNK(st.st_mode):
                ctx.warn(rel, f"symbolic link to {os.readlink(p)!r}, not followed")
            elif not stat.S_ISREG(st.st_mode):
                ctx.warn(rel, "not a regular file (device, pipe or socket), not read")
            else:
                yield Entry(rel, st.st_size, file=p)


def _rel(base: str, root: Path, p: Path) -> str:
    rel = p.relative_to(root).as_posix()
    return base if rel == "." else f"{base}/{rel}"
