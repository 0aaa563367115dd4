"""Matching tip files against the workspace's hash lists with the triage matcher
(``tasman.triage.match.load_matcher``: exact hashes, PDQ with its dihedral variants).

With no hash list imported yet a tip stays ``pending``; ``tasman tip rematch`` matches the
pending ones later (after ``tasman hashset import``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.tips.models import Tip, TipFile
from tasman.triage.match import load_matcher
from tasman.triage.types import FileHashes


def _matcher(session: Session, actor: str = "public") -> Any | None:
    """A matcher over every hash list, or None while there is none to match against."""
    matcher = load_matcher(session, actor=actor)
    return matcher if matcher.sets else None


def match_tip(session: Session, tip: Tip, files: list[TipFile], matcher: Any | None = None) -> str:
    """Set each file's matches and the tip's match status (pending | matched | clear)."""
    matcher = matcher or _matcher(session)
    if matcher is None:
        tip.match_status = "pending"
        return tip.match_status
    queries = [FileHashes(path=f"{tip.ref}!/{f.id}", size=f.size, mime=f.mime, md5=f.md5, sha1=f.sha1,
                          sha256=f.sha256, pdq=f.pdq, pdq_quality=f.pdq_quality,
                          pdq_variants=tuple(f.pdq_variants or ())) for f in files]
    by_path: dict[str, list[dict[str, Any]]] = {}
    for m in matcher.match(queries):
        if not m.known_good:
            by_path.setdefault(m.path, []).append({k: v for k, v in asdict(m).items() if k != "detail"})
    for f, q in zip(files, queries, strict=True):
        f.matches = by_path.get(q.path, [])
    tip.match_status = "matched" if by_path else "clear"
    return tip.match_status


def rematch_pending(session: Session, actor: str) -> int:
    """Match every tip still pending; the number matched now (0 while no hash list exists)."""
    matcher = _matcher(session, actor)
    if matcher is None:
        return 0
    tips = list(session.scalars(select(Tip).where(Tip.match_status == "pending")))
    for tip in tips:
        files = list(session.scalars(select(TipFile).where(TipFile.tip_id == tip.id)))
        match_tip(session, tip, files, matcher)
    audit.record(session, actor, "tip.rematch", count=len(tips))
    return len(tips)
