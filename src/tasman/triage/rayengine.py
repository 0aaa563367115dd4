"""Triage's hashing as tasks on a Ray cluster, so that one machine's triage can spread over many.

Only the hashing travels: the walk (readers, archives, disk images), the custody hash, the
matching and the database stay in the process that runs ``tasman triage``. Chunks of work
items become Ray tasks running the same ``hash_batch`` as the process pool; results come back
in the order they finish and the runner commits them in batches, so resume and Ctrl-C behave
as with the pool. This module imports Ray, so it is imported only when the engine is chosen.

What travels to the workers:

- a Ray that this process starts (no address) or had already started in it with every node on
  this machine: the work items' *paths*, as the process pool does; the workers read the files;
- a cluster given by address (``auto``, ``HOST:PORT``, ``ray://HOST:PORT``), which also gets this
  process's ``tasman`` package with the job (Ray's ``py_modules``): the files' *bytes*
  (``WorkItem.data``), in chunks of at most ``SHIP_CHUNK_BYTES`` with a window outstanding
  sized from the cluster's CPUs (``in_flight_bytes``), because other nodes (and nodes the cluster adds later)
  cannot open this machine's paths. A file over ``SHIP_FILE_BYTES`` (a long video) is not sent:
  it is hashed here by a local worker process while the cluster goes on with what it holds;
- a cluster given by address whose nodes see the evidence at the same paths (a shared mount:
  ``ship=False``, the CLI's ``--ray-shared-storage``): the paths, as on one machine; the nodes
  read the files, and their SHA-256s make the custody manifest as the pool's workers' do.

A worker that dies on a file (a decoder crash) or is killed for memory costs only that file, as
with the pool: its chunk is tried again one file per task, and a file that kills a worker on its
own gets its cryptographic hashes (computed here, no decoding) and an error. Work the cluster
loses for other reasons (a node gone) is sent once more as it was; lost twice, the run stops
and resumes later where it stopped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psutil
import ray
from ray.exceptions import (
    AuthenticationError,
    OutOfMemoryError,
    RayError,
    RayTaskError,
    TaskCancelledError,
    WorkerCrashedError,
)

from tasman.core.errors import InputError
from tasman.core.procs import default_workers, tasman_on_path
from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult, hash_batch, one_blas_thread
from tasman.triage.pipeline import (
    CHUNK_ITEMS,
    BatchFn,
    Engine,
    HashPool,
    chunks,
    crashed,
)

SHIP_CHUNK_BYTES = 8 << 20           # bytes sent in one task: many tasks, so a cluster's cores all get work
SHIP_IN_FLIGHT_BYTES = 512 << 20     # bytes outstanding at least (a cluster of up to 21 CPUs needs no more)
SHIP_MEMORY_SHARE = 4                # at most a quarter of this machine's available memory outstanding
WINDOW_SECONDS = 30.0                # a cluster's CPUs are counted again this often (nodes come and go)
SHIP_FILE_BYTES = 128 << 20          # larger files are hashed on the submitting machine
IN_FLIGHT_PER_CPU = 3                # chunks outstanding per CPU: one running, the next ones queued
LOCAL_OBJECT_STORE = 128 << 20       # a Ray started here only carries paths and hashes
CONNECT_SECONDS = 5.0
PROBE_SECONDS = 10.0                 # the token check against a cluster's GCS (Ray itself retries for 20 s)
CANCEL_SECONDS = 10.0
CLIENT_PORT = 10001                  # Ray Client's default port
CRASHES = (WorkerCrashedError, OutOfMemoryError)      # what a file can do to a worker

_ready = False


def in_flight_bytes(cpus: int, available: int) -> int:
    """Bytes kept outstanding for a cluster of ``cpus`` CPUs, when this machine has ``available``
    bytes of memory free: each CPU's ``IN_FLIGHT_PER_CPU`` chunks of ``SHIP_CHUNK_BYTES`` (so a
    cluster of any size is kept busy), at least ``SHIP_IN_FLIGHT_BYTES``, and at most a
    ``SHIP_MEMORY_SHARE``-th of the available memory (the bytes sent stay here until their
    results come back, to be sent again if a node is lost), but never under one chunk."""
    want = max(SHIP_IN_FLIGHT_BYTES, cpus * IN_FLIGHT_PER_CPU * SHIP_CHUNK_BYTES)
    return max(SHIP_CHUNK_BYTES, min(want, available // SHIP_MEMORY_SHARE))


def _hash_chunk(fn: BatchFn, items: list[WorkItem], opts: HashOptions, node_temp: bool) -> list[WorkResult]:
    """What a Ray worker runs. Sent bytes get a temporary folder on the node itself (videos are
    hashed from a file); the submitting machine's workspace does not exist there."""
    global _ready
    if not _ready:
        one_blas_thread()          # as in the pool's workers: threads fighting over cores cost 10x
        _ready = True
    if not node_temp:
        return fn(items, opts)
    with tempfile.TemporaryDirectory(prefix="tasman-triage-") as temp:
        return fn(items, replace(opts, temp_dir=temp))


_remote_chunk = ray.remote(max_retries=0, num_cpus=1)(_hash_chunk)   # retried here, file by file


def check_address(address: str) -> None:
    """``ray.init`` waits minutes for a head node that is not there; a plain TCP connection
    says so in seconds, before anything is started or stored."""
    if address == "auto":
        return
    client = address.startswith("ray://")
    target = address.removeprefix("ray://")
    host, colon, port = target.rpartition(":")
    if client and (not colon or not port.isdigit()) and "]" not in port:
        host, port = target, str(CLIENT_PORT)
    if not host or not port.isdigit():
        raise InputError(f"Ray address {address!r} is not auto, HOST:PORT or ray://HOST[:PORT]")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS):
            pass
    except OSError as exc:
        raise InputError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


def _on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true")


def _token_given() -> bool:
    """Whether this process has a Ray token where Ray looks for one: ``RAY_AUTH_TOKEN``, the file
    ``RAY_AUTH_TOKEN_PATH`` names, or ``~/.ray/auth_token``."""
    if os.environ.get("RAY_AUTH_TOKEN", "").strip():
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or str(Path.home() / ".ray" / "auth_token")
    try:
        return bool(Path(path).read_text().strip())
    except OSError:
        return False


def check_security(address: str | None) -> None:
    """A cluster joined by address gets the evidence's bytes: it must be one that asks for Ray's
    token (``RAY_AUTH_MODE=token`` and the cluster's token here) and that speaks TLS
    (``RAY_USE_TLS=1`` with ``RAY_TLS_SERVER_CERT``, ``RAY_TLS_SERVER_KEY``, ``RAY_TLS_CA_CERT``),
    unless the operator says ``TASMAN_RAY_INSECURE=1`` (a warning then says what crosses in clear).
    A Ray that Tasman starts itself (no address) listens on this machine only and is not asked."""
    if address is None:
        return
    missing: list[str] = []
    if os.environ.get("RAY_AUTH_MODE", "").strip().lower() != "token" or not _token_given():
        missing.append("token authentication (RAY_AUTH_MODE=token and the cluster's token in RAY_AUTH_TOKEN, "
                       "RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)")
    if _on("RAY_USE_TLS"):
        for name in ("RAY_TLS_SERVER_CERT", "RAY_TLS_SERVER_KEY", "RAY_TLS_CA_CERT"):
            value = os.environ.get(name, "")
            if not value or not os.access(value, os.R_OK):
                raise InputError(f"RAY_USE_TLS=1 needs {name} to name a readable PEM file "
                                 f"({'not set' if not value else 'cannot read ' + value})")
    else:
        missing.append("TLS (RAY_USE_TLS=1 with RAY_TLS_SERVER_CERT, RAY_TLS_SERVER_KEY and RAY_TLS_CA_CERT)")
    if not missing:
        return
    if os.environ.get("TASMAN_RAY_INSECURE") != "1":
        raise InputError(f"the Ray cluster at {address} is joined only with {' and '.join(missing)}, "
                         "as on its nodes; or set TASMAN_RAY_INSECURE=1 to send evidence to a cluster "
                         "without them")
    print(f"warning: Ray cluster at {address} without {' or '.join(m.split(' (')[0] for m in missing)} "
          "(TASMAN_RAY_INSECURE=1): evidence crosses the network "
          f"{'in clear' if not _on('RAY_USE_TLS') else 'to whoever reaches the cluster'}", file=sys.stderr)


def check_token(address: str) -> None:
    """A cluster that refuses this process's token (or wants one it was not given) says so to a
    single call of its GCS in a second; ``ray.init`` would retry for 20 s and then report only
    that it could not connect. Ray Client (``ray://``) and ``auto`` are left to ``ray.init``; so
    is anything else a probe meets (Ray words it)."""
    if address == "auto" or address.startswith("ray://"):
        return
    from ray._raylet import GcsClient  # type: ignore[attr-defined]

    refused: list[BaseException] = []

    def probe() -> None:
        try:
            GcsClient(address=address).internal_kv_get(b"session_name", b"session", timeout=PROBE_SECONDS)
        except AuthenticationError as exc:
            refused.append(exc)
        except Exception:
            pass

    thread = threading.Thread(target=probe, name="tasman-ray-probe", daemon=True)
    thread.start()
    thread.join(PROBE_SECONDS + CONNECT_SECONDS)
    if refused:
        given = os.environ.get("RAY_AUTH_MODE", "").strip().lower() == "token"
        what = ("the token given (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)" if given
                else "a connection without its token (RAY_AUTH_MODE=token)")
        raise InputError(f"the Ray cluster at {address} refused {what}")


def _one_line(exc: BaseException) -> str:
    return next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)


def connect(address: str | None, workers: int | None) -> bool:
    """Ray for this process; True when it was started here (and is shut down with the engine).

    A process that has already called ``ray.init`` (a notebook, the tests) keeps its Ray.
    Without an address a local Ray is started with ``workers`` CPUs (all cores by default),
    no dashboard and a small object store. Ray's usage reporting to its makers is off
    (``RAY_USAGE_STATS_ENABLED=0``, unless the operator set it) for the Ray started here. A
    cluster given by address is joined only with Ray's token and TLS (``check_security``), and
    a token it refuses is said in one line before ``ray.init`` (``check_token``)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address is not None:
        check_address(address)
        check_security(address)
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    try:
        if address is None:
            with tasman_on_path():         # the workers import the tasman this process runs
                ray.init(address="local", num_cpus=workers or default_workers(), include_dashboard=False,
                         object_store_memory=LOCAL_OBJECT_STORE, **quiet)
        else:
            check_token(address)
            ray.init(address=address, runtime_env=_code_for_the_cluster(), **quiet)
    except ConnectionError as exc:
        if address == "auto":
            raise InputError("no running Ray found for --ray-address auto: start one (ray start) or give "
                             "HOST:PORT") from None
        raise InputError(f"cannot use the Ray cluster at {address}: {_one_line(exc)}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise InputError(f"cannot use {where}: {_one_line(exc)}") from None
    return True


def _code_for_the_cluster() -> dict[str, Any]:
    """This process's tasman travels with the job (Ray's ``py_modules``), so every node runs the
    same hashing code as the submitting machine; the nodes provide its dependencies."""
    import tasman

    return {"py_modules": [str(Path(tasman.__file__).resolve().parent)],
            "excludes": ["node_modules/", "__pycache__/", "*.pyc"]}


def _cannot_run(exc: BaseException) -> InputError:
    return InputError(f"the Ray cluster's workers cannot run Tasman's hashing ({_one_line(exc)}); "
                      "install Tasman's dependencies on every node (pip install 'tasman[ray]')")


def _all_nodes_here() -> bool:
    """Whether every live node of the cluster is this machine (a caller's own Ray, not reached
    through Ray Client, whose nodes are elsewhere by design)."""
    from ray.util.client import ray as client

    if client.is_connected():
        return False
    here = ray.util.get_node_ip_address()
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    return bool(nodes) and all(n.get("NodeManagerAddress") == here for n in nodes)


@dataclass
class _Task:
    ref: Any                        # ray.ObjectRef (or a Ray Client's), kept until its result is read
    items: list[WorkItem]
    sent: int                       # bytes shipped with it
    tries: int = 1


class RayEngine(Engine):
    """Hashing as Ray tasks (see the module's docstring for what travels).

    ``address``: None starts a local Ray (``workers`` CPUs); ``auto``, ``HOST:PORT`` or
    ``ray://HOST:PORT`` joins a running cluster, where ``workers`` (default: the cluster's CPUs)
    sets how many chunks are kept in flight. ``ship`` overrides the choice between paths and bytes.
    """

    def __init__(self, address: str | None = None, workers: int | None = None, fn: BatchFn = hash_batch,
                 ship: bool | None = None) -> None:
        if workers is not None and workers < 1:
            raise InputError("the Ray engine needs at least one worker (--workers 0 hashes in this process)")
        self.fn = fn
        # Ray's driver prints the cluster's error messages (a node marked dead, ...) to stdout
        # whatever ``log_to_driver`` says; while the engine runs they go to stderr, so that a
        # command's stdout (``--json``) holds only its own output.
        self._quiet = contextlib.ExitStack()
        if sys.stdout is not sys.stderr:            # not already done by another engine
            self._quiet.enter_context(contextlib.redirect_stdout(sys.stderr))
        try:
            self.owned = connect(address, workers)
        except BaseException:
            self._quiet.close()
            raise
        try:
            self.workers = workers if workers is not None else int(ray.cluster_resources().get("CPU", 1))
            if ship is None:
                ship = address is not None or not (self.owned or _all_nodes_here())
        except BaseException:
            self._shutdown()
            raise
        self.ship = ship
        self.address = address
        self.node_temp = ship or address is not None   # the nodes' own temporary folders, not this workspace
        self.fixed = workers is not None            # else the window follows the cluster's CPUs
        self.limit, self.window, self.sized = 0, 0, 0.0
        self._size(self.workers)
        self.pending: dict[Future[list[WorkResult]], _Task] = {}
        self.sent = 0
        self.resent = 0                             # tasks the cluster lost (a node gone), sent again
        self.local: HashPool | None = None          # files too large to send

    def _size(self, cpus: int) -> None:
        """The in-flight window for ``cpus`` CPUs: ``IN_FLIGHT_PER_CPU`` chunks each, and the bytes
        they may hold (``in_flight_bytes``)."""
        self.limit = max(1, cpus) * IN_FLIGHT_PER_CPU
        self.window = in_flight_bytes(max(1, cpus), psutil.virtual_memory().available)
        self.sized = time.monotonic()

    def _resize(self) -> None:
        """A cluster that gains or loses nodes during the run gets a window to match (unless
        ``--workers`` set it)."""
        if self.fixed or time.monotonic() - self.sized < WINDOW_SECONDS:
            return
        try:
            cpus = int(ray.cluster_resources().get("CPU", 0))
        except Exception:
            cpus = 0
        self._size(cpus or self.workers)

    def _chunks(self, items: Iterable[WorkItem]) -> Iterator[list[WorkItem]]:
        return chunks(items, CHUNK_ITEMS, SHIP_CHUNK_BYTES) if self.ship else chunks(items)

    def _outstanding(self) -> bool:
        return bool(self.pending)

    def _submit(self, chunk: list[WorkItem]) -> Iterator[WorkResult]:
        if self.ship:
            chunk, here = self._load(chunk)
            if here:
                yield from self._hash_here(here)
        if chunk:
            self._send(chunk)
        self._resize()
        while self.pending and (len(self.pending) >= self.limit or self.sent >= self.window):
            yield from self._next()

    def _load(self, chunk: list[WorkItem]) -> tuple[list[WorkItem], list[WorkItem]]:
        """The chunk with its files' bytes, and the items that stay here: files too large to send,
        and files that cannot be read (the local worker words the error as the pool would)."""
        out: list[WorkItem] = []
        here: list[WorkItem] = []
        for item in chunk:
            if item.data is not None:
                out.append(item)
            elif item.size > SHIP_FILE_BYTES or item.file is None:
                here.append(item)
            else:
                try:
                    out.append(replace(item, data=Path(item.file).read_bytes(), file=None))
                except OSError:
                    here.append(item)
        return out, here

    def _hash_here(self, items: list[WorkItem]) -> Iterator[WorkResult]:
        assert self.opts is not None
        if self.local is None:
            self.local = HashPool(1, self.fn)
        yield from self.local.run(items, self.opts)

    def _send(self, items: list[WorkItem], tries: int = 1) -> None:
        assert self.opts is not None
        try:
            ref = _remote_chunk.remote(self.fn, items, self.opts, self.node_temp)
        except ImportError as exc:                  # Ray Client: the cluster could not load the call
            raise _cannot_run(exc) from None
        sent = sum(len(i.data) for i in items if i.data is not None) if self.ship else 0
        self.pending[ref.future()] = _Task(ref, items, sent, tries)
        self.sent += sent

    def _next(self) -> Iterator[WorkResult]:
        assert self.opts is not None
        done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
        for fut in done:
            task = self.pending.pop(fut)
            self.sent -= task.sent
            try:
                results = fut.result()
            except CRASHES:
                if len(task.items) == 1:
                    yield crashed(task.items[0], self.opts)
                else:                               # find the file that did it: one task each
                    for item in task.items:
                        self._send([item])
                continue
            except RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, ImportError) or "failed to import" in str(cause):
                    raise _cannot_run(cause or exc) from None
                raise                               # the hashing code itself failed: a bug
            except (RayError, ConnectionError) as exc:
                if isinstance(exc, TaskCancelledError) or task.tries > 1:
                    raise InputError(f"the Ray cluster lost work twice ({_one_line(exc)}); "
                                     "run the same command again to resume") from None
                self.resent += 1
                self._send(task.items, task.tries + 1)
                continue
            yield from results

    def figures(self) -> dict[str, float]:
        """``ray_tasks_sent_again``: tasks the cluster lost for reasons other than a file (a node
        gone: Ray's ``NodeDiedError``) and that were sent again."""
        return {"ray_tasks_sent_again": self.resent}

    def describe(self) -> dict[str, object]:
        return {"engine": "ray", "workers": self.workers, "ray_address": self.address or "local",
                "ray_sends": "bytes" if self.ship else "paths"}

    def close(self, cancel: bool = False) -> None:
        """Outstanding tasks are cancelled (their workers killed) on a cluster that outlives the
        run; a Ray started here is shut down instead, which ends them all. It is not asked to
        cancel first: a task that finishes while its cancellation is under way can make Ray's
        driver abort the process ("Tried to complete task that was not pending"), which an
        interrupted run (Ctrl-C reaches the workers too) made likely enough to be seen."""
        if not self.owned:
            self._cancel([task.ref for task in self.pending.values()])
        self.pending.clear()
        self.sent = 0
        if self.local is not None:
            self.local.close(cancel)
            self.local = None
        self._shutdown()

    def _cancel(self, refs: list[Any]) -> None:
        """Ray can miss a cancellation that arrives while a task waits for a worker (one starting
        again after a crash, say), so on a cluster that outlives the run it is asked again each
        second until every task has ended, for ``CANCEL_SECONDS`` at most."""
        deadline = time.monotonic() + CANCEL_SECONDS
        while refs:
            for ref in refs:
                with contextlib.suppress(Exception):      # best effort: the cluster may be gone already
                    ray.cancel(ref, force=True)
            if time.monotonic() >= deadline:
                return
            try:
                _, refs = ray.wait(refs, num_returns=len(refs), timeout=1.0)
            except Exception:                              # the cluster is gone: nothing left to cancel
                return

    def _shutdown(self) -> None:
        try:
            if self.owned:
                self.owned = False
                ray.shutdown()
        finally:
            self._quiet.close()                     # stdout back, after Ray's error listener stopped

