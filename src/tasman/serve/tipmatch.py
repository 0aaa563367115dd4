"""Matching tip files against the workspace's hash lists with the triage matcher.

The triage stage provides ``tasman.triage.match.load_matcher(session, ...)``; until it is
installed, files keep ``match_status = "pending"`` and ``rematch_pending`` matches them later
(``tasman tip rematch``). STAGE-API: the call below follows the triage contract
(``load_matcher(session)`` returning an object with ``match(FileHashes) -> list[Match]``);
adjust it here if the landed signature differs.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.serve.models import Tip, TipFile
from tasman.serve.stageapi import available, stage_function
from tasman.triage.types import FileHashes, Match


def _matcher(session: Session) -> Any | None:
    if not available("tasman.triage.match", "load_matcher"):
        return None
    return stage_function("tasman.triage.match", "load_matcher", "triage")(session)


def match_tip(session: Session, tip: Tip, files: list[TipFile], matcher: Any | None = None) -> str:
    """Set each file's matches and the tip's match status (pending | matched | clear)."""
    matcher = matcher or _matcher(session)
    if matcher is None:
        tip.match_status = "pending"
        return tip.match_status
    hits = 0
    for f in files:
        fh = FileHashes(path=f"{tip.ref}!/{f.id}", size=f.size, mime=f.mime, md5=f.md5, sha1=f.sha1,
                        sha256=f.sha256, pdq=f.pdq, pdq_quality=f.pdq_quality)
        found: list[Match] = list(matcher.match(fh))
        f.matches = [{k: v for k, v in asdict(m).items() if k != "detail"} for m in found if not m.known_good]
        hits += len(f.matches)
    tip.match_status = "matched" if hits else "clear"
    return tip.match_status


def rematch_pending(session: Session, actor: str) -> int:
    """Match every tip still pending; the number matched now (0 when no matcher is installed)."""
    matcher = _matcher(session)
    if matcher is None:
        return 0
    tips = list(session.scalars(select(Tip).where(Tip.match_status == "pending")))
    for tip in tips:
        files = list(session.scalars(select(TipFile).where(TipFile.tip_id == tip.id)))
        match_tip(session, tip, files, matcher)
    audit.record(session, actor, "tip.rematch", count=len(tips))
    return len(tips)
