"""The main journeys in a real browser: Debian's headless Chromium driven by Playwright against
a uvicorn server on 127.0.0.1. A failing test leaves a screenshot in tmp/artifacts/."""

from __future__ import annotations

import io
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasman.core.workspace import Workspace
from tasman.serve import accounts
from tasman.serve.app import create_app
from tasman.serve.settings import ServeSettings
from tasman.synth.images import draw_picture

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn
    from argon2 import PasswordHasher

    real_hasher = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    root = tmp_path_factory.mktemp("browser")
    ws = Workspace.init(root / "ws", actor="setup")
    tokens = {}
    with ws.session() as s:
        from tasman.evidence.cases import create_case

        create_case(s, "setup", "OTHER-1", "Someone else's case")
        for name, role in {"eve": "examiner", "ana": "analyst", "out": "analyst"}.items():
            accounts.create_user(s, "setup", name, role, PASSWORD)
            tokens[name] = accounts.issue_token(s, "setup", name).token
        accounts.add_member(s, "setup", "OTHER-1", "ana")
    port = _free_port()
    config = uvicorn.Config(create_app(ws, ServeSettings(start_worker=True)), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield {"url": f"http://127.0.0.1:{port}", "ws": ws, "tokens": tokens, "root": root}
    srv.should_exit = True
    thread.join(timeout=10)
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
    response = page.goto(f"{base}/cases/OTHER-1/subjects")
    assert response.status == 404
    assert "Not found" in page.locator("h1").inner_text()
    api = page.request.get(f"{base}/api/v1/cases/OTHER-1",
                           headers={"Authorization": f"Bearer {server['tokens']['out']}"})
    assert api.status == 404
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
    page.select_option("select[name=kind]", "custody")
    page.click("button:has-text('Start')")
    page.wait_for_url(f"{base}/cases/OP-JOBS/triage")
    page.locator("tr.job.done").wait_for(timeout=15_000)  # swapped in by htmx, no reload
    assert "100%" in page.locator("tr.job").first.inner_text()
