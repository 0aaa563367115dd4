"""Start nothing twice (issue 20): a stage's worker processes import what their work needs, never
the CLI, the demo, Splink or the web app, however heavy the process that starts them.

Each check runs a script as ``__main__`` that first imports what a CLI run holds (the CLI, the
demo, Splink), then starts the stage's own pool with ``core.procs.loaded_modules`` as the work
and prints the worker's ``sys.modules``. A worker that re-ran ``__main__`` (as ``spawn`` does)
or whose preload pulls in the CLI fails it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
NEVER = ("tasman.cli", "tasman.demo", "tasman.serve", "splink", "duckdb", "sqlalchemy", "fastapi", "tasman.link.run")

HEAVY_MAIN = """
import json, os, sys
import splink                          # what a CLI run's main process may hold
import tasman.cli.main, tasman.cli.link_cmd, tasman.demo
from tasman.core.procs import loaded_modules
"""

STAGES = {
    # triage: the hashing pool itself (HashPool), hashing one real file
    "triage": HEAVY_MAIN + """
from tasman.triage.hashing.worker import HashOptions, WorkItem
from tasman.triage.pipeline import HashPool
path = sys.argv[1]
with HashPool(2, loaded_modules) as pool:
    results = list(pool.run([WorkItem(path=path, size=os.path.getsize(path))], HashOptions(temp_dir=sys.argv[2])))
print(json.dumps(results[0]))
""",
    # link: the pool normalise_rows runs its batches on, with its own preload
    "link": HEAVY_MAIN + """
from tasman.core.procs import ordered_map
from tasman.link.normalise import WORKER_PRELOAD
(mods,) = ordered_map(loaded_modules, [[0]], 2, preload=WORKER_PRELOAD)
print(json.dumps(mods[0]))
""",
    # extraction: its runner's pool (bounded_map with its preload and initializer)
    "extract": HEAVY_MAIN + """
from tasman.core.procs import bounded_map
from tasman.extract import runner
(mods,) = bounded_map(loaded_modules, [[0]], lambda item, why: [], 2, preload=runner._PRELOAD,
                      initializer=runner.init_worker)
print(json.dumps(mods))
""",
}
NEEDS = {"triage": "tasman.triage.hashing.worker", "link": "tasman.link.normalise", "extract": "tasman.extract.files"}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_workers_modules_hold_no_cli_demo_or_splink(stage: str, tmp_path: Path) -> None:
    script = tmp_path / f"heavy_{stage}.py"
    script.write_text(STAGES[stage], encoding="utf-8")
    sample = tmp_path / "a.txt"
    sample.write_text("neutral synthetic text\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, str(script), str(sample), str(tmp_path)], capture_output=True,
                          text=True, env=env, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    mods = json.loads(done.stdout.strip().splitlines()[-1])
    assert NEEDS[stage] in mods                          # the probe ran in a worker with the stage's preload
    held = sorted(m for m in mods if any(m == n or m.startswith(n + ".") for n in NEVER))
    assert held == []                                   # nor was the caller's main run again
