"""The investigator's workbench in a real browser (Debian's Chromium, Playwright; the server and
browser fixtures of test_browser.py): money trails, records and identifiers, subjects' search and
sort, the audit log's filters and rows, stale results with their button, and the users page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tasman.accounts import store as accounts
from tasman.core.models import AuditEvent, Case, Record
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tests.attribute import factory
from tests.serve import test_browser as tb

pytestmark = tb.pytestmark
server, browser, page = tb.server, tb.browser, tb.page     # the same fixtures, one server for this module
OP = "OP-BENCH"


@pytest.fixture(scope="module")
def bench(server: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A made-up operation (tests.attribute.factory) with one phone number in two subjects'
    records, and a linked synthetic corpus with its money analysis; an admin to manage users."""
    from tasman.link.run import run_link
    from tasman.money.run import analyse_case
    from tasman.records.importing import import_file
    from tasman.synth.corpus import make_corpus

    ws: Workspace = server["ws"]
    with ws.session() as s:
        accounts.create_user(s, "setup", "adm", "admin", tb.PASSWORD)
        c = factory.operation(s, OP)
        for sid in ("17", "20"):
            rec = s.scalars(select(Record).where(Record.case_id == c.id, Record.source_id == sid)).one()
            factory.observation(s, c, "phone", "+639170000000", record=rec, country="PH")
        for user in ("ana", "lia", "eve"):
            accounts.add_member(s, "setup", OP, user)
        from tasman.evidence import create_case

        create_case(s, "setup", "OP-MONEY", "money")
        accounts.add_member(s, "setup", "OP-MONEY", "ana")
    corpus = make_corpus(server["root"] / "bench-records", records=60, seed=5, countries=["GB", "PH"])
    for kind, path in corpus.files.values():
        if kind != "chats":
            with ws.session() as s:
                import_file(s, "setup", "OP-MONEY", path, kind)
    with ws.session() as s:
        run_link(s, "setup", "OP-MONEY")
    with ws.session() as s:
        analyse_case(s, "setup", "OP-MONEY", out_dir=server["root"] / "money-out")
    yield server


def _entries(ws: Workspace) -> int:
    with ws.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_money_page_shows_parties_with_reasons_linked_to_subjects(page: Any, bench: dict[str, Any]) -> None:
    base = bench["url"]
    tb.login(page, base, "ana")
    page.goto(f"{base}/cases/OP-MONEY")
    page.click("text=Open the money trails")
    page.wait_for_url(f"{base}/cases/OP-MONEY/money")
    assert page.locator("div.chart svg").count() == 1
    assert "transfers" in page.locator("#money-stats").inner_text()
    page.click("nav.chips >> text=All beneficiaries listed")
    rows = page.locator("#beneficiaries tbody tr")
    assert rows.count() >= 1 and page.locator("#senders").count() == 0
    assert rows.first.locator("ul.reasons li").count() >= 1          # every score with its reasons
    linked = page.locator("#beneficiaries a.chip[href*='/subjects/S-']")
    assert linked.count() >= 1
    ref = linked.first.inner_text()
    linked.first.click()
    page.wait_for_url(f"{base}/cases/OP-MONEY/subjects/{ref}")


def test_identifiers_pivot_to_records_and_subjects(page: Any, bench: dict[str, Any]) -> None:
    base = bench["url"]
    tb.login(page, base, "ana")
    before = _entries(bench["ws"])
    page.goto(f"{base}/cases/{OP}/identifiers")
    assert _entries(bench["ws"]) == before + 1                         # one page view, one entry
    first = page.locator("#identifiers tbody tr").first
    assert "+639170000000" in first.inner_text() and "2 subjects" in first.inner_text()
    assert first.locator("a.chip").count() == 2
    first.locator("text=2 records").click()
    page.wait_for_url(f"{base}/cases/{OP}/records?ids=*")
    rows = page.locator("#records tbody tr")
    assert rows.count() == 2
    ana = page.locator("#records tbody tr:has-text('Ana Reyes')")
    assert ana.locator(".chip[title=email]").inner_text() == "ana.reyes@example.ph"
    assert not ana.locator("dl.more").is_visible()                      # the rest is folded
    ana.locator("summary").click()
    assert "free text the importer kept" in ana.locator("dl.more").inner_text()
    height = ana.bounding_box()
    assert height is not None and height["height"] < 400


def test_subjects_search_filter_and_sort(page: Any, bench: dict[str, Any]) -> None:
    base = bench["url"]
    tb.login(page, base, "ana")
    page.goto(f"{base}/cases/{OP}/subjects")
    assert page.locator("#subjects tbody tr").count() == 4
    page.fill("#subject-filters input[name=q]", "vries")
    page.click("#subject-filters button")
    page.wait_for_url("**/subjects?q=vries*")
    assert page.locator("#subjects tbody tr").count() == 1
    assert "Jan de Vries" in page.locator("#subjects tbody").inner_text()
    page.click("text=clear")
    page.click("#subjects thead >> text=Name")
    names = page.locator("#subjects tbody tr td:nth-child(2)").all_inner_texts()
    assert names == sorted(names, key=str.casefold) and len(names) == 4


def test_audit_log_filters_and_rows_that_fit(page: Any, bench: dict[str, Any]) -> None:
    base = bench["url"]
    tb.login(page, base, "ana")
    for sub in ("records", "identifiers", "subjects"):
        page.goto(f"{base}/cases/{OP}/{sub}")
    page.goto(f"{base}/cases/{OP}/audit")
    page.select_option("#audit-filters select[name=actor]", "ana")
    page.fill("#audit-filters input[name=action]", "case.read")
    page.click("#audit-filters button")
    page.wait_for_url("**/audit?actor=ana*")
    rows = page.locator("#audit-log tbody tr")
    assert rows.count() >= 3
    texts = rows.all_inner_texts()
    assert all("ana" in t and "case.read" in t for t in texts)
    heights = [b["height"] for b in (rows.nth(i).bounding_box() for i in range(rows.count())) if b]
    assert max(heights) < 60, heights                                    # one line a row, not three
    fits = page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert fits                                                          # nothing overflows sideways
    subjects = rows.nth(1)               # the subjects page's view (the first: the unfiltered log's)
    assert "/subjects" in subjects.inner_text()
    subjects.locator("summary").click()                                  # what the page showed
    assert "action subject.list count 4" in subjects.inner_text()


def test_stale_attribution_says_so_and_runs_again(page: Any, bench: dict[str, Any]) -> None:
    from tasman.link.models import LinkRun

    base, ws = bench["url"], bench["ws"]
    tb.login(page, base, "lia")
    page.goto(f"{base}/cases/{OP}/attribution")
    page.click("text=Run attribution")
    page.wait_for_url(f"{base}/cases/{OP}/attribution")
    assert page.locator(".notice.stale").count() == 0
    with ws.session() as s:   # a linking run that finished after it
        c = s.scalars(select(Case).where(Case.ref == OP)).one()
        later = utcnow() + timedelta(seconds=2)
        s.add(LinkRun(case_id=c.id, started_at=later, finished_at=later, threshold=0.9, actor="ana"))
    page.goto(f"{base}/cases/{OP}/attribution")
    notice = page.locator(".notice.stale")
    assert "Attribution is from before the last linking run" in notice.inner_text()
    page.wait_for_timeout(2100)
    notice.locator("button").click()
    page.wait_for_url(f"{base}/cases/{OP}/attribution")
    assert page.locator(".notice.stale").count() == 0


def test_users_page_least_privilege_and_no_empty_password(page: Any, bench: dict[str, Any]) -> None:
    base = bench["url"]
    tb.login(page, base, "adm")
    page.goto(f"{base}/admin/users")
    form = page.locator("#new-user-form")
    assert form.locator("select[name=role]").input_value() == ""        # no role until one is chosen
    form.locator("input[name=name]").fill("newbie")
    form.locator("button").click()
    assert page.url == f"{base}/admin/users"                             # the browser asks for a role first
    form.locator("select[name=role]").select_option("auditor")
    with page.expect_navigation():
        form.locator("button").click()
    assert "a person needs a password" in page.locator("#user-error").inner_text()
    assert "newbie" not in page.locator("table").first.inner_text()
    page.locator("#new-user-form input[name=password]").fill("a long enough password")
    with page.expect_navigation():
        page.locator("#new-user-form button").click()
    row = page.locator("table").first.locator("tr:has-text('newbie')")
    assert "auditor" in row.inner_text() and "person" in row.inner_text()
