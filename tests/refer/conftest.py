from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tasman.attribute import attribute_case
from tasman.core.workspace import Workspace
from tasman.refer import agencies, keys, render
from tasman.refer.keys import LocalKeys
from tasman.refer.service import ReferSummary, refer_case
from tests.attribute import factory as f

AGENCIES = {"PH": "PNP Women and Children Protection Center", "NL": "Politie Team Kinderpornografie",
            "DE": "BKA SO12"}


@dataclass
class Sent:
    ws: Workspace
    keys: LocalKeys
    out: Path
    summary: ReferSummary
    partners: dict[str, tuple[Path, LocalKeys]]  # country -> (their workspace folder, their keys)

    def package(self, cc: str, version: int = 1) -> Path:
        return self.out / f"OP-1-{cc}-v{version}.tasman"

    def key_file(self, cc: str) -> Path:
        return self.partners[cc][0] / keys.KEYS_DIR / keys.AGE_FILE


@pytest.fixture
def sent(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """A sender workspace whose case OP-1 was attributed and referred to three partners (whose
    keys live in folders of their own; tests that need their workspace create it)."""
    monkeypatch.setattr(render, "WITH_PDF", False)
    local = keys.generate(ws.root, "Hotline Unit", ["GB"], "unit@example.invalid")
    partners = {}
    with ws.session() as s:
        f.operation(s)
        attribute_case(s, ws.actor, "OP-1")
        for cc, name in AGENCIES.items():
            root = tmp_path / f"partner-{cc}"
            root.mkdir()
            theirs = keys.generate(root, name, [cc], f"{cc.lower()}@example.invalid")
            agencies.add_agency(s, ws.actor, name, [cc], theirs.age_recipient, theirs.public_key, theirs.contact)
            partners[cc] = (root, theirs)
    out = tmp_path / "out"
    with ws.session() as s:
        summary = refer_case(s, ws.actor, "OP-1", out, local, "amber")
    yield Sent(ws, local, out, summary, partners)
