"""The resumable bulk import: killed half-way (SIGKILL, a real subprocess) and run again, the
list ends with exactly the file's rows; progress is recorded; other files start afresh; a bad
file leaves no staging set; bad rows are each reported with their reason."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.core.errors import InputError
from tasman.core.workspace import Workspace
from tasman.triage.hashsets.models import HashSet, HashSetEntry
from tasman.triage.hashsets.store import import_hashset

SRC = Path(__file__).resolve().parents[3] / "src"


def write_list(path: Path, rows: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    md5s = [rng.randbytes(16).hex() for _ in range(rows)]
    with path.open("w") as fh:
        fh.write("md5,sha1,category\n")
        fh.writelines(f"{m},{rng.randbytes(20).hex()},{i % 3 + 1}\n" for i, m in enumerate(md5s))
    return md5s


def stored(ws: Workspace) -> tuple[list[str], list[str]]:
    """(md5s of every entry, names of every hash set)."""
    with ws.session() as s:
        md5s = list(s.scalars(select(HashSetEntry.md5)))
        names = list(s.scalars(select(HashSet.name)))
    return md5s, names


def test_killed_import_resumes_exactly(ws: Workspace, tmp_path: Path) -> None:
    listed = write_list(tmp_path / "list.csv", 150_000)
    cmd = [sys.executable, "-m", "tasman.cli.main", "-w", str(ws.root), "--json", "hashset", "import",
           str(tmp_path / "list.csv"), "--name", "big", "--commit-every", "5000"]
    env = {**os.environ, "PYTHONPATH": str(SRC), "TASMAN_USER": "tester"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = 0
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        with ws.session() as s:
            done = s.scalar(select(func.count()).select_from(HashSetEntry)) or 0
        if done >= 60_000:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.2)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    with ws.session() as s:         # the progress is recorded with the rows it covers
        staging = s.scalar(select(HashSet).where(HashSet.name.startswith("~import~")))
        assert staging is not None
        rows = staging.counts["resume"]["rows"]
        assert rows == staging.entry_count and rows % 5000 == 0 and 60_000 <= rows < 150_000
        assert s.scalar(select(func.count()).select_from(HashSetEntry)) == rows
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["entries"] == 150_000 and out["resumed_after"] == rows and not out["replaced"]
    # counted as the rows are read: the rows the killed run stored count too
    assert (out["counts"]["md5"], out["counts"]["sha1"], out["counts"]["pdq"]) == (150_000, 150_000, 0)
    md5s, names = stored(ws)
    assert names == ["big"]
    assert len(md5s) == 150_000 and sorted(md5s) == sorted(listed)


class Stop(Exception):
    pass


def interrupted(ws: Workspace, path: Path, name: str, after_bytes: int, **kw: object) -> None:
    """An import stopped (like Ctrl-C) once ``after_bytes`` of the file were read (the parser reads a
    megabyte at a time)."""
    seen = [0]

    def progress(n: int) -> None:
        seen[0] += n
        if seen[0] >= after_bytes:
            raise Stop

    with pytest.raises(Stop), ws.session() as s:
        import_hashset(s, "tester", path, name, progress=progress, resumable=True, commit_every=1000, **kw)


def test_resume_in_process_and_fresh_start(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "l.csv"
    listed = write_list(f, 60_000)
    interrupted(ws, f, "x", f.stat().st_size * 2 // 3)
    md5s, _ = stored(ws)
    assert 0 < len(md5s) < 60_000 and len(md5s) % 1000 == 0
    with ws.session() as s:
        r = import_hashset(s, "tester", f, "x", resumable=True, commit_every=1000)
    assert r.entries == 60_000 and r.resumed_after == len(md5s)
    md5s, names = stored(ws)
    assert sorted(md5s) == sorted(listed) and names == ["x"]

    # replaced by another file, interrupted, then the first file is imported: starts afresh
    g = tmp_path / "g.csv"
    other = write_list(g, 60_000, seed=2)
    interrupted(ws, g, "x", g.stat().st_size * 2 // 3)
    with ws.session() as s:
        r = import_hashset(s, "tester", f, "x", resumable=True, commit_every=1000)
    assert r.resumed_after == 0 and r.entries == 60_000 and r.replaced and (r.added, r.removed) == (0, 0)
    md5s, names = stored(ws)
    assert sorted(md5s) == sorted(listed) and names == ["x"]

    # the re-import of a changed version, interrupted and resumed: counts its changes once
    interrupted(ws, g, "x", g.stat().st_size * 2 // 3)
    with ws.session() as s:
        r = import_hashset(s, "tester", g, "x", resumable=True, commit_every=1000)
    assert r.resumed_after > 0 and (r.entries, r.added, r.removed) == (60_000, 60_000, 60_000)
    md5s, names = stored(ws)
    assert sorted(md5s) == sorted(other) and names == ["x"]


def test_bad_file_leaves_no_staging_and_rows_reported(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    rng = random.Random(3)
    lines = ["md5,category"]
    bad = {}
    for i in range(2, 3002):
        if i % 500 == 0:
            lines.append(f"xyz{i},1")
            bad[i] = "is not 32 hex digits"
        elif i % 700 == 0:
            lines.append(",2")
            bad[i] = "no hash in this row"
        else:
            lines.append(f"{rng.randbytes(16).hex()},1")
    f.write_text("\n".join(lines) + "\n")
    with ws.session() as s:
        r = import_hashset(s, "tester", f, "y", resumable=True, commit_every=100)
    assert r.entries + r.warning_count == 3000          # nothing dropped in silence
    assert {int(w.where.split()[1]): w.message for w in r.warnings}.keys() == bad.keys()
    for w in r.warnings:
        assert bad[int(w.where.split()[1])] in w.message
    # a file that is not the format at all: an error, and no staging set left behind
    g = tmp_path / "g.csv"
    g.write_text("md5\n" + "".join(f"{'0' * 31}{i % 10}\n" for i in range(500)) + '"unclosed\n' + "x" * 200_000)
    with pytest.raises(InputError), ws.session() as s:
        import_hashset(s, "tester", g, "z", resumable=True, commit_every=100)
    _, names = stored(ws)
    assert names == ["y"]


def test_vics_import_resumes_exactly_with_its_bad_records_reported(ws: Workspace, tmp_path: Path) -> None:
    rng = random.Random(5)
    media: list[dict[str, object]] = [{"MediaID": i, "Category": i % 3 + 1, "MD5": rng.randbytes(16).hex(),
                                       "SHA1": rng.randbytes(20).hex()} for i in range(30_000)]
    for at in (7, 21_000):
        media[at] = {"MediaID": at, "MD5": "not a hash"}
    f = tmp_path / "l.json"
    f.write_text(json.dumps({"@odata.context": "x", "value": [{"CaseID": "A", "Media": media[:12_000]},
                                                                {"CaseID": "B", "Media": media[12_000:]}]}))
    interrupted(ws, f, "v", f.stat().st_size * 2 // 3, fmt="vics")
    md5s, _ = stored(ws)
    assert 0 < len(md5s) < 29_998 and len(md5s) % 1000 == 0
    with ws.session() as s:
        r = import_hashset(s, "tester", f, "v", fmt="vics", resumable=True, commit_every=1000)
    assert (r.entries, r.resumed_after, r.warning_count) == (29_998, len(md5s), 2)
    assert [w.where for w in r.warnings] == ["Media[7]", "Media[21000]"]
    md5s, names = stored(ws)
    assert sorted(md5s) == sorted(str(m["MD5"]) for m in media if m["MD5"] != "not a hash") and names == ["v"]
