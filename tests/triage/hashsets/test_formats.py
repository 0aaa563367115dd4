"""Every hash-set format: detection, tolerant parsing, bad rows as warnings (never a crash)."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from tasman.core.safejson import DepthError
from tasman.triage.hashsets import FORMATS, Entry, HashSetFormat, base, csvlist, detect_format, get_format, vics
from tasman.triage.hashsets.categories import map_category
from tasman.triage.types import Category

FORMATS_DIR = Path(__file__).parents[2] / "fixtures" / "formats"
MD5 = "9e107d9d372bb6826bd81d3542a419d6"
SHA1 = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"
SHA256 = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"   # 128 bits set
PDQ2 = "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064"


def parse(fmt: str, data: bytes, name: str = "list.txt") -> tuple[list[Entry], HashSetFormat]:
    parser = get_format(fmt)()
    stream = io.BytesIO(data)
    stream.name = name  # type: ignore[attr-defined]
    return list(parser.parse(stream)), parser


def detected(data: bytes, name: str = "list.txt") -> str | None:
    found = detect_format(data, name)
    return found.name if found else None


def test_formats_have_stable_unique_names() -> None:
    names = [f.name for f in FORMATS]
    assert len(set(names)) == len(names)
    assert set(names) == {"nsrl", "caid-vics", "vics", "hashdeep", "vpdq", "pdq", "icse", "csv", "plain"}
    with pytest.raises(ValueError, match="'nope'"):
        get_format("nope")


def test_plain_lists_md5sum_bsd_and_md5deep_output() -> None:
    data = (f"# comment\n{MD5}\n{SHA1.upper()}  ./a b.jpg\n{SHA256} *bin.jpg\n"
            f"MD5 (x.jpg) = {MD5}\n1234  {MD5}  /mnt/c/y.jpg\nnot a hash\n{MD5[:-1]}\n").encode()
    entries, parser = parse("plain", data)
    assert [e.md5 or e.sha1 or e.sha256 for e in entries] == [MD5, SHA1, SHA256, MD5, MD5]
    assert entries[1].extra == {"name": "./a b.jpg"} and entries[2].extra == {"name": "bin.jpg"}
    assert entries[4].extra == {"name": "/mnt/c/y.jpg"}
    assert [w.where for w in parser.warnings] == ["line 7", "line 8"]
    assert detected(f"{MD5}  a.jpg\n{MD5}  b.jpg\n".encode()) == "plain"


def test_hashdeep_output_with_commas_in_names() -> None:
    data = (f"%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## Invoked from: /x\n##\n"
            f"12,{MD5},{SHA256},/a/b,c.jpg\n5,zz,{SHA256},/bad.jpg\n").encode()
    entries, parser = parse("hashdeep", data)
    assert entries == [Entry(md5=MD5, sha256=SHA256, extra={"filename": "/a/b,c.jpg", "size": "12"})]
    assert parser.warning_count == 1
    assert detected(data) == "hashdeep"


@pytest.mark.parametrize("header,row", [
    ("md5,sha1,category", f"{MD5},{SHA1},1"),
    ("Category;SHA-1;MD5 Hash", f"1;{SHA1};{MD5.upper()}"),
    ("sha1\tcategory\tmd5\tnote", f"{SHA1}\t1\t{MD5}\tfrom partner"),
])
def test_csv_column_orders_and_spellings(header: str, row: str) -> None:
    entries, parser = parse("csv", f"{header}\n{row}\n".encode())
    assert (entries[0].md5, entries[0].sha1, entries[0].category) == (MD5, SHA1, "1")
    assert parser.warning_count == 0
    assert detected(f"{header}\n{row}\n".encode()) == "csv"


def test_csv_pdq_quality_signal_rows_and_bad_rows() -> None:
    data = (f"pdq,quality,category,name\n{PDQ},90,2,x\n{PDQ2},abc,1,y\n,,1,z\n{PDQ[:10]},80,1,w\n").encode()
    entries, parser = parse("csv", data)
    assert entries == [Entry(pdq=PDQ, quality=90, category="2", extra={"name": "x"})]
    assert [w.where for w in parser.warnings] == ["line 3", "line 4", "line 5"]
    signals, _ = parse("csv", f"signal_type,signal_value\npdq,{PDQ}\nmd5,{MD5}\n".encode())
    assert [(e.pdq, e.md5) for e in signals] == [(PDQ, None), (None, MD5)]
    with pytest.raises(ValueError, match="names no md5"):
        parse("csv", b"name,size\nx,1\n")


def test_vics_examples_both_versions() -> None:
    for name, count in (("vics-2.0-example.json", 4), ("vics-1.3-example.json", 2)):
        data = (FORMATS_DIR / name).read_bytes()
        assert detected(data, name) == "vics"
        entries, parser = parse("vics", data)
        assert len(entries) == count and parser.warning_count == 0
        assert entries[0].md5 == "38d025a1c8821c27c3498c7cdc706e54" and entries[0].category == 1
        assert entries[0].extra is not None and entries[0].extra["IsPrecategorized"] is True
    entries, _ = parse("vics", (FORMATS_DIR / "vics-2.0-example.json").read_bytes())
    assert entries[3].sha256 == "7bed1e0ff2d2e090e513be9f7f9908a8f35509eaa18bb005dcdd8c88486def8f"


def test_vics_tolerant_variants_and_bad_records() -> None:
    doc = {"@odata.context": "x", "value": [
        {"CaseID": "C", "Media": [
            {"MediaID": 1, "Category": "2", "md5": MD5, "Sha1": SHA1.upper(), "VictimIdentified": "True",
             "MediaFiles": [{"FileName": "a.jpg"}], "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ}]},
            {"MediaID": 2, "Category": 1, "MD5": "xyz"},
            {"MediaID": 3, "Category": 1, "IsDistributed": "maybe", "MD5": MD5},
        ]},
        {"CaseID": "D", "Media": []},
    ]}
    entries, parser = parse("vics", json.dumps(doc).encode())
    assert len(entries) == 1
    e = entries[0]
    assert (e.md5, e.sha1, e.pdq, e.category) == (MD5, SHA1, PDQ, "2")
    assert e.extra is not None and e.extra["VictimIdentified"] is True
    assert [w.where for w in parser.warnings] == ["Media[1]", "Media[2]"]
    with pytest.raises(ValueError, match="broken JSON"):
        parse("vics", json.dumps(doc).encode()[:150])


@pytest.mark.parametrize("doc", [
    {"odata.metadata": "x", "value": {"Media": [{"MD5": MD5, "Category": 1}]}},      # Media directly under value
    {"Media": [{"MD5": MD5, "Category": 1}]},
    [{"MD5": MD5, "Category": 1}],
])
def test_vics_other_shapes(doc: object) -> None:
    entries, parser = parse("vics", json.dumps(doc).encode())
    assert [(e.md5, e.category) for e in entries] == [(MD5, 1)] and parser.warning_count == 0


def test_pdq_lists_with_and_without_quality_told_from_sha256() -> None:
    data = f"{PDQ},95\n{PDQ2} 80 from HMA bank\npdq {PDQ}\n{PDQ[:60]}\n".encode()
    entries, parser = parse("pdq", data)
    assert [(e.pdq, e.quality) for e in entries] == [(PDQ, 95), (PDQ2, 80), (PDQ, None)]
    assert entries[1].extra == {"note": "from HMA bank"} and parser.warning_count == 1
    assert detected(f"{PDQ}\n{PDQ2}\n{PDQ}\n".encode()) == "pdq"           # 128 bits set each
    assert detected(f"{SHA256}\n{SHA256}\n{SHA256}\n".encode()) == "plain"


def test_vpdq_lists_one_or_many_videos() -> None:
    single = f"0,100,{PDQ},0.000\n1,90,{PDQ2},1.000\n".encode()
    assert detected(single, "clip.txt") == "vpdq"
    entries, _ = parse("vpdq", single, "clip.txt")
    assert [(e.kind, e.ref, e.part) for e in entries] == [("video", "clip", None), ("frame", "clip", 0),
                                                          ("frame", "clip", 1)]
    many = (f"# video name=a md5={MD5} category=1\n0,100,{PDQ},0.0\n# video name=b\n0,100,{PDQ2},0.0\n"
            f"bad line\n# video md5=zz\n0,100,{PDQ},0.0\n").encode()
    entries, parser = parse("vpdq", many)
    assert [(e.kind, e.ref, e.md5, e.category) for e in entries] == [
        ("video", "a", MD5, "1"), ("frame", "a", None, "1"), ("video", "b", None, None), ("frame", "b", None, None)]
    assert parser.warning_count == 2


def make_rdsv3(path: Path, rows: list[tuple[str, str, str, str, int]]) -> Path:
    """A tiny NSRL RDSv3-shaped database (FILE table as in the releases, plus PKG)."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, "
                 "crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, "
                 "package_id INTEGER NOT NULL)")
    conn.execute("CREATE TABLE PKG (package_id INTEGER, name VARCHAR, version VARCHAR)")
    conn.executemany("INSERT INTO FILE VALUES (?, ?, ?, '00000000', ?, ?, 1)", rows)
    conn.commit()
    conn.close()
    return path


def test_nsrl_rdsv3(tmp_path: Path) -> None:
    db = make_rdsv3(tmp_path / "RDS_minimal.db", [
        (SHA256.upper(), SHA1.upper(), MD5.upper(), "notepad.exe", 1000),
        (SHA256.upper(), SHA1.upper(), MD5.upper(), "notepad.exe", 1000),     # same file, other package
        ("BAD", SHA1.upper(), MD5.upper(), "x", 1),
    ])
    assert detected(db.read_bytes()[:4096], db.name) == "nsrl"
    parser = get_format("nsrl")()
    assert parser.known_good
    with db.open("rb") as fh:
        entries = list(parser.parse(fh))
    assert entries == [Entry(md5=MD5, sha1=SHA1, sha256=SHA256, extra={"name": "notepad.exe", "size": 1000})]
    assert parser.warning_count == 1
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with other.open("rb") as fh, pytest.raises(ValueError, match="no FILE table"):
        list(get_format("nsrl")().parse(fh))


def test_detection_of_unknown_content() -> None:
    assert detected(b"hello world\nthis is prose\n") is None
    assert detected(b"\x00\x01\x02binary") is None


@pytest.mark.parametrize("raw,scheme,expected", [
    (1, "vic", Category.CAM), ("4", "vic", Category.COMPARISON), ("Category 2", "vic", Category.EXPLOITIVE),
    ("CGI", "vic", Category.CGI), ("A", "caid", Category.CAM), ("Cat C", "caid", Category.CAM),
    ("prohibited", "caid", Category.CGI), ("B2", "industry", Category.CAM), ("baseline", "baseline", Category.CAM),
])
def test_category_mapping(raw: str | int, scheme: str, expected: Category) -> None:
    assert map_category(raw, scheme) == expected


def test_category_mapping_errors() -> None:
    assert map_category("", "vic") is None
    with pytest.raises(ValueError, match="'7'"):
        map_category("7", "vic")
    with pytest.raises(ValueError, match="'D'"):
        map_category("D", "caid")
    with pytest.raises(ValueError, match="unknown category scheme 'x'"):
        map_category("1", "x")


# ---- hostile lists: bounded memory, one clear refusal or a warning ----------------------------


@pytest.mark.parametrize("depth", [65, 40_000])
def test_vics_refuses_deep_nesting_before_building_anything(depth: int) -> None:
    data = b'{"odata.metadata": "x", "value": ' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(DepthError, match="more than 64 levels deep by line 1"):
        parse("vics", data)


def test_vics_nesting_inside_a_record_is_refused_too() -> None:
    deep = "[" * 70 + "]" * 70
    data = f'{{"value": [{{"Media": [{{"MD5": "{MD5}", "Extra": {deep}}}]}}]}}'.encode()
    with pytest.raises(DepthError, match="64 levels"):
        parse("vics", data)
    fine = "[" * 50 + "]" * 50
    entries, _ = parse("vics", f'{{"value": [{{"Media": [{{"MD5": "{MD5}", "Extra": {fine}}}]}}]}}'.encode())
    assert [e.md5 for e in entries] == [MD5]


def test_vics_skips_a_record_over_the_size_cap_and_keeps_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "MAX_RECORD", 10_000)
    doc = {"value": [{"CaseID": "C", "Media": [{"MD5": MD5, "Comments": ["x" * 100] * 200}, {"MD5": SHA1[:32]}]},
                     {"MD5": MD5, "Notes": ["y" * 100] * 200}]}
    entries, parser = parse("vics", json.dumps(doc).encode())
    assert [e.md5 for e in entries] == [SHA1[:32]]
    assert [(w.where, w.message) for w in parser.warnings] == [
        ("Media[0]", "record over 0 MiB: skipped"), ("Media[2]", "record over 0 MiB: skipped")]


def test_vics_refuses_one_value_over_the_token_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "MAX_TOKEN", 200_000)
    data = b'{"value": [{"Media": [{"MD5": "' + b"a" * 1_000_000 + b'"}]}]}'
    with pytest.raises(ValueError, match="one JSON value is over 0 MiB"):
        parse("vics", data)


@pytest.mark.parametrize(("fmt", "head"), [
    ("plain", b""), ("pdq", b""), ("vpdq", b""), ("hashdeep", b"%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n"),
    ("csv", b"md5,name\n"),
])
def test_text_lists_skip_an_overlong_line_without_holding_it(fmt: str, head: bytes,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_LINE", 1000)
    monkeypatch.setattr(csvlist, "MAX_LINE", 1000)
    good = {"plain": f"{MD5}  a.jpg", "pdq": f"{PDQ},90", "vpdq": f"0,100,{PDQ},0.0",
            "hashdeep": f"5,{MD5},a.jpg", "csv": f"{MD5},a.jpg"}[fmt]
    data = head + b"x" * 5000 + b"\n" + good.encode() + b"\n"
    lines = len(head.splitlines())
    entries, parser = parse(fmt, data)
    assert parser.warnings[0].where == f"line {lines + 1}"
    assert "longer than 1,000 characters: skipped" in parser.warnings[0].message
    assert any(MD5 in (e.md5, e.pdq) or e.pdq == PDQ for e in entries)


def test_csv_header_over_the_line_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvlist, "MAX_LINE", 1000)
    with pytest.raises(ValueError, match="header line is longer than 1,000"):
        parse("csv", b"md5," + b"x" * 5000 + b"\n")


@pytest.mark.parametrize("fmt", ["csv", "icse"])
def test_a_quote_left_open_ends_the_import_whatever_the_process_csv_limit(fmt: str) -> None:
    """Records and extraction raise ``csv.field_size_limit`` for their own files (one setting for
    the whole process): a hash list's rows are bounded by the reader itself all the same."""
    import csv

    saved = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        rows = "".join(f"{i};{MD5};;yes;;a.jpg\r\n" for i in range(50)) + '51;"open' + ("x" * 999 + "\r\n") * 300
        data = icse_file(rows) if fmt == "icse" else ("md5;name\n" + "".join(f"{MD5};a\n" for _ in range(50))
                                                      + '"open' + ("x" * 999 + "\n") * 300).encode()
        with pytest.raises(ValueError, match="runs on past 131,072 characters"):
            parse(fmt, data)
    finally:
        csv.field_size_limit(saved)


# ---- ICSE hash export (';' CSV, sep= line, BOM) and CAID's VICS 1.2 dialect ------------------

def icse_file(rows: str, *, sep_line: bool = True, bom: bool = True) -> bytes:
    head = ("sep=;\r\n" if sep_line else "") + "ICSE ID;MD5;SHA1;Baseline;Series;File name\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + (head + rows).encode()


def test_icse_export_with_sep_line_and_bom() -> None:
    data = icse_file(f'101;{MD5.upper()};{SHA1};Yes;S-1;"a;b.jpg"\r\n102;{MD5};;No;;c.jpg\r\n'
                     f"103;zz;;Yes;;d.jpg\r\n104;{MD5};;maybe;;e.jpg\r\n")
    assert detected(data, "export.csv") == "icse" and detected(icse_file("", bom=False)) == "icse"
    entries, parser = parse("icse", data)
    assert entries[0] == Entry(md5=MD5, sha1=SHA1, category="baseline",
                               extra={"ICSE ID": "101", "Series": "S-1", "File name": "a;b.jpg"})
    assert [e.category for e in entries] == ["baseline", None, None]
    assert [w.where for w in parser.warnings] == ["line 5", "line 6"]     # the sep= line and header count
    assert "not yes or no" in parser.warnings[1].message
    assert map_category(entries[0].category, "baseline") == Category.CAM


def test_icse_without_sep_line_is_still_icse_and_a_truncated_row_is_named() -> None:
    data = icse_file(f"101;{MD5};{SHA1};yes;S-1;x.jpg\r\n102;{MD5};{SHA1}", sep_line=False)
    assert detected(data, "hashes.csv") == "icse"
    assert detected(f"md5;category\n{MD5};1\n".encode()) == "csv"       # a plain ';' list stays csv
    entries, parser = parse("icse", data)
    assert len(entries) == 1
    assert [(w.where, w.message) for w in parser.warnings] == [("line 3", "3 of 6 fields: truncated row skipped")]


def test_icse_open_quote_at_the_end_names_its_line() -> None:
    data = icse_file(f'101;{MD5};;yes;;"x.jpg\r\n')
    with pytest.raises(ValueError, match=r"^line 3: unexpected end of data"):
        parse("icse", data)


def test_icse_header_without_hashes_is_refused_with_its_line() -> None:
    with pytest.raises(ValueError, match="line 2: the header 'ICSE ID;Name' names no MD5"):
        parse("icse", b"sep=;\nICSE ID;Name\n1;x\n")


def caid_file(media: list[dict[str, object]], version: str = "1.2") -> bytes:
    return json.dumps({"odata.metadata": f"http://github.com/ICMEC/ProjectVic/DataModels/{version}.xml#Media",
                       "value": [{"CaseID": 1, "Media": media}]}).encode()


def test_caid_vics_12_letters_and_field_names() -> None:
    data = caid_file([{"MediaID": 1, "Category": "A", "MD5": MD5.upper(), "SHA1": SHA1, "IsPrecategorized": "true"},
                      {"MediaID": 2, "Category": "Cat C", "Md5": MD5, "mediasize": 18},
                      {"MediaID": 3, "Category": "B"}])
    assert detected(data, "caid.json") == "caid-vics"
    assert detected(caid_file([{"Category": 1, "MD5": MD5}], "1.3"), "v.json") == "vics"
    assert detected(caid_file([{"Category": "B", "MD5": MD5}], "1.3"), "v.json") == "caid-vics"   # the letters
    assert get_format("caid-vics").default_scheme == "caid" and get_format("vics").default_scheme == "vic"
    entries, parser = parse("caid-vics", data)
    assert [e.category for e in entries] == ["A", "Cat C"]
    assert [map_category(e.category, "caid") for e in entries] == [Category.CAM, Category.CAM]
    assert entries[0].extra == {"MediaID": 1, "IsPrecategorized": True} and entries[1].extra == {"MediaID": 2,
                                                                                                 "MediaSize": 18}
    assert [(w.where, w.message) for w in parser.warnings] == [("Media[2]", "no MD5, SHA1, SHA256 or PDQ")]


def test_truncated_vics_names_the_record_and_line() -> None:
    data = caid_file([{"MediaID": i, "Category": "A", "MD5": MD5} for i in range(3)])
    cut = data[: data.index(b'"MediaID": 2') + 5]
    with pytest.raises(ValueError, match=r"broken JSON, truncated: the file ends at line 1 inside Media\[2\], after 2"):
        parse("caid-vics", cut)
