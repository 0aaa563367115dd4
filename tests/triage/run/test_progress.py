"""Live progress of a triage run: files done of a total that is a lower bound ("at least") while
the walk goes on (folders counted by listing, containers' members as they are read) and exact,
equal to the files hashed, once the walk has ended."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.synth.triage_set import TriageSet
from tasman.triage import custody, runner
from tasman.triage.census import Census
from tasman.triage.readers.folder import count_files
from tasman.triage.run import ProgressInfo, TriageOptions, run_triage
from tasman.triage.types import FileHashes, Match


class NoMatch:
    def match(self, files: Sequence[FileHashes]) -> list[Match]:
        return []


def folder_with_a_zip(root: Path, plain: int = 140, members: int = 5) -> Path:
    """``plain`` text files, then (last by name) a zip of ``members`` text files."""
    root.mkdir(parents=True)
    for i in range(plain):
        (root / f"note-{i:03d}.txt").write_text(f"neutral note number {i}\n")
    with zipfile.ZipFile(root / "z-archive.zip", "w") as z:
        for i in range(members):
            z.writestr(f"inner/member-{i}.txt", f"neutral member {i}\n")
    return root


def check(seen: list[ProgressInfo], files: int) -> None:
    """Never fewer than done, never falling, exact only at the end and then equal to the files."""
    assert seen and all(p.files <= p.total for p in seen)
    assert [p.total for p in seen] == sorted(p.total for p in seen)
    assert seen[-1].total_exact and seen[-1].total == seen[-1].files == files
    exact = [p.total_exact for p in seen]
    assert exact == sorted(exact)                     # once exact, it stays exact
    assert all(p.total == files for p in seen if p.total_exact)


def test_a_folders_total_is_its_listing_until_the_walk_finds_more(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "P-1")
    folder = folder_with_a_zip(tmp_path / "seized")
    seen: list[ProgressInfo] = []
    r = run_triage(ws, "P-1", [folder], TriageOptions(workers=0, batch_files=20), matcher=NoMatch(),
                   progress=seen.append)
    assert r.counts["files"] == 140 + 1 + 5
    check(seen, 146)
    first = seen[0]                                   # results come back while the walk is still going
    assert not first.total_exact and first.total == 141 and first.files < 141
    assert first.of_total == f"{first.files:,} of at least 141 files"
    assert seen[-1].of_total == "146 of 146 files"


def test_the_generated_set_with_containers(ws: Workspace, triage_set: TriageSet) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "P-2")
    ev = [triage_set.items[k] for k in ("folder", "archive", "disk")]
    seen: list[ProgressInfo] = []
    r = run_triage(ws, "P-2", ev, TriageOptions(workers=0), matcher=NoMatch(), progress=seen.append)
    check(seen, r.counts["files"])


def test_a_resumed_run_counts_only_what_it_hashes(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "P-3")
    folder = folder_with_a_zip(tmp_path / "seized")
    options = TriageOptions(workers=0, batch_files=3, batch_seconds=60, own_custody_seconds=0)

    def stop_at_70(p: ProgressInfo) -> None:
        if p.files >= 70:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_triage(ws, "P-3", [folder], options, matcher=NoMatch(), progress=stop_at_70)
    seen: list[ProgressInfo] = []
    r = run_triage(ws, "P-3", [folder], options, matcher=NoMatch(), progress=seen.append)
    assert r.resumed and 0 < r.figures["hashed_this_session"] < 146
    check(seen, int(r.figures["hashed_this_session"]))


def test_a_big_folder_is_counted_beside_the_walk(ws: Workspace, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Past what the custody plan counts, a background listing finishes the count."""
    monkeypatch.setattr(custody, "HOLD_RESULTS", 10)
    monkeypatch.setattr(runner, "HOLD_RESULTS", 10)
    with ws.session() as s:
        create_case(s, ws.actor, "P-4")
    folder = folder_with_a_zip(tmp_path / "seized")
    seen: list[ProgressInfo] = []
    r = run_triage(ws, "P-4", [folder], TriageOptions(workers=0), matcher=NoMatch(), progress=seen.append)
    check(seen, r.counts["files"])
    assert seen[0].total >= 11                        # at least what the custody plan counted


def test_count_files_is_the_folder_walks_count(tmp_path: Path) -> None:
    folder = folder_with_a_zip(tmp_path / "seized", plain=30)
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.txt").write_text("deep\n")
    (folder / "link.txt").symlink_to(folder / "note-000.txt")      # never followed, never counted
    assert count_files(folder) == 32
    assert count_files(folder, limit=5) == 6
    stop = threading.Event()
    stop.set()
    assert count_files(folder, stop=stop) == 0


def test_census_bound() -> None:
    c = Census([3, 1])                  # a folder of three files, then a single file
    assert c.total == 4 and not c.walked
    for _ in range(3):
        c.reached(0)
        c.add()
    assert c.total == 4
    c.add()                             # a member of a container in the folder
    assert c.total == 5
    c.item_walked(0)
    c.reached(1)
    c.add()
    c.item_walked(1)
    c.walk_ended()
    assert c.total == 5 and c.walked
