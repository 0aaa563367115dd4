"""The normalised parties of a linked case, kept beside the database so that an incremental run
normalises only the records added since (normalising a million records takes about a minute;
reading them back from Parquet a second or two).

The cache is a folder of Parquet parts (``cache/link/case-N/``): a full run writes the case's
parties as one part, an incremental run appends a part holding only the parties it added (a
million-record case's cache is not rewritten for ten thousand new records); from ``MAX_PARTS``
parts on, the next incremental run writes them back as one.

The cache is derived data of the same sensitivity as the records it comes from (it sits in the
workspace, as the database does) and is never trusted blindly: it is used only when every part
was made by the same normalisation code (a fingerprint of the modules that make parties) and
together they hold exactly the parties the stored subjects hold; otherwise the run normalises
every record again and rewrites it. Deleting it is always safe."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tasman.link import aliases, blockkeys, nicknames, normalise, runin

META_KEY = b"tasman.link.parties"
MAX_PARTS = 16  # an incremental run that finds this many parts writes them back as one
BASE = "000000.parquet"


def fingerprint() -> str:
    """The normalisation code's identity: the source of the modules that make a party, and the
    table's schema. A change to either makes every cache stale."""
    h = hashlib.sha256(str(normalise.SCHEMA).encode())
    for module in (normalise, aliases, nicknames, runin, blockkeys):
        path = getattr(module, "__file__", None)
        if path:
            h.update(Path(path).read_bytes())
    return h.hexdigest()[:32]


def cache_path(root: Path, case_id: int) -> Path:
    """The case's cache folder (its parts are ``NNNNNN.parquet``, in the order written)."""
    return root / "cache" / "link" / f"case-{int(case_id)}"


def _old_file(root: Path, case_id: int) -> Path:
    """Where an earlier version kept the cache as one file (removed when the cache is written)."""
    return root / "cache" / "link" / f"case-{int(case_id)}.parquet"


def parts(root: Path, case_id: int) -> list[Path]:
    folder = cache_path(root, case_id)
    return sorted(folder.glob("[0-9]*.parquet")) if folder.is_dir() else []


def read(root: Path | None, case_id: int, stored_uids: np.ndarray) -> pa.Table | None:
    """The cached parties when they are exactly ``stored_uids`` (sorted) made by this code, else None."""
    if root is None:
        return None
    found = parts(root, case_id)
    if not found:
        return None
    code = fingerprint()
    try:
        counted = 0
        for part in found:
            info = json.loads((pq.read_schema(part).metadata or {}).get(META_KEY, b"{}"))
            if info.get("fingerprint") != code:
                return None
            counted += int(info.get("parties", -1))
        if counted != len(stored_uids):
            return None
        tables = [pq.read_table(part).replace_schema_metadata(None) for part in found]
    except (OSError, ValueError, TypeError, pa.ArrowException):
        return None
    if any(t.schema != normalise.SCHEMA for t in tables):
        return None
    table = pa.concat_tables(tables)
    uids = np.sort(table.column("uid").to_numpy())
    if len(uids) != len(stored_uids) or not np.array_equal(uids, stored_uids):
        return None
    return table


def _write_part(folder: Path, name: str, parties: pa.Table) -> None:
    """Write one part (aside, then renamed: a reader never sees half a file)."""
    info = json.dumps({"fingerprint": fingerprint(), "parties": parties.num_rows}).encode()
    tmp = folder / f"{name}.tmp"
    pq.write_table(parties.replace_schema_metadata({META_KEY: info}), tmp, compression="zstd")
    tmp.replace(folder / name)


def write(root: Path | None, case_id: int, parties: pa.Table) -> None:
    """Replace the case's cache with ``parties``, as one part. (Between the new part's renaming and
    the old parts' removal a reader counts too many parties and normalises again: never wrong.)"""
    if root is None:
        return
    folder = cache_path(root, case_id)
    folder.mkdir(parents=True, exist_ok=True)
    _write_part(folder, BASE, parties)
    for part in parts(root, case_id):
        if part.name != BASE:
            part.unlink(missing_ok=True)
    _old_file(root, case_id).unlink(missing_ok=True)


def append(root: Path | None, case_id: int, added: pa.Table, stored: pa.Table) -> None:
    """After an incremental run that read ``stored`` from the cache: add the parties it
    ``added`` as a part of their own; when there are ``MAX_PARTS`` parts already, write
    ``stored`` and ``added`` back as one."""
    if root is None or added.num_rows == 0:
        return
    found = parts(root, case_id)
    if not found or len(found) >= MAX_PARTS:
        write(root, case_id, pa.concat_tables([stored, added]))
        return
    _write_part(cache_path(root, case_id), f"{int(found[-1].stem) + 1:06d}.parquet", added)


def drop(root: Path | None, case_id: int) -> None:
    if root is not None:
        shutil.rmtree(cache_path(root, case_id), ignore_errors=True)
        _old_file(root, case_id).unlink(missing_ok=True)
