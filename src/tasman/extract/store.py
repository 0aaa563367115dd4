"""Storing sightings as observations, idempotently: each has a key (sha256 of what it is and
where it was seen) unique within its case, so a second run over the same data adds nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.extract.models import Observation
from tasman.extract.payments import mask_card
from tasman.extract.sources.base import Sighting

BATCH = 2000
MAX_RAW = 500


def observation_key(type_: str, value: str, where: str, offset: int | None, message_id: str | None,
                    char: object, extractor: str) -> str:
    text = "\x1f".join((type_, value, where, str(offset), message_id or "", str(char), extractor))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Where:
    """Where sightings come from: an artifact of an evidence item, or an imported record."""

    path: str                       # artifact !/ path, or "source#source_id"
    artifact_id: int | None = None
    evidence_id: int | None = None
    record_id: int | None = None


@dataclass
class ObservationWriter:
    session: Session
    case_id: int
    run_id: int | None
    added: int = 0
    duplicates: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    _pending: list[Observation] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)

    def add(self, s: Sighting, where: Where) -> None:
        f = s.found
        ident = f.identifier
        key = observation_key(ident.type.value, ident.value, where.path, s.offset, s.message_id,
                              s.meta.get("char"), f.extractor)
        if key in self._keys:
            self.duplicates += 1
            return
        self._keys.add(key)
        raw = f.raw if ident.type.value != "card" else mask_card(f.raw)
        meta = {**ident.meta, **{k: v for k, v in s.meta.items() if isinstance(v, str | int | float | bool)}}
        self._pending.append(Observation(
            case_id=self.case_id, type=ident.type.value, value=ident.value, raw=raw[:MAX_RAW],
            country=ident.country, artifact_id=where.artifact_id, record_id=where.record_id,
            evidence_id=where.evidence_id, path=where.path, offset=s.offset, message_id=s.message_id,
            context=f.context, seen_at=s.seen_at, extractor=f.extractor[:64], meta=meta, key=key,
            run_id=self.run_id))
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        keys = [o.key for o in self._pending]
        existing = set(self.session.scalars(
            select(Observation.key).where(Observation.case_id == self.case_id, Observation.key.in_(keys))))
        for o in self._pending:
            if o.key in existing:
                self.duplicates += 1
                continue
            self.session.add(o)
            self.added += 1
            self.by_type[o.type] = self.by_type.get(o.type, 0) + 1
        self._pending.clear()
        self.session.flush()
