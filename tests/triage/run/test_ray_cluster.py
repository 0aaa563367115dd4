"""A real two-node Ray cluster, as an operator runs one: a head (``ray start --head``) and a second
node joined to it (``ray start --address``), both with Ray's token authentication and TLS, as
Tasman asks. Triage through it writes the process pool's outputs row for row; the second node
killed while it hashes (its raylet and its workers, SIGKILL) costs nothing: the work it held is
sent again and the run ends with the same outputs, nothing lost, and no process left."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tasman.core.errors import ExitCode
from tasman.synth.images import write_pictures
from tasman.synth.triage_set import TriageSet
from tests.triage.run.test_cli_and_kill import SRC, STDERR, kill_group, stderr_of, wait_exit
from tests.triage.run.test_ray import rows, started_head
from tests.triage.run.test_ray_secure import RAY_VARS, self_signed

pytestmark = pytest.mark.cluster

RAY = str(Path(sys.executable).parent / "ray")
OUTPUTS = ("files_csv", "matches_csv", "errors_csv")
# the nodes' count, asked of the head's GCS by a process of the cluster's settings
NODES = ("import sys; from ray._raylet import GcsClient; "
         "print(sum(1 for n in GcsClient(address=sys.argv[1]).get_all_node_info(timeout=10).values() "
         "if n.state == 0))")


def _cluster_env(shared: dict[str, str], home: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in RAY_VARS and k != "PYTHONPATH"}
    return {**clean, **shared, "HOME": str(home), "RAY_USAGE_STATS_ENABLED": "0"}


def _alive_nodes(gcs: str, env: dict[str, str]) -> int:
    done = subprocess.run([sys.executable, "-c", NODES, gcs], env=env, capture_output=True, text=True,
                          timeout=60, cwd="/")
    return int(done.stdout.strip() or 0)


@contextlib.contextmanager
def second_node(gcs: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A two-CPU node joined to the head at ``gcs`` (``ray start --address``), in a process group of
    its own: killing the group is losing the node. Stopped (and reaped) at the end whatever happened."""
    cmd = [RAY, "start", "--address", gcs, "--num-cpus", "2", "--object-store-memory", str(80 << 20),
           "--disable-usage-stats", "--block"]
    node = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, cwd="/")
    try:
        deadline = time.monotonic() + 120
        while _alive_nodes(gcs, env) < 2:
            assert node.poll() is None, "ray start --address failed"
            assert time.monotonic() < deadline, "the second node did not join the head"
            time.sleep(0.5)
        yield node
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.wait(timeout=10)
        kill_group(node)


def _tree(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    with contextlib.suppress(psutil.NoSuchProcess):
        return [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    return []


def _hashing(node: subprocess.Popen[bytes]) -> bool:
    """Whether one of the node's Ray workers is running a chunk now (Ray names the process after
    the task it runs: ``ray::_hash_chunk``)."""
    for p in _tree(node):
        with contextlib.suppress(psutil.Error):
            if " ".join(p.cmdline()).startswith("ray::_hash_chunk"):
                return True
    return False


def _start(ws: Path, evidence: list[Path], name: str, env: dict[str, str], tmp_path: Path,
           *engine: str) -> subprocess.Popen[bytes]:
    """``tasman triage --json`` of ``evidence`` into ``tmp_path/name``, in a process group of its
    own; its stdout goes to ``tmp_path/name.json``, its stderr where ``stderr_of`` reads it."""
    cmd = [sys.executable, "-c", "from tasman.cli.main import main; main()", "-w", str(ws), "triage",
           *map(str, evidence), "--case", "CL-2", "--out", str(tmp_path / name), "--json", *engine]
    full = {**env, "PYTHONPATH": str(SRC), "PYTHONFAULTHANDLER": "1"}
    with (tmp_path / STDERR).open("wb") as err, (tmp_path / f"{name}.json").open("wb") as out:
        return subprocess.Popen(cmd, env=full, stdout=out, stderr=err, start_new_session=True)


def _report(path: Path) -> dict[str, object]:
    """report.json without what differs from run to run by nature: the run's id, its times, its
    engine, where its outputs are."""
    doc = json.loads(path.read_text())
    doc["figures"] = {k: v for k, v in doc["figures"].items()
                      if k not in ("seconds", "files_per_second", "megabytes_per_second", "workers")}
    return {k: v for k, v in doc.items()
            if k not in ("run_id", "generated_at", "started_at", "finished_at", "parameters", "outputs")}


def test_a_two_node_cluster_loses_a_node_mid_run_and_loses_nothing(  # type: ignore[no-untyped-def]
        run_cli, triage_set: TriageSet, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    assert run_cli("-w", ws, "case", "create", "CL-2").exit_code == 0
    assert run_cli("-w", ws, "hashset", "import", triage_set.hashlist, "--name", "known").exit_code == 0
    many = tmp_path / "many"
    write_pictures(many, range(400), (320, 240))        # enough chunks that both nodes get some
    evidence = [triage_set.items[k] for k in ("folder", "archive", "disk")] + [many]
    shared = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16), **self_signed(tmp_path / "tls")}
    client_env = _cluster_env(shared, tmp_path / "client-home")
    # the process pool's run, while the cluster starts
    local = _start(ws, evidence, "pool", client_env, tmp_path, "--workers", "2")
    try:
        with started_head(**shared, HOME=str(tmp_path / "head-home")) as (gcs, _client), \
                second_node(gcs, _cluster_env(shared, tmp_path / "node-home")) as node:
            assert wait_exit(local, tmp_path, 240) == 0, stderr_of(tmp_path)
            tree = _tree(node)
            proc = _start(ws, evidence, "cluster", client_env, tmp_path, "--engine", "ray", "--ray-address", gcs)
            try:
                deadline = time.monotonic() + 120
                while not _hashing(node):
                    assert proc.poll() is None, "ended before the second node hashed: " + stderr_of(tmp_path)
                    assert time.monotonic() < deadline, "the second node never ran a chunk"
                    time.sleep(0.02)
                tree = _tree(node)
                os.killpg(node.pid, signal.SIGKILL)         # the node lost: raylet, workers, agents
                assert wait_exit(proc, tmp_path, 240) == 0, stderr_of(tmp_path)
            finally:
                if proc.poll() is None:
                    kill_group(proc)
            _, alive = psutil.wait_procs(tree, timeout=30)
            assert not alive, [p.cmdline() for p in alive]
    finally:
        if local.poll() is None:
            kill_group(local)
    assert "Traceback" not in stderr_of(tmp_path) and "warning" not in stderr_of(tmp_path)
    pool = json.loads((tmp_path / "pool.json").read_text())
    data = json.loads((tmp_path / "cluster.json").read_text())         # --json stdout: JSON alone
    assert data["files"] == pool["files"] >= 400 and data["errors"] == pool["errors"]
    assert data["figures"]["ray_tasks_sent_again"] >= 1              # the node held work when it died
    for name in OUTPUTS:
        assert rows(Path(data["outputs"][name])) == rows(Path(pool["outputs"][name])), name
    assert _report(Path(data["outputs"]["report_json"])) == _report(Path(pool["outputs"]["report_json"]))
    params = json.loads(Path(data["outputs"]["report_json"]).read_text())["parameters"]
    assert params["engine"] == "ray" and params["ray_sends"] == "bytes" and params["ray_address"] == gcs


@pytest.fixture
def head_apart() -> Iterator[str]:
    """A one-CPU head started apart, without authentication (joined with TASMAN_RAY_INSECURE=1):
    its GCS address."""
    with started_head() as (gcs, _client):
        yield gcs


def test_nodes_on_shared_storage_are_sent_paths_and_give_the_pools_results(  # type: ignore[no-untyped-def]
        run_cli, head_apart: str, triage_set: TriageSet, tmp_path: Path) -> None:
    """``--ray-shared-storage``: a cluster whose nodes see the evidence at the same paths (here, a
    head started apart on this machine) is sent paths; the nodes' reads give the pool's rows and
    the same custody hashes (a folder's manifest is made of the SHA-256s its nodes computed)."""
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    for case in ("SH-POOL", "SH-RAY"):               # two cases: each records its evidence's custody hash
        assert run_cli("-w", ws, "case", "create", case).exit_code == 0
    ev = [triage_set.items["folder"], triage_set.items["archive"]]
    r = run_cli("-w", ws, "triage", *ev, "--case", "SH-POOL", "--out", tmp_path / "pool", "--workers", "2", "--json")
    assert r.exit_code == 0, r.output
    pool = json.loads(r.stdout)
    gcs = head_apart
    env = {**os.environ, "PYTHONPATH": str(SRC), "RAY_AUTH_MODE": "disabled", "TASMAN_RAY_INSECURE": "1"}
    cmd = [sys.executable, "-c", "from tasman.cli.main import main; main()", "-w", str(ws), "triage", *map(str, ev),
           "--case", "SH-RAY", "--out", str(tmp_path / "cluster"), "--json", "--engine", "ray", "--ray-address", gcs,
           "--ray-shared-storage"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    report = json.loads(Path(data["outputs"]["report_json"]).read_text())
    assert report["parameters"]["ray_sends"] == "paths" and report["parameters"]["ray_address"] == gcs
    for name in OUTPUTS:
        assert rows(Path(data["outputs"][name])) == rows(Path(pool["outputs"][name])), name
    by_pool = json.loads(Path(pool["outputs"]["report_json"]).read_text())["evidence"]
    assert [(e["name"], e["sha256"], e["files"]) for e in report["evidence"]] == \
        [(e["name"], e["sha256"], e["files"]) for e in by_pool]
    for bad in (("--ray-shared-storage",), ("--engine", "ray", "--ray-shared-storage")):     # no cluster named
        r = run_cli("-w", ws, "triage", *ev, "--case", "SH-RAY", *bad)
        assert r.exit_code == ExitCode.BAD_INPUT and "--ray-shared-storage is for a Ray cluster" in r.stderr, r.output
