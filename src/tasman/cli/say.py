"""Plain one-line messages for the human output of the attribute and refer commands."""

from __future__ import annotations

from tasman.cli.common import Out


def say(con: Out, text: str) -> None:
    """Unwrapped and without rich markup: values (paths, reasons) may hold brackets."""
    con.print(text, soft_wrap=True, markup=False, highlight=False)
