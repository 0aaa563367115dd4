"""``tasman outcome report|import|list`` and ``tasman summary``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from sqlalchemy import select

from tasman.cli.common import Out, TasmanGroup, emit, json_option, plural, state, table
from tasman.cli.say import say
from tasman.core.errors import AlreadyExistsError
from tasman.evidence import get_case
from tasman.refer import keys
from tasman.refer.models import Outcome, OutcomeReport
from tasman.refer.outcomes import STATUSES, import_outcome, report_outcome
from tasman.refer.summary import build_summary, to_csv, to_html

_file = click.Path(path_type=Path, dir_okay=False)


@click.group(cls=TasmanGroup)
def outcome() -> None:
    """Outcomes of referrals: report them (recipient) and import them (sender)."""


@outcome.command("report")
@click.option("--case", "case_ref", required=True, help="Our case the package was imported into.")
@click.option("--package", "package_id", required=True, help="The received package's id (e.g. OP-7-PH-v1).")
@click.option("--subject", "subjects", multiple=True, required=True,
              help="The sender's subject ref, or a money-trail party's P- ref (repeatable).")
@click.option("--status", type=click.Choice(STATUSES), required=True)
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Default: today.")
@click.option("--children", type=click.IntRange(min=0), help="Children safeguarded (with that status).")
@click.option("--note", default="", help="Free text for the sender.")
@click.option("--out", "out_file", type=_file, required=True, help="Where to write the signed report (JSON).")
@json_option
def report(case_ref: str, package_id: str, subjects: tuple[str, ...], status: str, on: object, children: int | None,
           note: str, out_file: Path) -> None:
    """Write a signed outcome report for the sender of a package."""
    if out_file.exists():
        raise AlreadyExistsError(f"{out_file} exists; outcome reports are never overwritten")
    ws = state().ws()
    local = keys.load(ws.root)
    day = on.date() if on is not None else date.today()  # type: ignore[attr-defined]
    items = [{"subject_ref": ref, "status": status, "date": day, "children_safeguarded": children, "note": note}
             for ref in subjects]
    with ws.session() as s:
        signed = report_outcome(s, ws.actor, case_ref, package_id, items, local)
        out_file.write_text(json.dumps(signed.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    data = {"report_id": signed.report.report_id, "sequence": signed.report.sequence, "file": str(out_file)}
    emit(data, lambda con: say(con, f"Signed outcome report {data['report_id']} (sequence {data['sequence']}) "
                                     f"written to {out_file}"))


@outcome.command("import")
@click.argument("file", type=_file)
@click.option("--case", "case_ref", required=True)
@json_option
def import_cmd(file: Path, case_ref: str) -> None:
    """Verify a recipient's signed report against the directory, refuse replays, record it."""
    ws = state().ws()
    with ws.session() as s:
        data = import_outcome(s, ws.actor, case_ref, file)
    emit(data, lambda con: say(con, f"Imported {plural(data['items'], 'outcome')} from {data['agency']} for "
                                     f"{data['package_id']} (sequence {data['sequence']})"))


@outcome.command("list")
@click.option("--case", "case_ref", required=True)
@json_option
def list_cmd(case_ref: str) -> None:
    """Outcomes received for a case."""
    ws = state().ws()
    with ws.session() as s:
        case = get_case(s, case_ref)
        rows = [{"country": o.country, "subject": o.subject_ref, "status": o.status, "date": o.on.isoformat(),
                 "children": o.children_safeguarded, "note": o.note, "agency": r.agency, "sequence": r.sequence}
                for o, r in s.execute(select(Outcome, OutcomeReport).join(OutcomeReport)
                                      .where(Outcome.case_id == case.id).order_by(Outcome.on, Outcome.id))]
        from tasman.core import audit

        audit.record(s, ws.actor, "outcome.list", case_ref=case_ref, count=len(rows))
    emit(rows, lambda con: con.print(table(f"Outcomes of {case_ref}", ["country", "subject", "status", "date",
                                                                       "children", "agency", "note"],
                                           [[r["country"], r["subject"], r["status"], r["date"], r["children"],
                                             r["agency"], r["note"]] for r in rows])))


@click.command("summary")
@click.option("--case", "case_ref", required=True)
@click.option("--csv", "csv_file", type=_file, help="Also write the table as CSV.")
@click.option("--html", "html_file", type=_file, help="Also write an HTML report with a chart (inline SVG).")
@json_option
def summary(case_ref: str, csv_file: Path | None, html_file: Path | None) -> None:
    """Packages sent, acknowledged, arrests and children safeguarded, per country and in total."""
    ws = state().ws()
    with ws.session() as s:
        doc = build_summary(s, ws.actor, case_ref)
    if csv_file:
        csv_file.write_text(to_csv(doc), encoding="utf-8")
    if html_file:
        html_file.write_text(to_html(doc), encoding="utf-8")

    def human(con: Out) -> None:
        short = {"country": "country", "packages": "pkgs", "subjects": "subjects", "acknowledged": "ack",
                 "investigations": "invest.", "searches": "searches", "arrested": "arrested", "charged": "charged",
                 "convicted": "convicted", "children_safeguarded": "children", "no_further_action": "nfa"}
        con.print(table(f"Operation summary: {case_ref}", list(short.values()),
                        [[getattr(r, c) for c in short] for r in [*doc.rows, doc.total]]))
        if doc.rows:
            say(con, "agencies: " + "; ".join(f"{r.country} {r.agency} (v{r.latest_version})" for r in doc.rows))

    emit(doc.model_dump(mode="json"), human)
