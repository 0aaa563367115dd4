"""The normalised parties of a linked case, kept beside the database so that an incremental run
normalises only the records added since (normalising a million records takes about a minute;
reading them back from Parquet a second or two).

The cache is derived data of the same sensitivity as the records it comes from (it sits in the
workspace, as the database does) and is never trusted blindly: it is used only when it was made
by the same normalisation code (a fingerprint of the modules that make parties) and holds exactly
the parties the stored subjects hold; otherwise the run normalises every record again and
rewrites it. Deleting it is always safe."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tasman.link import aliases, nicknames, normalise

META_KEY = b"tasman.link.parties"


def fingerprint() -> str:
    """The normalisation code's identity: the source of the modules that make a party, and the
    table's schema. A change to either makes every cache stale."""
    h = hashlib.sha256(str(normalise.SCHEMA).encode())
    for module in (normalise, aliases, nicknames):
        path = getattr(module, "__file__", None)
        if path:
            h.update(Path(path).read_bytes())
    return h.hexdigest()[:32]


def cache_path(root: Path, case_id: int) -> Path:
    return root / "cache" / "link" / f"case-{int(case_id)}.parquet"


def read(root: Path | None, case_id: int, stored_uids: np.ndarray) -> pa.Table | None:
    """The cached parties when they are exactly ``stored_uids`` (sorted) made by this code, else None."""
    if root is None:
        return None
    path = cache_path(root, case_id)
    try:
        meta = pq.read_schema(path).metadata or {}
        info = json.loads(meta.get(META_KEY, b"{}"))
        if info.get("fingerprint") != fingerprint() or info.get("parties") != len(stored_uids):
            return None
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException):
        return None
    if table.schema.remove_metadata() != normalise.SCHEMA:
        return None
    uids = np.sort(table.column("uid").to_numpy())
    if len(uids) != len(stored_uids) or not np.array_equal(uids, stored_uids):
        return None
    return table.replace_schema_metadata(None)


def write(root: Path | None, case_id: int, parties: pa.Table) -> None:
    """Replace the case's cache with ``parties`` (written aside, then renamed: a reader never
    sees half a file)."""
    if root is None:
        return
    path = cache_path(root, case_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = json.dumps({"fingerprint": fingerprint(), "parties": parties.num_rows}).encode()
    table = parties.replace_schema_metadata({META_KEY: info})
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def drop(root: Path | None, case_id: int) -> None:
    if root is not None:
        cache_path(root, case_id).unlink(missing_ok=True)
