"""``tasman hashset``: import, build, fetch (from hash exchanges), list and remove the hash sets
triage matches against."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import Out, TasmanGroup, byte_progress, console, emit, json_option, plural, state, table
from tasman.triage.hashsets import FORMATS
from tasman.triage.hashsets.categories import SCHEMES
from tasman.triage.hashsets.exchange import fetch_exchange
from tasman.triage.hashsets.exchangeapis import EXCHANGES, NCMEC_ENVIRONMENTS
from tasman.triage.hashsets.opinions import report_opinion
from tasman.triage.hashsets.store import (
    COMMIT_EVERY,
    ImportResult,
    build_hashset,
    hashset_dict,
    import_hashset,
    list_hashsets,
    remove_hashset,
)

SHOWN_WARNINGS = 5


def result_dict(r: ImportResult) -> dict[str, object]:
    return {"name": r.name, "format": r.format, "known_good": r.known_good, "entries": r.entries,
            "added": r.added, "removed": r.removed, "replaced": r.replaced, "counts": r.counts,
            "warning_count": r.warning_count, "seconds": round(r.seconds, 2),
            "resumed_after": r.resumed_after,
            "warnings": [{"where": w.where, "message": w.message} for w in r.warnings[:100]]}


def print_result(con: Out, r: ImportResult) -> None:
    kinds = ", ".join(f"{v} {k}" for k, v in r.counts.items() if v)
    verb = f"Replaced {r.name}: +{r.added} -{r.removed}," if r.replaced else f"Imported {r.name}:"
    good = " known-good" if r.known_good else ""
    resumed = f" (went on after the {r.resumed_after:,} rows an interrupted run had stored)" if r.resumed_after else ""
    con.print(f"{verb} {plural(r.entries, 'entry', 'entries')} ({kinds}) from {r.format}{good} list "
              f"in {r.seconds:.1f} s{resumed}")
    if r.warning_count:
        err = console(stderr=True)
        err.print(f"{plural(r.warning_count, 'row')} skipped or changed:")
        for w in r.warnings[:SHOWN_WARNINGS]:
            err.print(f"  {w.where}: {w.message}", markup=False, highlight=False)
        if r.warning_count > SHOWN_WARNINGS:
            err.print(f"  ... and {r.warning_count - SHOWN_WARNINGS} more (see --json)")


@click.group(cls=TasmanGroup)
def hashset() -> None:
    """Hash sets of known material (or known-good files) to triage against."""


@hashset.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--name", required=True, help="Name of the hash set (re-importing a name replaces it).")
@click.option("--format", "fmt", metavar="F", help="Format (default: detected). See 'tasman hashset formats'.")
@click.option("--known-good", is_flag=True, default=None,
              help="A list of known-good files (hits leave review), like NSRL.")
@click.option("--category-scheme", "scheme", metavar="S",
              help=f"How the list names categories: {', '.join(SCHEMES)} (default: the format's own, "
                   "caid for caid-vics, baseline for icse, vic for the rest), or a YAML file mapping another "
                   "scheme's labels onto Project VIC's (docs/triage-hashsets.md).")
@click.option("--category", metavar="C", help="Category for rows that give none (in the list's scheme).")
@click.option("--commit-every", type=click.IntRange(min=1), default=COMMIT_EVERY, show_default=True, metavar="N",
              help="Commit the rows so far, with the import's progress, every N rows.")
@json_option
def import_(file: Path, name: str, fmt: str | None, known_good: bool | None, scheme: str | None,
            category: str | None, commit_every: int) -> None:
    """Import FILE as hash set NAME, streaming; bad rows are skipped and reported. Progress is
    committed every million rows: an import that was killed or interrupted goes on where it
    stopped when run again with the same file and options."""
    ws = state().ws()
    size = file.stat().st_size if file.is_file() else 0
    with byte_progress(f"importing {file.name}", size) as tick, ws.session() as s:
        r = import_hashset(s, ws.actor, file, name, fmt=fmt, known_good=known_good, category_scheme=scheme,
                           category=category, progress=tick, resumable=True,
                           commit_every=commit_every)
    emit(result_dict(r), lambda con: print_result(con, r))


@hashset.command("build")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="Name of the hash set (building a name again replaces it).")
@click.option("--category", metavar="C", help="Category of every file (in --category-scheme).")
@click.option("--category-scheme", "scheme", default="vic", show_default=True, metavar="S",
              help=f"How --category is given: {', '.join(SCHEMES)}, or a scheme file (YAML).")
@click.option("--known-good", is_flag=True, help="The files are known-good (hits leave review).")
@json_option
def build(folder: Path, name: str, category: str | None, scheme: str, known_good: bool) -> None:
    """Build hash set NAME from the files under FOLDER: crypto hashes, PDQ and the region hashes
    that let cropped or captioned copies match. No picture is shown."""
    ws = state().ws()
    with ws.session() as s:
        r = build_hashset(s, ws.actor, folder, name, category=category, known_good=known_good,
                          category_scheme=scheme)
    emit(result_dict(r), lambda con: print_result(con, r))


@hashset.command("list")
@json_option
def list_() -> None:
    """List the hash sets in the workspace."""
    ws = state().ws()
    with ws.session() as s:
        rows = [hashset_dict(h) for h in list_hashsets(s, ws.actor)]

    def human(con: Out) -> None:
        con.print(table("Hash sets", ["name", "format", "entries", "known-good", "imported", "by"],
                        [[r["name"], r["format"], r["entries"], "yes" if r["known_good"] else "",
                          str(r["imported_at"])[:19], r["imported_by"]] for r in rows]))

    emit(rows, human)


@hashset.command("remove")
@click.argument("name")
@json_option
def remove(name: str) -> None:
    """Remove hash set NAME and its entries."""
    ws = state().ws()
    with ws.session() as s:
        n = remove_hashset(s, ws.actor, name)
    emit({"name": name, "removed_entries": n},
         lambda con: con.print(f"Removed hash set {name} ({plural(n, 'entry', 'entries')})"))


@hashset.command("formats")
@json_option
def formats() -> None:
    """List the formats that can be imported and the category schemes."""
    rows = [{"name": f.name, "description": f.description, "known_good": f.known_good,
             "category_scheme": f.default_scheme} for f in FORMATS]

    def human(con: Out) -> None:
        con.print(table("Formats (detected in this order)", ["name", "description", "categories"],
                        [[r["name"], r["description"], r["category_scheme"]] for r in rows]))
        con.print(f"Category schemes: {', '.join(SCHEMES)}")

    emit({"formats": rows, "category_schemes": list(SCHEMES)}, human)


@hashset.command("fetch")
@click.argument("name")
@click.option("--exchange", "api", type=click.Choice(sorted(EXCHANGES)),
              help="The exchange to feed a new list from (python-threatexchange's name); later fetches "
                   "of NAME go on from its cursor without it.")
@click.option("--file", "filename", type=click.Path(path_type=Path, dir_okay=False),
              help="local_file: the signal file ('pdq HEX' / 'video_md5 HEX' lines).")
@click.option("--signal-type", metavar="T", help="local_file: the type of lines that give none (pdq, video_md5).")
@click.option("--environment", type=click.Choice(NCMEC_ENVIRONMENTS), metavar="ENV",
              help=f"ncmec: the NCMEC database to fetch ({', '.join(NCMEC_ENVIRONMENTS[:5])}, ..., test_NGO, ...).")
@click.option("--esp-id", "esp_ids", type=click.IntRange(min=1), multiple=True,
              help="ncmec: take only the entries of this member (ESP) id (repeatable).")
@click.option("--privacy-group", metavar="ID", help="fb_threatexchange: the ThreatPrivacyGroup id.")
@click.option("--category", metavar="C", help="Project VIC category of the fetched hashes the exchange does not "
                                               "grade itself (a new list).")
@click.option("--known-good", is_flag=True, help="A new list of known-good hashes.")
@json_option
def fetch(name: str, api: str | None, filename: Path | None, signal_type: str | None, environment: str | None,
          esp_ids: tuple[int, ...], privacy_group: str | None, category: str | None, known_good: bool) -> None:
    """Fetch hash list NAME from a hash exchange, page by page, taking only what changed since its
    cursor. Credentials stay where python-threatexchange reads them (TX_NCMEC_CREDENTIALS,
    TX_STOPNCII_KEYS, TX_ACCESS_TOKEN, or their files).

    A fetch that fails half-way keeps every complete page and the cursor after it (exit 5)."""
    ws = state().ws()
    settings: dict[str, object] = {}
    if filename is not None:
        settings["filename"] = str(filename)
    if signal_type:
        settings["signal_type"] = signal_type
    if environment:
        settings["environment"] = environment
    if esp_ids:
        settings["only_esp_ids"] = list(esp_ids)
    if privacy_group:
        settings["privacy_group"] = privacy_group
    r = fetch_exchange(ws, name, api=api, settings=settings, category=category, known_good=known_good)
    data = {"name": r.name, "exchange": r.api, "pages": r.pages, "added": r.added, "updated": r.updated,
            "removed": r.removed, "skipped": r.skipped, "entries": r.entries, "complete": r.complete,
            "warnings": r.warnings}

    def human(con: Out) -> None:
        con.print(f"Fetched {r.name} from {r.api}: {r.pages} page(s), +{r.added} ~{r.updated} -{r.removed}, "
                  f"{r.skipped} skipped; {r.entries} entries", markup=False)
        if r.warnings:
            err = console(stderr=True)
            for w in r.warnings[:SHOWN_WARNINGS]:
                err.print(f"  {w}", markup=False, highlight=False)
            if len(r.warnings) > SHOWN_WARNINGS:
                err.print(f"  ... and {len(r.warnings) - SHOWN_WARNINGS} more (see --json)")

    emit(data, human)


@hashset.command("opinion")
@click.argument("name")
@click.argument("signal")
@click.option("--type", "signal_type", default="pdq", show_default=True, help="pdq or video_md5.")
@click.option("--true-positive/--false-positive", "positive", required=True,
              help="The examiner's verdict on a match against SIGNAL.")
@click.option("--reason", metavar="GUID", help="ncmec: the negative-feedback reason id, where NCMEC offers several.")
@json_option
def opinion(name: str, signal: str, signal_type: str, positive: bool, reason: str | None) -> None:
    """Send a true- or false-positive opinion on SIGNAL back to the exchange list NAME comes from
    (NCMEC feedback, a ThreatExchange reaction, StopNCII feedback, or a line added to a local file)."""
    ws = state().ws()
    op = report_opinion(ws, name, signal_type, signal, positive=positive, reason=reason)
    emit({"name": name, "exchange": op.api, "signal_type": signal_type, "signal": op.signal,
          "opinion": op.category, "sent": op.sent},
         lambda con: con.print(f"Sent {op.category} on {signal_type} {op.signal} to the {op.api} exchange of "
                               f"{name}: {'; '.join(op.sent)}", markup=False))
