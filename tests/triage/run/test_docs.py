"""docs/triage.md cannot fall behind the code: every output column and CLI option is documented."""

from __future__ import annotations

from pathlib import Path

from tasman.cli.triage_cmd import triage
from tasman.triage.outputs import ERRORS_COLUMNS, FILES_COLUMNS, MATCHES_COLUMNS

DOC = Path(__file__).resolve().parents[3] / "docs" / "triage.md"


def test_every_column_and_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for column in (*FILES_COLUMNS, *MATCHES_COLUMNS, *ERRORS_COLUMNS):
        assert f"`{column}`" in text or f"`{column}," in text or f", `{column}`" in text, column
    for param in triage.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and not getattr(param, "hidden", False):
                assert opt in text, opt
