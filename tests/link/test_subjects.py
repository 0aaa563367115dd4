"""Linking a case in storage: subjects with stable references, explanations, decisions replayed by
later runs, the export, and the commands (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.core.errors import ExitCode, InputError, NotFoundError
from tasman.core.models import AuditEvent, Record
from tasman.core.workspace import Workspace
from tasman.link import decisions
from tasman.link.models import LinkRun, RecordLink, Subject, SubjectRecord
from tasman.link.run import run_link
from tasman.link.settings import LinkSettings
from tasman.link.views import EXPORT_COLUMNS, export_subjects, list_subjects, show_subject
from tasman.synth.corpus import Corpus

from .conftest import import_corpus

FAST = LinkSettings(min_parties_to_train=10**6)


def _membership(ws: Workspace) -> dict[str, set[tuple[int, str]]]:
    with ws.session() as s:
        out: dict[str, set[tuple[int, str]]] = {}
        for ref, rid, role in s.execute(select(Subject.ref, SubjectRecord.record_id, SubjectRecord.role)
                                        .join(SubjectRecord, SubjectRecord.subject_id == Subject.id)):
            out.setdefault(ref, set()).add((rid, role))
        return out


def _biggest(ws: Workspace, n: int = 1) -> list[str]:
    with ws.session() as s:
        return [x.ref for x in list_subjects(s, ws.actor, "C1", min_records=3, limit=n)]


def test_link_stores_subjects_explanations_and_stable_refs(ws: Workspace, small_corpus: Corpus) -> None:
    import_corpus(ws, small_corpus)
    with ws.session() as s:
        first = run_link(s, ws.actor, "C1", settings=FAST)
    before = _membership(ws)
    with ws.session() as s:
        n_records = s.scalar(select(func.count()).select_from(Record))
        n_members = s.scalar(select(func.count()).select_from(SubjectRecord))
        tx = s.scalar(select(func.count()).select_from(Record).where(Record.kind == "transactions"))
        assert n_members == n_records + tx  # every party of every record is in exactly one subject
        run = s.get(LinkRun, first.run_id)
        assert run is not None and run.finished_at is not None and run.status == "finished"
        assert run.settings["tasman"]["threshold"] == 0.95 and run.settings["splink"]["comparisons"]
        assert s.scalar(select(func.count()).select_from(RecordLink)) == first.stats["links"] > 0
    with ws.session() as s:
        second = run_link(s, ws.actor, "C1", settings=FAST)
    assert _membership(ws) == before  # same data, same settings: same subjects under the same refs
    assert second.stats["stored"]["unchanged"] == second.stats["subjects"]
    with ws.session() as s:  # the earlier run's links are replaced by the latest run's
        assert {r for (r,) in s.execute(select(RecordLink.run_id).distinct())} == {second.run_id}
    ref = _biggest(ws)[0]
    with ws.session() as s:
        detail = show_subject(s, ws.actor, "C1", ref).as_dict()
        actions = [a for (a,) in s.execute(select(AuditEvent.action))]
    assert detail["records"] >= 3 and detail["identifiers"]
    assert len(detail["links"]) == detail["records"] - 1  # a spanning tree explains every member
    assert all(lk["explanation"].get("agreed") for lk in detail["links"])
    assert {"link.run", "subject.list", "subject.show"} <= set(actions)


def test_decisions_are_respected_by_later_runs(ws: Workspace, small_corpus: Corpus) -> None:
    import_corpus(ws, small_corpus)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=FAST)
    big, other = _biggest(ws, 2)
    with ws.session() as s:
        detail = show_subject(s, ws.actor, "C1", big).as_dict()
    off = detail["members"][0]["party"]
    with ws.session() as s:
        _kept, new = decisions.split(s, ws.actor, "C1", big, [off], note="different date of birth")
        new_ref = new.ref
    after_split = _membership(ws)
    assert len(after_split[new_ref]) == 1
    with ws.session() as s:
        res = run_link(s, ws.actor, "C1", settings=FAST)
    m = _membership(ws)
    split_off = next(k for k, v in m.items() if v == after_split[new_ref])  # a split stays split
    assert split_off == new_ref and m[big] == after_split[big]
    assert res.stats["decisions"]["decisions"] == 1
    with ws.session() as s:
        target = decisions.merge(s, ws.actor, "C1", [big, other])
        assert target.ref == big and target.status == "confirmed"
        assert s.scalar(select(Subject.status).where(Subject.ref == other)) == "retired"
    merged = _membership(ws)[big]
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=FAST)
    assert _membership(ws)[big] == merged  # a merge stays merged
    with ws.session() as s:
        decisions.confirm(s, ws.actor, "C1", new_ref)
        run_link(s, ws.actor, "C1", settings=FAST.model_copy(update={"threshold": 0.5}))
        assert s.scalar(select(Subject.status).where(Subject.ref == new_ref)) == "confirmed"
    assert after_split[new_ref] <= _membership(ws)[new_ref]


def test_decision_errors(ws: Workspace, small_corpus: Corpus) -> None:
    import_corpus(ws, small_corpus)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=FAST)
    big, other = _biggest(ws, 2)
    with ws.session() as s:
        members = [m["party"] for m in show_subject(s, ws.actor, "C1", big).members]
        outsider = show_subject(s, ws.actor, "C1", other).members[0]["party"]
    cases = [
        (lambda s: decisions.split(s, ws.actor, "C1", big, members), InputError, "changes nothing"),
        (lambda s: decisions.split(s, ws.actor, "C1", big, [outsider]), InputError, "is not in subject"),
        (lambda s: decisions.split(s, ws.actor, "C1", big, ["nowhere.csv#1"]), NotFoundError, "no record"),
        (lambda s: decisions.merge(s, ws.actor, "C1", [big, big]), InputError, "two different"),
        (lambda s: decisions.confirm(s, ws.actor, "C1", "S-999999"), NotFoundError, "no subject"),
    ]
    for call, exc, text in cases:
        with pytest.raises(exc, match=text), ws.session() as s:
            call(s)
    with pytest.raises(InputError, match="no records"), ws.session() as s:
        from tasman.evidence import create_case

        create_case(s, ws.actor, "EMPTY")
        run_link(s, ws.actor, "EMPTY")


def test_export_subjects_csv(ws: Workspace, small_corpus: Corpus, tmp_path: Path) -> None:
    import_corpus(ws, small_corpus)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=FAST)
        n = export_subjects(s, ws.actor, "C1", tmp_path / "out" / "subjects.csv")
        total = s.scalar(select(func.count()).select_from(SubjectRecord))
    with (tmp_path / "out" / "subjects.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert n == len(rows) == total
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert rows[0]["subject_id"].startswith("S-") and rows[0]["country"] == "" and rows[0]["confidence"] == ""
    tx = [r for r in rows if r["kind"] == "transactions"]
    assert {r["role"] for r in tx} == {"sender", "beneficiary"}
    assert {(r["source"], r["source_id"], r["role"]) for r in rows} == {
        (t.source, t.source_id, t.role) for t in small_corpus.truth if t.source in {r["source"] for r in rows}}


def test_cli_flow_and_errors(run_cli, tmp_path: Path, db_url: str, small_corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    w = ["-w", tmp_path / "ws"]
    assert run_cli("--db", db_url, "init", tmp_path / "ws").exit_code == 0
    assert run_cli(*w, "case", "create", "C1").exit_code == 0
    for _source, (kind, path) in small_corpus.files.items():
        if kind != "chats":
            assert run_cli(*w, "records", "import", path, "--case", "C1", "--kind", kind).exit_code == 0
    r = run_cli(*w, "link", "--case", "C1", "--threshold", "0.97")
    assert r.exit_code == 0 and "subjects" in r.stdout, r.output
    r = run_cli(*w, "--json", "subject", "list", "--case", "C1", "--min-records", "3")
    subjects = json.loads(r.stdout)
    assert subjects and subjects[0]["records"] >= 3
    ref = subjects[0]["ref"]
    r = run_cli(*w, "subject", "show", ref, "--case", "C1")
    assert r.exit_code == 0 and "Why they are linked" in r.stdout
    party = json.loads(run_cli(*w, "--json", "subject", "show", ref, "--case", "C1").stdout)["members"][0]["party"]
    r = run_cli(*w, "--json", "subject", "split", ref, party, "--case", "C1", "--note", "test")
    assert r.exit_code == 0 and json.loads(r.stdout)["kept"] == ref
    new = json.loads(r.stdout)["new"]
    assert run_cli(*w, "subject", "confirm", new, "--case", "C1").exit_code == 0
    assert run_cli(*w, "subject", "merge", ref, new, "--case", "C1").exit_code == 0
    out = tmp_path / "subjects.csv"
    r = run_cli(*w, "export", "subjects", "--case", "C1", "--out", out)
    assert r.exit_code == 0 and out.read_text(encoding="utf-8").startswith("subject_id,source,source_id")
    errors = [
        ([*w, "link", "--case", "NOPE"], ExitCode.NOT_FOUND, "no case 'NOPE'"),
        ([*w, "link", "--case", "C1", "--threshold", "1.5"], ExitCode.BAD_INPUT, "threshold 1.5"),
        ([*w, "subject", "show", "S-424242", "--case", "C1"], ExitCode.NOT_FOUND, "no subject 'S-424242'"),
        ([*w, "subject", "split", ref, "no.csv#9", "--case", "C1"], ExitCode.NOT_FOUND, "no record"),
        ([*w, "subject", "merge", ref, "--case", "C1"], ExitCode.BAD_INPUT, "two different"),
        ([*w, "export", "subjects", "--case", "C1", "--out", tmp_path], ExitCode.BAD_INPUT, "is a folder"),
    ]
    for args, code, text in errors:
        r = run_cli(*args)
        assert r.exit_code == code, (args, r.output)
        assert text in r.stderr and "Traceback" not in r.output


def test_a_decision_recorded_while_a_run_computes_is_replayed(ws: Workspace, small_corpus: Corpus) -> None:
    """link_case computes outside any transaction; a decision recorded meanwhile makes it compute
    again, and one recorded during every attempt fails the run with nothing stored."""
    from collections.abc import Iterator
    from contextlib import contextmanager

    from tasman.link.run import DecisionsChanged, link_case

    import_corpus(ws, small_corpus)
    with ws.session() as s:
        run_link(s, ws.actor, "C1", settings=FAST)
    target = _biggest(ws)[0]
    computed: list[int] = []

    def deciding(times: int):  # type: ignore[no-untyped-def]
        @contextmanager
        def stage(name: str) -> Iterator[None]:
            if name == "cluster":
                computed.append(1)
                if len(computed) <= times:      # an analyst decides while this attempt computes
                    with ws.session() as s:
                        decisions.confirm(s, "analyst", "C1", target, note=f"during attempt {len(computed)}")
            yield
        return stage

    result = link_case(ws, "C1", settings=FAST, stage=deciding(1))
    assert len(computed) == 2 and result.stats["decisions"]["decisions"] == 1
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(LinkRun)) == 2
    before = _membership(ws)
    computed.clear()
    with pytest.raises(DecisionsChanged, match="run linking again"):
        link_case(ws, "C1", settings=FAST, stage=deciding(3), attempts=3)
    assert len(computed) == 3
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(LinkRun)) == 2     # nothing of the failed run
        assert [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))] == [
            "subject.confirm"]      # the failed run's audit entry went with it
    assert _membership(ws) == before
