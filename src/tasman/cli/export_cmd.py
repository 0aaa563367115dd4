"""``tasman export``: the group each stage hangs its exports on (identifiers, subjects, ...)."""

from __future__ import annotations

import click

from tasman.cli.common import TasmanGroup


@click.group(cls=TasmanGroup)
def export() -> None:
    """Write case data to files for other tools (CSV, JSONL, MISP, FollowTheMoney, VICS)."""
