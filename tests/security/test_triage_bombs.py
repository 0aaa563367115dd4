"""Issue 13 (triage): one budget per run. A nested zip bomb stops near the run's inflation budget
with one errors row; too many members stop the same way; pipes and devices are refused before
anything is read; a picture over the pixel budget is refused; a folder's unreadable file is an
errors row, never the end of the run."""

from __future__ import annotations

import builtins
import csv
import io
import json
import os
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image
from sqlalchemy import select

from tasman.cli.main import cli
from tasman.core.errors import InputError
from tasman.core.models import Evidence
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.evidence.hashing import UNREADABLE, acquisition_hash
from tasman.synth.triage_set import jpeg
from tasman.triage.hashing import worker
from tasman.triage.hashing.pictures import decode_luma
from tasman.triage.hashing.worker import HashOptions, WorkItem, hash_item
from tasman.triage.readers import Budget, Limits, iter_entries
from tasman.triage.readers.archive import BLOCK
from tasman.triage.run import TriageOptions, run_triage
from tests.triage.badinput import huge_png_header

MIB = 1 << 20
FIXED_TIME = (2024, 1, 1, 12, 0, 0)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def nested_bomb(fanout: int, depth: int, leaf: int) -> bytes:
    """A zip of ``fanout`` zips of ``fanout`` zips... (``depth`` levels), each leaf ``leaf`` zeros:
    a few KB that inflate ``fanout ** depth * leaf`` bytes, more than any limit per archive sees."""
    data = _zip({"zeros.bin": b"\0" * leaf})
    for _ in range(depth):
        data = _zip({f"{i}.zip": data for i in range(fanout)})
    return data


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _cli(tmp_path: Path, *args: str) -> Result:
    ws = tmp_path / "ws"
    runner = CliRunner()
    if not ws.exists():
        assert runner.invoke(cli, ["init", str(ws)]).exit_code == 0
        assert runner.invoke(cli, ["-w", str(ws), "case", "create", "B-1"]).exit_code == 0
    return runner.invoke(cli, ["-w", str(ws), *args])


def _within(seconds: float, fn: Callable[[], Any], unblock: Callable[[], None] = lambda: None) -> Any:
    """``fn()`` in a thread, failing the test (not hanging it) when it takes longer than ``seconds``."""
    out: dict[str, Any] = {}

    def call() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # handed to the test's thread
            out["error"] = exc

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        unblock()
        pytest.fail(f"still running after {seconds} s (it reads what it should refuse)")
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_nested_zip_bomb_stops_near_the_run_budget_with_one_row(tmp_path: Path) -> None:
    bomb = tmp_path / "ev" / "nested.zip"
    bomb.parent.mkdir()
    bomb.write_bytes(nested_bomb(10, 3, MIB))                   # ~1 GiB out of a few KB
    (tmp_path / "ev" / "zz-after.jpg").write_bytes(jpeg(3))
    assert bomb.stat().st_size < 16 << 10
    budget = Budget(Limits(ratio_floor=24 * MIB))
    errors: list[tuple[str, str]] = []
    paths = [e.path for e in iter_entries(tmp_path / "ev", on_error=lambda p, r: errors.append((p, r)),
                                          temp_dir=tmp_path / "spill", budget=budget)]
    assert len(errors) == 1, errors                              # one row, on the outermost container
    assert errors[0][0] == "ev/nested.zip" and "inflation budget" in errors[0][1] and "--max-inflated" in errors[0][1]
    limit = 24 * MIB + 100 * bomb.stat().st_size                # the budget when the bomb was read
    assert limit < budget.inflated <= limit + BLOCK              # stopped within one block of the budget
    assert budget.charged == limit
    assert "ev/zz-after.jpg" in paths                            # the walk went on with the rest


def test_the_budget_is_one_for_the_whole_run_and_the_run_goes_on(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    for name in ("a.zip", "b.zip"):                              # each alone is under the budget, together over
        (ev / name).write_bytes(_zip({"zeros.bin": b"\0" * (12 * MIB)}))
    (ev / "c.jpg").write_bytes(jpeg(5))
    r = _cli(tmp_path, "triage", str(ev), "--case", "B-1", "--max-inflated", "16M", "--json")
    assert r.exit_code == 0, r.output                           # a run with errors: exit 0 ...
    out = Path(json.loads(r.stdout)["outputs"]["errors_csv"])
    errors = {e["path"]: e["reason"] for e in _rows(out)}
    assert list(errors) == ["ev/b.zip"] and "16,777,216 bytes (--max-inflated)" in errors["ev/b.zip"]
    files = {f["path"] for f in _rows(out.with_name("files.csv"))}
    assert {"ev/a.zip!/zeros.bin", "ev/c.jpg", "ev/b.zip"} <= files and "ev/b.zip!/zeros.bin" not in files
    r = _cli(tmp_path, "triage", str(ev), "--case", "B-1", "--max-inflated", "16M", "--strict", "--restart")
    assert r.exit_code == 5                                      # ... and 5 with --strict, as docs/triage.md says
    r = _cli(tmp_path, "triage", str(ev), "--case", "B-1", "--max-inflated", "lots")
    assert r.exit_code == 2 and "is not a size" in r.output


def test_a_bomb_cannot_hide_the_archives_after_it(tmp_path: Path) -> None:
    """Once the bomb spent the budget, each later container still gets 100 x its own size."""
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "a-bomb.zip").write_bytes(nested_bomb(10, 2, MIB))
    (ev / "b-photos.zip").write_bytes(_zip({f"{i}.jpg": jpeg(i) for i in range(20, 30)}))
    errors: list[tuple[str, str]] = []
    paths = [e.path for e in iter_entries(ev, on_error=lambda p, r: errors.append((p, r)),
                                          limits=Limits(ratio_floor=8 * MIB))]
    assert [p for p, _ in errors] == ["ev/a-bomb.zip"]
    assert {f"ev/b-photos.zip!/{i}.jpg" for i in range(20, 30)} <= set(paths)


def test_member_budget(tmp_path: Path) -> None:
    (tmp_path / "many.zip").write_bytes(_zip({f"{i}.txt": b"" for i in range(50)}))
    errors: list[tuple[str, str]] = []
    paths = [e.path for e in iter_entries(tmp_path / "many.zip", on_error=lambda p, r: errors.append((p, r)),
                                          limits=Limits(max_members=10))]
    assert len(paths) == 1 + 10
    assert errors == [("many.zip", "the run's budget of 10 container members (--max-members) is spent; "
                                   "stopped reading this container")]


def test_fifo_and_dev_zero_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def unblock() -> None:                                       # let a reader stuck on the pipe go
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)

    for target in (fifo, Path("/dev/zero")):
        r = _within(60, lambda t=target: _cli(tmp_path, "triage", str(t), "--case", "B-1"), unblock)
        assert r.exit_code == 5, r.output
        assert "is not a file or a folder (a device, pipe or socket)" in r.output
        assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
        with pytest.raises(InputError):
            _within(10, lambda t=target: list(iter_entries(t, on_error=lambda p, r: None)), unblock)


def test_a_pipe_inside_a_folder_is_a_row_never_opened(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    os.mkfifo(ev / "pipe")
    (ev / "photo.jpg").write_bytes(jpeg(7))
    errors: list[tuple[str, str]] = []
    paths = _within(30, lambda: [e.path for e in iter_entries(ev, on_error=lambda p, r: errors.append((p, r)))])
    assert paths == ["ev/photo.jpg"]
    assert errors == [("ev/pipe", "not a regular file (device, pipe or socket), not read")]


def test_pixel_budget(tmp_path: Path) -> None:
    bomb = huge_png_header(12_000, 12_000)                     # 144 million pixels in a few bytes
    opts = HashOptions(temp_dir=str(tmp_path))
    assert opts.max_pixels == Limits().max_pixels == 100_000_000
    r = hash_item(WorkItem("bomb.png", len(bomb), data=bomb), opts)
    assert r.errors == ("12000 x 12000 pixels is over the 100000000-pixel limit (decompression bomb?); not decoded",)
    assert r.hashes.sha256 is not None                          # still inventoried
    r = _cli(tmp_path, "triage", str(tmp_path / "nothing"), "--case", "B-1", "--max-pixels", "0")
    assert r.exit_code == 2


def test_large_pictures_are_reduced_in_strips_to_the_same_pixels() -> None:
    rng = np.random.default_rng(5)
    pic = Image.fromarray(rng.integers(0, 256, (2_100, 4_203, 3), dtype=np.uint8), "RGB")   # past one strip
    buf = io.BytesIO()
    pic.save(buf, "PNG", compress_level=1)
    luma, width, height, scale, _ = decode_luma(buf.getvalue(), max_pixels=10**9)
    assert (width, height) == (4_203, 2_100) and scale == 8
    assert np.array_equal(luma, np.asarray(pic.convert("L").reduce(8)))


def _unreadable_open(victim: Path) -> Callable[..., Any]:
    real = builtins.open

    def fake(file: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(file) == os.fspath(victim):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real(file, *args, **kwargs)

    return fake


def test_an_unreadable_file_of_a_folder_is_a_row_and_the_run_goes_on(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, where chmod does not stop reads: open fails for that one file instead."""
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "a.jpg").write_bytes(jpeg(8))
    (ev / "locked.jpg").write_bytes(jpeg(9))
    fake = _unreadable_open(ev / "locked.jpg")
    monkeypatch.setattr(worker, "open", fake, raising=False)             # the hashing (workers=0: here)
    monkeypatch.setattr("tasman.evidence.hashing.open", fake, raising=False)   # add_evidence's own pass
    ws = Workspace.init(tmp_path / "ws", actor="tester")
    with ws.session() as s:
        create_case(s, ws.actor, "U-1")
    r = run_triage(ws, "U-1", [ev], TriageOptions(workers=0), matcher=_NoMatches())
    assert r.status == "finished"
    errors = {e["path"]: e["reason"] for e in _rows(r.outputs["errors_csv"])}
    assert errors == {"ev/locked.jpg": "cannot read: Permission denied"}
    assert "ev/a.jpg" in {f["path"] for f in _rows(r.outputs["files_csv"])}
    unreadable: list[str] = []
    with ws.session() as s:
        recorded = s.scalars(select(Evidence.sha256)).one()
    assert recorded == acquisition_hash(ev, unreadable=unreadable)      # the separate pass agrees
    assert unreadable == ["locked.jpg"] and UNREADABLE == "unreadable"
    with pytest.raises(InputError, match="cannot read"):
        acquisition_hash(ev)                                            # evidence add still refuses it
    monkeypatch.undo()
    assert acquisition_hash(ev) != recorded                             # readable again: the hash says so
    ws.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_a_chmod_000_file_of_a_folder_is_a_row(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "a.jpg").write_bytes(jpeg(8))
    (ev / "locked.jpg").write_bytes(jpeg(9))
    (ev / "locked.jpg").chmod(0)
    ws = Workspace.init(tmp_path / "ws", actor="tester")
    with ws.session() as s:
        create_case(s, ws.actor, "U-1")
    try:
        r = run_triage(ws, "U-1", [ev], TriageOptions(workers=0), matcher=_NoMatches())
    finally:
        (ev / "locked.jpg").chmod(0o644)
        ws.close()
    assert {e["path"] for e in _rows(r.outputs["errors_csv"])} == {"ev/locked.jpg"}


class _NoMatches:
    def match(self, files: Any) -> list[Any]:
        return []
