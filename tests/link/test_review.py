"""The review queue: probable links kept by a run, ordered by what a verdict is worth; accept
merges, reject keeps apart in later runs, a pair a later run replaced is refused with nothing
changed; the verdicts are labels for training, and the commands (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.core.errors import AlreadyExistsError, ExitCode, InputError, NotFoundError
from tasman.core.models import AuditEvent, Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.link import decisions, review
from tasman.link.models import Decision, PairReview, Subject, SubjectRecord
from tasman.link.run import link_settings, run_link
from tasman.link.settings import LinkSettings
from tasman.records.importing import import_file

# priors only, and a low review threshold: the pairs agreeing on a name alone are probable links
SETTINGS = LinkSettings(min_parties_to_train=10**6, review_threshold=0.01)
PEOPLE = """id,name,email,city,country,dob
1,Marta Kowalska,,,Poland,1990-04-02
2,Marta Kowalska,,,,1990-05-02
3,Jonas Berg,,Uppsala,Sweden,
4,Jonas Berg,,,Sweden,
5,Ana Reyes,,,,
6,Ana Reyes,,,,
7,Kim Ode,kim@example.org,,,
8,Kim Ode,kim@example.org,,,
"""


def write_people(folder: Path) -> Path:
    path = folder / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    return path


def _case(ws: Workspace, tmp_path: Path) -> dict[str, int]:
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
        import_file(s, ws.actor, "C1", write_people(tmp_path), "customers")
    with ws.session() as s:
        return {sid: rid for sid, rid in s.execute(select(Record.source_id, Record.id))}


def _subject_of(ws: Workspace) -> dict[int, str]:
    with ws.session() as s:
        return {rid: ref for rid, ref in s.execute(select(SubjectRecord.record_id, Subject.ref)
                                                   .join(Subject, Subject.id == SubjectRecord.subject_id))}


def _queue(ws: Workspace, **kw: object) -> list[review.ReviewPair]:
    with ws.session() as s:
        return review.queue(s, ws.actor, "C1", **kw)  # type: ignore[arg-type]


def _pairs(ids: dict[str, int], q: list[review.ReviewPair]) -> list[set[int]]:
    back = {v: int(k) for k, v in ids.items()}
    return [{back[p.record_a], back[p.record_b]} for p in q]


def test_the_queue_is_built_and_ordered_by_expected_value(ws: Workspace, tmp_path: Path) -> None:
    ids = _case(ws, tmp_path)
    with ws.session() as s:
        result = run_link(s, ws.actor, "C1", settings=SETTINGS)
    assert result.stats["probable_links"] == 3
    q = _queue(ws)
    # 1-2 (same name, birth dates a month apart) is likely and would give a subject a country (PL
    # against none): first; then by expected value: 3-4 (same name and country) before 5-6 (a name
    # alone), subjects of one
    assert _pairs(ids, q) == [{1, 2}, {3, 4}, {5, 6}]
    first, second, third = q
    assert first.changes_country and first.countries_a == ["PL"] and first.countries_b == []
    assert first.probability >= review.LIKELY > second.probability
    assert not second.changes_country and second.countries_a == second.countries_b == ["SE"]
    assert second.records_a == second.records_b == 1 and second.probability > third.probability
    assert second.expected_pairs == pytest.approx(second.probability)
    subject_of = _subject_of(ws)
    assert (first.subject_a, first.subject_b) == (subject_of[first.record_a], subject_of[first.record_b])
    name = first.explanation["fields"]["name"]
    assert name["level"] == "same name" and name["bayes_factor"] == pytest.approx(2 ** name["weight"], rel=1e-3)
    assert [p.id for p in _queue(ws, limit=1)] == [first.id]
    assert [p.id for p in _queue(ws, subject=second.subject_b)] == [second.id]
    with ws.session() as s:
        detail = review.show(s, ws.actor, "C1", second.ref).as_dict()
        actions = [a for (a,) in s.execute(select(AuditEvent.action))]
    assert [side["party"] for side in detail["sides"]] == ["people.csv#3", "people.csv#4"]
    assert detail["sides"][0]["fields"]["city"] == "Uppsala" and detail["sides"][1]["subject"]["records"] == 1
    assert {"link.review.list", "link.review.show"} <= set(actions)


def test_accept_merges_and_later_runs_keep_it(ws: Workspace, tmp_path: Path) -> None:
    ids = _case(ws, tmp_path)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=SETTINGS)
    pair = _queue(ws)[0]
    with ws.session() as s:
        verdict = review.accept(s, ws.actor, "C1", pair.ref, note="same account holder")
    assert verdict.verdict == "same" and sorted(verdict.subjects) == sorted([pair.subject_a, pair.subject_b])
    subject_of = _subject_of(ws)
    assert subject_of[ids["1"]] == subject_of[ids["2"]] == verdict.subjects[0]
    with ws.session() as s:
        d = s.get(Decision, verdict.decision)
        assert d is not None and d.kind == "merge" and d.note == "same account holder"
        assert s.scalar(select(PairReview.verdict)) == "same"
        assert {"subject.merge", "link.review.accept"} <= {a for (a,) in s.execute(select(AuditEvent.action))}
        assert review.labels(s, d.case_id) == [(ids["1"] * 4, ids["2"] * 4)]
    assert _pairs(ids, _queue(ws)) == [{3, 4}, {5, 6}]
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=SETTINGS)
    subject_of = _subject_of(ws)
    assert subject_of[ids["1"]] == subject_of[ids["2"]]
    assert _pairs(ids, _queue(ws)) == [{3, 4}, {5, 6}]


def test_reject_keeps_apart_on_a_rerun(ws: Workspace, tmp_path: Path) -> None:
    ids = _case(ws, tmp_path)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=SETTINGS)
    pair = next(p for p in _queue(ws) if {p.record_a, p.record_b} == {ids["3"], ids["4"]})
    before = _subject_of(ws)
    with ws.session() as s:
        verdict = review.reject(s, ws.actor, "C1", pair.ref, note="different birth years on the ID scans")
        d = s.get(Decision, verdict.decision)
        assert d is not None and d.kind == "apart"
    assert _subject_of(ws) == before  # nothing moves now
    assert _pairs(ids, _queue(ws)) == [{1, 2}, {5, 6}]
    # a threshold low enough to join every pair above: the rejected pair stays apart, the others join
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=SETTINGS.model_copy(update={"threshold": 0.02}))
    after = _subject_of(ws)
    assert after[ids["3"]] != after[ids["4"]]
    assert after[ids["1"]] == after[ids["2"]] and after[ids["5"]] == after[ids["6"]]
    with ws.session() as s:
        constraints, _ = decisions.compile_constraints(decisions.list_decisions(s, d.case_id))
    assert {frozenset((frozenset(a), frozenset(b))) for a, b in constraints.apart} == {
        frozenset((frozenset({ids["3"] * 4}), frozenset({ids["4"] * 4})))}


def test_a_stale_or_settled_pair_is_refused_and_nothing_changes(ws: Workspace, tmp_path: Path) -> None:
    _case(ws, tmp_path)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=SETTINGS)
    old = _queue(ws)
    with ws.session() as s:
        review.reject(s, ws.actor, "C1", old[2].ref)
    with ws.session() as s, pytest.raises(AlreadyExistsError, match="already reviewed: different person"):
        review.accept(s, ws.actor, "C1", old[2].ref)
    with ws.session() as s:   # the subjects merged by hand: the pair no longer waits
        decisions.merge(s, ws.actor, "C1", [old[1].subject_a, old[1].subject_b])
    with ws.session() as s, pytest.raises(NotFoundError, match="no longer waits for review"):
        review.reject(s, ws.actor, "C1", old[1].ref)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=SETTINGS)
    with ws.session() as s:
        n_decisions = s.scalar(select(func.count()).select_from(Decision))
        n_reviews = s.scalar(select(func.count()).select_from(PairReview))
        n_audit = s.scalar(select(func.count()).select_from(AuditEvent))
    before = _subject_of(ws)
    for verdict in (review.accept, review.reject):
        with ws.session() as s, pytest.raises(NotFoundError, match=f"no probable link {old[0].ref} in case C1: "):
            verdict(s, ws.actor, "C1", old[0].ref)
    with ws.session() as s:
        with pytest.raises(NotFoundError):
            review.show(s, ws.actor, "C1", old[0].ref)
        with pytest.raises(InputError, match="unknown verdict"):
            review.decide(s, ws.actor, "C1", old[0].ref, "maybe")
        with pytest.raises(InputError, match="limit"):
            review.queue(s, ws.actor, "C1", limit=0)
        with pytest.raises(InputError, match="not a probable link: '12'"):
            review.accept(s, ws.actor, "C1", "12")
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == n_decisions
        assert s.scalar(select(func.count()).select_from(PairReview)) == n_reviews
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == n_audit  # not even an entry
    assert _subject_of(ws) == before
    assert [p.record_a for p in _queue(ws)] == [old[0].record_a]  # the same pair, under the new run's id
    assert _queue(ws)[0].ref != old[0].ref


def test_verdicts_are_labels_for_training(ws: Workspace, tmp_path: Path) -> None:
    _case(ws, tmp_path)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=SETTINGS)
    for p in _queue(ws)[:2]:
        with ws.session() as s:
            review.accept(s, ws.actor, "C1", p.ref)
    with ws.session() as s:
        few = run_link(s, ws.actor, "C1", settings=SETTINGS)
    assert few.stats["training"]["labels"] == 0
    assert "2 review labels: below 50, not used yet" in few.stats["training"]["notes"]
    with ws.session() as s:
        enough = run_link(s, ws.actor, "C1", settings=SETTINGS.model_copy(update={"min_review_labels": 2}))
    assert enough.stats["training"]["labels"] == 2 and "review labels" in enough.stats["training"]["m"]


def test_review_threshold_is_checked() -> None:
    assert link_settings(review_threshold=0.8).review_threshold == 0.8
    with pytest.raises(InputError, match=r"review threshold 0\.995 is above the threshold 0\.95"):
        link_settings(review_threshold=0.995)
    with pytest.raises(InputError, match="review threshold 0 must be a probability"):
        link_settings(review_threshold=0)


def test_cli_review_flow_and_errors(run_cli, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    w = ["-w", tmp_path / "ws"]
    assert run_cli("--db", db_url, "init", tmp_path / "ws").exit_code == 0
    assert run_cli(*w, "case", "create", "C1").exit_code == 0
    assert run_cli(*w, "records", "import", write_people(tmp_path), "--case", "C1", "--kind", "customers"
                   ).exit_code == 0
    r = run_cli(*w, "link", "--case", "C1", "--review-threshold", "0.01")
    assert r.exit_code == 0 and "3 probable links" in r.stdout, r.output
    r = run_cli(*w, "link", "review", "list", "--case", "C1")
    assert r.exit_code == 0 and "waiting for review" in r.stdout and "a merge would change" in r.stdout, r.output
    rows = json.loads(run_cli(*w, "--json", "link", "review", "--case", "C1", "list").stdout)
    assert len(rows) == 3 and rows[0]["changes_country"] and {"a", "b", "subject_a", "explanation"} <= set(rows[0])
    first, second = rows[0]["pair"], rows[1]["pair"]
    r = run_cli(*w, "link", "review", "show", str(first), "--case", "C1")
    assert r.exit_code == 0 and "people.csv#1" in r.stdout and "Bayes factor" in r.stdout, r.output
    shown = json.loads(run_cli(*w, "link", "review", "show", str(first), "--case", "C1", "--json").stdout)
    assert shown["sides"][0]["fields"]["country"] == "Poland"
    r = run_cli(*w, "--json", "link", "review", "accept", str(first), "--case", "C1", "--note", "same person")
    assert r.exit_code == 0 and json.loads(r.stdout)["verdict"] == "same", r.output
    r = run_cli(*w, "link", "review", "reject", str(second), "--case", "C1")
    assert r.exit_code == 0 and "stay apart" in r.stdout, r.output
    assert run_cli(*w, "link", "--case", "C1", "--review-threshold", "0.01").exit_code == 0
    errors = [
        ([*w, "link", "review", "accept", str(first), "--case", "C1"], ExitCode.NOT_FOUND, "no probable link"),
        ([*w, "link", "review", "show", "1-999999", "--case", "C1"], ExitCode.NOT_FOUND, "no probable link 1-999999"),
        ([*w, "link", "review", "show", "x", "--case", "C1"], ExitCode.BAD_INPUT, "not a probable link: 'x'"),
        ([*w, "link", "review", "list", "--case", "NOPE"], ExitCode.NOT_FOUND, "no case 'NOPE'"),
        ([*w, "link", "review", "list"], ExitCode.USAGE, "--case"),
        ([*w, "link"], ExitCode.USAGE, "--case"),
        ([*w, "link", "--case", "C1", "--review-threshold", "0.999"], ExitCode.BAD_INPUT, "above the threshold"),
    ]
    for args, code, text in errors:
        r = run_cli(*args)
        assert r.exit_code == code, (args, r.output)
        assert text in r.stderr and "Traceback" not in r.output


def test_the_queue_holds_one_pair_per_two_subjects() -> None:
    def pair(pid: int, a: str, b: str, p: float) -> review.ReviewPair:
        return review.ReviewPair(id=pid, run_id=1, probability=p, match_weight=0.0, record_a=pid, role_a="",
                                 record_b=pid + 100, role_b="", subject_a=a, subject_b=b, countries_a=[],
                                 countries_b=[], changes_country=False)

    pairs = sorted([pair(1, "S-1", "S-2", 0.3), pair(2, "S-2", "S-1", 0.5), pair(3, "S-1", "S-3", 0.4)],
                   key=review.order_key)
    assert [p.id for p in review._one_per_subject_pair(pairs)] == [2, 3]  # the first of S-1/S-2, either way round


def test_the_queue_orders_by_the_records_a_verdict_brings_together() -> None:
    def pair(pid: int, p: float, na: int, nb: int, country: bool = False) -> review.ReviewPair:
        return review.ReviewPair(id=pid, run_id=1, probability=p, match_weight=0.0, record_a=pid, role_a="",
                                 record_b=pid + 100, role_b="", subject_a=f"S-{pid}", subject_b=f"S-{pid + 100}",
                                 countries_a=[], countries_b=[], changes_country=country, records_a=na, records_b=nb)

    # a likely merge (0.6) that would change a country first; then 0.4 x (3 + 2) = 2.0 records
    # expected, before 0.9 x (1 + 1), before an unlikely country change (0.3 x 2), which is not put
    # first: more often than not two people
    pairs = sorted([pair(1, 0.9, 1, 1), pair(2, 0.4, 3, 2), pair(3, 0.3, 1, 1, country=True),
                    pair(4, 0.6, 1, 1, country=True)], key=review.order_key)
    assert [p.id for p in pairs] == [4, 2, 1, 3]
    assert pairs[1].expected_records == pytest.approx(2.0)
    assert pairs[1].expected_pairs == pytest.approx(2.4)
    # two large subjects on a weak link (a common name: 0.25 x (4 + 3) = 1.75) come after a small
    # likely match (0.95 x (2 + 1) = 2.85), though their cross pairs (0.25 x 12 = 3) outnumber it
    big = sorted([pair(5, 0.95, 2, 1), pair(6, 0.25, 4, 3)], key=review.order_key)
    assert [p.id for p in big] == [5, 6]
    assert big[1].expected_pairs > big[0].expected_pairs
    # size still counts among the likely: 0.8 x (6 + 5) = 8.8 before 0.99 x (1 + 1)
    sized = sorted([pair(7, 0.99, 1, 1), pair(8, 0.8, 6, 5)], key=review.order_key)
    assert [p.id for p in sized] == [8, 7]


def test_subjects_of_different_countries_are_reviewed_last() -> None:
    def pair(pid: int, p: float, n: int, ca: list[str], cb: list[str]) -> review.ReviewPair:
        return review.ReviewPair(id=pid, run_id=1, probability=p, match_weight=0.0, record_a=pid, role_a="",
                                 record_b=pid + 100, role_b="", subject_a=f"S-{pid}", subject_b=f"S-{pid + 100}",
                                 countries_a=ca, countries_b=cb, changes_country=set(ca) != set(cb),
                                 records_a=n, records_b=n)

    pairs = [pair(1, 0.85, 6, ["PL"], ["DE"]),    # likely, large, but attributed to two countries
             pair(2, 0.6, 1, ["PL"], []),         # likely, gives an unattributed subject its country
             pair(3, 0.3, 2, ["PL"], ["PL"]),     # by expected value
             pair(4, 0.2, 1, ["PL", "DE"], ["DE"])]  # a country in common: no disagreement
    assert pairs[0].countries_disagree and not any(p.countries_disagree for p in pairs[1:])
    assert [p.id for p in sorted(pairs, key=review.order_key)] == [2, 3, 4, 1]
