"""The run's files for people and other tools: ``files.csv``, ``matches.csv``, ``errors.csv``.

Written from the database at the end of a run (so a resumed run's outputs are whole), each to
a temporary name first and then renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import csvsafe
from tasman.core.models import Artifact
from tasman.triage.models import TriageError, TriageFile, TriageMatch
from tasman.triage.perceptual.dihedral import DIHEDRAL

FILES_COLUMNS = ("path", "size", "type", "md5", "sha1", "sha256", "pdq", "quality", "deleted", "name_flag")
MATCHES_COLUMNS = ("path", "sha1", "md5", "match_type", "distance", "hashset", "category", "hash_name",
                   "deleted", "other_matches", "name_flag", "variant")
ERRORS_COLUMNS = ("path", "reason")
TYPE_RANK = {"exact": 0, "perceptual": 1, "video": 1, "crop": 2}
SEVERITY = {1: 0, 2: 1, 3: 2, 4: 3, 0: 4}


def output_paths(folder: Path) -> dict[str, Path]:
    """Where a run writes its files, by name: the CSVs and the report (HTML and JSON)."""
    return {"matches_csv": folder / "matches.csv", "files_csv": folder / "files.csv",
            "errors_csv": folder / "errors.csv", "report_html": folder / "report.html",
            "report_json": folder / "report.json"}


@dataclass(frozen=True)
class MatchedFile:
    """A file of interest: its best match first, then the others (other lists, other hashes)."""

    evidence_id: int
    path: str
    sha1: str | None
    md5: str | None
    deleted: bool
    matches: tuple[TriageMatch, ...]
    name_flag: str = ""             # what was wrong with its member name (``evidence.paths.render_member``)

    @property
    def best(self) -> TriageMatch:
        return self.matches[0]


def _order(m: TriageMatch) -> tuple[int, int, int, str]:
    return (TYPE_RANK.get(m.match_type, 3), m.distance, SEVERITY.get(m.category, 5) if m.category is not None else 5,
            m.hashset)


def matched_files(session: Session, run_id: int) -> list[MatchedFile]:
    """Matched files (known-good matches left out), in path order."""
    rows = session.execute(select(TriageMatch, Artifact.evidence_id, Artifact.path, Artifact.sha1, Artifact.md5,
                                  Artifact.deleted, Artifact.meta)
                           .join(Artifact, Artifact.id == TriageMatch.artifact_id)
                           .where(TriageMatch.run_id == run_id, TriageMatch.known_good.is_(False)))
    grouped: dict[int, tuple[tuple[int, str, str | None, str | None, bool, str], list[TriageMatch]]] = {}
    for m, ev, path, sha1, md5, deleted, meta in rows:
        flag = str((meta or {}).get("name_flag") or "")
        grouped.setdefault(m.artifact_id, ((ev, path, sha1, md5, bool(deleted), flag), []))[1].append(m)
    out = [MatchedFile(ev, path, sha1, md5, deleted, tuple(sorted(ms, key=_order)), flag)
           for (ev, path, sha1, md5, deleted, flag), ms in grouped.values()]
    return sorted(out, key=lambda f: (f.evidence_id, f.path))


def describe(m: TriageMatch) -> str:
    dist = f"({m.distance})" if m.match_type != "exact" else ""
    return f"{m.match_type}:{m.hash_name}@{m.hashset}{dist}"


def variant(m: TriageMatch) -> str:
    """Which form of the picture matched: a dihedral variant (``rotate90``...), a crop/overlay
    hypothesis (``uncrop:0.90:centre``, ``inpaint:bottom-left``), or empty for the picture as it is."""
    v = (m.detail or {}).get("variant") if isinstance(m.detail, dict) else None
    if isinstance(v, int) and 0 <= v < len(DIHEDRAL):    # runs stored before variants had names
        return DIHEDRAL[v]
    return "" if v is None else str(v)


def _atomic_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    tmp = path.with_name(path.name + ".part")
    n = 0
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csvsafe.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    os.replace(tmp, path)
    return n


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write_files_csv(session: Session, run_id: int, path: Path) -> int:
    def rows() -> Iterator[Sequence[Any]]:
        q = (select(Artifact.path, Artifact.size, Artifact.mime, Artifact.md5, Artifact.sha1, Artifact.sha256,
                    Artifact.meta, Artifact.deleted)
             .join(TriageFile, TriageFile.artifact_id == Artifact.id)
             .where(TriageFile.run_id == run_id).order_by(Artifact.evidence_id, Artifact.path))
        for p, size, mime, md5, sha1, sha256, meta, deleted in session.execute(q.execution_options(yield_per=2000)):
            meta = meta or {}
            yield (p, size, mime, md5, sha1, sha256, meta.get("pdq"), meta.get("pdq_quality"),
                   "true" if deleted else "false", meta.get("name_flag"))

    return _atomic_csv(path, FILES_COLUMNS, rows())


def write_matches_csv(files: Sequence[MatchedFile], path: Path) -> int:
    def rows() -> Iterator[Sequence[Any]]:
        for f in files:
            b = f.best
            yield (f.path, f.sha1, f.md5, b.match_type, b.distance, b.hashset, b.category, b.hash_name,
                   "true" if f.deleted else "false", "; ".join(describe(m) for m in f.matches[1:]), f.name_flag,
                   variant(b))

    return _atomic_csv(path, MATCHES_COLUMNS, rows())


def write_errors_csv(session: Session, run_id: int, path: Path) -> int:
    q = (select(TriageError.path, TriageError.reason).where(TriageError.run_id == run_id)
         .order_by(TriageError.evidence_id, TriageError.path, TriageError.id))
    return _atomic_csv(path, ERRORS_COLUMNS, ((p, _one_line(r)) for p, r in session.execute(q)))
