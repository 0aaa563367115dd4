"""The case report: one HTML page summarising what the case holds. A top layer (like cli and
serve): it reads every stage's results, and no stage imports it. Never shows media."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from tasman import __version__
from tasman.core import audit
from tasman.core.timeutil import iso, utcnow
from tasman.evidence import get_case, list_evidence
from tasman.money.document import MoneyReport
from tasman.money.outputs import render_section
from tasman.money.run import latest_report


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
    money: MoneyReport | None = None  # the latest money analysis, as analysed


def build_case_report(session: Session, actor: str, case_ref: str) -> CaseReport:
    case = get_case(session, case_ref)
    items = list_evidence(session, actor, case_ref)
    money = latest_report(session, case.ref, actor)
    chain = audit.verify(session)
    return CaseReport(
        tasman_version=__version__, generated_at=iso(utcnow()), case_ref=case.ref, case_title=case.title,
        evidence=[EvidenceRow(id=e.id, name=e.name, kind=e.kind, size=e.size, files=e.file_count, sha256=e.sha256,
                              acquired_at=iso(e.acquired_at), custodian=e.custodian) for e in items],
        audit_entries=chain.entries, audit_head=chain.head, audit_ok=chain.ok, money=money,
    )


_env = Environment(loader=PackageLoader("tasman.report", "templates"), autoescape=select_autoescape(["html"]))


def render_html(doc: CaseReport) -> str:
    return _env.get_template("case_report.html").render(r=doc, money=render_section(doc.money) if doc.money else None)


def write_case_report(session: Session, actor: str, case_ref: str, out: Path) -> CaseReport:
    doc = build_case_report(session, actor, case_ref)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(doc), encoding="utf-8")
    out.with_suffix(".json").write_text(doc.model_dump_json(indent=2), encoding="utf-8")
    audit.record(session, actor, "report.write", case_ref=case_ref, target=str(out))
    return doc
