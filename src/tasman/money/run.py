"""``tasman money analyse``: load a case's records, analyse, store the run, write the files.

One call, one transaction, one audit entry (with the settings' digest and the counts).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman import __version__
from tasman.core import audit
from tasman.core.errors import NotFoundError
from tasman.core.timeutil import iso, utcnow
from tasman.evidence import get_case
from tasman.money.analysis import AnalysisResult, analyse_transfers
from tasman.money.config import MoneyConfig
from tasman.money.document import IndicatorDoc, MoneyReport, Party, Point, Series, party_doc
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


@dataclass
class AnalyseSummary:
    case_ref: str
    run_id: int
    out_dir: Path
    stats: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)
    top_beneficiaries: list[Party] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _store(session: Session, run: MoneyRun, parties: list[Party]) -> None:
    for p in parties:
        session.add(MoneyParty(
            run_id=run.id, role=p.role, key=p.key, name=p.name[:300], country=p.country, rank=p.rank, score=p.score,
            alerted=p.alerted, transfers=p.transfers, total_usd=p.total_usd,
            indicators=[r.model_dump() for r in p.reasons],
            identifiers={"phones": list(p.phones), "emails": list(p.emails), "accounts": list(p.accounts)},
            subjects=list(p.subjects), record_refs=list(p.record_refs),
            extra={"first_seen": p.first_seen, "last_seen": p.last_seen, "counterparties": p.counterparties,
                   "subject_payers": p.subject_payers},
        ))


def _chart(result: AnalysisResult) -> tuple[Series, ...]:
    out = []
    for b in result.beneficiaries[:CHART_SERIES]:
        pts = tuple(Point(ts=iso(t.ts), amount_usd=round(t.amount_usd or 0.0, 2))
                    for t in b.profile.transfers if t.ts is not None and t.amount_usd is not None)
        out.append(Series(label=f"#{b.rank} {b.profile.party.name or b.key}", key=b.key, points=pts))
    return tuple(out)


def analyse_case(session: Session, actor: str, case_ref: str, cfg: MoneyConfig | None = None,
                 out_dir: Path | None = None) -> AnalyseSummary:
    cfg = cfg or MoneyConfig()
    case = get_case(session, case_ref)
    inputs = load_case(session, case.id, cfg)
    if not inputs.transfers:
        hint = f" ({len(inputs.warnings)} unusable: {inputs.warnings[0]})" if inputs.warnings else ""
        raise NotFoundError(f"case {case_ref!r} has no usable transactions records{hint}: "
                            "import some with 'tasman money import'")
    result = analyse_transfers(inputs.transfers, cfg, chats=inputs.chats, subject_keys=inputs.subject_keys,
                               sender_subjects=inputs.sender_subjects, warnings=inputs.warnings)
    settings = cfg.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    run = MoneyRun(case_id=case.id, actor=actor, settings=settings, stats=result.stats())
    session.add(run)
    session.flush()
    benes = [party_doc(b) for b in result.beneficiaries]
    senders = [party_doc(s) for s in result.senders]
    _store(session, run, benes + senders)
    focus = [b for b in result.beneficiaries if b.alerted][:10] or result.beneficiaries[:5]
    subjects = {s for b in focus for t in b.profile.transfers for s in result.parties[t.sender_party].subjects}
    subjects |= {s for b in focus for s in b.profile.party.subjects}
    timeline = tuple(build_timeline(result, focus, triage_hits(session, case.id, subjects)))
    folder = out_dir or Path("money")
    folder.mkdir(parents=True, exist_ok=True)
    files = {"beneficiaries": "beneficiaries.csv", "senders": "senders.csv", "timeline": "timeline.csv",
             "report": "money.html", "document": "money.json", "graph": "transfers.graphml"}
    doc = MoneyReport(
        tasman_version=__version__, generated_at=iso(utcnow()), case_ref=case.ref, run_id=run.id,
        threshold=cfg.threshold, min_indicators=cfg.min_indicators, risk_countries=cfg.risk_countries,
        stats=result.stats(),
        indicators=tuple(IndicatorDoc(name=i.name, weight=cfg.weight(i.name), roles=i.roles,
                                      description=i.description) for i in ALL),
        beneficiaries=tuple(p for p in benes if p.alerted or p.rank <= REPORT_PARTIES),
        senders=tuple(p for p in senders if p.alerted or p.rank <= REPORT_PARTIES),
        chart=_chart(result), timeline=timeline, warnings=tuple(result.warnings[:100]), files=files,
    )
    run.document = doc.model_dump(mode="json")
    write_parties_csv(folder / files["beneficiaries"], benes, BENEFICIARY_COLUMNS)
    write_parties_csv(folder / files["senders"], senders, SENDER_COLUMNS)
    write_timeline_csv(folder / files["timeline"], timeline)
    write_graph(folder / files["graph"], result.graph)
    (folder / files["report"]).write_text(render_html(doc), encoding="utf-8")
    (folder / files["document"]).write_text(doc.model_dump_json(indent=2), encoding="utf-8")
    audit.record(session, actor, "money.analyse", case_ref=case.ref, target=str(folder), run_id=run.id,
                 settings_sha256=digest, **result.stats())
    return AnalyseSummary(case_ref=case.ref, run_id=run.id, out_dir=folder, stats=result.stats(),
                          files={k: str(folder / v) for k, v in files.items()}, top_beneficiaries=benes[:10],
                          warnings=result.warnings)


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
