"""A folder on disk: every regular file below it, in a stable order, symlinks never followed."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from tasman.triage.readers.base import Entry, ReadContext


def folder_entries(root: Path, base: str, ctx: ReadContext) -> Iterator[Entry]:
    """Yield the files below ``root``, sorted by name at each level, files before sub-folders;
    their paths start with ``base`` (the folder's own name). Plain strings and ``os.scandir``
    keep this cheap: it runs once per file in the walking process."""
    stack: list[tuple[str, str]] = [(os.fspath(root), base)]
    while stack:
        where, rel = stack.pop()
        try:
            with os.scandir(where) as it:
                items = sorted(it, key=lambda d: d.name)
        except OSError as exc:
            ctx.warn(rel, f"cannot list folder: {exc.strerror or exc}")
            continue
        folders: list[tuple[str, str]] = []
        for d in items:
            path = f"{rel}/{d.name}"
            try:
                st = d.stat(follow_symlinks=False)
            except OSError as exc:
                ctx.warn(path, f"cannot read: {exc.strerror or exc}")
                continue
            if stat.S_ISDIR(st.st_mode):
                folders.append((d.path, path))
            elif stat.S_ISLNK(st.st_mode):
                ctx.warn(path, f"symbolic link to {os.readlink(d.path)!r}, not followed")
            elif not stat.S_ISREG(st.st_mode):
                ctx.warn(path, "not a regular file (device, pipe or socket), not read")
            else:
                yield Entry(path, st.st_size, file=Path(d.path), meta={"mtime": st.st_mtime})
        stack.extend(reversed(folders))


def count_files(root: Path, limit: int | None = None, stop: threading.Event | None = None) -> int:
    """How many files ``folder_entries`` yields for ``root`` (regular files, symbolic links not
    followed), from the listing alone: no file is opened. Counting stops past ``limit`` (the
    count is then ``limit + 1``) or once ``stop`` is set (the count so far)."""
    count = 0
    stack = [os.fspath(root)]
    while stack and (limit is None or count <= limit):
        if stop is not None and stop.is_set():
            break
        try:
            with os.scandir(stack.pop()) as it:
                for d in it:
                    try:
                        mode = d.stat(follow_symlinks=False).st_mode
                    except OSError:
                        continue
                    if stat.S_ISDIR(mode):
                        stack.append(d.path)
                    elif stat.S_ISREG(mode):
                        count += 1
        except OSError:
            continue
    return count if limit is None else min(count, limit + 1)
