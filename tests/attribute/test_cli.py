from __future__ import annotations

from pathlib import Path

from tasman.core.workspace import Workspace
from tests.attribute import factory as f


def _ws(tmp_path: Path) -> Path:
    w = Workspace.init(tmp_path / "w", actor="tester")
    with w.session() as s:
        f.operation(s)
    w.close()
    return tmp_path / "w"


def test_attribute_and_show(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = _ws(tmp_path)
    r = run_cli("-w", root, "attribute", "--case", "OP-1")
    assert r.exit_code == 0, r.output
    assert "Attributed 3 of 4 subjects" in r.output and "1 with conflicting signals" in r.output
    r = run_cli("-w", root, "attribute", "show", "--case", "OP-1")
    assert r.exit_code == 0 and "S-000003" in r.output and "DE" in r.output
    r = run_cli("-w", root, "attribute", "show", "--case", "OP-1", "S-000003")
    assert "CONFLICTING SIGNALS" in r.output and "+63" in r.output and "Berlin" in r.output
    r = run_cli("-w", root, "attribute", "show", "--case", "OP-1", "S-000001", "--json")
    assert r.exit_code == 0 and '"country": "PH"' in r.output


def test_errors_are_one_line_with_exit_codes(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = _ws(tmp_path)
    r = run_cli("-w", root, "attribute", "show", "--case", "OP-1")
    assert r.exit_code == 3 and "no attribution yet" in r.stderr
    r = run_cli("-w", root, "attribute", "--case", "NOPE")
    assert r.exit_code == 3 and r.stderr.count("\n") == 1
    bad = tmp_path / "w.yaml"
    bad.write_text("signals: [1, 2")
    r = run_cli("-w", root, "attribute", "--case", "OP-1", "--weights", bad)
    assert r.exit_code == 5 and "not valid YAML" in r.stderr and "Traceback" not in r.output
    r = run_cli("-w", root, "attribute", "--case", "OP-1", "--mmdb", tmp_path / "none.mmdb")
    assert r.exit_code == 5 and "none.mmdb" in r.stderr
    run_cli("-w", root, "attribute", "--case", "OP-1")
    r = run_cli("-w", root, "attribute", "show", "--case", "OP-1", "S-999")
    assert r.exit_code == 3 and "S-999" in r.stderr
