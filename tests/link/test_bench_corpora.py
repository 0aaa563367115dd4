"""The link benchmark's two corpora (issue 14): tasman.synth.corpus with its field habits and the
independently written bench/corpus2.py. At a tiny size each is deterministic, imports through the
CLI (the second one's tables with their mapping YAMLs) with nothing skipped, and its truth names
every imported record's parties and every person's country."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import select

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.synth.corpus import make_corpus, read_countries, read_truth
from tasman.synth.people import NATIONAL_MAIL, SITE_PLATFORMS

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _corpus2() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_corpus2", BENCH / "corpus2.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_corpus2"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _digests(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.iterdir())
            if f.suffix != ".xlsx"}  # a workbook holds its creation time


def _import(run_cli: Any, wsdir: Path, files: list[tuple[str, Path, Path | None]]) -> None:
    assert run_cli("-w", wsdir, "case", "create", "B1").exit_code == 0
    for kind, path, mapping in files:
        args = ["-w", wsdir, "records", "import", path, "--case", "B1", "--kind", kind]
        r = run_cli(*args, *(["--map", mapping] if mapping else []))
        assert r.exit_code == 0, r.output
        assert " 0 skipped" in r.output, r.output


def _stored(wsdir: Path) -> set[tuple[str, str, str]]:
    """Every party a stored record has: (source, source id, role)."""
    ws = Workspace.open(wsdir)
    try:
        with ws.session() as s:
            rows = s.execute(select(Record.source, Record.source_id, Record.kind)).all()
    finally:
        ws.close()
    roles = {"transactions": ("sender", "beneficiary")}
    return {(src, sid, role) for src, sid, kind in rows for role in roles.get(kind, ("",))}


def test_the_synth_corpus_with_field_habits(run_cli: Any, tmp_path: Path, migrated_db_url: str) -> None:
    a = make_corpus(tmp_path / "a", records=120, seed=4, habits=True)
    b = make_corpus(tmp_path / "b", records=120, seed=4, habits=True)
    assert _digests(a.folder) == _digests(b.folder)
    plain = make_corpus(tmp_path / "plain", records=120, seed=4)
    assert _digests(plain.folder) != _digests(a.folder)
    sessions = [json.loads(line) for line in (a.folder / "operation_chats.jsonl").read_text("utf-8").splitlines()]
    assert {s["platform"] for s in sessions} & set(SITE_PLATFORMS)
    tips = json.loads((a.folder / "tips.json").read_text("utf-8"))["tips"]
    reported = [t["person_or_user_reported"] for t in tips]
    assert any("esp_service" not in p for p in reported) and any("esp_service" in p for p in reported)
    providers = {d for ds in NATIONAL_MAIL.values() for d in ds}
    orders = (a.folder / "storefront_orders.csv").read_text("utf-8")
    assert any(f"@{d}," in orders for d in providers)
    assert run_cli("--db", migrated_db_url, "init", tmp_path / "ws").exit_code == 0
    _import(run_cli, tmp_path / "ws", [(kind, path, None) for kind, path in a.files.values()])
    truth, countries = read_truth(a.truth_path), read_countries(a.truth_path)
    assert _stored(tmp_path / "ws") == set(truth)
    assert set(truth.values()) == set(countries) and all(len(c) == 2 for c in countries.values())


def test_the_independent_corpus(run_cli: Any, tmp_path: Path, migrated_db_url: str) -> None:
    corpus2 = _corpus2()
    a = corpus2.make_alt_corpus(tmp_path / "a", records=150, seed=3)
    b = corpus2.make_alt_corpus(tmp_path / "b", records=150, seed=3)
    assert _digests(a.folder) == _digests(b.folder)
    kinds = {kind for kind, _path, _mapping in a.files.values()}
    assert kinds == {"customers", "chats", "tips", "transactions"}
    assert all(mapping is not None for kind, _p, mapping in a.files.values() if kind in ("customers", "transactions"))
    assert run_cli("--db", migrated_db_url, "init", tmp_path / "ws").exit_code == 0
    _import(run_cli, tmp_path / "ws", list(a.files.values()))
    truth, countries = corpus2.read_key(a.truth_path)
    assert len({k[:2] for k in truth}) == a.records
    assert _stored(tmp_path / "ws") == set(truth)
    assert set(truth.values()) == set(countries) and len(countries) == a.people
    assert set(countries.values()) <= {land.code for land in corpus2.LANDS}


def test_the_simulated_review_decides_with_the_truth() -> None:
    """bench/link.py's review simulation: a pair already together costs no decision, a true pair
    merges its sides (a whole subject on one side), a false one changes nothing, and it stops
    at the number of decisions given."""
    spec = importlib.util.spec_from_file_location("bench_link", BENCH / "link.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_link"] = bench
    spec.loader.exec_module(bench)
    a, b, c, d = (("f", str(i), "") for i in range(4))
    truth = {a: "P1", b: "P1", c: "P1", d: "P2"}
    placed = {a: "S-1", b: "S-1", c: "S-2", d: "S-3"}

    def party(p: tuple[str, str, str]) -> Any:
        return bench.Side("party", party=p)

    queue = [bench.Candidate(party(a), party(b), 0.9),            # together already: free
             bench.Candidate(party(c), party(d), 0.8),            # false: nothing changes
             bench.Candidate(bench.Side("subject", subject="S-1"), party(c), 0.7)]  # true: merges
    one = bench.simulate_review(queue, placed, truth, decisions=1)
    assert (one["decisions"], one["merges"], one["after"]["recall"]) == (1, 0, round(1 / 3, 4))
    two = bench.simulate_review(queue, placed, truth, decisions=2)
    assert (two["decisions"], two["merges"]) == (2, 1)
    assert two["after"]["recall"] == 1.0 and two["after"]["precision"] == 1.0
