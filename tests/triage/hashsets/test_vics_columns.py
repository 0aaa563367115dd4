"""The VICS reader's fast way (records built on a stack, converted field by field over a batch)
gives what the record-by-record way gives, and hands any batch it cannot take to it."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest

from tasman.core.safejson import DepthError
from tasman.triage.hashsets import Entry, vics
from tasman.triage.hashsets.vics import VicsFormat, media_columns, media_entry

HEX = "0123456789abcdef"


def hexes(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(HEX) for _ in range(n))


def record(rng: random.Random, i: int) -> dict[str, Any]:
    """A well-formed Media record with a random mix of the fields real exports carry."""
    r: dict[str, Any] = {"MediaID": i}
    if rng.random() < 0.9:
        r["MD5"] = hexes(rng, 32).upper() if rng.random() < 0.3 else hexes(rng, 32)
    if rng.random() < 0.7 or "MD5" not in r:
        r["SHA1"] = hexes(rng, 40)
    if rng.random() < 0.3:
        r["SHA256"] = rng.choice(["", hexes(rng, 64)])
    if rng.random() < 0.8:
        r["Category"] = rng.choice([0, 1, 2, "3", "", None])
    for key in ("MediaSize", "MimeType", "Series", "PhotoDNA"):
        if rng.random() < 0.5:
            r[key] = rng.choice(["", None, [], 0, 18, "image/jpeg", "S1"])
    for key in vics.FLAGS:
        if rng.random() < 0.5:
            r[key] = rng.choice([True, False, None, "true", "False", "1", "n", ""])
    if rng.random() < 0.3:
        r["Tags"] = rng.choice([[], ["caid:B"], ["vic:1", "caid:C"], ["note"], ["vic_canada:2"], "caid:A"])
    if rng.random() < 0.3:
        r["AlternativeHashes"] = rng.choice([
            [], [{"HashName": "PDQ", "HashValue": hexes(rng, 64)}],
            [{"HashName": "SHA-256", "HashValue": hexes(rng, 64)}, {"HashName": "sha1", "HashValue": hexes(rng, 40)}],
            [{"HashName": "other", "HashValue": "x"}, "not an object"]])
    if rng.random() < 0.3:
        r["MediaFiles"] = [{"FileName": "a.jpg", "Deleted": False}]       # read by neither
    return r


@pytest.mark.parametrize("seed", range(8))
def test_field_by_field_equals_record_by_record(seed: int) -> None:
    rng = random.Random(seed)
    records = [record(rng, i) for i in range(300)]
    batch = media_columns(records)
    assert batch is not None
    assert list(map(Entry._make, zip(*batch, strict=True))) == [media_entry(r) for r in records]


@pytest.mark.parametrize("odd", [
    {"md5": "9e107d9d372bb6826bd81d3542a419d6"},                       # another letter case
    {"MD5": "xyz"},                                                       # a bad hash
    {"MD5": 7},                                                           # a number where a hash belongs
    {"MediaID": 9},                                                       # no hash at all
    {"MD5": "9e107d9d372bb6826bd81d3542a419d6", "IsDistributed": "maybe"},  # not a boolean
    {"MD5": "9e107d9d372bb6826bd81d3542a419d6", "AlternativeHashes": [{"HashName": "PDQ", "HashValue": "zz"}]},
    "a string",
])
def test_a_batch_with_one_odd_record_goes_record_by_record(odd: Any) -> None:
    rng = random.Random(1)
    records = [record(rng, i) for i in range(50)]
    assert media_columns([*records, odd]) is None
    doc = {"value": [{"CaseID": "C", "Media": [*records[:20], odd, *records[20:]]}]}
    parser = VicsFormat()
    entries = list(parser.parse(io.BytesIO(json.dumps(doc).encode())))
    expected = [media_entry(r) for r in records]
    if isinstance(odd, dict) and odd.get("md5"):
        expected.insert(20, media_entry(odd))       # read by media_entry's own field lookup
        assert parser.warning_count == 0
    else:
        assert [w.where for w in parser.warnings] == (["Media[20]"] if isinstance(odd, dict) else [])
    assert entries == expected


@pytest.mark.parametrize("at_once", [5_000, 2])
def test_batches_name_each_bad_record_by_its_place_across_batches(at_once: int,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "RECORDS_AT_ONCE", at_once)      # 2: each batch is made of several parts
    good = [{"MD5": f"{i:032x}", "Category": 1} for i in range(25)]
    media: list[Any] = [*good]
    for at in (3, 11, 24):
        media[at] = {"MD5": "bad", "Category": 1}
    data = json.dumps({"value": [{"Media": media[:12]}, {"Media": media[12:]}]}).encode()
    parser = VicsFormat()
    batches = list(parser.batches(io.BytesIO(data), size=5))
    assert [len(b[0]) for b in batches] == [5, 5, 5, 5, 2] and all(len(set(map(len, b))) == 1 for b in batches)
    assert [w.where for w in parser.warnings] == ["Media[3]", "Media[11]", "Media[24]"]
    assert [m for b in batches for m in b[0]] == [f"{i:032x}" for i in range(25) if i not in (3, 11, 24)]


def test_records_keep_nested_values_and_skip_a_large_one_inside_a_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "MAX_RECORD", 2_000)
    nested = {"MD5": "9e107d9d372bb6826bd81d3542a419d6", "MediaFiles": [{"Exif": {"a": [1, [2.5, None, True]]}}],
              "Tags": ["caid:B"], "Category": 2}
    big = {"MD5": "0" * 32, "Comments": [[{"x": "y" * 50}] * 10] * 10}
    doc = {"value": [{"CaseID": "C", "Media": [nested, big, nested], "After": [1, 2]}]}
    built = list(VicsFormat._records(io.BytesIO(json.dumps(doc).encode())))
    assert built[0] == nested and built[2] == nested and isinstance(built[1], vics.TooLarge)
    entries, parser = [], VicsFormat()
    entries = list(parser.parse(io.BytesIO(json.dumps(doc).encode())))
    assert len(entries) == 2 and entries[0].extra == {"source_scheme": "caid", "source_category": "B"}
    assert [w.where for w in parser.warnings] == ["Media[1]"]


def test_nesting_inside_a_record_skipped_for_its_size_is_still_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "MAX_RECORD", 200)
    deep = "[" * 70 + "]" * 70
    data = f'{{"value": [{{"Media": [{{"Comments": "{"x" * 500}", "Extra": {deep}}}]}}]}}'.encode()
    with pytest.raises(DepthError, match="64 levels"):
        list(VicsFormat().parse(io.BytesIO(data)))


A, B, C, D = (f"{i:032x}" for i in (10, 11, 12, 13))


def test_objects_under_value_are_records_or_case_objects_built_without_their_media() -> None:
    case = {"CaseID": "C", "Info": {"n": None, "l": [1, {"x": None}, False]}, "Media": [{"MD5": B}], "MD5": C}
    doc = {"value": [{"MediaID": 1, "MD5": A, "MediaFiles": [{"FileName": "a", "Exif": None}]}, case,
                     {"CaseID": "D", "Media": [{"MD5": D}]}]}
    data = json.dumps(doc).encode()
    built = list(VicsFormat._records(io.BytesIO(data)))
    assert built == [doc["value"][0], {"MD5": B}, {k: v for k, v in case.items() if k != "Media"}, {"MD5": D}]
    parser = VicsFormat()
    assert [e.md5 for e in parser.parse(io.BytesIO(data))] == [A, B, C, D] and parser.warning_count == 0


def test_an_object_under_value_over_the_size_cap_is_skipped_but_its_media_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "MAX_RECORD", 300)
    doc = {"value": [{"MD5": A, "Notes": "x" * 400, "Media": [{"MD5": B}]}, {"MD5": C, "Notes": "y" * 400},
                     {"MD5": D}]}
    parser = VicsFormat()
    assert [e.md5 for e in parser.parse(io.BytesIO(json.dumps(doc).encode()))] == [B, D]
    assert [(w.where, w.message) for w in parser.warnings] == [
        ("Media[1]", "record over 0 MiB: skipped"), ("Media[2]", "record over 0 MiB: skipped")]


def test_warnings_of_records_read_before_the_file_breaks_off_are_kept() -> None:
    data = json.dumps({"value": [{"Media": [{"MD5": "bad"}, {"MD5": A}, {"MD5": B}]}]}).encode()
    parser = VicsFormat()
    with pytest.raises(ValueError, match=r"truncated: .* after 3 complete Media records"):
        list(parser.parse(io.BytesIO(data[:-4])))
    assert [w.where for w in parser.warnings] == ["Media[0]"]


@pytest.mark.parametrize("odd", [1.0, 0.0, 1, 0])
def test_a_number_equal_to_a_boolean_is_judged_on_its_own(odd: float) -> None:
    """True == 1 == 1.0 (and they hash alike): a flag's values are looked up by type and value,
    so a 1.0 after a true is refused as media_entry refuses it, not read as the true before it."""
    media = [{"MD5": A, "IsDistributed": True}, {"MD5": B, "IsDistributed": False}, {"MD5": C, "IsDistributed": odd}]
    parser = VicsFormat()
    entries = list(parser.parse(io.BytesIO(json.dumps({"value": [{"Media": media}]}).encode())))
    expected, warned = [], []
    for i, r in enumerate(media):
        try:
            expected.append(media_entry(r))
        except ValueError:
            warned.append(f"Media[{i}]")
    assert entries == expected and [w.where for w in parser.warnings] == warned


def test_shapes_with_long_keys_are_checked_but_never_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shapes found plain are remembered only when their keys are short: a hostile file's
    records of thousands of long unknown keys cannot fill the process's memory across imports."""
    monkeypatch.setattr(vics, "_PLAIN_SHAPES", set())
    long = {"MD5": A, **{f"unknown-field-{i:04d}-" + "x" * 40: 1 for i in range(100)}}
    assert media_columns([long]) is not None and not vics._PLAIN_SHAPES
    assert media_columns([{"MD5": B, "Category": 1}]) is not None
    assert sorted(vics._PLAIN_SHAPES) == [("MD5", "Category")]


def test_records_are_converted_a_few_mib_of_the_file_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk of records ends when it holds RECORDS_AT_ONCE records or when more than
    MAX_RECORD bytes of the file were read for it, so large records are not held by thousands."""
    monkeypatch.setattr(vics, "MAX_RECORD", 20_000)
    seen: list[int] = []
    real = vics.media_columns

    def counting(records: list[Any]) -> Any:
        seen.append(len(records))
        return real(records)

    monkeypatch.setattr(vics, "media_columns", counting)
    media = [{"MD5": f"{i:032x}", "Comments": "c" * 1_000} for i in range(600)]      # ~630 KB
    parser = VicsFormat()
    entries = list(parser.parse(io.BytesIO(json.dumps({"value": [{"Media": media}]}).encode())))
    assert [e.md5 for e in entries] == [m["MD5"] for m in media] and parser.warning_count == 0
    assert sum(seen) == 600 and len(seen) > 1 and max(seen) < 600
