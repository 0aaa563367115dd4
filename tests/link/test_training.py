"""u corrected for the true matches among random pairs: the mixture taken apart, never below the floor."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tasman.link.training import U_FLOOR, correct_u


def _linker(lam: float, levels: list[SimpleNamespace]) -> SimpleNamespace:
    return SimpleNamespace(_settings_obj=SimpleNamespace(_probability_two_random_records_match=lam,
                                                         comparisons=[SimpleNamespace(comparison_levels=levels)]))


def test_u_loses_the_matches_among_random_pairs() -> None:
    null = SimpleNamespace(is_null_level=True)
    agree = SimpleNamespace(is_null_level=False, m_probability=0.5, u_probability=0.003)
    shared = SimpleNamespace(is_null_level=False, m_probability=0.9, u_probability=0.001)  # all of it matches
    other = SimpleNamespace(is_null_level=False, m_probability=0.1, u_probability=0.996)
    assert correct_u(_linker(0.002, [null, agree, shared, other])) == 3
    assert agree.u_probability == pytest.approx((0.003 - 0.002 * 0.5) / 0.998)
    assert shared.u_probability == pytest.approx(U_FLOOR * 0.001)  # never below the floor
    assert other.u_probability == pytest.approx((0.996 - 0.002 * 0.1) / 0.998)


def test_nothing_changes_without_a_prior() -> None:
    level = SimpleNamespace(is_null_level=False, m_probability=0.5, u_probability=0.003)
    assert correct_u(_linker(0.0, [level])) == 0 and level.u_probability == 0.003
