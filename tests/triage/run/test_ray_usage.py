"""Ray's usage reporting is off for the Ray Tasman starts (checked without starting one)."""

from __future__ import annotations

import os
from typing import Any

import pytest

pytest.importorskip("ray")

from tasman.triage import rayengine


def test_usage_stats_are_off_when_tasman_starts_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def init(**kwargs: Any) -> None:
        seen["env"] = os.environ.get("RAY_USAGE_STATS_ENABLED")
        seen["kwargs"] = kwargs

    monkeypatch.delenv("RAY_USAGE_STATS_ENABLED", raising=False)
    monkeypatch.setattr(rayengine.ray, "is_initialized", lambda: False)
    monkeypatch.setattr(rayengine.ray, "init", init)
    assert rayengine.connect(None, 1) is True
    assert seen["env"] == "0" and seen["kwargs"]["address"] == "local"


def test_an_operators_own_choice_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "1")
    monkeypatch.setattr(rayengine.ray, "is_initialized", lambda: False)
    monkeypatch.setattr(rayengine.ray, "init",
                        lambda **kw: seen.setdefault("env", os.environ["RAY_USAGE_STATS_ENABLED"]))
    rayengine.connect(None, 1)
    assert seen["env"] == "1"
