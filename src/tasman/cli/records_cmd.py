"""``tasman records``: import order lists, chat logs, tips and transfers; list what was imported."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import Out, TasmanGroup, emit, fail, json_option, plural, state, table
from tasman.core.errors import ExitCode
from tasman.core.fields import KINDS
from tasman.records.importing import import_file, list_imports

SHOWN_WARNINGS = 20


@click.group(cls=TasmanGroup)
def records() -> None:
    """Import records (orders, chat logs, tips, transfers) into a case."""


@records.command("import")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--case", "case_ref", required=True, help="The case to import into.")
@click.option("--kind", type=click.Choice(KINDS), required=True, help="What the file holds.")
@click.option("--map", "mapping", type=click.Path(path_type=Path),
              help="YAML column mapping (customers, transactions). Without it the mapping an earlier import saved "
                   "in WORKSPACE/out/mappings is used (never overwritten; a different new guess is saved beside "
                   "it as .mapping.guess.yaml), or one is guessed and saved there.")
@click.option("--source", help="Source name to store (default: the file name).")
@click.option("--strict", is_flag=True, help="Import nothing if any row is bad.")
@json_option
def import_(path: Path, case_ref: str, kind: str, mapping: Path | None, source: str | None, strict: bool) -> None:
    """Import FILE into CASE as records of KIND.

    Re-importing a file changes nothing. Bad rows are skipped with a warning naming the row;
    the good rows are imported. Exit 0 when every row was imported, 5 when rows were skipped
    (or nothing could be imported).
    """
    ws = state().ws()
    with ws.session() as s:
        rep = import_file(s, ws.actor, case_ref, path, kind, mapping, source=source, strict=strict,
                          save_mapping_dir=ws.out_dir("mappings"))
    data = rep.as_dict()

    def human(con: Out) -> None:
        if rep.mapping_used:
            con.print(f"Column mapping from {rep.mapping_used} (saved by an earlier import; correct it there)",
                      markup=False)
            if rep.mapping_diff:
                con.print(f"The mapping guessed now differs from it (saved as {rep.mapping_saved}; not used):",
                          markup=False)
                for line in rep.mapping_diff:
                    con.print(f"  {line}", markup=False)
        elif rep.mapping is not None and rep.mapping.guessed:
            con.print("Guessed column mapping (check it):")
            con.print(table(None, ["column", "field"],
                            [[c, f or "(ignored)"] for c, f in rep.mapping.columns.items()]))
            if rep.mapping_saved:
                con.print(f"Saved as {rep.mapping_saved}; correct it and import again with --map if needed.",
                          markup=False)
        for note in rep.notes:
            con.print(f"note: {note}", markup=False)
        for w in rep.warnings[:SHOWN_WARNINGS]:
            con.print(f"warning: {w}", markup=False)
        if len(rep.warnings) > SHOWN_WARNINGS:
            con.print(f"... and {len(rep.warnings) - SHOWN_WARNINGS} more warnings (--json lists all)")
        status = "complete" if rep.complete else f"PARTIAL: {rep.skipped} of {rep.total} rows skipped"
        con.print(f"{rep.source}: {plural(rep.total, 'row')} read, {rep.imported} imported ({rep.added} new, "
                  f"{rep.updated} updated, {rep.unchanged} unchanged), {rep.skipped} skipped [{status}]",
                  markup=False, soft_wrap=True)

    emit(data, human)
    if not rep.complete:
        fail(f"{rep.source}: {rep.skipped} of {rep.total} rows were skipped; the other {rep.imported} are imported",
             int(ExitCode.BAD_INPUT))


@records.command("list")
@click.option("--case", "case_ref", required=True, help="The case.")
@json_option
def list_(case_ref: str) -> None:
    """List the imports of CASE, with how complete each was."""
    ws = state().ws()
    with ws.session() as s:
        rows = [{"id": r.id, "kind": r.kind, "source": r.source, "sha256": r.sha256, "rows": r.total,
                 "added": r.added, "updated": r.updated, "unchanged": r.unchanged, "skipped": r.skipped,
                 "complete": r.complete, "warnings": r.warning_count, "by": r.actor,
                 "at": r.imported_at.isoformat()} for r in list_imports(s, ws.actor, case_ref)]

    def human(con: Out) -> None:
        con.print(table(f"Imports of {case_ref}", ["id", "kind", "source", "rows", "skipped", "status", "at"],
                        [[r["id"], r["kind"], r["source"], r["rows"], r["skipped"],
                          "complete" if r["complete"] else "partial", str(r["at"])[:19]] for r in rows]))

    emit(rows, human)
