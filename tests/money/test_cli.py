from __future__ import annotations

import json
from pathlib import Path

from tasman.synth.transfers import write_goaml

from .helpers import facilitator_rows


def _ws(run_cli, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    w = str(tmp_path / "ws")
    assert run_cli("init", w).exit_code == 0
    assert run_cli("-w", w, "case", "create", "C1").exit_code == 0
    return w


def test_import_and_analyse(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = _ws(run_cli, tmp_path)
    report = write_goaml(facilitator_rows(), tmp_path / "str.xml")
    res = run_cli("-w", w, "money", "import", report, "--case", "C1", "--format", "goaml", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["added"] == 12
    res = run_cli("-w", w, "money", "analyse", "--case", "C1", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["top_beneficiaries"][0]["name"] == "Maria Lintam" and data["top_beneficiaries"][0]["alerted"]
    assert Path(data["files"]["report"]).is_file() and "out/C1/money" in data["out"]
    res = run_cli("-w", w, "money", "analyse", "--case", "C1", "--out", tmp_path / "o")
    assert res.exit_code == 0 and "Top beneficiaries" in res.output and (tmp_path / "o" / "money.html").is_file()


def test_import_errors(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = _ws(run_cli, tmp_path)
    bad = tmp_path / "bad.xml"
    bad.write_text("<report><transaction><amount_local>x</amount_local></transaction></report>")
    csv_file = tmp_path / "s.csv"
    csv_file.write_text("a,b\n1,2\n")
    cases = [
        (("money", "import", bad, "--case", "NOPE", "--format", "goaml"), 3, "NOPE"),
        (("money", "import", tmp_path / "missing.xml", "--case", "C1", "--format", "goaml"), 3, "missing.xml"),
        (("money", "import", bad, "--case", "C1", "--format", "swift"), 2, "swift"),
        (("money", "import", bad, "--case", "C1", "--format", "goaml"), 5, "nothing usable"),
        (("money", "import", csv_file, "--case", "C1", "--format", "bank-csv"), 5, "--map"),
        (("money", "import", csv_file, "--case", "C1", "--format", "bank-csv", "--map", tmp_path / "no.yaml"), 3,
         "no.yaml"),
    ]
    for args, code, text in cases:
        res = run_cli("-w", w, *args)
        assert res.exit_code == code, (args, res.output)
        assert text in res.output
        assert "Traceback" not in res.output


def test_analyse_errors(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = _ws(run_cli, tmp_path)
    res = run_cli("-w", w, "money", "analyse", "--case", "C1")      # nothing imported: nothing to do
    assert res.exit_code == 0 and res.output.strip() == (
        "nothing to analyse: case C1 has no transactions records; import some with `tasman money import`")
    res = run_cli("-w", w, "money", "analyse", "--case", "C1", "--config", tmp_path / "none.yaml")
    assert res.exit_code == 3 and "none.yaml" in res.output
    cfg = tmp_path / "c.yaml"
    cfg.write_text("threshold: high\n")
    res = run_cli("-w", w, "money", "analyse", "--case", "C1", "--config", cfg)
    assert res.exit_code == 5 and "threshold" in res.output
    res = run_cli("-w", w, "money", "analyse", "--case", "../NOPE")
    assert res.exit_code == 3 and not (tmp_path / "ws" / "NOPE").exists()
