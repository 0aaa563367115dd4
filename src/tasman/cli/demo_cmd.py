"""``tasman demo``."""

from __future__ import annotations

from pathlib import Path

import click

from tasman.cli.common import emit, json_option
from tasman.demo import run_demo


@click.command()
@click.argument("directory", required=False, default="demo-out", type=click.Path(path_type=Path))
@json_option
def demo(directory: Path) -> None:
    """Run the main job end to end on generated benign data, in DIRECTORY (default: demo-out).

    DIRECTORY is recreated if an earlier demo made it; any other non-empty folder is refused.
    """
    result = run_demo(directory, say=lambda m: click.echo(f"  {m}", err=True))
    emit({"workspace": str(result.workspace), "report": str(result.report), "steps": result.steps},
         lambda con: con.print(f"Demo finished. Report: {result.report}"))
