"""``tasman samples``: the walk-through's inputs, what README.txt says of them, refusals.
The whole walk-through on them runs in tests/test_readme.py."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from tasman.samples import FILES, write_samples

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_samples(tmp_path_factory.mktemp("s") / "samples").folder


def test_every_file_readme_txt_names_is_there_and_nothing_else(samples: Path) -> None:
    readme = (samples / "README.txt").read_text(encoding="utf-8")
    for name in FILES:
        assert (samples / name).exists(), name
        assert re.search(rf"^{re.escape(name)}\s", readme, re.M), name
    top = {p.name + ("/" if p.is_dir() else "") for p in samples.iterdir()}
    assert top == {"README.txt"} | {n for n in FILES if "/" not in n.rstrip("/")}   # no temporary folder left


def test_the_inputs_are_what_they_claim(samples: Path) -> None:
    assert (samples / "laptop.E01").read_bytes()[:8] == b"EVF\x09\x0d\x0a\xff\x00"   # EWF signature
    vics = json.loads((samples / "partner-list.json").read_text(encoding="utf-8"))
    media = vics["value"][0]["Media"]
    assert len(media) == 12 and all(m["MD5"] and m["Category"] in (1, 2, 3) for m in media)
    assert (samples / "orders.csv").read_text(encoding="utf-8").startswith("order_id,")
    assert all(json.loads(line) for line in (samples / "chats.jsonl").read_text(encoding="utf-8").splitlines())
    assert b"<report" in (samples / "fiu-report.xml").read_bytes()[:400]
    entry = yaml.safe_load((samples / "partner/keys/identity.yaml").read_text(encoding="utf-8"))
    assert entry["countries"] == ["PH"] and entry["age_recipient"].startswith("age1") and entry["signing_key"]
    assert not (samples / "partner/keys/identity.yaml").read_text(encoding="utf-8").count("SECRET")


def test_a_folder_with_something_in_it_is_refused(samples: Path, tmp_path: Path,
                                                  run_cli: Callable[..., Result]) -> None:
    before = sorted(p.name for p in samples.iterdir())
    result = run_cli("samples", samples)
    assert result.exit_code == 4 and "not an empty folder" in result.output
    assert sorted(p.name for p in samples.iterdir()) == before
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert run_cli("samples", tmp_path / "a-file").exit_code == 4


def test_reply_needs_the_partner_workspace_and_a_known_sender(samples: Path, tmp_path: Path,
                                                              run_cli: Callable[..., Result]) -> None:
    package = tmp_path / "OP-1-PH-v1.tasman"
    package.write_bytes(b"not a package")
    result = run_cli("samples", tmp_path, "--reply", package)
    assert result.exit_code == 3 and "not a partner workspace" in result.output
    result = run_cli("samples", samples, "--reply", package)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert not list(samples.glob("outcome-*.json"))


def test_a_failed_run_leaves_no_half_written_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    run_cli: Callable[..., Result]) -> None:
    monkeypatch.setattr("tasman.samples.make_e01", lambda raw, target: None)   # as without ewf-tools
    result = run_cli("samples", tmp_path / "new")
    assert result.exit_code == 5 and "ewf-tools" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    assert run_cli("samples", tmp_path / "empty").exit_code == 5
    assert (tmp_path / "empty").is_dir() and not list((tmp_path / "empty").iterdir())
