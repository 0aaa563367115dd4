"""``tasman export vics|case``: a triage run (or a hash set) as VICS 2.0 JSON, a triage run or a
sent referral package as CASE/UCO JSON-LD (hung on ``export``)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from tasman.cli.common import emit, json_option, state
from tasman.cli.say import say
from tasman.core.caseuco import write_document
from tasman.core.errors import InputError
from tasman.refer.exports.case_uco import referral_nodes
from tasman.triage.caseuco import run_nodes
from tasman.triage.vicsexport import export_hashset, export_run

_file = click.Path(path_type=Path, dir_okay=False)


@click.command("vics")
@click.option("--case", "case_ref", help="Export this case's latest finished triage run (or --run).")
@click.option("--run", "run_id", type=click.IntRange(1), help="This triage run of the case, not the latest.")
@click.option("--hashset", "hashset", help="Export this hash set instead of a triage run.")
@click.option("--out", "out_file", type=_file, required=True)
@json_option
def vics(case_ref: str | None, run_id: int | None, hashset: str | None, out_file: Path) -> None:
    """VICS 2.0 JSON (Project VIC) for Griffeye, XAMN and 'tasman hashset import': the categorised
    hashes of a triage run (exact matches and examiner-confirmed perceptual ones) or of a hash set."""
    if (case_ref is None) == (hashset is None):
        raise InputError("give either --case (a triage run) or --hashset (a hash set)")
    if hashset is not None and run_id is not None:
        raise InputError("--run goes with --case, not --hashset")
    ws = state().ws()
    with ws.session() as s:
        if hashset is not None:
            res = export_hashset(s, ws.actor, hashset, out_file)
        else:
            assert case_ref is not None
            res = export_run(s, ws.actor, case_ref, out_file, run_id)
    waiting = f"; {res.awaiting_review} matches awaiting review not exported" if res.awaiting_review else ""
    no_md5 = f"; {res.without_md5} without MD5" if res.without_md5 else ""
    emit(asdict(res), lambda con: say(con, f"Wrote {res.media} media ({res.files} files) to {out_file}"
                                           f"{waiting}{no_md5}"))


@click.command("case")
@click.option("--case", "case_ref", required=True)
@click.option("--run", "run_id", type=click.IntRange(1), help="This triage run of the case, not the latest.")
@click.option("--referral", "package_id", help="A package the case sent or received (its id, see 'tasman package "
                                               "list'): its subjects and identifiers instead of a triage run.")
@click.option("--country", help="The latest package the case sent to this country (code or name).")
@click.option("--out", "out_file", type=_file, required=True)
@json_option
def case_(case_ref: str, run_id: int | None, package_id: str | None, country: str | None, out_file: Path) -> None:
    """CASE/UCO JSON-LD of a triage run (the investigative action, Tasman as its tool, the evidence
    with its hashes, the files found with their hashes and '!/' provenance chain) or, with
    --referral or --country, of a referral package sent or received (its subjects as persons, their
    identifiers as observables, the package's sender and id as provenance: only what the package holds)."""
    chosen = [o for o, v in (("--run", run_id), ("--referral", package_id), ("--country", country)) if v is not None]
    if len(chosen) > 1:
        raise InputError(f"give one of {', '.join(chosen)}: a triage run or a referral package")
    ws = state().ws()
    left_out: dict[str, int] = {}
    with ws.session() as s:
        if package_id is not None or country is not None:
            nodes, missing = referral_nodes(s, ws.actor, case_ref, package_id, country)
            left_out = dict(missing)
        else:
            nodes = run_nodes(s, ws.actor, case_ref, run_id)
        count = write_document(out_file, nodes)
    note = ("; not exported (no UCO class): " + ", ".join(f"{n} {t}" for t, n in sorted(left_out.items()))
            if left_out else "")
    emit({"file": str(out_file), "nodes": count, "left_out": left_out},
         lambda con: say(con, f"Wrote {count} CASE/UCO nodes to {out_file}{note}"))
