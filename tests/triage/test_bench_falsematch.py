"""bench/falsematch.py (issue 15): the kind it says a seed draws is the kind ``generate`` draws, so
that the kinds it leaves out of both sides (``TEMPLATE_KINDS``) and the kinds it reports for each
false match are the pictures' own."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import pytest

from tests.benchmods import load_bench


def _falsematch() -> ModuleType:
    return load_bench("falsematch")


def test_kind_of_names_what_generate_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    fm = _falsematch()
    drawn: list[str] = []

    def recorder(name: str, real: Any) -> Any:
        def draw(*args: Any, **kwargs: Any) -> Any:
            drawn.append(name)
            return real(*args, **kwargs)
        return draw

    for name in ("gradient", "text_page", "screenshot", "noise", "draw_picture"):
        kind = {"text_page": "text", "draw_picture": "scene"}.get(name, name)
        monkeypatch.setattr(fm, name, recorder(kind, getattr(fm, name)))
    p2 = sys.modules["pictures2"]
    for kind, fn in list(p2.DRAW.items()):
        monkeypatch.setitem(p2.DRAW, kind, recorder(f"pictures2:{kind}", fn))
    seen = set()
    for seed in range(160):
        drawn.clear()
        fm.generate(seed)
        assert drawn == [fm.kind_of(seed)], seed     # a near-duplicate draws (and is) its original's kind
        seen.add(drawn[0])
    assert {"scene", "gradient", "text", "screenshot", "noise"} <= seen
    assert "pictures2:app" in seen and seen >= fm.TEMPLATE_KINDS
