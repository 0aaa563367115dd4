"""``tasman samples DIR [--reply PACKAGE]``: the README walk-through's inputs (``tasman.samples``)."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import emit, json_option
from tasman.cli.say import say


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--reply", "package", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Play the partner: import this package into DIRECTORY/partner and write its signed "
                   "outcome report, DIRECTORY/outcome-CC.json.")
@json_option
def samples(directory: Path, package: Path | None) -> None:
    """Write every input of the README's walk-through into the new folder DIRECTORY.

    Generated and benign: laptop.E01 (a FAT card with a deleted picture), partner-list.json (VICS),
    orders.csv, chats.jsonl, fiu-report.xml, and partner/, a partner agency's workspace with its
    keys/identity.yaml. DIRECTORY/README.txt says what each file is. A non-empty DIRECTORY is
    refused (exit 4).

    \b
    Examples:
      tasman samples ~/tasman-samples
      tasman samples ~/tasman-samples --reply packages/OP-1-PH-v1.tasman
    """
    from tasman import samples as lib  # the generators load only when this command runs

    if package is not None:
        out = lib.reply(directory, package)
        emit({"outcome": str(out)}, lambda con: say(con, f"The partner imported {package.name} and wrote its "
                                                         f"signed outcome report: {out}"))
        return
    made = lib.write_samples(directory)
    emit({"folder": str(made.folder), "files": made.files},
         lambda con: say(con, f"Wrote {len(made.files)} sample inputs to {made.folder} (README.txt says what "
                              f"each is)"))
