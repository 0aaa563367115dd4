"""The case report reads well (issue 16, item 5): a table of contents of the sections it has,
money trails collapsed per beneficiary with every timeline event under exactly one of them (or
under "other events"), and times to the second."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.money.document import TimelineEvent
from tasman.money.run import analyse_case
from tasman.report import CaseReport, contents, render_html, seconds, write_case_report
from tasman.report.money import fold
from tests.money.helpers import store_case

MICROSECONDS = re.compile(r"\d\d:\d\d:\d\d\.\d")


def _anchors(html: str) -> list[str]:
    nav = html[html.index('<nav class="toc"'):html.index("</nav>")]
    return re.findall(r'href="#([^"]+)"', nav)


def test_seconds_drops_fractions_and_shows_utc() -> None:
    assert seconds("2026-11-23T16:43:13.000123Z") == "2026-11-23 16:43:13"
    assert seconds("2026-11-23T18:43:13.9+02:00") == "2026-11-23 16:43:13"   # another zone: shown in UTC
    assert seconds("2026-11-23T16:43:13") == "2026-11-23 16:43:13"
    assert seconds("not a time") == "not a time" and seconds(None) == "" and seconds("") == ""


def test_a_case_with_little_lists_only_its_sections_and_no_microseconds(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, "t", "C1", "A title")
    with ws.session() as s:
        doc = write_case_report(s, "t", "C1", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert contents(doc) == [("evidence", "Evidence"), ("audit", "Audit")]
    assert _anchors(html) == ["evidence", "audit"]
    for anchor in _anchors(html):
        assert html.count(f'id="{anchor}"') == 1
    assert MICROSECONDS.search(doc.generated_at)           # the JSON keeps the full time
    assert not MICROSECONDS.search(html)
    assert f"Generated {seconds(doc.generated_at)} UTC" in html


@pytest.fixture
def money_report(ws: Workspace, tmp_path: Path) -> tuple[str, CaseReport]:
    store_case(ws, tmp_path)
    with ws.session() as s:
        analyse_case(s, "t", "C1", out_dir=tmp_path / "money")
    with ws.session() as s:
        doc = write_case_report(s, "t", "C1", tmp_path / "report.html")
    return (tmp_path / "report.html").read_text(encoding="utf-8"), doc


def test_contents_link_every_section_present_and_money_parts(money_report: tuple[str, CaseReport]) -> None:
    html, _doc = money_report
    anchors = _anchors(html)
    assert anchors[0] == "evidence" and anchors[-1] == "audit"
    assert {"money", "money-beneficiaries", "money-senders", "money-indicators"} <= set(anchors)
    for anchor in anchors:
        assert html.count(f'id="{anchor}"') == 1, anchor
    assert not MICROSECONDS.search(html)


def test_money_trails_are_collapsed_one_per_beneficiary(money_report: tuple[str, CaseReport]) -> None:
    html, doc = money_report
    money = doc.money
    assert money is not None
    section = html[html.index('<section id="money">'):html.index("</section>")]
    summaries = re.findall(r'<details class="party">\s*<summary>#(\d+) ', section)
    assert [int(n) for n in summaries] == [p.rank for p in money.beneficiaries] and len(summaries) >= 2
    assert section.count("<details") == len(money.beneficiaries) + 2 + (1 if fold(money)[1] else 0)  # senders,
    #                                                                               indicators, other events
    top = money.beneficiaries[0]
    first = section[section.index('<details class="party">'):section.index("</details>")]
    assert top.name in first and top.reasons[0].why in first
    assert all(f"to {top.name}" in e.summary for e in fold(money)[0][0].events if e.kind == "transfer")


def test_every_timeline_event_is_folded_once(money_report: tuple[str, CaseReport]) -> None:
    _html, doc = money_report
    money = doc.money
    assert money is not None
    folds, other = fold(money)
    key = lambda e: (e.ts, e.kind, e.who, e.ref, e.summary)  # noqa: E731
    shown = Counter(key(e) for f in folds for e in f.events) + Counter(key(e) for e in other)
    assert shown == Counter(key(e) for e in money.timeline) and money.timeline
    stray = TimelineEvent(ts="2024-01-01T00:00:00.5Z", kind="triage", who="nobody", summary="a hit", ref="m1")
    folds, other = fold(money.model_copy(update={"timeline": (*money.timeline, stray)}))
    assert other[-1] == stray                                # belongs to no beneficiary: kept, not dropped
    html = render_html(doc.model_copy(update={"money": money.model_copy(update={"timeline": (stray,)})}))
    assert "1 other timeline event (of no beneficiary above)" in html and "2024-01-01 00:00:00" in html
    assert not MICROSECONDS.search(html)
