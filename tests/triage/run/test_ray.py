"""The Ray engine: the process pool's results, its crash isolation, bytes for remote clusters,
cancellation, Ctrl-C with a Ray it started, and a one-line error for a cluster it cannot reach."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil
import pytest
import ray
from ray.exceptions import TaskCancelledError

from tasman.core.errors import ExitCode, InputError
from tasman.synth.triage_set import TriageSet, jpeg
from tasman.triage import rayengine
from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult, hash_batch
from tasman.triage.pipeline import CRASHED, Engine, HashPool
from tasman.triage.rayengine import RayEngine
from tasman.triage.readers import iter_entries
from tests.triage.hashing.test_pipeline import crashing_batch
from tests.triage.run.test_cli_and_kill import (
    SRC,
    _count,
    kill_group,
    one_line_error,
    start_triage,
    stderr_of,
    wait_exit,
    wait_for_files,
)

pytestmark = pytest.mark.usefixtures("ray_local")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_ray_gives_the_pools_results(run_cli, triage_set: TriageSet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    assert run_cli("-w", ws, "case", "create", "RAY-1").exit_code == 0
    assert run_cli("-w", ws, "hashset", "import", triage_set.hashlist, "--name", "known").exit_code == 0
    ev = [triage_set.items[k] for k in ("folder", "archive", "disk")]
    out = {}
    for engine, extra in (("pool", ("--workers", "2")), ("ray", ("--engine", "ray"))):
        r = run_cli("-w", ws, "triage", *ev, "--case", "RAY-1", "--out", tmp_path / engine, "--json", *extra)
        assert r.exit_code == 0, r.output
        out[engine] = json.loads(r.stdout)
    for name in ("matches_csv", "files_csv", "errors_csv"):
        pool, by_ray = rows(Path(out["pool"]["outputs"][name])), rows(Path(out["ray"]["outputs"][name]))
        assert by_ray == pool, name
    matches = rows(Path(out["ray"]["outputs"]["matches_csv"]))
    assert {m["path"]: m["match_type"] for m in matches} == triage_set.expected
    assert out["ray"]["files"] == out["pool"]["files"] >= 20
    report = json.loads(Path(out["ray"]["outputs"]["report_json"]).read_text())
    assert report["parameters"]["engine"] == "ray" and report["parameters"]["ray_sends"] == "paths"


def _entries(triage_set: TriageSet, temp: Path) -> list[WorkItem]:
    items = []
    for key in ("folder", "archive", "disk"):
        for e in iter_entries(triage_set.items[key], on_error=lambda p, r: None, temp_dir=temp):
            items.append(WorkItem(e.path, e.size, e.deleted, file=str(e.file) if e.file else None, data=e.data,
                                  tag=len(items) + 1))
    return items


def _by_path(engine: Engine, items: Sequence[WorkItem], opts: HashOptions) -> dict[str, WorkResult]:
    with engine:
        return {r.hashes.path: r for r in engine.run(items, opts)}


def test_bytes_for_a_remote_cluster_give_the_same_hashes(triage_set: TriageSet, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """What a remote cluster gets: the files' bytes (videos hashed from a temporary file on the
    node), except files over the size limit, which are hashed on this machine."""
    items = _entries(triage_set, tmp_path / "spill")
    opts = HashOptions(temp_dir=str(tmp_path / "video"))
    monkeypatch.setattr(rayengine, "SHIP_FILE_BYTES", 20_000)    # the two containers' own rows stay here
    local = [i for i in items if i.file is not None and i.size > 20_000]
    assert len(local) == 2 and any(i.path.endswith("clip.mp4") and i.file for i in items)
    engine = RayEngine(ship=True)
    assert engine.ship and engine.describe()["ray_sends"] == "bytes"
    by_ray = _by_path(engine, items, opts)
    pool = _by_path(HashPool(2), items, opts)
    assert by_ray == pool
    assert by_ray["uploads/Videos/clip.mp4"].hashes.vpdq and by_ray["card.img"].hashes.sha256
    assert [r.errors for r in by_ray.values() if r.errors] == [pool["uploads/Pictures/broken.jpg"].errors]
    assert not (tmp_path / "video").exists()                      # nothing of the node's written here


@pytest.mark.parametrize("ship", [False, True])
def test_a_ray_worker_dying_on_one_file_costs_only_that_file(tmp_path: Path, ship: bool) -> None:
    items = []
    for i in range(40):
        name = "boom.jpg" if i == 17 else f"f{i}.jpg"
        data = jpeg(i, (64, 48))
        if ship:                                   # from files, read here and sent as bytes
            (tmp_path / name).write_bytes(data)
            items.append(WorkItem(f"ev/{name}", len(data), file=str(tmp_path / name), tag=i + 1))
        else:
            items.append(WorkItem(f"ev/{name}", len(data), data=data, tag=i + 1))
    results = _by_path(RayEngine(fn=crashing_batch, ship=ship), items, HashOptions(temp_dir=str(tmp_path / "t")))
    assert len(results) == 40
    boom = results["ev/boom.jpg"]
    assert boom.errors == (CRASHED,) and boom.tag == 18
    assert boom.hashes.md5 == hashlib.md5(jpeg(17, (64, 48))).hexdigest()      # still inventoried
    others = [r for p, r in results.items() if p != "ev/boom.jpg"]
    assert all(not r.errors and r.hashes.pdq for r in others)


def batch_without_its_dependency(items: Sequence[WorkItem], opts: HashOptions) -> list[WorkResult]:
    """A node lacking one of Tasman's dependencies."""
    import tasman_dependency_not_installed  # type: ignore[import-not-found]  # noqa: F401

    return hash_batch(items, opts)


def test_workers_that_cannot_import_the_hashing_stop_the_run_with_one_line(tmp_path: Path) -> None:
    items = [WorkItem("ev/a.txt", 4, data=b"text", tag=1)]
    with pytest.raises(InputError, match=r"cannot run Tasman's hashing.*tasman_dependency_not_installed"):
        _by_path(RayEngine(fn=batch_without_its_dependency), items, HashOptions(temp_dir=str(tmp_path)))


def slow_batch(items: Sequence[WorkItem], opts: HashOptions) -> list[WorkResult]:
    if any("slow" in item.path for item in items):
        time.sleep(120)
    return hash_batch(items, opts)


def test_closing_the_run_early_cancels_the_tasks_in_flight(tmp_path: Path) -> None:
    def items() -> Iterator[WorkItem]:
        for i in range(64 * 4):            # one chunk that finishes, three that would take minutes
            yield WorkItem(f"{'fast' if i < 64 else 'slow'}/{i}.txt", 4, data=b"text", tag=i + 1)

    engine = RayEngine(fn=slow_batch)
    results = engine.run(items(), HashOptions(temp_dir=str(tmp_path)))
    first = next(results)
    assert first.hashes.path.startswith("fast/")
    refs = [task.ref for task in engine.pending.values()]
    assert len(refs) == 3
    started = time.monotonic()
    results.close()                        # what the runner does on Ctrl-C
    assert not engine.pending
    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=60)
    assert len(ready) == 3 and time.monotonic() - started < 60
    for ref in refs:
        with pytest.raises(TaskCancelledError):
            ray.get(ref)
    assert ray.is_initialized()            # a Ray the caller started is left running


def test_ctrl_c_stops_the_ray_it_started_and_the_run_resumes(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    proc, ws, evidence, db = start_triage(tmp_path, run_cli, "INT", "--engine", "ray")
    try:
        wait_for_files(proc, db, 20, timeout=120)                # a local Ray takes seconds to start
        tree = psutil.Process(proc.pid).children(recursive=True)
        assert any("raylet" in " ".join(p.cmdline()) for p in tree)
        os.killpg(proc.pid, signal.SIGINT)                 # Ctrl-C at a terminal: the whole process group
        assert wait_exit(proc, tmp_path, 120) == ExitCode.INTERRUPTED, stderr_of(tmp_path)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert "Traceback" not in stderr_of(tmp_path)
    _, alive = psutil.wait_procs(tree, timeout=30)
    assert not alive, [p.cmdline() for p in alive]     # no Ray process left behind
    done_before = _count(db, "SELECT count(*) FROM triage_files")
    assert 20 <= done_before < 300
    assert _count(db, "SELECT count(*) FROM triage_runs WHERE status = 'interrupted'") == 1, stderr_of(tmp_path)

    r = run_cli("-w", ws, "triage", evidence, "--case", "INT", "--engine", "ray", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["resumed"] is True and data["files"] == 300
    assert data["errors"] == 0                         # no file taken for a crash by the interruption
    assert data["figures"]["skipped_as_done"] == done_before
    assert data["figures"]["hashed_this_session"] == 300 - done_before
    assert _count(db, "SELECT count(*) FROM artifacts") == 300


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def started_head(**extra: str) -> Iterator[tuple[str, str]]:
    """A one-CPU Ray cluster started apart (``ray start --head``), as a cluster's head would be,
    without this checkout on its path: it gets Tasman's code with each job; ``extra``: its
    environment's additions (authentication, TLS). Its GCS address and its Ray Client address."""
    gcs, client = _closed_port(), _closed_port()
    # the head starts a server per Ray Client connection, which waits 30 s for it by default:
    # too little on a loaded machine ("Initialization failure from server")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "180",
           "RAY_USAGE_STATS_ENABLED": "0", **extra}
    env.pop("PYTHONPATH", None)
    cmd = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--port", str(gcs),
           "--ray-client-server-port", str(client), "--num-cpus", "1", "--include-dashboard=false",
           "--object-store-memory", str(80 << 20), "--block"]
    head = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, cwd="/")
    try:
        deadline = time.monotonic() + 120
        while not _answers(client) and time.monotonic() < deadline:
            assert head.poll() is None, "ray start --head failed"
            time.sleep(0.2)
        yield f"127.0.0.1:{gcs}", f"ray://127.0.0.1:{client}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)             # ray start --block stops its cluster...
        try:
            head.wait(timeout=10)
        except subprocess.TimeoutExpired:               # ...slowly on a loaded machine: its whole group goes
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


@pytest.fixture
def ray_head() -> Iterator[tuple[str, str]]:
    """A cluster without authentication or TLS (joined with ``TASMAN_RAY_INSECURE=1``)."""
    with started_head() as addresses:
        yield addresses


def test_a_cluster_joined_by_address_gets_bytes_and_gives_the_pools_results(  # type: ignore[no-untyped-def]
        run_cli, ray_head: tuple[str, str], triage_set: TriageSet, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    assert run_cli("-w", ws, "case", "create", "CL-1").exit_code == 0
    ev = [triage_set.items["folder"], triage_set.items["archive"]]
    r = run_cli("-w", ws, "triage", *ev, "--case", "CL-1", "--out", tmp_path / "pool", "--workers", "2", "--json")
    assert r.exit_code == 0, r.output
    pool = rows(Path(json.loads(r.stdout)["outputs"]["files_csv"]))
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "RAY_AUTH_MODE": "disabled", "TASMAN_RAY_INSECURE": "1"}
    for n, address in enumerate(ray_head):
        cmd = [sys.executable, "-c", "from tasman.cli.main import main; main()", "-w", str(ws), "triage",
               *map(str, ev), "--case", "CL-1", "--out", str(tmp_path / f"cluster-{n}"), "--json",
               "--engine", "ray", "--ray-address", address]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "TASMAN_RAY_INSECURE=1" in done.stderr and "in clear" in done.stderr      # said, not silent
        data = json.loads(done.stdout)
        report = json.loads(Path(data["outputs"]["report_json"]).read_text())
        assert report["parameters"]["ray_sends"] == "bytes" and report["parameters"]["ray_address"] == address
        assert rows(Path(data["outputs"]["files_csv"])) == pool, address


def test_a_cluster_that_cannot_be_reached_is_a_one_line_error(run_cli, triage_set: TriageSet,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    assert run_cli("-w", ws, "case", "create", "NET").exit_code == 0
    port = _closed_port()
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}", "no-port", "ray://"):
        r = run_cli("-w", ws, "triage", triage_set.items["folder"], "--case", "NET", "--engine", "ray",
                    "--ray-address", address)
        one_line_error(r, ExitCode.BAD_INPUT)
        assert "Ray" in r.stderr
    one_line_error(run_cli("-w", ws, "triage", triage_set.items["folder"], "--case", "NET",
                           "--ray-address", f"127.0.0.1:{port}"), ExitCode.BAD_INPUT)       # without --engine ray
    one_line_error(run_cli("-w", ws, "triage", triage_set.items["folder"], "--case", "NET", "--engine", "ray",
                           "--workers", "0"), ExitCode.BAD_INPUT)
    assert _count(ws / "tasman.db", "SELECT count(*) FROM cases") == 1             # the database is read...
    assert _count(ws / "tasman.db", "SELECT count(*) FROM evidence") == 0         # ...and nothing was stored
    assert _count(ws / "tasman.db", "SELECT count(*) FROM triage_runs") == 0


def test_the_window_in_flight_grows_with_the_clusters_cpus() -> None:
    chunk = rayengine.SHIP_CHUNK_BYTES
    per_cpu = rayengine.IN_FLIGHT_PER_CPU * chunk
    plenty = 1 << 50
    assert rayengine.in_flight_bytes(1, plenty) == rayengine.SHIP_IN_FLIGHT_BYTES      # a small cluster: the floor
    assert rayengine.in_flight_bytes(256, plenty) == 256 * per_cpu > rayengine.SHIP_IN_FLIGHT_BYTES
    assert rayengine.in_flight_bytes(256, 8 << 30) == 2 << 30                          # a quarter of what is free
    assert rayengine.in_flight_bytes(256, 1 << 20) == chunk                            # never under one chunk


def test_what_ray_prints_while_the_engine_runs_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    # Ray's driver prints the cluster's errors ("(raylet) The node ... has been marked dead") to
    # whatever sys.stdout is when they arrive; a command's --json stdout must hold only its JSON
    engine = RayEngine(ship=True)
    try:
        print("(raylet) a node was marked dead")
    finally:
        engine.close()
    print("the command's own output")
    out, err = capsys.readouterr()
    assert "marked dead" in err and "marked dead" not in out
    assert "the command's own output" in out


def test_a_cluster_that_grows_during_the_run_gets_a_wider_window(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = RayEngine(ship=True)
    try:
        assert engine.limit == 2 * rayengine.IN_FLIGHT_PER_CPU                         # the local Ray's 2 CPUs
        monkeypatch.setattr(rayengine.ray, "cluster_resources", lambda: {"CPU": 100.0})
        engine._resize()
        assert engine.limit == 2 * rayengine.IN_FLIGHT_PER_CPU                         # not counted again yet
        engine.sized -= rayengine.WINDOW_SECONDS
        engine._resize()
        assert engine.limit == 100 * rayengine.IN_FLIGHT_PER_CPU
        assert engine.window >= min(rayengine.SHIP_IN_FLIGHT_BYTES, psutil.virtual_memory().available // 4)
        fixed = RayEngine(workers=3, ship=True)
        fixed.sized -= rayengine.WINDOW_SECONDS
        fixed._resize()
        assert fixed.limit == 3 * rayengine.IN_FLIGHT_PER_CPU                          # --workers is kept
        fixed.close()
    finally:
        engine.close()
