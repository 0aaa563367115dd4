"""The triage report: one frozen document (capa style) that the HTML and JSON renderers work from.

It holds counts, paths, hashes and reasons, never a picture: no thumbnail, no embedded data,
no link that would load media.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman import __version__
from tasman.core.models import Artifact, Case, Evidence
from tasman.core.timeutil import iso, utcnow
from tasman.triage.models import TriageError, TriageFile, TriageRun
from tasman.triage.outputs import MatchedFile, describe

MAX_MATCH_ROWS = 5000
MAX_ERROR_ROWS = 1000
TOP_FOLDERS = 15
CATEGORY_LABELS = {0: "0 non-pertinent", 1: "1 child abuse material", 2: "2 exploitive / age-difficult",
                   3: "3 CGI / animation", 4: "4 comparison", None: "no category"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CategoryCount(_Frozen):
    category: int | None
    label: str
    files: int


class EvidenceSummary(_Frozen):
    id: int
    name: str
    path: str
    sha256: str
    files: int
    bytes: int
    matched_files: int
    errors: int


class FolderCount(_Frozen):
    folder: str
    matched_files: int


class MatchRow(_Frozen):
    path: str
    evidence: str
    match_type: str
    hash_name: str
    hashset: str
    category: int | None
    category_label: str
    distance: int
    deleted: bool
    md5: str | None
    sha1: str | None
    other_matches: list[str]


class ErrorRow(_Frozen):
    path: str
    reason: str


class RunFigures(_Frozen):
    files: int
    bytes: int
    pictures: int
    videos: int
    deleted: int
    matched_files: int
    known_good_files: int
    errors: int
    seconds: float
    files_per_second: float
    megabytes_per_second: float
    workers: int
    resumed: int


class TriageReport(_Frozen):
    schema_version: int = 1
    tasman_version: str
    generated_at: str
    run_id: int
    case_ref: str
    status: str
    started_at: str
    finished_at: str | None
    started_by: str
    parameters: dict[str, Any]
    hashsets: list[str]
    evidence: list[EvidenceSummary]
    categories: list[CategoryCount]
    top_folders: list[FolderCount]
    matches: list[MatchRow]
    matches_total: int
    errors: list[ErrorRow]
    errors_total: int
    figures: RunFigures
    outputs: dict[str, str]


def folder_of(path: str) -> str:
    """``a/b.zip!/c/d.jpg`` -> ``a/b.zip!/c``; ``a/b.zip!/d.jpg`` -> ``a/b.zip``."""
    head = path.rsplit("/", 1)[0] if "/" in path else path
    return head[:-1] if head.endswith("!") else head


def build_report(session: Session, run: TriageRun, matched: list[MatchedFile],
                 outputs: dict[str, str]) -> TriageReport:
    case = session.get(Case, run.case_id)
    assert case is not None
    ev_ids = [int(e["evidence_id"]) for e in run.evidence]
    evidence = {e.id: e for e in session.scalars(select(Evidence).where(Evidence.id.in_(ev_ids)))}
    per_ev_files: dict[int, tuple[int, int]] = dict((ev, (int(n), int(b or 0))) for ev, n, b in session.execute(
        select(Artifact.evidence_id, func.count(Artifact.id), func.coalesce(func.sum(Artifact.size), 0))
        .join(TriageFile, TriageFile.artifact_id == Artifact.id).where(TriageFile.run_id == run.id)
        .group_by(Artifact.evidence_id)))
    per_ev_errors: dict[int, int] = {ev: int(n) for ev, n in session.execute(
        select(TriageError.evidence_id, func.count()).where(TriageError.run_id == run.id)
        .group_by(TriageError.evidence_id))}
    per_ev_matched = Counter(f.evidence_id for f in matched)
    summaries = [EvidenceSummary(id=i, name=evidence[i].name, path=evidence[i].path, sha256=evidence[i].sha256,
                                 files=per_ev_files.get(i, (0, 0))[0], bytes=per_ev_files.get(i, (0, 0))[1],
                                 matched_files=per_ev_matched.get(i, 0), errors=per_ev_errors.get(i, 0))
                 for i in ev_ids if i in evidence]
    cats = Counter(f.best.category for f in matched)
    categories = [CategoryCount(category=c, label=CATEGORY_LABELS.get(c, f"category {c}"), files=n)
                  for c, n in sorted(cats.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))]
    folders = Counter(folder_of(f.path) for f in matched)
    top = [FolderCount(folder=d, matched_files=n) for d, n in folders.most_common(TOP_FOLDERS)]
    rows = [MatchRow(path=f.path, evidence=evidence[f.evidence_id].name if f.evidence_id in evidence else "",
                     match_type=f.best.match_type, hash_name=f.best.hash_name, hashset=f.best.hashset,
                     category=f.best.category, category_label=CATEGORY_LABELS.get(f.best.category, "?"),
                     distance=f.best.distance, deleted=f.deleted, md5=f.md5, sha1=f.sha1,
                     other_matches=[describe(m) for m in f.matches[1:]])
            for f in matched[:MAX_MATCH_ROWS]]
    errors_total = int(sum(per_ev_errors.values()))
    errors = [ErrorRow(path=p, reason=" ".join(r.split())) for p, r in session.execute(
        select(TriageError.path, TriageError.reason).where(TriageError.run_id == run.id)
        .order_by(TriageError.evidence_id, TriageError.path).limit(MAX_ERROR_ROWS))]
    c, fig = run.stats or {}, run.figures or {}
    seconds = float(fig.get("seconds", 0.0))
    figures = RunFigures(
        files=int(c.get("files", 0)), bytes=int(c.get("bytes", 0)), pictures=int(c.get("pictures", 0)),
        videos=int(c.get("videos", 0)), deleted=int(c.get("deleted", 0)), matched_files=len(matched),
        known_good_files=int(c.get("known_good_files", 0)), errors=errors_total, seconds=round(seconds, 3),
        files_per_second=float(fig.get("files_per_second", 0.0)),
        megabytes_per_second=float(fig.get("megabytes_per_second", 0.0)),
        workers=int(run.settings.get("workers", 0)), resumed=run.resumed)
    return TriageReport(
        tasman_version=__version__, generated_at=iso(utcnow()), run_id=run.id, case_ref=case.ref, status=run.status,
        started_at=iso(run.started_at), finished_at=iso(run.finished_at) if run.finished_at else None,
        started_by=run.actor, parameters=dict(run.settings), hashsets=list(run.hashsets),
        evidence=summaries, categories=categories, top_folders=top, matches=rows, matches_total=len(matched),
        errors=errors, errors_total=errors_total, figures=figures, outputs=outputs)


_env = Environment(loader=PackageLoader("tasman.triage", "templates"), autoescape=select_autoescape(["html"]))


def render_html(doc: TriageReport) -> str:
    return _env.get_template("triage_report.html").render(r=doc)


def render_json(doc: TriageReport) -> str:
    return doc.model_dump_json(indent=2)


def write_report(doc: TriageReport, html_path: Path, json_path: Path) -> None:
    for path, text in ((html_path, render_html(doc)), (json_path, render_json(doc))):
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
