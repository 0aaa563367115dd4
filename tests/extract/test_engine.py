"""The compiled Hyperscan database is kept on disk and loaded by later processes."""

from __future__ import annotations

import logging
from pathlib import Path

import hyperscan
import pytest

from tasman.extract.engine import HyperscanEngine, PatternSpec

SPECS = [PatternSpec(rb"[a-z]+@[a-z]+\.org"), PatternSpec(rb"\d{4}", caseless=True)]
TEXT = b"write to ann@example.org before 2026"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TASMAN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "hyperscan"


def _no_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("compiled although a cached database was there")

    monkeypatch.setattr(hyperscan, "Database", refuse)


def test_second_engine_loads_what_the_first_compiled(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = HyperscanEngine(SPECS).scan(TEXT)
    files = list(cache.glob("*.hsdb"))
    assert len(files) == 1
    _no_compile(monkeypatch)
    assert sorted(HyperscanEngine(SPECS).scan(TEXT)) == sorted(first)
    assert {h[0] for h in first} == {0, 1}


def test_other_patterns_get_another_file(cache: Path) -> None:
    HyperscanEngine(SPECS)
    HyperscanEngine([*SPECS, PatternSpec(rb"skype")])
    HyperscanEngine([SPECS[0], PatternSpec(rb"\d{4}")])  # the same regex without its flag
    assert len(list(cache.glob("*.hsdb"))) == 3


def test_a_damaged_file_is_compiled_again_and_replaced(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    expected = sorted(HyperscanEngine(SPECS).scan(TEXT))
    (path,) = cache.glob("*.hsdb")
    path.write_bytes(path.read_bytes()[:100])
    with caplog.at_level(logging.WARNING, logger="tasman.extract.engine"):
        assert sorted(HyperscanEngine(SPECS).scan(TEXT)) == expected
    assert "not usable" in caplog.text
    _no_compile(monkeypatch)  # the damaged file was written anew
    assert sorted(HyperscanEngine(SPECS).scan(TEXT)) == expected


def test_an_unwritable_cache_only_costs_a_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("TASMAN_CACHE_DIR", str(blocker))
    assert len(HyperscanEngine(SPECS).scan(TEXT)) == 2
    assert blocker.read_text().startswith("a file")
