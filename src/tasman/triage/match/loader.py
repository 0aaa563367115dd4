"""Reads the chosen hash sets out of the database into the flat numpy arrays the matcher works
on, in partitions (a ten-million-row list never sits in memory as Python tuples, and its PDQ
hashes become packed bytes a partition at a time: 32 bytes a hash, not a Python string)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core.errors import NotFoundError
from tasman.triage.hashsets.bulk import stream_rows
from tasman.triage.hashsets.models import HashSet
from tasman.triage.perceptual.codes import hex_to_bytes

KINDS = ("file", "video", "frame", "region")
SELECT = ("SELECT hashset_id, kind, ref, part, md5, sha1, sha256, pdq, quality, category "
          "FROM hashset_entries WHERE hashset_id IN ({marks})")


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
    quality_of: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))   # PDQ quality, -1 = not given
    exact: dict[str, tuple[list[str], list[int]]] = field(default_factory=dict)
    pdq: tuple[np.ndarray, np.ndarray] = field(default_factory=lambda: (np.zeros((0, 32), np.uint8),
                                                                       np.zeros(0, np.int64)))  # file + region
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


def load(session: Session, sets: list[HashSet], min_quality: int, partition: int = 200_000,
         still_floor: int | None = None) -> Loaded:
    """Column by column, a partition at a time (a per-row loop costs twice as much). Video frames
    of quality under ``min_quality`` are left out; pictures' PDQs under ``still_floor`` (by
    default ``min_quality``): the matcher holds those between the two to a stricter distance."""
    floor = min_quality if still_floor is None else min(still_floor, min_quality)
    index_of = {h.id: i for i, h in enumerate(sets)}
    info = [ListInfo(h.name, h.known_good, h.format, h.entry_count, h.source_sha256) for h in sets]
    set_of: list[np.ndarray] = []
    kind_of: list[np.ndarray] = []
    category_of: list[np.ndarray] = []
    hashes_of: list[np.ndarray] = []
    part_of: list[np.ndarray] = []
    quality_of: list[np.ndarray] = []
    ref_of: list[str | None] = []
    exact: dict[str, tuple[list[str], list[int]]] = {k: ([], []) for k in ("md5", "sha1", "sha256")}
    pdq_codes: list[np.ndarray] = []
    pdq_entries: list[np.ndarray] = []
    frames: tuple[list[str], list[int]] = ([], [])
    kind_code = {k: i for i, k in enumerate(KINDS)}
    base = 0
    if sets:
        ids = list(index_of)
        for part in stream_rows(session, SELECT.format(marks=", ".join("?" * len(ids))), ids, partition):
            hs, kind, ref, num, md5, sha1, sha256, p, quality, category = zip(*part, strict=True)
            n = len(hs)
            set_of.append(np.array([index_of[h] for h in hs], dtype=np.int32))
            kind_of.append(np.array([kind_code.get(k, 0) for k in kind], dtype=np.uint8))
            category_of.append(np.array([-1 if c is None else c for c in category], dtype=np.int8))
            part_of.append(np.array([-1 if x is None else x for x in num], dtype=np.int32))
            quality_of.append(np.array([-1 if x is None else x for x in quality], dtype=np.int16))
            ref_of.extend(ref)
            mask = np.zeros(n, dtype=np.uint8)
            for bit, name, column in ((1, "md5", md5), (2, "sha1", sha1), (4, "sha256", sha256)):
                where = [i for i, v in enumerate(column) if v]
                if where:
                    mask[where] |= bit
                    exact[name][0].extend(column[i] for i in where)
                    exact[name][1].extend(base + i for i in where)
            hashes_of.append(mask)
            still: list[int] = []
            for i in (i for i, v in enumerate(p) if v and (quality[i] is None or quality[i] >= floor)):
                if kind[i] == "frame":
                    if quality[i] is None or quality[i] >= min_quality:
                        frames[0].append(p[i])
                        frames[1].append(base + i)
                else:
                    still.append(i)
            pdq_codes.append(hex_to_bytes([p[i] for i in still], 32))
            pdq_entries.append(base + np.array(still, dtype=np.int64))
            base += n

    def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    return Loaded(sets=info, set_of=joined(set_of, np.int32), kind_of=joined(kind_of, np.uint8),
                  category_of=joined(category_of, np.int8), hashes_of=joined(hashes_of, np.uint8),
                  ref_of=ref_of, part_of=joined(part_of, np.int32), quality_of=joined(quality_of, np.int16),
                  exact=exact,
                  pdq=(np.concatenate(pdq_codes) if pdq_codes else np.zeros((0, 32), np.uint8),
                       joined(pdq_entries, np.int64)), frames=frames)
