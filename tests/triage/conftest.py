"""Shared triage fixtures: one generated benign evidence set per test session, and a small
stand-in matcher (exact MD5 and PDQ within 31 bits, variants included) for the runner tests."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tasman.synth.triage_set import TriageSet, make_triage_set
from tasman.triage.hashing.pdq import hamming
from tasman.triage.types import FileHashes, Match

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    """One local Ray per test session (2 CPUs, no dashboard, a small object store): the Ray
    engine uses a Ray this process already started and leaves it running. Its workers import
    this checkout's tasman and the tests' own batch functions."""
    import ray

    from tasman.core.procs import tasman_on_path

    with tasman_on_path(str(ROOT)):
        ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=80 << 20,
                 ignore_reinit_error=True, log_to_driver=False, logging_level=logging.ERROR)
    yield
    ray.shutdown()


@pytest.fixture(scope="session")
def triage_set(tmp_path_factory: pytest.TempPathFactory) -> TriageSet:
    return make_triage_set(tmp_path_factory.mktemp("evidence") / "set", disk_extras=True)


class FakeMatcher:
    """What tasman.triage.match provides, reduced to what the runner needs to be tested."""

    def __init__(self, hashlist: Path, name: str = "known", threshold: int = 31) -> None:
        self.name, self.threshold = name, threshold
        self.md5: dict[str, int] = {}
        self.pdq: list[tuple[str, int]] = []
        self.calls = 0
        with open(hashlist, newline="") as fh:
            for row in csv.DictReader(fh):
                self.md5[row["md5"]] = int(row["category"])
                if row["pdq"]:
                    self.pdq.append((row["pdq"], int(row["category"])))

    def match(self, files: Sequence[FileHashes]) -> list[Match]:
        self.calls += 1
        out: list[Match] = []
        for f in files:
            if f.md5 in self.md5:
                out.append(Match(f.path, "exact", "md5", self.name, self.md5[f.md5]))
                continue
            if f.pdq is None or (f.pdq_quality or 0) < 50:
                continue
            best = min(((min(hamming(q, h) for q in (f.pdq, *f.pdq_variants)), c) for h, c in self.pdq),
                       default=None)
            if best is not None and best[0] <= self.threshold:
                out.append(Match(f.path, "perceptual", "pdq", self.name, best[1], distance=best[0]))
        return out


@pytest.fixture
def fake_matcher(triage_set: TriageSet) -> FakeMatcher:
    return FakeMatcher(triage_set.hashlist)
