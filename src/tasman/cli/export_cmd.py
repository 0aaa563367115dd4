"""``tasman export``: the group each stage hangs its exports on (identifiers, subjects, ...);
its subcommands are listed in ``tasman.cli.main.COMMANDS`` as ``"export NAME"``."""

from __future__ import annotations

import click

from tasman.cli.lazy import LazyGroup


@click.group(cls=LazyGroup)
def export() -> None:
    """Write case data to files for other tools (CSV, JSONL, MISP, FollowTheMoney, VICS)."""
