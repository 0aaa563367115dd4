"""The VICS reader's pre-scan (``vicsscan``): the runs of Media records it finds are built by
ijson's C ``items`` and give what the event loop gives, wherever the file's reads cut them, and
every bound (depth, one value's length, a record's size) holds on the bytes before yajl sees them."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest

from tasman.core.safejson import DepthError
from tasman.triage.hashsets import vics, vicsscan
from tasman.triage.hashsets.vics import VicsFormat

A, B, C, D, E = (f"{i:032x}" for i in (10, 11, 12, 13, 14))


def read(data: bytes) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]], str | None]:
    parser = VicsFormat()
    entries: list[tuple[Any, ...]] = []
    error = None
    try:
        entries = [(e.md5, e.category, e.extra) for e in parser.parse(io.BytesIO(data))]
    except ValueError as exc:
        error = f"{type(exc).__name__}: {exc}"
    return entries, [(w.where, w.message) for w in parser.warnings], error


MIXED = {"@odata.context": "x", "value": [
    {"CaseID": "C", "MD5": E, "Media": [{"MD5": A, "Category": 1, "MediaFiles": [{"FileName": "a, {b}.jpg"}]},
                                        3, "text", [{"MD5": D}], {"MD5": "bad"}, {"md5": B, "Category": "2"}],
     "sub": {"Media": [{"MD5": C, "Tags": ["caid:B"], "Category": 1, "Comments": "say \"hi\" \\ [x]"}]}},
    {"MediaID": 7, "MD5": D, "Category": 3},                  # a 1.x record directly under value
    {"CaseID": "empty", "Media": []},
]}


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_reads_cut_anywhere_give_what_one_read_gives(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.dumps(MIXED, indent=1).encode()
    whole = read(data)
    assert whole[2] is None and [e[0] for e in whole[0]] == [A, B, C, E, D]
    assert whole[1] == [("Media[1]", "MD5 'bad' is not 32 hex digits")]
    monkeypatch.setattr(vics, "CHUNK", chunk)
    assert read(data) == whole


def test_the_scan_finds_runs_of_records_and_hands_a_large_one_out_alone() -> None:
    data = b'{"Media": [{"a": "}"}, {"b": [1, {"c": 2}]} ,{"d":"\\"{"}, 5, {"e": 1}, {"f": "' + b"x" * 50 + b'"}]}'
    state, stack = vicsscan.new_state(64)
    found = np.zeros((len(data) // 2 + 4, 4), dtype=np.int64)
    n = vicsscan.scan(np.frombuffer(data, dtype=np.uint8), 0, 0, state, stack, found, 64, 1 << 20, 40)
    items = [(kind, data[start:end], count) for kind, start, end, count in found[:n].tolist()]
    assert items == [
        (vicsscan.RUN, b'{"a": "}"}, {"b": [1, {"c": 2}]} ,{"d":"\\"{"}', 3),
        (vicsscan.RUN, b'{"e": 1}', 1),
        (vicsscan.BIG, b'{"f": "' + b"x" * 50 + b'"}', 1),
    ]
    assert state[vicsscan.DEPTH] == 0 and state[vicsscan.ERR] == vicsscan.NO_ERROR


def test_a_media_key_written_with_an_escape_is_read_by_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = json.dumps({"value": [{"Media": [{"MD5": A}, {"MD5": B, "Media": [{"MD5": C}]}]}]}).encode()
    escaped = plain.replace(b'"Media"', b'"Medi\\u0061"')
    assert read(escaped) == read(plain)
    assert [e[0] for e in read(escaped)[0]] == [A, B]
    monkeypatch.setattr(vics, "CHUNK", 5)
    assert read(escaped) == read(plain)


@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_a_record_over_the_cap_in_bytes_is_skipped_across_reads(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "MAX_RECORD", 300)
    monkeypatch.setattr(vics, "CHUNK", chunk)
    data = json.dumps({"value": [{"Media": [{"MD5": A}, {"MD5": B, "Note": "n" * 400}, {"MD5": C}]}]}).encode()
    entries, warnings, error = read(data)
    assert error is None and [e[0] for e in entries] == [A, C]
    assert warnings == [("Media[1]", "record over 0 MiB: skipped")]


@pytest.mark.parametrize("chunk", [3, 1 << 20])
def test_a_broken_record_over_the_cap_still_refuses_the_file(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its bytes are not built, but yajl reads them all the same."""
    monkeypatch.setattr(vics, "MAX_RECORD", 300)
    monkeypatch.setattr(vics, "CHUNK", chunk)
    data = b'{"value": [{"Media": [{"MD5": "' + A.encode() + b'", "Note": "' + b"n" * 400 + b'" "x": 1}]}]}'
    with pytest.raises(ValueError, match="broken JSON after 0 Media records: parse error"):
        list(VicsFormat().parse(io.BytesIO(data)))


@pytest.mark.parametrize("chunk", [1, 4, 1 << 20])
@pytest.mark.parametrize("gap", [b" ", b",,", b", ,"])
def test_records_not_separated_by_one_comma_are_refused(chunk: int, gap: bytes,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "CHUNK", chunk)
    data = b'{"Media": [{"MD5": "' + A.encode() + b'"}' + gap + b'{"MD5": "' + B.encode() + b'"}]}'
    with pytest.raises(ValueError, match="broken JSON"):
        list(VicsFormat().parse(io.BytesIO(data)))


def test_records_before_a_broken_one_in_the_same_run_are_reported() -> None:
    media = b'{"MD5": "bad"}, {"MD5": "' + A.encode() + b'"}, {"MD5": "also bad"}, {"MD5": tru}, {"MD5": "x"}'
    parser = VicsFormat()
    with pytest.raises(ValueError, match=r"broken JSON after 3 Media records: lexical error"):
        list(parser.parse(io.BytesIO(b'{"value": [{"Media": [' + media + b"]}]}")))
    assert [w.where for w in parser.warnings] == ["Media[0]", "Media[2]"]


def test_the_depth_refusal_names_the_line_it_is_on() -> None:
    deep = "[" * 70 + "]" * 70
    data = ('{"value": [{"Media": [\n{"MD5": "' + A + '"},\n{"MD5": "' + B + '"},\n\n{"x": ' + deep + "}]}]}").encode()
    with pytest.raises(DepthError, match="64 levels deep by line 5"):
        list(VicsFormat().parse(io.BytesIO(data)))


@pytest.mark.parametrize("value", [b"1" * 5000, b'"' + b"s" * 5000 + b'"', b" " * 5000 + b"1"])
def test_one_value_over_the_token_cap_is_refused_wherever_it_is(value: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vics, "MAX_TOKEN", 1000)
    monkeypatch.setattr(vics, "CHUNK", 700)
    for data in (b'{"value": [{"Media": [{"MD5": ' + value + b"}]}]}", b'{"odata.metadata": ' + value + b"}"):
        with pytest.raises(ValueError, match="one JSON value is over 0 MiB by line 1: refused"):
            list(VicsFormat().parse(io.BytesIO(data)))


def test_a_record_whose_keys_would_cost_items_dearly_is_built_from_events() -> None:
    """ijson's items builds a prefix string for every key, the keys around it joined: one long key
    with many keys under it would cost their product; such a record is built from the parser's
    events (no prefixes) and reads as any other."""
    long_key = "K" * 5000
    record = {long_key: {f"k{i}": i for i in range(300)}, "MD5": A, "Category": 2}
    data = json.dumps({"value": [{"Media": [{"MD5": B}, record, {"MD5": C}]}]}).encode()
    state, stack = vicsscan.new_state(64)
    found = np.zeros((len(data) // 2 + 4, 4), dtype=np.int64)
    n = vicsscan.scan(np.frombuffer(data, dtype=np.uint8), 0, 0, state, stack, found, 64, 1 << 20, 1 << 22)
    assert [(kind, count) for kind, _, _, count in found[:n].tolist()] == [
        (vicsscan.RUN, 1), (vicsscan.SLOW, 1), (vicsscan.RUN, 1)]
    assert list(VicsFormat._records(io.BytesIO(data))) == [{"MD5": B}, record, {"MD5": C}]
    entries, warnings, error = read(data)
    assert [(e[0], e[1]) for e in entries] == [(B, None), (A, 2), (C, None)] and not warnings and error is None
