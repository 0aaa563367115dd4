"""The link benchmark's two corpora (issue 14): tasman.synth.corpus with its field habits and the
independently written bench/corpus2.py. At a tiny size each is deterministic, imports through the
CLI (the second one's tables with their mapping YAMLs) with nothing skipped, and its truth names
every imported record's parties and every person's country."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import func, select

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.synth.corpus import make_corpus, read_countries, read_truth
from tasman.synth.people import NATIONAL_MAIL, SITE_PLATFORMS
from tests.benchmods import load_bench


def _corpus2() -> ModuleType:
    return load_bench("corpus2")


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


def _bench_link() -> ModuleType:
    return load_bench("link")


def test_the_static_review_decides_with_the_truth() -> None:
    """bench/link.py's static queue (a tree without tasman.link.review): a pair already together
    costs no decision, a true pair merges its sides' subjects, a false one changes nothing, and it
    stops at the number of decisions given."""
    bench = _bench_link()
    a, b, c, d, e = (("f", str(i), "") for i in range(5))
    truth = {a: "P1", b: "P1", c: "P1", d: "P2", e: "P1"}
    placed = {a: "S-1", b: "S-1", c: "S-2", d: "S-3", e: "S-2"}
    queue = [bench.Candidate(a, b, 0.9),   # together already: free
             bench.Candidate(c, d, 0.8),   # false: nothing changes
             bench.Candidate(a, c, 0.7)]   # true: S-1 and S-2 merge, e with them
    one = bench.simulate_review(queue, placed, truth, decisions=1)
    assert (one["decisions"], one["merges"], one["after"]["recall"]) == (1, 0, round(2 / 6, 4))
    two = bench.simulate_review(queue, placed, truth, decisions=2)
    assert (two["decisions"], two["merges"]) == (2, 1)
    assert two["after"]["recall"] == 1.0 and two["after"]["precision"] == 1.0


def test_the_live_review_works_the_queue_with_the_truth_of_each_shown_pair(ws: Workspace, tmp_path: Path) -> None:
    """bench/link.py's review check works tasman.link.review as an analyst does: the first pair
    shown is decided by the truth of that pair alone (accept merges the two subjects, reject keeps
    them apart and the pair leaves the queue), the queue is read again after each verdict, and
    everything is rolled back at the end."""
    from tasman.evidence import create_case
    from tasman.link import review
    from tasman.link.models import Decision, PairReview
    from tasman.link.run import run_link
    from tasman.records.importing import import_file

    from .test_review import SETTINGS, write_people

    bench = _bench_link()
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
        import_file(s, ws.actor, "C1", write_people(tmp_path), "customers")
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=SETTINGS)
        shown = [{p.record_a, p.record_b} for p in review.queue(s, ws.actor, "C1")]
        ids = {int(sid): rid for rid, sid in s.execute(select(Record.id, Record.source_id))}
    assert shown == [{ids[1], ids[2]}, {ids[3], ids[4]}, {ids[5], ids[6]}]
    # the truth: 1-2 and 5-6 one person each, 3 and 4 two people; 7-8 (linked by the run) one person
    person = {1: "A", 2: "A", 3: "B", 4: "C", 5: "D", 6: "D", 7: "E", 8: "E"}
    truth = {("people.csv", str(i), ""): who for i, who in person.items()}
    one = bench.simulate_review_live(review, ws, "C1", truth, decisions=1)
    assert (one["decisions"], one["merges"]) == (1, 1)
    assert one["after"]["correct_pairs"] == 2 and one["after"]["precision"] == 1.0   # 7-8 and 1-2
    every = bench.simulate_review_live(review, ws, "C1", truth, decisions=10)
    # 3-4 rejected (and gone from the queue), 5-6 accepted; then the queue is empty
    assert (every["decisions"], every["merges"]) == (3, 2)
    assert every["after"]["recall"] == 1.0 and every["after"]["precision"] == 1.0
    # a truth that disagrees only on a pair never shown changes nothing: only shown pairs are read
    other = bench.simulate_review_live(review, ws, "C1", {**truth, ("people.csv", "7", ""): "X"}, decisions=10)
    assert (other["decisions"], other["merges"]) == (3, 2) and other["after"]["precision"] < 1.0
    with ws.session() as s:   # rolled back: the workspace is as the run left it
        assert s.scalar(select(func.count()).select_from(Decision)) == 0
        assert s.scalar(select(func.count()).select_from(PairReview)) == 0
        assert [{p.record_a, p.record_b} for p in review.queue(s, ws.actor, "C1")] == shown
