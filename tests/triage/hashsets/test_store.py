"""Importing hash sets into the workspace database (SQLite and PostgreSQL): counts, re-import in
place, categories, known-good, audit, and errors that leave stored lists untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tasman.core.errors import InputError, NotFoundError
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.triage.hashsets.models import HashSet, HashSetEntry
from tasman.triage.hashsets.store import _counts, build_hashset, import_hashset, list_hashsets, remove_hashset
from tests.evidence.test_store import _unlistable
from tests.triage.hashsets.test_formats import MD5, PDQ, SHA1, caid_file, icse_file, make_rdsv3

MD5S = [f"{i:032x}" for i in range(1, 9)]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_reimport_in_place_and_remove(ws: Workspace, tmp_path: Path) -> None:
    first = write(tmp_path / "v1.csv", "md5,category\n" + "".join(f"{m},1\n" for m in MD5S[:5]) + "zz,1\n")
    with ws.session() as s:
        r = import_hashset(s, ws.actor, first, "partner")
    assert (r.format, r.entries, r.added, r.removed, r.replaced, r.warning_count) == ("csv", 5, 5, 0, False, 1)
    second = write(tmp_path / "v2.txt", "".join(f"{m}\n" for m in MD5S[2:8]))
    with ws.session() as s:
        r = import_hashset(s, ws.actor, second, "partner", category=1)
    assert (r.format, r.entries, r.added, r.removed, r.replaced) == ("plain", 6, 3, 2, True)
    with ws.session() as s:
        sets = list_hashsets(s, ws.actor)
        assert [(h.name, h.entry_count, h.format) for h in sets] == [("partner", 6, "plain")]
        rows = s.scalars(select(HashSetEntry.md5).order_by(HashSetEntry.md5)).all()
        assert rows == MD5S[2:8]
        assert {c for c in s.scalars(select(HashSetEntry.category))} == {1}
    with ws.session() as s:
        assert remove_hashset(s, ws.actor, "partner") == 6
        assert s.scalars(select(HashSetEntry)).all() == []
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.target == "partner")).all()
    assert actions == ["hashset.import", "hashset.replace", "hashset.remove"]


def stored_counts(ws: Workspace, name: str) -> dict[str, int]:
    """The set's hashes a kind as the database counts them (what an exchange's fetch stores)."""
    with ws.session() as s:
        return _counts(s, s.scalar(select(HashSet.id).where(HashSet.name == name)))


def test_counts_are_the_stored_rows(ws: Workspace, tmp_path: Path) -> None:
    """The import counts hashes a kind as it writes the batches: the same as counting the stored
    rows, for a list of plain files over several batches with gaps, and for videos and frames."""
    lines = ["md5,sha1,pdq,category"]
    for i in range(120_000):            # three batches; every 7th row without md5, every 5th without sha1
        lines.append(f"{'' if i % 7 == 0 else f'{i:032x}'},{'' if i % 5 == 0 else f'{i:040x}'},"
                     f"{f'{i:064x}' if i % 3 == 0 else ''},1")
    plain = write(tmp_path / "plain.csv", "\n".join(lines) + "\n")
    frames = "".join(f"{f},100,{PDQ},{f}.000\n" for f in range(3))
    videos = write(tmp_path / "clips.vpdq", f"# video name=a md5={MD5} category=1\n{frames}"
                                             f"# video name=b sha1={SHA1} category=1\n{frames}")
    for path, name in ((plain, "plain"), (videos, "videos")):
        with ws.session() as s:
            r = import_hashset(s, ws.actor, path, name)
        expected = stored_counts(ws, name)
        assert r.counts == expected and sum(expected.values()) > 0, name
        with ws.session() as s:
            kept = s.scalar(select(HashSet.counts).where(HashSet.name == name))
        assert kept == {**expected, "warnings": r.warning_count}
    assert stored_counts(ws, "plain")["md5"] == 120_000 - 120_000 // 7 - 1
    assert (stored_counts(ws, "videos")["video"], stored_counts(ws, "videos")["frame"]) == (2, 6)


def test_failed_reimport_keeps_the_old_list(ws: Workspace, tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", f"{MD5}\n")
    with ws.session() as s:
        import_hashset(s, ws.actor, good, "kept")
    cases = [
        (write(tmp_path / "junk.txt", "nothing here\n"), None, InputError, "cannot tell the format"),
        (write(tmp_path / "bad.txt", "zz\nyy\n"), "plain", InputError, "no hashes found"),
        (write(tmp_path / "empty.txt", ""), None, InputError, "is empty"),
        (tmp_path / "missing.txt", None, NotFoundError, "no file"),
        (good, "nope", InputError, "unknown hash-set format 'nope'"),
        (good, "vics", InputError, "broken JSON"),
        (good, "nsrl", InputError, "not a readable SQLite database"),
        (write(tmp_path / "noise.bin", "\x00\x9f\x80garbage\x00" * 50), "csv", InputError, "names no md5"),
    ]
    for path, fmt, error, text in cases:
        with pytest.raises(error, match=text), ws.session() as s:
            import_hashset(s, ws.actor, path, "kept", fmt=fmt)
    with ws.session() as s:
        assert [h.entry_count for h in list_hashsets(s, ws.actor)] == [1]


def test_category_schemes_and_known_good(ws: Workspace, tmp_path: Path) -> None:
    caid = write(tmp_path / "caid.csv", f"md5,category\n{MD5S[0]},A\n{MD5S[1]},C\n{MD5S[2]},Z\n")
    db = make_rdsv3(tmp_path / "nsrl.db", [(PDQ, SHA1.upper(), MD5.upper(), "calc.exe", 10)])
    with ws.session() as s:
        r = import_hashset(s, ws.actor, caid, "uk", category_scheme="caid")
        assert r.warning_count == 1 and r.entries == 3          # the unknown label keeps its hash
        n = import_hashset(s, ws.actor, db, "nsrl")
        assert n.known_good and n.format == "nsrl"
    with ws.session() as s:
        rows = s.execute(select(HashSetEntry.md5, HashSetEntry.category, HashSetEntry.extra)
                         .order_by(HashSetEntry.md5)).all()
    by_md5 = {m: (c, e) for m, c, e in rows}
    assert by_md5[MD5S[0]] == (1, {"source_category": "A"})
    assert by_md5[MD5S[2]] == (None, None)
    with pytest.raises(InputError, match="unknown category scheme"), ws.session() as s:
        import_hashset(s, ws.actor, caid, "x", category_scheme="martian")
    with pytest.raises(InputError, match="bad name"), ws.session() as s:
        import_hashset(s, ws.actor, caid, "bad name")


def test_caid_vics_and_icse_read_in_their_own_schemes_unless_told(ws: Workspace, tmp_path: Path) -> None:
    caid = tmp_path / "caid.json"
    caid.write_bytes(caid_file([{"MediaID": 1, "Category": "B", "MD5": MD5S[0]},
                                {"MediaID": 2, "Category": "Category C", "MD5": MD5S[1]}]))
    icse = tmp_path / "icse.csv"
    icse.write_bytes(icse_file(f"7;{MD5S[2]};;yes;;a.jpg\r\n8;{MD5S[3]};;no;;b.jpg\r\n"))
    with ws.session() as s:
        r = import_hashset(s, ws.actor, caid, "caid")
        assert (r.format, r.warning_count, r.entries) == ("caid-vics", 0, 2)
        r = import_hashset(s, ws.actor, icse, "icse")
        assert (r.format, r.warning_count, r.entries) == ("icse", 0, 2)
        r = import_hashset(s, ws.actor, caid, "caid-as-vic", category_scheme="vic")     # told otherwise
        assert r.warning_count == 2
    with ws.session() as s:
        rows = s.execute(select(HashSet.name, HashSet.category_scheme, HashSetEntry.md5, HashSetEntry.category,
                                HashSetEntry.extra).join(HashSet, HashSet.id == HashSetEntry.hashset_id)).all()
    got = {(n, m): (sch, c, e) for n, sch, m, c, e in rows}
    assert got["caid", MD5S[0]] == ("caid", 1, {"MediaID": 1, "source_category": "B"})
    assert got["caid", MD5S[1]][2] == {"MediaID": 2, "source_category": "Category C"}
    assert got["icse", MD5S[2]] == ("baseline", 1, {"ICSE ID": "7", "File name": "a.jpg",
                                                    "source_category": "baseline"})
    assert got["icse", MD5S[3]][1] is None
    assert got["caid-as-vic", MD5S[0]][:2] == ("vic", None)


def test_csv_with_nul_bytes_keeps_good_rows(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "nul.csv", f"md5\n{MD5S[0]}\n\x00{MD5S[1]}\x00\n{MD5S[2]}\n")
    with ws.session() as s:
        assert import_hashset(s, ws.actor, path, "nul").entries == 3


def test_remove_unknown(ws: Workspace) -> None:
    with pytest.raises(NotFoundError, match="'ghost'"), ws.session() as s:
        remove_hashset(s, ws.actor, "ghost")


def test_build_reports_a_folder_it_cannot_list(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "lab"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "a.bin").write_bytes(b"a")
    (root / "b.bin").write_bytes(b"b")
    _unlistable(monkeypatch, root / "locked")
    with ws.session() as s:
        r = build_hashset(s, "tester", root, "lab")
    assert [(w.where, w.message) for w in r.warnings] == [("locked", "cannot list folder: Permission denied")]
    assert r.entries == 1


def test_build_from_a_file_says_it_is_a_file(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "one.bin"
    f.write_bytes(b"x")
    with pytest.raises(InputError, match="is a file"), ws.session() as s:
        build_hashset(s, "tester", f, "lab")
