from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Sequence
from pathlib import Path

from tasman.synth.triage_set import jpeg
from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult, hash_batch
from tasman.triage.pipeline import hash_all


def crashing_batch(items: Sequence[WorkItem], opts: HashOptions) -> list[WorkResult]:
    """A decoder that dies (as a native crash would) on one hostile file."""
    if any(item.path.endswith("boom.jpg") for item in items):
        os.kill(os.getpid(), signal.SIGKILL)
    return hash_batch(items, opts)


def test_a_worker_dying_on_one_file_costs_only_that_file(tmp_path: Path) -> None:
    items = []
    for i in range(40):
        name = "boom.jpg" if i == 17 else f"f{i}.jpg"
        data = jpeg(i, (64, 48))
        items.append(WorkItem(f"ev/{name}", len(data), data=data, tag=i + 1))
    results = {r.hashes.path: r for r in hash_all(items, HashOptions(temp_dir=str(tmp_path)), 2, crashing_batch)}
    assert len(results) == 40
    boom = results["ev/boom.jpg"]
    assert boom.errors == ("worker died (signal 9) hashing this file (a decoder crash?); cryptographic hashes only",)
    assert boom.tag == 18
    assert boom.hashes.md5 == hashlib.md5(items[17].data or b"").hexdigest()      # still inventoried
    others = [r for p, r in results.items() if p != "ev/boom.jpg"]
    assert all(not r.errors and r.hashes.pdq for r in others)
