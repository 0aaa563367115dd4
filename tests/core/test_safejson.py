"""The JSON depth and size guard that every outside document goes through."""

import json

import pytest

from tasman.core import safejson


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert safejson.depth(b'{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert safejson.depth('"just a string with \\" and ["') == 0
    assert safejson.depth(b"[]") == 1


def test_loads_parses_ordinary_documents() -> None:
    doc = {"value": [{"MD5": "00" * 16, "Media": [{"a": 1}]}]}
    assert safejson.loads(json.dumps(doc)) == doc


def test_loads_refuses_deep_nesting_before_parsing() -> None:
    bomb = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(safejson.DepthError, match="200000 levels deep, over the limit of 64"):
        safejson.loads(bomb)
    assert safejson.loads(b"[" * 64 + b"]" * 64) is not None
    with pytest.raises(ValueError, match="65 levels"):
        safejson.loads(b"[" * 65 + b"]" * 65)


def test_loads_refuses_oversized_documents() -> None:
    with pytest.raises(safejson.DepthError, match="over the 10-byte limit"):
        safejson.loads(b'"0123456789"', max_bytes=10)


def test_malformed_input_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        safejson.loads(b'{"a": [1, 2')


def test_read_bounded_refuses_pipes_and_oversized_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from tasman.core.errors import InputError, NotFoundError

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="not a regular file"):
        safejson.read_bounded(pipe, 10, "a Tasman audit anchor")
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 11)
    with pytest.raises(InputError, match="larger than the 10-byte limit"):
        safejson.read_bounded(big, 10, "a Tasman audit anchor")
    assert safejson.read_bounded(big, 11, "x") == b"x" * 11
    with pytest.raises(NotFoundError, match="cannot read"):
        safejson.read_bounded(tmp_path / "missing.json", 10, "a Tasman audit anchor")
