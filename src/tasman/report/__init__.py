"""The case report: one HTML page summarising what the case holds, stage by stage (evidence,
triage, identifiers, subjects, attribution, referrals and outcomes, money trails, audit). A top
layer (like cli and serve): it reads every stage's results through the stages' own read
functions (each audited), and no stage imports it. Never shows media: triage appears as counts.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from tasman import __version__
from tasman.core import audit
from tasman.core.models import Evidence
from tasman.core.timeutil import iso, utcnow
from tasman.evidence import get_case, list_evidence
from tasman.evidence.store import media_hashes
from tasman.extract.export import type_counts
from tasman.link.views import list_subjects
from tasman.money.document import MoneyReport
from tasman.money.run import latest_report
from tasman.refer.summary import Summary, build_summary, chart_svg
from tasman.report.money import render as render_money
from tasman.triage.report import CategoryCount
from tasman.triage.results import latest_reviews, run_report

TOP_SUBJECTS = 25  # the subjects listed by name; the rest are counted


class EvidenceRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    name: str
    kind: str
    size: int
    files: int
    sha256: str
    acquired_at: str
    custodian: str
    acquisition_hashes: str | None = None   # an EWF image: agree | disagree | absent | unreadable
    acquisition_note: str = ""              # the stored MD5/SHA-1, or why they disagree / were unreadable


class TriageSection(BaseModel):
    """The latest finished triage run, as counts: the matched files themselves are in that run's
    own report (matches.csv, report.html), never repeated here."""

    model_config = ConfigDict(frozen=True)
    run_id: int
    finished_at: str | None
    hashsets: list[str]
    files: int
    matched_files: int
    known_good_files: int
    errors: int
    categories: list[CategoryCount]
    report_html: str | None
    confirmed: int = 0   # perceptual matches an examiner confirmed (current decisions, any run of the case)
    declined: int = 0


class IdentifierCount(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str
    sightings: int
    values: int


class SubjectRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    ref: str
    name: str
    records: int
    country: str | None
    confidence: float | None


class SubjectsSection(BaseModel):
    model_config = ConfigDict(frozen=True)
    total: int
    attributed: int
    by_country: dict[str, int]  # attributed country -> subjects
    top: list[SubjectRow]       # the TOP_SUBJECTS with the most records


class CaseReport(BaseModel):
    """The document every renderer works from."""

    model_config = ConfigDict(frozen=True)
    tasman_version: str
    generated_at: str
    case_ref: str
    case_title: str
    evidence: list[EvidenceRow]
    audit_entries: int
    audit_head: str
    audit_ok: bool
    triage: TriageSection | None = None
    identifiers: list[IdentifierCount] = []
    subjects: SubjectsSection | None = None
    referrals: Summary | None = None
    money: MoneyReport | None = None  # the latest money analysis, as analysed


def _triage(session: Session, actor: str, case_ref: str) -> TriageSection | None:
    doc = run_report(session, actor, case_ref)  # the latest finished run, or None
    if doc is None:
        return None
    f = doc.figures
    decided = Counter(r.decision for r in latest_reviews(session, get_case(session, case_ref).id).values())
    return TriageSection(run_id=doc.run_id, finished_at=doc.finished_at, hashsets=doc.hashsets, files=f.files,
                         matched_files=f.matched_files, known_good_files=f.known_good_files, errors=f.errors,
                         categories=doc.categories, report_html=doc.outputs.get("report_html"),
                         confirmed=decided["confirmed"], declined=decided["declined"])


def _subjects(session: Session, actor: str, case_ref: str) -> SubjectsSection | None:
    subjects = list_subjects(session, actor, case_ref)
    if not subjects:
        return None
    by_country = Counter(s.country for s in subjects if s.country)
    return SubjectsSection(
        total=len(subjects), attributed=sum(by_country.values()),
        by_country=dict(sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))),
        top=[SubjectRow(ref=s.ref, name=s.name, records=s.records, country=s.country, confidence=s.confidence)
             for s in subjects[:TOP_SUBJECTS]])


def _evidence_row(session: Session, e: Evidence) -> EvidenceRow:
    m = media_hashes(session, e.id)
    note = ""
    if m is not None:
        stored = [f"{alg} {h}" for alg, h in (("MD5", m.md5_stored), ("SHA-1", m.sha1_stored)) if h]
        note = m.reason or ", ".join(stored)
    return EvidenceRow(id=e.id, name=e.name, kind=e.kind, size=e.size, files=e.file_count, sha256=e.sha256,
                       acquired_at=iso(e.acquired_at), custodian=e.custodian,
                       acquisition_hashes=m.status if m else None, acquisition_note=note)


def build_case_report(session: Session, actor: str, case_ref: str) -> CaseReport:
    case = get_case(session, case_ref)
    items = list_evidence(session, actor, case_ref)
    triage = _triage(session, actor, case_ref)
    identifiers = [IdentifierCount(type=t, sightings=n, values=d) for t, n, d in type_counts(session, case.id)]
    subjects = _subjects(session, actor, case_ref)
    summary = build_summary(session, actor, case_ref)
    money = latest_report(session, case.ref, actor)
    chain = audit.verify(session)  # last, so the head covers this report's own reads
    return CaseReport(
        tasman_version=__version__, generated_at=iso(utcnow()), case_ref=case.ref, case_title=case.title,
        evidence=[_evidence_row(session, e) for e in items],
        audit_entries=chain.entries, audit_head=chain.head, audit_ok=chain.ok, triage=triage,
        identifiers=identifiers, subjects=subjects, referrals=summary if summary.rows else None, money=money,
    )


def seconds(value: str | None) -> str:
    """An ISO time of the document as a reader wants it: ``2026-11-23 16:43:13`` (UTC, to the
    second); a value that is no ISO time is shown as it is."""
    if not value:
        return ""
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return value
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def counted(n: int, word: str) -> str:
    """``1 transfer``, ``2 transfers``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


_env = Environment(loader=PackageLoader("tasman.report", "templates"), autoescape=select_autoescape(["html"]))
_env.filters["seconds"] = seconds
_env.filters["counted"] = counted


def contents(doc: CaseReport) -> list[tuple[str, str]]:
    """The table of contents: (anchor, title) of each section the report has, in its order."""
    present = [("evidence", "Evidence", True), ("triage", "Triage", doc.triage is not None),
               ("identifiers", "Identifiers", bool(doc.identifiers)),
               ("subjects", "Subjects and attribution", doc.subjects is not None),
               ("referrals", "Referrals and outcomes", doc.referrals is not None),
               ("money", "Money trails", doc.money is not None), ("audit", "Audit", True)]
    return [(anchor, title) for anchor, title, shown in present if shown]


def render_html(doc: CaseReport) -> str:
    return _env.get_template("case_report.html").render(
        r=doc, toc=contents(doc), money=render_money(_env, doc.money) if doc.money else None,
        referrals_chart=Markup(chart_svg(doc.referrals)) if doc.referrals else None)


def write_case_report(session: Session, actor: str, case_ref: str, out: Path) -> CaseReport:
    doc = build_case_report(session, actor, case_ref)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(doc), encoding="utf-8")
    out.with_suffix(".json").write_text(doc.model_dump_json(indent=2), encoding="utf-8")
    audit.record(session, actor, "report.write", case_ref=case_ref, target=str(out))
    return doc
