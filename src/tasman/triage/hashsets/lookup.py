"""One hash looked up in the workspace's hash sets, as Meta's HMA (Hasher-Matcher-Actioner) 2.x
answers ``/m/raw_lookup`` and ``/m/lookup``: the web app serves it to existing HMA clients.

Signal types are python-threatexchange's: ``pdq`` (within Hamming distance 31, HMA's and
triage's default) and ``video_md5`` (an exact MD5 of the file). Only lists of known material
take part: known-good lists (NSRL) are not banks. A match's ``content_id`` is the entry's id
and its bank is the hash set's name. The PDQ index (triage's multi-index hashing) is built once
and rebuilt when any list changes. Guarantee: a signal is validated by python-threatexchange
before any lookup (``InputError`` otherwise), and every lookup is written to the audit log.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.signal_base import SignalType

from tasman.core import audit
from tasman.core.errors import InputError
from tasman.triage.hashsets.models import HashSet, HashSetEntry
from tasman.triage.perceptual.pdqindex import PdqIndex, build_index

SIGNAL_TYPES: dict[str, type[SignalType]] = {PdqSignal.get_name(): PdqSignal, VideoMD5Signal.get_name(): VideoMD5Signal}
PDQ_RADIUS = 31


@dataclass(frozen=True)
class LookupMatch:
    content_id: int          # the hash-set entry's id
    bank: str                # the hash set's name
    distance: int            # Hamming distance (PDQ), 0 for an exact MD5


@dataclass
class _PdqBank:
    key: tuple[object, ...]
    index: PdqIndex | None
    ids: np.ndarray
    sets: np.ndarray


_cache: _PdqBank | None = None
_lock = threading.Lock()


def _banks(session: Session) -> list[HashSet]:
    return list(session.scalars(select(HashSet).where(~HashSet.known_good, ~HashSet.name.startswith("~import~"))
                                .order_by(HashSet.id)))


def _pdq_bank(session: Session, banks: list[HashSet]) -> _PdqBank:
    global _cache
    bind = session.get_bind()
    key = (str(bind.engine.url), *((b.id, b.entry_count, b.imported_at.isoformat()) for b in banks))
    with _lock:
        if _cache is not None and _cache.key == key:
            return _cache
        rows = session.execute(select(HashSetEntry.id, HashSetEntry.hashset_id, HashSetEntry.pdq).where(
            HashSetEntry.hashset_id.in_([b.id for b in banks]), HashSetEntry.pdq.is_not(None),
            HashSetEntry.kind.in_(("file", "video")))).all()
        codes = np.frombuffer(b"".join(bytes.fromhex(str(r[2])) for r in rows), dtype=np.uint8).reshape(-1, 32)
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        sets = np.array([r[1] for r in rows], dtype=np.int64)
        _cache = _PdqBank(key, build_index(codes, PDQ_RADIUS) if rows else None, ids, sets)
        return _cache


def validate(signal_type: str, signal: str) -> str:
    """The signal as python-threatexchange normalises it, or ``InputError`` naming what is wrong."""
    cls = SIGNAL_TYPES.get(signal_type)
    if cls is None:
        raise InputError(f"no such signal type {signal_type[:40]!r}: use one of {', '.join(SIGNAL_TYPES)}")
    try:
        return cls.validate_signal_str(signal.strip().lower())
    except ValueError as exc:
        raise InputError(f"invalid {signal_type} signal: {exc}") from None


def lookup_signal(session: Session, actor: str, signal_type: str, signal: str, *,
                  via: str = "signal") -> list[LookupMatch]:
    """The entries of known-material hash sets that match ``signal``, closest first. ``via``: how
    the hash came (a signal handed in, ``upload:photo``, ``url:HOST``), for the audit entry."""
    value = validate(signal_type, signal)
    banks = _banks(session)
    names = {b.id: b.name for b in banks}
    found: list[LookupMatch] = []
    if banks and signal_type == VideoMD5Signal.get_name():
        for eid, hid in session.execute(select(HashSetEntry.id, HashSetEntry.hashset_id).where(
                HashSetEntry.hashset_id.in_(list(names)), HashSetEntry.md5 == value,
                HashSetEntry.kind.in_(("file", "video")))):
            found.append(LookupMatch(int(eid), names[int(hid)], 0))
    elif banks:
        bank = _pdq_bank(session, banks)
        if bank.index is not None:
            query = np.frombuffer(bytes.fromhex(value), dtype=np.uint8).reshape(1, 32)
            _q, listed, dist = bank.index.search(query, PDQ_RADIUS)
            for i, d in zip(listed.tolist(), dist.tolist(), strict=True):
                found.append(LookupMatch(int(bank.ids[i]), names[int(bank.sets[i])], int(d)))
    found.sort(key=lambda m: (m.distance, m.content_id))
    audit.record(session, actor, "hashset.lookup", signal_type=signal_type, signal=value,
                 matches=len(found), banks=sorted({m.bank for m in found}), **({"via": via} if via != "signal" else {}))
    return found


def index_status(session: Session, signal_type: str | None = None) -> dict[str, dict[str, object]]:
    """HMA's ``/m/index/status``: per signal type, whether any bank holds such hashes, how many, and
    the time (epoch seconds) of the newest bank change they reflect (-1 when none)."""
    if signal_type is not None and signal_type not in SIGNAL_TYPES:
        raise InputError(f"no such signal type {signal_type[:40]!r}: use one of {', '.join(SIGNAL_TYPES)}")
    banks = _banks(session)
    ids = [b.id for b in banks]
    built_to = int(max(b.imported_at for b in banks).timestamp()) if banks else -1
    out: dict[str, dict[str, object]] = {}
    for name, column in ((PdqSignal.get_name(), HashSetEntry.pdq), (VideoMD5Signal.get_name(), HashSetEntry.md5)):
        if signal_type not in (None, name):
            continue
        size = int(session.scalar(select(func.count()).select_from(HashSetEntry).where(
            HashSetEntry.hashset_id.in_(ids), column.is_not(None), HashSetEntry.kind.in_(("file", "video")))) or 0)
        out[name] = {"present": size > 0, "built_to": built_to if size else -1, "size": size}
    return out
