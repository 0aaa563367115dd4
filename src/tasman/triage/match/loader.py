"""Reads the chosen hash sets out of the database into the flat numpy arrays the matcher works
on, in partitions (a ten-million-row list never sits in memory as Python tuples)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from tasman.core.errors import NotFoundError
from tasman.triage.hashsets.models import HashSet

KINDS = ("file", "video", "frame", "region")
SELECT = ("SELECT hashset_id, kind, ref, part, md5, sha1, sha256, pdq, quality, category "
          "FROM hashset_entries WHERE hashset_id IN :ids")


@dataclass(frozen=True)
class ListInfo:
    name: str
    known_good: bool
    format: str
    entries: int
    source_sha256: str


@dataclass
class Loaded:
    """Entry ``i`` of the loaded lists: its set, kind, category, which crypto hashes it carries."""

    sets: list[ListInfo]
    set_of: np.ndarray                     # int32
    kind_of: np.ndarray                    # uint8, index into KINDS
    category_of: np.ndarray                # int8, -1 = none
    hashes_of: np.ndarray                  # uint8 bit mask: 1 md5, 2 sha1, 4 sha256
    ref_of: list[str | None]
    part_of: np.ndarray                    # int32, -1 = none
    exact: dict[str, tuple[list[str], list[int]]] = field(default_factory=dict)
    pdq: tuple[list[str], list[int]] = field(default_factory=lambda: ([], []))        # file + region
    frames: tuple[list[str], list[int]] = field(default_factory=lambda: ([], []))     # video frames


def select_sets(session: Session, names: Sequence[str] | None) -> list[HashSet]:
    query = select(HashSet).where(~HashSet.name.startswith("~import~")).order_by(HashSet.name)
    rows = list(session.scalars(query))
    if names is None:
        return rows
    by_name = {h.name: h for h in rows}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise NotFoundError(f"no hash set {missing[0]!r}: see 'tasman hashset list'")
    return [by_name[n] for n in dict.fromkeys(names)]


def load(session: Session, sets: list[HashSet], min_quality: int, partition: int = 200_000) -> Loaded:
    index_of = {h.id: i for i, h in enumerate(sets)}
    info = [ListInfo(h.name, h.known_good, h.format, h.entry_count, h.source_sha256) for h in sets]
    set_of: list[int] = []
    kind_of: list[int] = []
    category_of: list[int] = []
    hashes_of: list[int] = []
    ref_of: list[str | None] = []
    part_of: list[int] = []
    exact: dict[str, tuple[list[str], list[int]]] = {k: ([], []) for k in ("md5", "sha1", "sha256")}
    pdq: tuple[list[str], list[int]] = ([], [])
    frames: tuple[list[str], list[int]] = ([], [])
    kind_code = {k: i for i, k in enumerate(KINDS)}
    if sets:
        stmt = text(SELECT).bindparams(bindparam("ids", expanding=True))
        result = session.execute(stmt, {"ids": list(index_of)}, execution_options={"yield_per": partition})
        i = 0
        for part in result.partitions():
            for hs, kind, ref, num, md5, sha1, sha256, p, quality, category in part:
                set_of.append(index_of[hs])
                kind_of.append(kind_code.get(kind, 0))
                category_of.append(-1 if category is None else int(category))
                ref_of.append(ref)
                part_of.append(-1 if num is None else int(num))
                mask = 0
                for bit, name, value in ((1, "md5", md5), (2, "sha1", sha1), (4, "sha256", sha256)):
                    if value:
                        mask |= bit
                        exact[name][0].append(value)
                        exact[name][1].append(i)
                hashes_of.append(mask)
                if p and (quality is None or quality >= min_quality):
                    target = frames if kind == "frame" else pdq
                    target[0].append(p)
                    target[1].append(i)
                i += 1
    return Loaded(sets=info, set_of=np.array(set_of, dtype=np.int32), kind_of=np.array(kind_of, dtype=np.uint8),
                  category_of=np.array(category_of, dtype=np.int8), hashes_of=np.array(hashes_of, dtype=np.uint8),
                  ref_of=ref_of, part_of=np.array(part_of, dtype=np.int32), exact=exact, pdq=pdq, frames=frames)
