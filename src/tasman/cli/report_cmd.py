"""``tasman report``: the case report (HTML and JSON), one section per stage, never media."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import Out, emit, json_option, plural, state
from tasman.report import write_case_report


@click.command("report")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="HTML file to write; the JSON document goes beside it (default: WORKSPACE/out/CASE/report.html).")
@json_option
def report(case_ref: str, out: Path | None) -> None:
    """Write the case report: evidence, triage counts, identifiers, subjects and attribution,
    referrals and outcomes, money trails, and the state of the audit chain."""
    ws = state().ws()
    target = out if out is not None else ws.root / "out" / case_ref / "report.html"
    with ws.session() as s:
        doc = write_case_report(s, ws.actor, case_ref, target)
    data = {"html": str(target), "json": str(target.with_suffix(".json")), "evidence": len(doc.evidence),
            "matched_files": doc.triage.matched_files if doc.triage else 0,
            "subjects": doc.subjects.total if doc.subjects else 0,
            "packages": doc.referrals.total.packages if doc.referrals else 0, "audit_ok": doc.audit_ok}

    def human(c: Out) -> None:
        c.print(f"case report: {target}", markup=False, highlight=False)
        c.print(f"  {plural(data['evidence'], 'evidence item')}, {plural(data['matched_files'], 'matched file')}, "
                f"{plural(data['subjects'], 'subject')}, {plural(data['packages'], 'package')}; audit chain "
                f"{'intact' if doc.audit_ok else 'BROKEN'}", markup=False, highlight=False)

    emit(data, human)
