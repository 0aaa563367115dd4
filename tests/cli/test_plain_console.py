"""cli.common.PlainConsole: where there is no terminal it writes what Rich would, without Rich
where Rich would change nothing."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from rich.console import Console

from tasman.cli.common import UNLIMITED, PlainConsole, table

CASES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("Created case C-1",), {}),
    (("two", "words"), {}),
    (("no end",), {"end": ""}),
    (("",), {}),
    (("a [bold]tag[/bold] and [1] a bracket",), {}),
    (("a [bold]tag[/bold] kept as it is",), {"markup": False}),
    (("at 12:30:00 :smile: code",), {}),
    (("a\ttab and\na line break",), {}),
    (("x" * 300,), {"soft_wrap": True, "highlight": False}),
    ((table("Cases", ["ref", "title"], [["C-1", "a title\twith a tab"], ["C-2", "x" * 200]]),), {}),
    ((table(None, ["a"], []),), {}),
    (("centred",), {"justify": "center"}),
]


def _rich(objects: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    out = io.StringIO()
    Console(file=out, width=UNLIMITED, soft_wrap=True).print(*objects, **kwargs)
    return out.getvalue()


@pytest.mark.parametrize(("objects", "kwargs"), CASES)
def test_plain_console_writes_what_rich_writes_without_a_terminal(objects: tuple[Any, ...], kwargs: dict[str, Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    PlainConsole().print(*objects, **kwargs)
    assert out.getvalue() == _rich(objects, kwargs)


def test_plain_console_leaves_rich_unused_for_tables_and_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    con = PlainConsole()
    con.print(table("Cases", ["ref"], [["C-1"]]))
    con.print("Created case C-1", markup=False)
    assert con._rich is None
    con.print("[bold]markup[/bold]")
    assert con._rich is not None
