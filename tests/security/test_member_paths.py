"""Secreview: no member takes another member's ``!/`` path.

A member named ``inner.zip!/a.jpg`` must not read as the member ``a.jpg`` of a nested
``inner.zip`` (held: ``child_path`` escapes ``!/``; kept as a regression test); a member named
``a.txt~2`` must not take the path the walk gives the second of two ``a.txt`` (was taken).
Either would let one member stand for another in the results, and ``read_member`` would
return the wrong bytes for a path.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

from tasman.evidence.paths import split_path
from tasman.triage.readers import iter_entries, read_member

T = (2024, 1, 1, 12, 0, 0)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # duplicate names, on purpose
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            for name, data in members:
                z.writestr(zipfile.ZipInfo(name, T), data)
    return buf.getvalue()


def _walk(path: Path) -> dict[str, bytes]:
    seen: list[tuple[str, bytes]] = []
    for e in iter_entries(path, on_error=lambda p, r: None, temp_dir=path.parent / "spill"):
        with e.open() as fh:
            seen.append((e.path, fh.read()))
    paths = [p for p, _ in seen]
    assert len(paths) == len(set(paths)), paths
    return dict(seen)


def test_a_member_cannot_impersonate_a_nested_member(tmp_path: Path) -> None:
    inner = _zip([("a.jpg", b"REAL")])
    outer = tmp_path / "outer.zip"
    outer.write_bytes(_zip([("inner.zip!/a.jpg", b"FAKE"), ("inner.zip", inner)]))
    got = _walk(outer)
    assert got["outer.zip!/inner.zip!/a.jpg"] == b"REAL"
    fake = [p for p, d in got.items() if d == b"FAKE"]
    assert len(fake) == 1 and len(split_path(fake[0])) == 2, fake
    assert read_member(outer, "outer.zip!/inner.zip!/a.jpg", max_bytes=100, temp_dir=tmp_path / "s") == b"REAL"


def test_a_member_named_like_a_duplicate_keeps_paths_unique(tmp_path: Path) -> None:
    for order in ([("a.txt", b"1"), ("a.txt", b"2"), ("a.txt~2", b"3")],
                  [("a.txt~2", b"3"), ("a.txt", b"1"), ("a.txt", b"2")]):
        f = tmp_path / "dups.zip"
        f.write_bytes(_zip(order))
        got = _walk(f)                           # asserts the paths are unique
        assert sorted(d for p, d in got.items() if p != "dups.zip") == [b"1", b"2", b"3"]
        for path, data in got.items():
            if path != "dups.zip":
                assert read_member(f, path, max_bytes=10, temp_dir=tmp_path / "s") == data, path
