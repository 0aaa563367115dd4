"""``tasman money``: import transfer records (goAML, bank statements) and analyse money trails."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import Out, TasmanGroup, emit, emit_result, json_option, progress, state
from tasman.core.errors import NotFoundError
from tasman.money.config import load_config
from tasman.money.importer import import_transactions
from tasman.money.readers import READERS
from tasman.money.readers.goaml_schema import NonConformingError
from tasman.money.run import analyse_workspace


@click.group(cls=TasmanGroup)
def money() -> None:
    """Money trails: transfers to facilitators, indicators, beneficiaries by country."""


@money.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--format", "fmt", required=True, type=click.Choice(sorted(READERS)), help="File format.")
@click.option("--map", "mapping", type=click.Path(path_type=Path, dir_okay=False),
              help="bank-csv: YAML column mapping (see docs/money.md).")
@click.option("--account-holder", metavar="NAME", help="bank-csv: whose statement it is.")
@click.option("--xsd", "xsd", type=click.Path(path_type=Path, dir_okay=False),
              help="goaml: the FIU's XSD; a report that does not conform is listed element by element "
                   "and not imported (exit 5).")
@json_option
def import_(file: Path, case_ref: str, fmt: str, mapping: Path | None, account_holder: str | None,
            xsd: Path | None) -> None:
    """Import FILE as transactions records (re-importing the same file changes nothing)."""
    ws = state().ws()
    try:
        with ws.session() as s:
            summary = import_transactions(s, ws.actor, case_ref, file, fmt, mapping, account_holder, xsd)
    except NonConformingError as exc:
        problems = exc.problems
        rows = [{"element": p.path, "reason": p.reason} for p in problems]

        def listing(c: Out) -> None:
            for p in problems:
                c.print(f"  {p}", markup=False, highlight=False)

        emit({"conforms": False, "nonconforming": rows}, listing)
        raise
    conforms = {"conforms": True} if xsd is not None else {}
    data = {"source": summary.source, **conforms, "added": summary.added, "updated": summary.updated,
            "unchanged": summary.unchanged, "skipped": len(summary.warnings), "warnings": summary.warnings}

    def human(c: Out) -> None:
        c.print(f"{summary.source}: {summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
                f"{len(summary.warnings)} skipped")
        for w in summary.warnings[:20]:
            c.print(f"  warning: {w}", markup=False, highlight=False)
        if len(summary.warnings) > 20:
            c.print(f"  ... and {len(summary.warnings) - 20} more (use --json for all)")

    emit(data, human)


@money.command("analyse")
@click.option("--case", "case_ref", required=True, help="Case reference.")
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
              help="YAML settings: risk countries, corridors, weights, threshold (see docs/money.md).")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder (default: WORKSPACE/out/CASE/money).")
@json_option
def analyse(case_ref: str, config: Path | None, out: Path | None) -> None:
    """Score senders and beneficiaries, write beneficiaries.csv, senders.csv, timeline.csv and money.html."""
    if config is not None and not config.is_file():
        raise NotFoundError(f"no such config file {str(config)!r}")
    cfg = load_config(config)
    ws = state().ws()
    with progress("money") as tick:                          # default folder: WORKSPACE/out/CASE/money
        summary = analyse_workspace(ws, case_ref, cfg, out, stage=tick.stage)
    emit_result(summary)
