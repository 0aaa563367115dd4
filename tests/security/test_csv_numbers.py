"""Secreview: the numbers exception of ``csvsafe.cell``. Only ASCII digits make a "number" left
unescaped (``\\d`` also matched Arabic-Indic and full-width digits, which a spreadsheet reads as
a formula); DDE-style payloads that start like a number or an E.164 phone are escaped."""

from __future__ import annotations

import pytest

from tasman.core import csvsafe


@pytest.mark.parametrize("value", ["-1+cmd|' /C calc'!A0", "+1 (555) =1+1", "-1;=1+1", "+639171234567\n=1+1",
                                   "-\u0661\u0662\u0663", "+\uff11\uff12", "-1.5e3"])
def test_near_numbers_are_escaped(value: str) -> None:
    assert csvsafe.cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-12.50", "+639171234567", "+639171234567;+441234567890", "-1;-2"])
def test_numbers_stay_as_they_are(value: str) -> None:
    assert csvsafe.cell(value) == value
