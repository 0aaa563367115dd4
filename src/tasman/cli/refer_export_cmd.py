"""``tasman export misp|ftm|csv``: attributed subjects for partners' tools (hung on ``export``)."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import emit, json_option, plural, state
from tasman.cli.say import say
from tasman.refer.document import TLPS
from tasman.refer.exports import export_set
from tasman.refer.exports.csv_rows import to_csv
from tasman.refer.exports.ftm import to_jsonl
from tasman.refer.exports.misp import DISTRIBUTIONS, misp_event

_file = click.Path(path_type=Path, dir_okay=False)


def _common(f):  # type: ignore[no-untyped-def]
    f = click.option("--out", "out_file", type=_file, required=True)(f)
    f = click.option("--tlp", type=click.Choice(TLPS), default="amber", show_default=True)(f)
    f = click.option("--country", "countries", multiple=True, help="Only subjects of these countries.")(f)
    f = click.option("--case", "case_ref", required=True)(f)
    return json_option(f)


def _write(kind: str, case_ref: str, countries: tuple[str, ...], tlp: str, out_file: Path, render) -> None:  # type: ignore[no-untyped-def]
    ws = state().ws()
    with ws.session() as s:     # a file that cannot be written leaves no 'export' entry in the audit log
        es = export_set(s, ws.actor, case_ref, kind, list(countries) or None, tlp)
        out_file.write_text(render(es), encoding="utf-8")
    data = {"file": str(out_file), "subjects": len(es.subjects), "countries": es.countries}
    emit(data, lambda con: say(con, f"Wrote {plural(len(es.subjects), 'subject')} "
                                     f"({', '.join(es.countries) or 'none'}) to {out_file}"))


@click.command("misp")
@_common
@click.option("--distribution", type=click.IntRange(0, 4), default=0, show_default=True,
              help="MISP distribution: " + "; ".join(f"{k} {v}" for k, v in DISTRIBUTIONS.items()))
def misp(case_ref: str, countries: tuple[str, ...], tlp: str, out_file: Path, distribution: int) -> None:
    """MISP event JSON: person objects (identifiers on the person, never IDS indicators), bank accounts."""
    _write("misp", case_ref, countries, tlp, out_file, lambda es: misp_event(es, distribution).to_json(indent=2))


@click.command("ftm")
@_common
def ftm(case_ref: str, countries: tuple[str, ...], tlp: str, out_file: Path) -> None:
    """FollowTheMoney entities as JSON lines (Person with idNumber, BankAccount, Ownership, UserAccount)."""
    _write("ftm", case_ref, countries, tlp, out_file, to_jsonl)


@click.command("csv")
@_common
def csv_(case_ref: str, countries: tuple[str, ...], tlp: str, out_file: Path) -> None:
    """CSV: one row per identifier of each attributed subject."""
    _write("csv", case_ref, countries, tlp, out_file, to_csv)
