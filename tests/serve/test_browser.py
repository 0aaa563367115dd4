"""The main journeys in a real browser: Debian's headless Chromium driven by Playwright against
a uvicorn server on 127.0.0.1. A failing test leaves a screenshot in tmp/artifacts/."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasman.accounts import store as accounts
from tasman.core.workspace import Workspace
from tasman.serve.app import create_app
from tasman.serve.settings import ServeSettings
from tasman.synth.images import draw_picture
from tests.serve.localserver import serving
from tests.serve.triage_data import import_list, make_small_set

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "tmp" / "artifacts"
PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's chromium is not installed (scripts/setup.sh installs it)"),
]
playwright_sync = pytest.importorskip("playwright.sync_api",
                                      reason="playwright is not installed (pip install -e .[dev])")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from argon2 import PasswordHasher

    real_hasher = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    root = tmp_path_factory.mktemp("browser")
    ws = Workspace.init(root / "ws", actor="setup")
    tokens = {}
    with ws.session() as s:
        from tasman.evidence.cases import create_case

        create_case(s, "setup", "OTHER-1", "Someone else's case")
        for name, role in {"eve": "examiner", "ana": "analyst", "lia": "liaison", "out": "analyst"}.items():
            accounts.create_user(s, "setup", name, role, PASSWORD)
            tokens[name] = accounts.issue_token(s, "setup", name, scopes=accounts.SCOPES, password=PASSWORD).token
        accounts.add_member(s, "setup", "OTHER-1", "ana")
    with serving(create_app(ws, ServeSettings(start_worker=True))) as url:
        yield {"url": url, "ws": ws, "tokens": tokens, "root": root}
    ws.close()
    accounts._hasher = real_hasher


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def login(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cases")


def test_log_in_and_create_a_case(page: Any, server: dict[str, Any]) -> None:
    base = server["url"]
    login(page, base, "eve")
    assert page.locator("h1").first.inner_text() == "Your cases"
    page.fill("input[name=ref]", "OP-BROWSER")
    page.fill("input[name=title]", "Made in a browser")
    page.click("text=Create case")
    page.wait_for_url(f"{base}/cases/OP-BROWSER")
    assert "Made in a browser" in page.locator(".casebar").inner_text()
    assert "eve" in page.locator("table").first.inner_text()
    page.click("text=Summary")
    assert page.locator("svg.worldmap path").count() > 100  # the offline world map is drawn
    page.click("text=Sign out")
    page.wait_for_url(f"{base}/login")


def test_submit_a_public_tip_and_an_analyst_finds_it(page: Any, server: dict[str, Any], tmp_path: Path) -> None:
    base = server["url"]
    picture = tmp_path / "screenshot.png"
    buf = io.BytesIO()
    draw_picture(21, (300, 200)).save(buf, "PNG")
    picture.write_bytes(buf.getvalue())
    page.goto(f"{base}/report")
    page.fill("textarea[name=what]", "An account in a public group asked children for pictures.")
    page.fill("input[name=url]", "https://forum.example/t/99")
    page.fill("input[name=platform]", "ExampleChat")
    page.fill("input[name=username]", "user_9001")
    page.fill("input[name=seen_when]", "this morning")
    page.set_input_files("input[name=files]", str(picture))
    page.click("text=Send report")
    ref = page.locator("#reference").inner_text()
    assert re.fullmatch(r"TIP-\d{8}-[A-Z0-9]{8}", ref)
    assert "user_9001" not in page.content()
    login(page, base, "ana")
    page.goto(f"{base}/tips")
    page.click(f"text={ref}")
    assert "image/png" in page.content() and page.locator("img").count() == 0


def test_a_non_member_gets_404_for_another_case(page: Any, server: dict[str, Any]) -> None:
    base = server["url"]
    login(page, base, "out")
    for sub in ("subjects", "triage", "triage/results", "referrals", "subjects/S-000001"):
        response = page.goto(f"{base}/cases/OTHER-1/{sub}")
        assert response.status == 404, sub
        assert "Not found" in page.locator("h1").inner_text()
    bearer = {"Authorization": f"Bearer {server['tokens']['out']}"}
    for sub in ("", "/triage", "/triage/runs/1", "/triage/review", "/subjects", "/referrals"):
        assert page.request.get(f"{base}/api/v1/cases/OTHER-1{sub}", headers=bearer).status == 404, sub
    for sub, body in (("/jobs", {"kind": "triage"}), ("/subjects/S-000001/decisions", {"kind": "confirm"}),
                      ("/triage/review", {"artifact_id": 1, "decision": "confirmed"})):
        assert page.request.post(f"{base}/api/v1/cases/OTHER-1{sub}", headers=bearer, data=body).status == 404, sub
    member = page.request.get(f"{base}/api/v1/cases/OTHER-1",
                              headers={"Authorization": f"Bearer {server['tokens']['ana']}"})
    assert member.status == 200


def test_a_running_job_updates_live_without_reloading(page: Any, server: dict[str, Any], tmp_path: Path) -> None:
    """The live-update mechanism triage runs will use (htmx polling), shown with a custody check."""
    base = server["url"]
    ws: Workspace = server["ws"]
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "notes.txt").write_bytes(b"neutral text\n" * 1000)
    with ws.session() as s:
        from tasman.evidence import add_evidence, create_case

        create_case(s, "setup", "OP-JOBS", "jobs")
        accounts.add_member(s, "setup", "OP-JOBS", "eve")
        add_evidence(s, "setup", "OP-JOBS", folder)
    login(page, base, "eve")
    page.goto(f"{base}/cases/OP-JOBS/triage")
    page.click("text=Start custody check")
    page.wait_for_url(f"{base}/cases/OP-JOBS/triage")
    page.locator("tr.job.done").wait_for(timeout=15_000)  # swapped in by htmx, no reload
    assert "100%" in page.locator("tr.job").first.inner_text()


def _member_case(ws: Workspace, ref: str, *users: str) -> None:
    with ws.session() as s:
        from tasman.evidence import create_case

        create_case(s, "setup", ref, ref)
        for user in users:
            accounts.add_member(s, "setup", ref, user)


def test_run_a_triage_and_watch_it_finish(page: Any, server: dict[str, Any]) -> None:
    """A drawn folder and a test hash list naming two of its pictures (one exactly, one resized
    inside a zip): the run starts from the page, its row updates live, the match count appears."""
    base, ws = server["url"], server["ws"]
    small = make_small_set(server["root"] / "triage-evidence")
    import_list(ws, small)
    _member_case(ws, "OP-TRIAGE", "eve")
    with ws.session() as s:
        from tasman.evidence import add_evidence

        add_evidence(s, "setup", "OP-TRIAGE", small.folder)
    login(page, base, "eve")
    page.goto(f"{base}/cases/OP-TRIAGE/triage")
    assert "No triage run has finished" in page.locator("#triage-results").inner_text()
    page.click("text=Start triage")
    page.wait_for_url(f"{base}/cases/OP-TRIAGE/triage")
    page.evaluate("window.tasmanMarker = 42")   # gone if the page reloads
    row = page.locator("tr.job").first
    assert row.get_attribute("hx-trigger") == "every 1s"  # queued or running: it polls itself
    page.locator("tr.job.done").wait_for(timeout=90_000)
    assert "2 matched" in page.locator("tr.job").first.inner_text()
    page.locator("#matched-files").wait_for()              # the results section, swapped in by htmx
    assert page.locator("#matched-files b").inner_text() == "2"
    assert page.evaluate("window.tasmanMarker") == 42
    matches = page.locator("#matches").inner_text()
    assert small.exact in matches and small.perceptual in matches and small.plain not in matches
    assert "2 exploitive / age-difficult" in page.locator("#categories").inner_text()
    assert page.locator("img").count() == 0
    # the examiner confirms the perceptual match: htmx swaps the results in, the row moves to the decided ones
    page.locator("#review input[name=note]").fill("near copy")
    page.locator("#review button[value=confirmed]").click()
    page.locator("#decided").wait_for()
    decided = page.locator("#decided").inner_text()
    assert small.perceptual in decided and "confirmed" in decided and "eve" in decided and "near copy" in decided
    assert page.locator("#review").count() == 0 and page.evaluate("window.tasmanMarker") == 42


def test_review_a_subject_and_split_it(page: Any, server: dict[str, Any]) -> None:
    """Generated order lists, tips and transfers, imported and linked by the link stage."""
    from tasman.link.run import run_link
    from tasman.records.importing import import_file
    from tasman.synth.corpus import make_corpus

    base, ws = server["url"], server["ws"]
    _member_case(ws, "OP-LINK", "ana")
    corpus = make_corpus(server["root"] / "records", records=40, seed=3, countries=["GB", "PH"])
    for kind, path in corpus.files.values():
        if kind != "chats":   # chats need the extraction scanner; the other kinds link well enough
            with ws.session() as s:
                import_file(s, "setup", "OP-LINK", path, kind)
    with ws.session() as s:
        run_link(s, "setup", "OP-LINK")
    login(page, base, "ana")
    page.goto(f"{base}/cases/OP-LINK/subjects")
    biggest = page.locator("#subjects tbody tr a").first
    ref = biggest.inner_text()
    biggest.click()
    page.wait_for_url(f"{base}/cases/OP-LINK/subjects/{ref}")
    assert page.locator("h3:has-text('Why these records were linked') + table tbody tr").count() >= 1
    before = int(page.locator("#record-count").inner_text())
    assert before >= 3
    last = page.locator("#members tbody tr").last
    party = last.locator("td").nth(1).inner_text()
    last.locator("input[name=records]").check()
    page.fill("input[name=note]", "the last record is someone else")
    page.click("text=Split ticked records off")
    page.wait_for_url(f"{base}/cases/OP-LINK/subjects/{ref}")
    assert int(page.locator("#record-count").inner_text()) == before - 1
    assert party not in page.locator("#members").inner_text()
    decision = page.locator("#decisions li").first
    assert "split" in decision.inner_text() and "the last record is someone else" in decision.inner_text()
    new_ref = decision.locator("a").nth(1).inner_text()
    decision.locator("a").nth(1).click()
    page.wait_for_url(f"{base}/cases/OP-LINK/subjects/{new_ref}")
    assert page.locator("#record-count").inner_text() == "1"
    assert party in page.locator("#members").inner_text()
    assert page.locator("#subject-status").inner_text() == "confirmed"


def test_build_a_referral_package(page: Any, server: dict[str, Any], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Attribution and then one signed, encrypted package per country from the referrals page;
    the package is listed and its download is the file recorded when it was built."""
    import hashlib

    from sqlalchemy import select

    from tasman.refer import agencies, keys, render
    from tasman.refer.models import ReferralPackage
    from tests.attribute import factory

    monkeypatch.setattr(render, "WITH_PDF", False)   # the PDF dossier is not what this checks
    base, ws = server["url"], server["ws"]
    keys.generate(ws.root, "Hotline Unit", ["GB"], "unit@example.invalid")
    with ws.session() as s:
        factory.operation(s, "OP-REFER")
        accounts.add_member(s, "setup", "OP-REFER", "lia")
        for cc in ("PH", "NL", "DE"):
            (tmp_path / cc).mkdir()
            theirs = keys.generate(tmp_path / cc, f"Partner unit {cc}", [cc], f"{cc.lower()}@example.invalid")
            agencies.add_agency(s, "setup", f"Partner unit {cc}", [cc], theirs.age_recipient, theirs.public_key,
                                theirs.contact)
    login(page, base, "lia")
    page.goto(f"{base}/cases/OP-REFER/attribution")
    page.click("text=Run attribution")
    page.wait_for_url(f"{base}/cases/OP-REFER/attribution")
    page.click(".tabs >> text=Referrals")
    page.select_option("select[name=tlp]", "amber")
    page.click("text=Build packages")
    assert "3 package(s) built" in page.locator(".notice").first.inner_text()
    listed = page.locator("table").first.inner_text()
    assert all(f"OP-REFER-{cc}-v1" in listed for cc in ("PH", "NL", "DE"))
    with page.expect_download() as info:
        page.click("a[href='/cases/OP-REFER/referrals/OP-REFER-PH-v1/download']")
    data = Path(info.value.path()).read_bytes()
    with ws.session() as s:
        recorded = s.scalar(select(ReferralPackage.file_sha256).where(ReferralPackage.package_id == "OP-REFER-PH-v1"))
    assert hashlib.sha256(data).hexdigest() == recorded


def test_upload_records_run_linking_and_see_subjects_appear(page: Any, server: dict[str, Any]) -> None:
    """An analyst uploads an order list and a transfers file on the records page, starts linking on
    the subjects page and watches the subjects appear without reloading."""
    from tasman.synth.corpus import make_corpus

    base, ws = server["url"], server["ws"]
    _member_case(ws, "OP-UPLOAD", "ana")
    corpus = make_corpus(server["root"] / "upload-records", records=40, seed=3, countries=["GB", "PH"])
    login(page, base, "ana")
    page.goto(f"{base}/cases/OP-UPLOAD/records")
    for source in ("storefront_orders.csv", "transfers.csv"):
        kind, path = corpus.files[source]
        page.set_input_files("#import-records input[name=file]", str(path))
        page.select_option("#import-records select[name=kind]", kind)
        page.click("text=Import file")
        result = page.locator("#import-result").inner_text()
        rows = path.read_text(encoding="utf-8").count("\n") - 1
        assert f"{source}: {rows} rows read, {rows} imported" in result and "[complete]" in result
    assert page.locator("#imports tbody tr").count() == 2
    page.click(".tabs >> text=Subjects")
    assert "No subjects yet" in page.locator("#subjects-list").inner_text()
    page.click("text=Run linking")
    page.wait_for_url(f"{base}/cases/OP-UPLOAD/subjects")
    page.evaluate("window.tasmanMarker = 7")   # gone if the page reloads
    page.locator("tr.job.done").wait_for(timeout=60_000)
    assert "link run" in page.locator("tr.job").first.inner_text()
    page.locator("#subjects tbody tr").first.wait_for()    # the list, swapped in by htmx
    assert page.evaluate("window.tasmanMarker") == 7
    shown = page.locator("#subjects tbody tr").count()
    token = server["tokens"]["ana"]
    listed = page.request.get(f"{base}/api/v1/cases/OP-UPLOAD/subjects", headers={"Authorization": f"Bearer {token}"})
    assert shown == len(listed.json()) > 0


def _node_point(page: Any, node_id: str) -> tuple[float, float]:
    """Where a node of the graph is drawn in the window (cytoscape draws on a canvas), once the
    graph is scrolled into view and the node centred in it (zoomed in where it is drawn small), as
    a user would."""
    at = page.evaluate("""id => new Promise(done => {
        const cy = window.tasmanGraph, el = document.getElementById('graph');
        el.scrollIntoView({block: 'center'});
        const node = cy.getElementById(id);
        if (cy.zoom() < 0.8) { cy.zoom(1); }
        cy.center(node);
        // a frame later: the scroll event has told cytoscape where its canvas now is
        requestAnimationFrame(() => requestAnimationFrame(() => {
            const box = el.getBoundingClientRect(), p = node.renderedPosition();
            done([box.left + p.x, box.top + p.y]);
        }));
    })""", node_id)
    return float(at[0]), float(at[1])


def _until(page: Any, predicate: str, timeout: float = 10.0) -> None:
    """Wait until ``predicate`` (a JS function) is true in the page (the pages' CSP forbids the
    eval that Playwright's wait_for_function uses for a string)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"not true within {timeout} s: {predicate}"
        time.sleep(0.05)


def test_a_big_graph_labels_only_what_can_be_read(page: Any, server: dict[str, Any]) -> None:
    """2,000 nodes drawn whole get no label style (too small to read at that zoom, and costly to
    build); zoomed in, the nodes in sight are labelled; a clicked node's neighbours keep theirs."""
    from sqlalchemy import select

    from tasman.core.models import Case
    from tests.serve.graph_data import add_subjects

    base, ws = server["url"], server["ws"]
    _member_case(ws, "OP-LABELS", "ana")
    with ws.session() as s:
        add_subjects(s, s.scalars(select(Case).where(Case.ref == "OP-LABELS")).one())
    login(page, base, "ana")
    page.goto(f"{base}/cases/OP-LABELS/graph?whole=1")
    page.locator("#graph[data-ready]").wait_for()
    labelled = "window.tasmanGraph.nodes('.labelled')"
    assert page.evaluate("window.tasmanGraph.zoom() * 11 < 8")          # the whole case: labels unreadable
    assert page.evaluate(f"{labelled}.length") == 0
    assert page.evaluate("window.tasmanGraph.nodes().every(n => n.style('label') === '')")

    page.evaluate("""() => { const cy = window.tasmanGraph;
        cy.zoom({level: 1.2, position: cy.nodes('.subject')[0].position()}); }""")
    _until(page, f"() => {labelled}.length > 0")
    inside = page.evaluate(f"""() => {{ const cy = window.tasmanGraph, x = cy.extent();
        return {labelled}.map(n => {{ const p = n.position();
            return p.x >= x.x1 && p.x <= x.x2 && p.y >= x.y1 && p.y <= x.y2
                && n.style('label') === n.data('label'); }}); }}""")
    assert inside and all(inside) and len(inside) < 2000

    target = page.evaluate("window.tasmanGraph.nodes('.identifier.shared').max(n => n.data('subjects')).ele.id()")
    page.mouse.click(*_node_point(page, target))
    page.locator(f"#graph[data-expanded='{target}']").wait_for()
    page.click("#graph-fit")                                        # back out: only the highlighted keep labels
    _until(page, f"() => {labelled}.every(n => n.hasClass('near') || n.selected())")
    near = page.evaluate("window.tasmanGraph.nodes('.near').map(n => n.style('label') === n.data('label'))")
    assert len(near) > 2 and all(near)


def test_a_graph_of_2000_nodes_is_interactive_quickly(page: Any, server: dict[str, Any]) -> None:
    """A generated case of 2,000 nodes: the whole case is drawn at the server's positions and a
    click on a node expands it; a subject's neighbourhood grows on click; search and filters work."""
    import os

    from sqlalchemy import select

    from tasman.core.models import Case
    from tests.serve.graph_data import add_subjects

    base, ws = server["url"], server["ws"]
    _member_case(ws, "OP-GRAPH", "ana")
    with ws.session() as s:
        nodes = add_subjects(s, s.scalars(select(Case).where(Case.ref == "OP-GRAPH")).one())
    assert nodes == 2000
    login(page, base, "ana")
    timings = {}
    for attempt in ("cold", "warm"):   # cold: the server lays the case out first; warm: from its cache
        started = time.perf_counter()
        page.goto(f"{base}/cases/OP-GRAPH/graph?whole=1")
        page.locator("#graph[data-ready]").wait_for()
        drawn = time.perf_counter() - started
        assert page.evaluate("window.tasmanGraph.nodes().length") == 2000
        target = page.evaluate("window.tasmanGraph.nodes('.identifier.shared').max(n => n.data('subjects')).ele.id()")
        page.mouse.click(*_node_point(page, target))
        page.locator(f"#graph[data-expanded='{target}']").wait_for()
        timings[attempt] = (drawn, time.perf_counter() - started)
        if os.environ.get("TASMAN_DOCS_IMG"):
            page.locator("main").screenshot(path=str(ARTIFACTS / "graph-whole.png"))
        marks = page.evaluate("performance.getEntriesByType('mark').map(e => [e.name, Math.round(e.startTime)])")
        print(f"\n{attempt}: ms after navigation: {dict(marks)}")
    for attempt, (drawn, clicked) in timings.items():
        print(f"\ngraph of 2000 nodes ({attempt}): drawn {drawn:.2f} s, a node clicked and expanded {clicked:.2f} s "
              "after navigation")
    assert timings["warm"][1] < 10 and timings["cold"][1] < 20   # generous bounds on this shared machine
    assert "held by" in page.locator("#graph-info").inner_text()

    # a subject's neighbourhood (one hop: its identifiers) grows by a click on a shared identifier
    page.goto(f"{base}/cases/OP-GRAPH/graph?focus=S-000001&hops=1")
    page.locator("#graph[data-ready]").wait_for()
    before = int(page.locator("#graph").get_attribute("data-nodes"))
    shared = page.evaluate("window.tasmanGraph.nodes('.identifier.shared')[0].id()")
    holders = page.evaluate(f"fetch('/cases/OP-GRAPH/graph/expand.json?node={shared}').then(r => r.json())"
                            ".then(d => d.nodes.length - 1)")
    page.mouse.click(*_node_point(page, shared))
    page.locator(f"#graph[data-expanded='{shared}']").wait_for()
    assert int(page.locator("#graph").get_attribute("data-nodes")) == before + holders - 1
    assert page.evaluate("window.tasmanGraph.nodes('.faded').length") > 0     # the rest is dimmed

    # filters: a country hides the other countries' subjects; an identifier kind hides its nodes
    page.select_option("#graph-country", "GB")
    hidden = page.evaluate("window.tasmanGraph.nodes('.subject.hidden').map(n => n.data('country'))")
    assert hidden and "GB" not in hidden
    page.select_option("#graph-country", "")
    page.locator("#graph-kinds input[value=email]").uncheck()
    assert page.evaluate("window.tasmanGraph.nodes('.identifier.hidden').every(n => n.data('type') === 'email')")
    assert page.evaluate("window.tasmanGraph.nodes('.identifier.hidden').length") == 1

    # search: an exact value centres on it; several matches are listed and picking one centres on it
    page.fill("#graph-q", "shared_handle_1")
    page.click("text=Centre on it")
    page.locator("#graph[data-centre='i:handle:shared_handle_1']").wait_for()
    page.fill("#graph-q", "person 12")
    page.click("text=Centre on it")
    page.locator("#graph-hits button").first.wait_for()
    assert page.locator("#graph-hits button").count() == 11
    page.locator("#graph-hits button", has_text="S-000120 Person 120").click()
    page.locator("#graph[data-centre='s:S-000120']").wait_for()
    page.fill("#graph-q", "no such thing anywhere")
    page.click("text=Centre on it")
    page.locator("#graph-status", has_text="Nothing in this case's graph matches").wait_for()

    # where the page starts: the subject sharing the most identifiers, two hops around it
    page.goto(f"{base}/cases/OP-GRAPH/graph")
    page.locator("#graph[data-ready]").wait_for()
    centre = page.locator("#graph").get_attribute("data-centre")
    assert centre and centre.startswith("s:")
    shared = page.evaluate("window.tasmanGraph.nodes('.identifier.shared').max(n => n.data('subjects')).ele.id()")
    page.mouse.click(*_node_point(page, shared))
    page.locator(f"#graph[data-expanded='{shared}']").wait_for()
    page.click("#graph-fit")
    if os.environ.get("TASMAN_DOCS_IMG"):   # the picture in docs/serve.md
        page.locator("main").screenshot(path=str(Path(__file__).resolve().parents[2] / "docs" / "img" / "graph.png"))
