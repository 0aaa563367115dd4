"""core.progress: the one progress protocol and result shape every stage run shares."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from tasman.cli.common import emit_result, json_option
from tasman.core.progress import StageResult, Table, Tick, no_stage, plural, stage_hook, ticks
from tasman.evidence.store import CustodyResult
from tasman.extract.runner import RunSummary
from tasman.link.run import LinkResult
from tasman.money.run import AnalyseSummary
from tasman.triage.runner import ProgressInfo


def test_a_stage_hook_reports_which_step_a_run_is_in() -> None:
    seen: list[tuple[int, int | None, str]] = []
    hook = stage_hook(lambda d, t, m: seen.append((d, t, m)), {"load": "reading", "store": "storing"}, "money")
    with hook("store"):
        pass
    with hook("unnamed"):
        pass
    with no_stage("anything"):
        pass
    assert seen == [(1, 2, "money: storing"), (0, 2, "money: unnamed")]


def test_ticks_report_a_stages_own_progress_in_the_three_values() -> None:
    seen: list[tuple[int, int | None, str]] = []
    tick = ticks(lambda d, t, m: seen.append((d, t, m)))
    walking = ProgressInfo(files=3, bytes=2_000_000, skipped=0, matched=1, errors=0, total=5, total_exact=False)
    walked = ProgressInfo(files=5, bytes=3_000_000, skipped=2, matched=1, errors=1, total=5, total_exact=True)
    running = RunSummary(run_id=1, case_ref="C-1", files=2, records=4, added=7)
    assert all(isinstance(t, Tick) for t in (walking, walked, running))
    for t in (walking, walked, running):
        tick(t)
    assert seen[0] == (3, None, "3 of at least 5 files (2.0 MB) hashed, 1 matched, 0 unreadable")
    assert seen[1] == (5, 5, "5 of 5 files (3.0 MB) hashed, 1 matched, 1 unreadable, 2 already done")
    assert seen[2][:2] == (6, None) and "7 new identifiers" in seen[2][2]


def _link_result() -> LinkResult:
    stats = {"parties": 3, "subjects": 2, "links": 1, "threshold": 0.99,
             "stored": {"kept_refs": 1, "new_refs": 1, "retired": 0}, "singletons": {},
             "deterministic": {"too_common": [{"kind": "phone", "value": "[bold]x", "parties": 9}]},
             "decisions": {"decisions": 0}, "edges": {"refused_by_decisions": 0}}
    return LinkResult(run_id=4, stats=stats)


def test_every_stage_result_has_the_one_shape(tmp_path: Path) -> None:
    results: list[StageResult] = [
        CustodyResult({"1": "ok", "2": "changed"}),
        RunSummary(run_id=2, case_ref="C-1", files=1, added=3, by_type={"email": 3}),
        _link_result(),
        AnalyseSummary(case_ref="C-1", run_id=5, out_dir=tmp_path,
                       stats={"transfers": 4, "beneficiaries": 1, "alerted_beneficiaries": 0, "senders": 2,
                              "alerted_senders": 0, "warnings": 1}),
    ]
    for r in results:
        assert isinstance(r, StageResult)
        assert json.loads(json.dumps(r.as_dict(), default=str))      # a JSON document
        assert r.summary_line() and r.lines() and r.page
    custody, extract, link, money = results
    assert custody.as_dict() == {"results": {"1": "ok", "2": "changed"}, "changed_or_missing": 1}
    assert custody.summary_line() == "2 items checked, 1 changed or missing"
    assert extract.summary_line().startswith("extraction run 2: 3 new identifiers from 1 files")
    assert any(isinstance(line, Table) and line.rows == (("email", 3),) for line in extract.lines())
    assert link.as_dict()["run"] == link.as_dict()["run_id"] == 4
    assert link.summary_line() == "link run 4: 3 parties into 2 subjects (1 new, 0 retired)"
    assert money.summary_line().startswith("money run 5: 4 transfers, 1 beneficiaries")
    assert plural(1, "party", "parties") == "1 party" and plural(2, "party", "parties") == "2 parties"


def test_the_cli_renders_any_result_as_its_lines_or_its_json() -> None:
    @click.command()
    @json_option
    def show() -> None:
        emit_result(_link_result())

    human = CliRunner().invoke(show, [])
    assert human.exit_code == 0, human.output
    assert human.output.splitlines()[0].startswith("Run 4: 3 parties -> 2 subjects (1 kept their reference")
    assert "note: phone '[bold]x' is shared by 9 records" in human.output     # never read as markup
    as_json = CliRunner().invoke(show, ["--json"])
    assert json.loads(as_json.output) == _link_result().as_dict()
