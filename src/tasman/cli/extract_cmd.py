"""``tasman extract`` and ``tasman export identifiers``."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import emit, emit_result, json_option, plural, progress, state
from tasman.core.errors import InputError
from tasman.core.progress import ticks
from tasman.extract.export import export_identifiers
from tasman.extract.identifiers import IdType, clean_country
from tasman.extract.runner import extract_case


@click.command("extract")
@click.option("--case", "case_ref", required=True, metavar="CASE", help="The case to extract from.")
@click.option("--region", metavar="CC", help="Country (ISO code or name) for national phone numbers in evidence.")
@click.option("--workers", type=click.IntRange(1, 256), help="Worker processes (default: all cores).")
@click.option("--no-records", is_flag=True, help="Skip imported records.")
@click.option("--no-files", is_flag=True, help="Skip evidence files.")
@json_option
def extract(case_ref: str, region: str | None, workers: int | None, no_records: bool, no_files: bool) -> None:
    """Find identifiers (e-mail, phone, IP, handles, payment references, places) in every
    inventoried file of CASE's evidence and in its imported records, and store them.

    Running it again adds only what is new. Files that cannot be read are listed as warnings
    in the run; they do not stop it.
    """
    if region:
        c = clean_country(region)
        if c is None:
            raise InputError(f"unknown region {region!r}: use an ISO 3166 code such as GB")
        region = c.value
    ws = state().ws()
    with progress("extract") as tick:
        summary = extract_case(ws, case_ref, region=region, workers=workers, records=not no_records,
                               files=not no_files, progress=ticks(tick))
    emit_result(summary)


@click.command("identifiers")
@click.option("--case", "case_ref", required=True, metavar="CASE")
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="CSV file to write.")
@click.option("--type", "types", multiple=True, type=click.Choice([t.value for t in IdType]),
              help="Only these types (repeatable).")
@json_option
def identifiers(case_ref: str, out: Path, types: tuple[str, ...]) -> None:
    """Write CASE's identifiers as CSV: type,value,path,offset,context,extractor."""
    ws = state().ws()
    with ws.session() as s:
        n = export_identifiers(s, ws.actor, case_ref, out, types)
    emit({"rows": n, "out": str(out)}, lambda con: con.print(f"Wrote {plural(n, 'identifier')} to {out}"))
