"""Triage matches of artifacts, read through one small function.

The triage stage stores matches in a ``matches`` table (run, artifact, match_type, hash_name,
hashset, category, distance). This module reads it by reflection, so referral works before
and after triage lands and needs no import of triage's models; when the table is missing
there are simply no matches to report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.orm import Session

from tasman.refer.document import MatchRef
from tasman.triage.types import Category


def _category_name(cat: int | None) -> str | None:
    try:
        return Category(cat).name.lower() if cat is not None else None
    except ValueError:
        return None


def matches_for(session: Session, artifact_ids: Iterable[int]) -> dict[int, list[MatchRef]]:
    ids = sorted(set(artifact_ids))
    bind = session.get_bind()
    if not ids or not inspect(bind).has_table("matches"):
        return {}
    table = Table("matches", MetaData(), autoload_with=bind)
    col = next((table.c[n] for n in ("artifact_id", "artifact") if n in table.c), None)
    if col is None:
        return {}
    out: dict[int, list[MatchRef]] = defaultdict(list)
    want = [c for c in ("hashset", "category", "match_type", "hash_name", "distance") if c in table.c]
    for row in session.execute(select(col, *[table.c[c] for c in want]).where(col.in_(ids))).mappings():
        cat = row.get("category")
        ref = MatchRef(hashset=str(row.get("hashset") or ""), category=cat, category_name=_category_name(cat),
                       match_type=str(row.get("match_type") or ""), hash_name=str(row.get("hash_name") or ""),
                       distance=int(row.get("distance") or 0))
        if ref not in out[row[col.name]]:
            out[row[col.name]].append(ref)
    return dict(out)
