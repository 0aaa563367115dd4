"""Bad input is a warning tied to a path, never a crash; memory stays bounded."""

from __future__ import annotations

import os
import resource
import sqlite3
import threading
from pathlib import Path

from tests.extract.helpers import make_sqlite, read, vals

EMAIL = ("email", "anna.b@example.org")


def test_binary_junk(tmp_path: Path) -> None:
    p = tmp_path / "junk.bin"
    p.write_bytes(b"\x7fJNK" + os.urandom(300_000) + b"\x00anna.b@example.org\x00" + os.urandom(1000))
    name, got, warnings = read(p)
    assert name == "text" and EMAIL in vals(got) and not warnings
    # junk that happens to start with a brace is still junk: read as text, the address still found
    p.write_bytes(b"{\x00" + os.urandom(2000) + b"\x00anna.b@example.org\x00")
    name, got, warnings = read(p)
    assert name == "text" and EMAIL in vals(got) and not warnings


def test_invalid_encodings(tmp_path: Path) -> None:
    p = tmp_path / "mixed.txt"
    p.write_bytes(b"caf\xe9 \xff\xfe\xfd anna.b@example.org \xc3\x28 ok\n" * 10)
    _, got, _ = read(p)
    assert EMAIL in vals(got)


def test_huge_sparse_file_and_100mb_line(tmp_path: Path) -> None:
    big = tmp_path / "huge.img"
    with big.open("wb") as fh:  # 300 MB, nearly all holes: quick to make, read like any large file
        fh.truncate(300 * 1024 * 1024)
        fh.seek(150 * 1024 * 1024 - 5)
        fh.write(b" anna.b@example.org ")
    line = tmp_path / "line.txt"
    with line.open("wb") as fh:
        chunk = b"lorem ipsum dolor sit amet " * 40000  # ~1 MB, no newline anywhere
        for _ in range(100):
            fh.write(chunk)
        fh.write(b" anna.b@example.org\n")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for p in (big, line):
        name, got, warnings = read(p)
        assert name == "text" and EMAIL in vals(got) and not warnings
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200  # windows of 8 MiB, never the whole file


def test_deeply_nested_json(tmp_path: Path) -> None:
    p = tmp_path / "deep.json"
    p.write_text("[" * 200_000 + '"anna.b@example.org"' + "]" * 200_000)
    name, got, warnings = read(p)
    assert name == "json" and EMAIL in vals(got)
    assert warnings and "nested 200000 levels deep, over the limit of 64: scanned as text" in warnings[0][1]


def test_json_just_over_the_nesting_limit_is_text_and_at_it_is_parsed(tmp_path: Path) -> None:
    # Python's own parser would read 65 levels; the limit is Tasman's, the same for every input
    over, at = tmp_path / "over.json", tmp_path / "at.json"
    over.write_text("[" * 65 + '"anna.b@example.org"' + "]" * 65)
    at.write_text("[" * 64 + '"anna.b@example.org"' + "]" * 64)
    name, got, warnings = read(over)
    assert EMAIL in vals(got) and "over the limit of 64" in warnings[0][1]
    name, got, warnings = read(at)
    assert name == "json" and EMAIL in vals(got) and not warnings


def test_deep_json_lines_and_chat_lines_are_warnings_on_their_line(tmp_path: Path) -> None:
    deep = "[" * 100 + "]" * 100
    jl = tmp_path / "a.jsonl"
    jl.write_text(deep + '\n{"note": "anna.b@example.org"}\n')
    name, got, warnings = read(jl)
    assert name == "jsonl" and EMAIL in vals(got)
    assert [w[1] for w in warnings] == ["line 1 is not JSON (JSON nested 100 levels deep, over the limit of 64): "
                                        "scanned as text"]
    chat = tmp_path / "chat.jsonl"
    session = '{"session": "s1", "platform": "kik", "counterpart": "k", "messages": [{"from": "k", "text": "x"}]}'
    chat.write_text(session + "\n" + '{"session": "s2", "messages": ' + deep + ', "counterpart": "k"}\n')
    name, got, warnings = read(chat)
    assert name == "chat-jsonl"
    assert [w[1] for w in warnings] == ["line 2: not a chat session (JSON nested 101 levels deep, over the limit "
                                        "of 64)"]


def test_corrupt_sqlite(tmp_path: Path) -> None:
    p = tmp_path / "bad.sqlite"
    p.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    name, got, warnings = read(p)
    assert name == "sqlite" and not got and warnings and warnings[0][0] == "bad.sqlite"


def test_truncated_sqlite(tmp_path: Path) -> None:
    p = tmp_path / "cut.db"
    make_sqlite(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    name, _, _ = read(p)
    assert name == "sqlite"  # whatever was readable is kept; the rest is a warning, not a crash


def test_locked_sqlite(tmp_path: Path) -> None:
    p = tmp_path / "locked.db"
    make_sqlite(p)
    con = sqlite3.connect(p, isolation_level=None, check_same_thread=False)
    con.execute("BEGIN EXCLUSIVE")
    con.execute("INSERT INTO urls (url) VALUES ('https://held.example.org/')")
    try:
        done = threading.Event()
        result: list[object] = []

        def go() -> None:
            result.append(read(p))
            done.set()

        threading.Thread(target=go, daemon=True).start()
        assert done.wait(30)
        name, got, warnings = result[0]  # type: ignore[misc]
        assert name == "sqlite"
        assert ("email", "chat.user@example.net") in vals(got) or warnings
    finally:
        con.execute("ROLLBACK")
        con.close()


def test_broken_picture(tmp_path: Path) -> None:
    p = tmp_path / "broken.jpg"
    p.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(500))
    name, got, warnings = read(p)
    assert name == "exif" and not got and warnings
