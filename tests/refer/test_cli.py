"""The whole referral loop through the CLI, as two agencies would run it, plus its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tasman.attribute import attribute_case
from tasman.core.workspace import Workspace
from tasman.refer import render
from tests.attribute import factory as f


@pytest.fixture(autouse=True)
def _no_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "WITH_PDF", False)


def test_referral_loop(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    hq, ph = tmp_path / "hq", tmp_path / "ph"
    w = Workspace.init(hq, actor="tester")
    with w.session() as s:
        f.operation(s)
        attribute_case(s, w.actor, "OP-1")
    w.close()
    assert run_cli("init", ph).exit_code == 0
    assert run_cli("-w", ph, "case", "create", "PH-7").exit_code == 0

    r = run_cli("-w", hq, "refer", "--case", "OP-1", "--out", tmp_path / "out")
    assert r.exit_code == 3 and "tasman keys generate" in r.stderr  # no keys yet
    assert run_cli("-w", hq, "keys", "generate", "--agency", "Hotline Unit", "--country", "GB").exit_code == 0
    assert (hq / "keys" / "signing.pem").stat().st_mode & 0o777 == 0o600
    assert (hq / "keys" / "age.key").stat().st_mode & 0o777 == 0o600
    r = run_cli("-w", hq, "keys", "generate", "--agency", "Again")
    assert r.exit_code == 4 and "never overwritten" in r.stderr
    assert run_cli("-w", ph, "keys", "generate", "--agency", "PNP WCPC", "--country", "PH").exit_code == 0
    # each side adds the other's public entry to its directory
    assert run_cli("-w", hq, "agency", "import", ph / "keys" / "identity.yaml").exit_code == 0
    assert run_cli("-w", ph, "agency", "import", hq / "keys" / "identity.yaml").exit_code == 0
    r = run_cli("-w", hq, "agency", "list")
    assert "PNP WCPC" in r.output and "ed25519:" in r.output

    r = run_cli("-w", hq, "refer", "--case", "OP-1", "--out", tmp_path / "out", "--tlp", "amber+strict")
    assert r.exit_code == 0, r.output
    assert "OP-1-PH-v1" in r.output and "NL: skipped: no agency" in r.output
    pkg = tmp_path / "out" / "OP-1-PH-v1.tasman"

    r = run_cli("-w", ph, "package", "verify", pkg)
    assert r.exit_code == 0 and "signed by Hotline Unit with a key in the agency directory" in r.output
    bad = tmp_path / "bad.tasman"
    data = bytearray(pkg.read_bytes())
    data[len(data) // 2] ^= 0x20
    bad.write_bytes(bytes(data))
    r = run_cli("-w", ph, "package", "verify", bad)
    assert r.exit_code == 7 and r.stderr.startswith("tasman: error:") and r.stderr.count("\n") == 1
    r = run_cli("-w", ph, "package", "open", pkg, "--key", hq / "keys" / "age.key", "--out", tmp_path / "o")
    assert r.exit_code == 8 and "cannot open the package" in r.stderr
    r = run_cli("-w", ph, "package", "open", pkg, "--key", ph / "keys" / "age.key", "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "o" / "OP-1-PH-v1" / "package.json").read_text())
    assert doc["tlp"] == "amber+strict" and [s["ref"] for s in doc["subjects"]] == ["S-000001"]
    r = run_cli("-w", ph, "package", "import", pkg, "--case", "PH-7")
    assert r.exit_code == 0 and "Imported 1 subject (1 record)" in r.output

    out1, out2 = tmp_path / "ack.json", tmp_path / "arrest.json"
    r = run_cli("-w", ph, "outcome", "report", "--case", "PH-7", "--package", "OP-1-PH-v1", "--subject", "S-000001",
                "--status", "acknowledged", "--date", "2024-05-01", "--out", out1)
    assert r.exit_code == 0, r.output
    r = run_cli("-w", ph, "outcome", "report", "--case", "PH-7", "--package", "OP-1-PH-v1", "--subject", "S-000001",
                "--status", "children_safeguarded", "--children", "3", "--out", out2)
    assert r.exit_code == 0, r.output
    assert run_cli("-w", hq, "outcome", "import", out1, "--case", "OP-1").exit_code == 0
    assert run_cli("-w", hq, "outcome", "import", out2, "--case", "OP-1").exit_code == 0
    r = run_cli("-w", hq, "outcome", "import", out1, "--case", "OP-1")
    assert r.exit_code == 7 and "replay refused" in r.stderr

    r = run_cli("-w", hq, "summary", "--case", "OP-1", "--csv", tmp_path / "s.csv", "--html", tmp_path / "s.html")
    assert r.exit_code == 0 and "ALL" in r.output
    assert "PH,PNP WCPC,1,1,1,1," in (tmp_path / "s.csv").read_text()
    assert "<svg" in (tmp_path / "s.html").read_text()
    r = run_cli("-w", hq, "outcome", "list", "--case", "OP-1", "--json")
    assert [o["status"] for o in json.loads(r.output)] == ["acknowledged", "children_safeguarded"]

    for kind, name in (("misp", "e.json"), ("ftm", "e.jsonl"), ("csv", "e.csv")):
        r = run_cli("-w", hq, "export", kind, "--case", "OP-1", "--country", "PH", "--out", tmp_path / name)
        assert r.exit_code == 0 and "Wrote 1 subject (PH)" in r.output, r.output
    r = run_cli("-w", hq, "package", "list", "--case", "OP-1", "--json")
    assert [p["package_id"] for p in json.loads(r.output)] == ["OP-1-PH-v1"]


def test_cli_input_errors(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "w"
    assert run_cli("init", root).exit_code == 0
    r = run_cli("-w", root, "agency", "add", "--name", "X", "--country", "PH", "--age-recipient", "age1nope")
    assert r.exit_code == 5 and "'age1nope' is not an age X25519 recipient" in r.stderr
    r = run_cli("-w", root, "agency", "add", "--name", "X", "--country", "Atlantis", "--age-recipient", "age1nope")
    assert r.exit_code == 5 and "unknown country 'Atlantis'" in r.stderr
    (tmp_path / "dir.yaml").write_text(yaml.safe_dump({"agencies": [{"name": "Y", "countries": ["PH"]}]}))
    r = run_cli("-w", root, "agency", "import", tmp_path / "dir.yaml")
    assert r.exit_code == 5 and "missing 'age_recipient'" in r.stderr
    r = run_cli("-w", root, "package", "verify", tmp_path / "missing.tasman")
    assert r.exit_code == 3 and "missing.tasman" in r.stderr
    (tmp_path / "junk.tasman").write_bytes(b"not a zip at all")
    r = run_cli("-w", root, "package", "verify", tmp_path / "junk.tasman")
    assert r.exit_code == 7 and "damaged or not a Tasman package" in r.stderr
    (tmp_path / "o.json").write_text("{}")
    r = run_cli("-w", root, "case", "create", "C1")
    r = run_cli("-w", root, "outcome", "import", tmp_path / "o.json", "--case", "C1")
    assert r.exit_code == 5 and "not an outcome report: report: Field required" in r.stderr
    (tmp_path / "cut.json").write_text('{"report": ')
    r = run_cli("-w", root, "outcome", "import", tmp_path / "cut.json", "--case", "C1")
    assert r.exit_code == 5 and "not an outcome report: Invalid JSON" in r.stderr  # no empty field path
    r = run_cli("-w", root, "summary", "--case", "NOPE")
    assert r.exit_code == 3
    r = run_cli("package", "schema")
    assert r.exit_code == 0 and json.loads(r.output)["title"] == "PackageDocument"


def test_package_schema_to_a_file_says_what_it_wrote(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "package.schema.json"
    r = run_cli("package", "schema", "--out", out, "--json")
    assert r.exit_code == 0 and json.loads(r.output) == {"schema": "package", "file": str(out)}
    assert json.loads(out.read_text())["title"] == "PackageDocument"
    r = run_cli("package", "schema", "--outcome", "--out", tmp_path / "outcome.json")
    assert r.exit_code == 0 and r.output.strip() == f"Wrote the outcome schema to {tmp_path / 'outcome.json'}"
    assert "properties" in json.loads((tmp_path / "outcome.json").read_text())
