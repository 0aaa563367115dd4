"""What triage found in given artifacts, for the stages after it (money timelines, referral
packages): the one reader of ``triage_matches`` outside triage itself.

A hit is a match against a hash list that is not a known-good list (NSRL-style matches only
take a file out of review). It carries references and hashes, never the media. Its time is the
file's own modification time when the triage run stored one in the artifact's ``meta``
(``mtime``, seconds since the epoch), else the start of the triage run that found it: when the
material was found, not when it was made, and ``time_source`` says which.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core.models import Artifact, Evidence
from tasman.triage.models import TriageMatch, TriageRun
from tasman.triage.types import Category

CHUNK = 5000  # artifact ids per IN (...) list


@dataclass(frozen=True)
class Hit:
    artifact_id: int
    evidence: str             # the evidence item's name
    path: str                 # the artifact's !/ path
    hashset: str
    category: int | None
    category_name: str | None
    match_type: str           # exact | perceptual | crop | video
    hash_name: str
    distance: int
    run_id: int
    time: datetime
    time_source: str          # "file" (its stored mtime) or "triage run" (when the run started)


def category_name(cat: int | None) -> str | None:
    """``cam``, ``exploitive``... for the Project VIC categories; None for anything else."""
    try:
        return Category(cat).name.lower() if cat is not None else None
    except ValueError:
        return None


def _file_time(meta: object) -> datetime | None:
    raw = meta.get("mtime") if isinstance(meta, dict) else None
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        return None
    try:
        return datetime.fromtimestamp(raw, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def hits_for(session: Session, artifact_ids: Iterable[int]) -> dict[int, list[Hit]]:
    """Artifact id -> its hits (earliest run first, one per list, match type and hash), known-good
    matches left out. Artifacts without hits are absent."""
    ids = sorted(set(artifact_ids))
    out: dict[int, list[Hit]] = defaultdict(list)
    seen: set[tuple[int, str, str, str]] = set()
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(TriageMatch, TriageRun.started_at, Artifact.path, Artifact.meta, Evidence.name)
            .join(TriageRun, TriageRun.id == TriageMatch.run_id)
            .join(Artifact, Artifact.id == TriageMatch.artifact_id)
            .join(Evidence, Evidence.id == Artifact.evidence_id)
            .where(TriageMatch.artifact_id.in_(ids[start:start + CHUNK]), TriageMatch.known_good.is_(False))
            .order_by(TriageMatch.artifact_id, TriageMatch.run_id, TriageMatch.id))
        for m, started, path, meta, evidence in rows:
            key = (m.artifact_id, m.hashset, m.match_type, m.hash_name)
            if key in seen:
                continue
            seen.add(key)
            file_time = _file_time(meta)
            out[m.artifact_id].append(Hit(
                artifact_id=m.artifact_id, evidence=evidence, path=path, hashset=m.hashset, category=m.category,
                category_name=category_name(m.category), match_type=m.match_type, hash_name=m.hash_name,
                distance=m.distance, run_id=m.run_id, time=file_time or started,
                time_source="file" if file_time else "triage run"))
    return dict(out)
