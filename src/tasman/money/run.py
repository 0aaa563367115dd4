"""``tasman money analyse``: load a case's records, analyse, store the run, write the files.

A run reads and computes first, writes its files into a staging folder, and stores the run, its
scored parties and its audit entry (with the settings' digest and the counts) in one short
transaction; the files take their places only once that is done. A run that fails or is
interrupted leaves no run behind and the previous run's files in place, and other writers (the
web app's pages, which audit every read) never wait for the analysis. ``analyse_workspace`` reads
and writes in transactions of its own (the CLI and the web app's job); ``analyse_case`` does all
of it in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tasman import __version__
from tasman.core import audit
from tasman.core.errors import NotFoundError, NothingToDo
from tasman.core.progress import Line, StageHook, Table, no_stage, plural
from tasman.core.timeutil import iso, utcnow
from tasman.core.workspace import Workspace
from tasman.evidence import get_case
from tasman.money.analysis import AnalysisResult, analyse_transfers
from tasman.money.config import MoneyConfig
from tasman.money.document import IndicatorDoc, MoneyReport, Party, Point, Series, TimelineEvent, party_doc
from tasman.money.indicators import ALL
from tasman.money.load import load_case
from tasman.money.models import MoneyParty, MoneyRun
from tasman.money.outputs import (
    BENEFICIARY_COLUMNS,
    SENDER_COLUMNS,
    render_html,
    write_graph,
    write_parties_csv,
    write_timeline_csv,
)
from tasman.money.timeline import build_timeline, triage_hits

REPORT_PARTIES = 50   # rows per table in the HTML report (every alerted party is shown besides)
CHART_SERIES = 5
FILES = {"beneficiaries": "beneficiaries.csv", "senders": "senders.csv", "timeline": "timeline.csv",
         "report": "money.html", "document": "money.json", "graph": "transfers.graphml"}


@dataclass(frozen=True)
class AnalyseSummary:
    case_ref: str
    run_id: int
    out_dir: Path
    stats: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)
    top_beneficiaries: list[Party] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def page(self) -> str:
        return "money"

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case_ref, "run": self.run_id, "run_id": self.run_id, "out": str(self.out_dir),
                "stats": self.stats, "files": self.files,
                "top_beneficiaries": [{"rank": p.rank, "key": p.key, "name": p.name, "country": p.country,
                                       "score": p.score, "alerted": p.alerted, "indicators": p.indicator_names}
                                      for p in self.top_beneficiaries]}

    def summary_line(self) -> str:
        st = self.stats
        return (f"money run {self.run_id}: {st.get('transfers', 0)} transfers, "
                f"{st.get('beneficiaries', 0)} beneficiaries ({st.get('alerted_beneficiaries', 0)} alerted), "
                f"{st.get('senders', 0)} senders ({st.get('alerted_senders', 0)} alerted)")

    def lines(self) -> list[Line]:
        st = self.stats
        return [f"run {self.run_id}: {plural(st['transfers'], 'transfer')}, "
                f"{plural(st['beneficiaries'], 'beneficiary', 'beneficiaries')} "
                f"({st['alerted_beneficiaries']} alerted), "
                f"{plural(st['senders'], 'sender')} ({st['alerted_senders']} alerted), "
                f"{plural(st['warnings'], 'record')} not usable",
                Table("Top beneficiaries", ("#", "name", "country", "score", "alert", "indicators"),
                      tuple((p.rank, p.name, p.country or "?", p.score, "yes" if p.alerted else "",
                             ", ".join(p.indicator_names)) for p in self.top_beneficiaries)),
                f"outputs in {self.out_dir}: {', '.join(Path(v).name for v in self.files.values())}"]


@dataclass
class Analysis:
    """A computed analysis not yet stored."""

    case_id: int
    case_ref: str
    cfg: MoneyConfig
    result: AnalysisResult
    beneficiaries: list[Party]
    senders: list[Party]
    timeline: tuple[TimelineEvent, ...]


def _party_rows(run_id: int, parties: list[Party]) -> list[dict[str, Any]]:
    return [{"run_id": run_id, "role": p.role, "key": p.key, "name": p.name[:300], "country": p.country,
             "rank": p.rank, "score": p.score, "alerted": p.alerted, "transfers": p.transfers,
             "total_usd": p.total_usd, "indicators": [r.model_dump() for r in p.reasons],
             "identifiers": {"phones": list(p.phones), "emails": list(p.emails), "accounts": list(p.accounts)},
             "subjects": list(p.subjects), "record_refs": list(p.record_refs),
             "extra": {"first_seen": p.first_seen, "last_seen": p.last_seen, "counterparties": p.counterparties,
                       "subject_payers": p.subject_payers}} for p in parties]


def _chart(result: AnalysisResult) -> tuple[Series, ...]:
    out = []
    for b in result.beneficiaries[:CHART_SERIES]:
        pts = tuple(Point(ts=iso(t.ts), amount_usd=round(t.amount_usd or 0.0, 2))
                    for t in b.profile.transfers if t.ts is not None and t.amount_usd is not None)
        out.append(Series(label=f"#{b.rank} {b.profile.party.name or b.key}", key=b.key, points=pts))
    return tuple(out)


def prepare_analysis(session: Session, case_ref: str, cfg: MoneyConfig | None = None,
                     stage: StageHook = no_stage) -> Analysis:
    """The analysis, computed from what the case holds (reads only)."""
    cfg = cfg or MoneyConfig()
    case = get_case(session, case_ref)
    with stage("load"):
        inputs = load_case(session, case.id, cfg)
    if not inputs.transfers and not inputs.warnings:
        raise NothingToDo(f"nothing to analyse: case {case.ref} has no transactions records; "
                          "import some with `tasman money import`")
    if not inputs.transfers:
        hint = f" ({len(inputs.warnings)} unusable: {inputs.warnings[0]})" if inputs.warnings else ""
        raise NotFoundError(f"case {case_ref!r} has no usable transactions records{hint}: "
                            "import some with 'tasman money import'")
    with stage("analyse"):
        result = analyse_transfers(inputs.transfers, cfg, chats=inputs.chats, subject_keys=inputs.subject_keys,
                                   sender_subjects=inputs.sender_subjects, warnings=inputs.warnings)
        focus = [b for b in result.beneficiaries if b.alerted][:10] or result.beneficiaries[:5]
        subjects = {s for b in focus for t in b.profile.transfers for s in result.parties[t.sender_party].subjects}
        subjects |= {s for b in focus for s in b.profile.party.subjects}
        timeline = tuple(build_timeline(result, focus, triage_hits(session, case.id, subjects)))
    return Analysis(case.id, case.ref, cfg, result, [party_doc(b) for b in result.beneficiaries],
                    [party_doc(s) for s in result.senders], timeline)


def write_data_files(analysis: Analysis, folder: Path) -> None:
    """The files that do not name the run (the tables, the timeline, the graph)."""
    write_parties_csv(folder / FILES["beneficiaries"], analysis.beneficiaries, BENEFICIARY_COLUMNS)
    write_parties_csv(folder / FILES["senders"], analysis.senders, SENDER_COLUMNS)
    write_timeline_csv(folder / FILES["timeline"], analysis.timeline)
    write_graph(folder / FILES["graph"], analysis.result.graph)


def store_analysis(session: Session, actor: str, analysis: Analysis, out_dir: Path, staging: Path) -> AnalyseSummary:
    """Store the run, its parties and audit entry in the caller's transaction, and write the files
    that name the run (the report and its document, bounded in size) into ``staging``."""
    cfg, result = analysis.cfg, analysis.result
    settings = cfg.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    run = MoneyRun(case_id=analysis.case_id, actor=actor, settings=settings, stats=result.stats())
    run.finish()
    session.add(run)
    session.flush()
    benes, senders = analysis.beneficiaries, analysis.senders
    rows = _party_rows(run.id, benes + senders)
    for i in range(0, len(rows), 5000):
        session.execute(insert(MoneyParty), rows[i:i + 5000])
    doc = MoneyReport(
        tasman_version=__version__, generated_at=iso(utcnow()), case_ref=analysis.case_ref, run_id=run.id,
        threshold=cfg.threshold, min_indicators=cfg.min_indicators, risk_countries=cfg.risk_countries,
        stats=result.stats(),
        indicators=tuple(IndicatorDoc(name=i.name, weight=cfg.weight(i.name), roles=i.roles,
                                      description=i.description) for i in ALL),
        beneficiaries=tuple(p for p in benes if p.alerted or p.rank <= REPORT_PARTIES),
        senders=tuple(p for p in senders if p.alerted or p.rank <= REPORT_PARTIES),
        chart=_chart(result), timeline=analysis.timeline, warnings=tuple(result.warnings[:100]), files=FILES,
    )
    run.document = doc.model_dump(mode="json")
    (staging / FILES["report"]).write_text(render_html(doc), encoding="utf-8")
    (staging / FILES["document"]).write_text(doc.model_dump_json(indent=2), encoding="utf-8")
    audit.record(session, actor, "money.analyse", case_ref=analysis.case_ref, target=str(out_dir), run_id=run.id,
                 settings_sha256=digest, **result.stats())
    return AnalyseSummary(case_ref=analysis.case_ref, run_id=run.id, out_dir=out_dir, stats=result.stats(),
                          files={k: str(out_dir / v) for k, v in FILES.items()}, top_beneficiaries=benes[:10],
                          warnings=result.warnings)


@contextmanager
def staged(folder: Path) -> Iterator[Path]:
    """A staging folder inside ``folder``, removed on the way out (with what is left in it)."""
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, folder: Path) -> None:
    """Each staged file takes its place (a rename within the folder: never half a file)."""
    for name in FILES.values():
        os.replace(staging / name, folder / name)


def analyse_case(session: Session, actor: str, case_ref: str, cfg: MoneyConfig | None = None,
                 out_dir: Path | None = None, stage: StageHook = no_stage) -> AnalyseSummary:
    """A whole analysis in the caller's transaction (which, on SQLite, takes the write lock only
    once the analysis and its tables are done)."""
    analysis = prepare_analysis(session, case_ref, cfg, stage)
    return _store_and_publish(analysis, out_dir or Path("money"), actor, nullcontext(session), stage)


def analyse_workspace(ws: Workspace, case_ref: str, cfg: MoneyConfig | None = None, out_dir: Path | None = None,
                      stage: StageHook = no_stage) -> AnalyseSummary:
    """An analysis as ``ws.actor`` in transactions of its own: one reads and computes, one stores
    the run; its files are published once the run is stored."""
    with ws.session() as s:
        analysis = prepare_analysis(s, case_ref, cfg, stage)
    folder = out_dir or ws.out_dir(analysis.case_ref, "money")
    return _store_and_publish(analysis, folder, ws.actor, ws.session(), stage)


def _store_and_publish(analysis: Analysis, folder: Path, actor: str, transaction: AbstractContextManager[Session],
                       stage: StageHook) -> AnalyseSummary:
    """The data files staged, the run stored in ``transaction``, then every file put in its place."""
    with staged(folder) as staging:
        with stage("files"):
            write_data_files(analysis, staging)
        with stage("store"), transaction as s:
            summary = store_analysis(s, actor, analysis, folder, staging)
        publish(staging, folder)
    return summary


def latest_run(session: Session, case_id: int) -> MoneyRun | None:
    return session.scalars(select(MoneyRun).where(MoneyRun.case_id == case_id)
                           .order_by(MoneyRun.id.desc()).limit(1)).first()


def latest_report(session: Session, case_ref: str, actor: str) -> MoneyReport | None:
    """The report document of the case's latest money analysis, as it was analysed (tables,
    chart series, timeline); None when no analysis ran (or only one from before runs kept their
    document). The read is audited."""
    case = get_case(session, case_ref)
    run = latest_run(session, case.id)
    doc = MoneyReport.model_validate(run.document) if run is not None and run.document else None
    audit.record(session, actor, "money.report.read", case_ref=case.ref, target=f"run {run.id if run else '-'}",
                 found=doc is not None)
    return doc
