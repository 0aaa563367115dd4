"""The column-wise import path: CSV batches read exactly as the row-by-row reading does (entries,
warnings and their line numbers), across batches that are plain and batches that are not, and
before and after the first quote character; the bulk writer stores every row whatever columns
it leaves out or writes as literals."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from tasman.core.workspace import Workspace
from tasman.triage.hashsets.base import Entry
from tasman.triage.hashsets.bulk import COLUMNS, BulkWriter
from tasman.triage.hashsets.csvlist import Columns, CsvFormat, _fields
from tasman.triage.hashsets.models import HashSet, HashSetEntry
from tasman.triage.hashsets.nsrl import NsrlFormat


def row_by_row(data: str) -> tuple[list[Entry], list[tuple[str, str]]]:
    """The reading the batches must agree with: every row through ``Columns.entry``."""
    rows = list(csv.reader(io.StringIO(data, newline="")))
    header, body = rows[0], rows[1:]
    fields = _fields(header)
    columns = Columns(fields, {i: h for i, h in enumerate(header) if i not in fields and h})
    entries, warnings = [], []
    for number, row in enumerate(body, 2):
        try:
            entry = columns.entry(row)
        except ValueError as exc:
            warnings.append((f"line {number}", str(exc)))
            continue
        if entry is not None:
            entries.append(entry)
        elif any(v.strip() for v in row):
            warnings.append((f"line {number}", "no hash in this row"))
    return entries, warnings


def varied_list(rng: random.Random, rows: int) -> str:
    """Mostly plain rows, with runs of the things a plain batch cannot take, and a quoted field
    only after the first megabyte."""
    out = ["md5,sha1,quality,category,name\n"]
    size = 0
    for i in range(rows):
        md5, sha1 = rng.randbytes(16).hex(), rng.randbytes(20).hex()
        quality, category, name = str(rng.randint(0, 100)), str(i % 3 + 1), f"f{i}"
        block = (i // 40) % 9           # every batch of 40 rows gets one kind of oddity
        odd = i % 7 == 0
        if block == 1:
            md5 = md5.upper()
        elif block == 2:
            sha1 = ""                   # a column empty in every row of the batch
        elif block == 3 and odd:
            md5 = f" {md5} "
        elif block == 4 and odd:
            md5 = md5[:-1] + "z"        # a bad value: the row is reported
        elif block == 5 and odd:
            md5, sha1 = "", ""          # no hash: reported
        elif block == 6 and odd:
            quality = "high"            # a bad quality: reported
        elif block == 7 and odd:
            category = ""
        elif block == 8 and odd:
            out.append("\n")            # a blank line: skipped without a word
        if size > 1_100_000 and i % 11 == 0:
            name = f'"a name, with a comma\nand a line break {i}"'
        line = f"{md5},{sha1},{quality},{category},{name}\n"
        size += len(line)
        out.append(line)
    return "".join(out)


def test_csv_batches_read_as_the_rows_do() -> None:
    data = varied_list(random.Random(5), 15_000)
    assert data.index('"') > 1 << 20 and data.count("\n") > 15_000
    expected, warned = row_by_row(data)
    parser = CsvFormat()
    batches = list(parser.batches(io.BytesIO(data.encode()), size=40))
    got = [Entry._make(values) for batch in batches for values in zip(*batch, strict=True)]
    assert got == expected
    assert [(w.where, w.message) for w in parser.warnings] == warned
    assert len(warned) > 100 and any("quality" in m for _, m in warned)
    assert any(e.extra and "\n" in e.extra["name"] for e in got)      # the quoted rows after the first megabyte
    assert {e.md5 for e in got if e.md5} == {e.md5.lower() for e in got if e.md5}
    assert sum(len(b[0]) for b in batches) == len(got)
    # parse() gives the same entries
    assert list(CsvFormat().parse(io.BytesIO(data.encode()))) == expected


def test_writer_stores_every_row_whatever_it_leaves_out(ws: Workspace) -> None:
    with ws.session() as s:
        hs = HashSet(name="w", format="csv", imported_by="t")
        s.add(hs)
        s.flush()
        n = 5
        md5s = [f"{i:032x}" for i in range(n)]
        batches = [
            # kind constant and plain (a literal), ref/part/sha1.. NULL everywhere (left out)
            [[hs.id] * n, ["file"] * n, [None] * n, [None] * n, md5s, [None] * n, [None] * n, [None] * n,
             [None] * n, [1, 2, 3, None, 1], [None] * n],
            # a kind that is no plain word stays bound; a part column set in some rows only
            [[hs.id] * n, ["it's"] * n, ["r"] * n, [0, None, 2, None, 4], md5s, [None] * n, [None] * n,
             [None] * n, [50] * n, [None] * n, ['{"a":1}', None, None, None, None]],
            # nothing but the set id and a kind: every row stored all the same
            [[hs.id] * n, ["frame"] * n, *([[None] * n] * 9)],
        ]
        writer = BulkWriter(s)
        for batch in batches:
            writer.write(batch)
        assert writer.written == 3 * n
        stored = s.execute(select(*(getattr(HashSetEntry, c) for c in COLUMNS)).order_by(HashSetEntry.id)).all()
    want = [tuple(row) for batch in batches for row in zip(*batch, strict=True)]
    got = [(*r[:-1], None if r[-1] is None else json.dumps(r[-1], separators=(",", ":"))) for r in stored]
    assert got == want


def test_a_quote_left_open_after_the_first_megabyte_still_ends_the_import() -> None:
    """The plain blocks before the first quote go to the csv reader without the row budget; the
    budget still holds from the block with the quote on (whatever the process's csv limit)."""
    saved = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        md5 = "9e107d9d372bb6826bd81d3542a419d6"
        data = "md5,name\n" + f"{md5},a\n" * 40_000 + '"open' + ("x" * 999 + "\n") * 300
        with pytest.raises(ValueError, match=r"line 40,?\d+: a row runs on past 131,072 characters"):
            for _ in CsvFormat().batches(io.BytesIO(data.encode())):
                pass
    finally:
        csv.field_size_limit(saved)


def test_nsrl_batches_read_as_the_rows_do(tmp_path: Path) -> None:
    rng = random.Random(9)
    path = tmp_path / "NSRLFile.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, file_name TEXT, file_size INTEGER)")
    rows: list[tuple[object, ...]] = []
    for i in range(3000):
        h = rng.randbytes(68).hex().upper()
        row: list[object] = [h[:64], h[64:104], h[104:136], f"f{i}.dll", i]
        block = (i // 100) % 5
        if block == 1 and i % 9 == 0:
            row[2] = None               # no md5 in this row: a batch with gaps
        elif block == 2 and i % 9 == 0:
            row[1] = "XYZ"              # a bad sha1: the row is reported
        elif block == 3 and i % 9 == 0:
            row[:3] = [None, None, None]   # no hash: reported
        elif block == 4 and i % 9 == 0:
            row[2] = 12345              # not text
        rows.append(tuple(row))
        if i % 13 == 0:
            rows.append((*row[:3], "other.dll", 7))   # the same file in another package: skipped
    conn.executemany("INSERT INTO FILE VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    reference = NsrlFormat()            # the rows one by one, as the format reads a bad batch
    reference._extra = ["file_name", "file_size"]
    wanted = ["sha256", "sha1", "md5"]
    expected = [e for n, r in enumerate(rows, 1) if n == 1 or r[:3] != rows[n - 2][:3]
                if (e := reference._entry(n, wanted, r)) is not None]
    parser = NsrlFormat()
    with path.open("rb") as fh:
        batches = list(parser.batches(fh, size=100))
    got = [Entry._make(values) for batch in batches for values in zip(*batch, strict=True)]
    assert got == expected and len(got) > 2700
    assert parser.warnings == reference.warnings and parser.warning_count > 10
    assert all(e.md5 is None or e.md5 == e.md5.lower() for e in got)
