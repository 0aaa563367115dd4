"""The link graph of 2,000 nodes in a real browser: how long until it is drawn and until a click works.

    PYTHONPATH=src python bench/graph.py [--rounds 5] [--base OTHER/graph.js] [--target 2.0]

Builds a workspace in a temporary folder with the generated case of ``tests/serve/graph_data.py``
(600 subjects, 1,200 identifiers of one subject, 200 shared: 2,000 nodes), serves it with uvicorn
on 127.0.0.1 and opens ``/cases/OP-GRAPH/graph?whole=1`` in Debian's headless Chromium (Playwright),
as the browser test does. The server lays the case out once, untimed (a first visit); each round
then times, from navigation: **drawn** (``#graph[data-ready]``: cytoscape built and its first
frame painted) and **interactive** (the shared identifier held by most subjects clicked where it
is drawn, zoomed in on as a user would, and its neighbours added and highlighted:
``#graph[data-expanded]``), and prints the page's performance marks (fetched, elements built,
cytoscape built, drawn; ms after navigation). ``--parts N`` then builds the graph N more times per variant in one page
(labels on every node, none, none and no edges), to show what the browser's time is spent on.
``--base`` serves another ``graph.js`` in place of
this checkout's (e.g. ``git show main:src/tasman/serve/static/graph.js > /tmp/graph.js``), the
two interleaved round by round: before and after in one run. Prints medians with min..max, the
load average before and after, and PASS/FAIL of the median interactive time against the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))          # tests.serve.graph_data: the case the browser test draws
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"
CASE = "OP-GRAPH"

POINT = """id => new Promise(done => {
    const cy = window.tasmanGraph, el = document.getElementById('graph');
    el.scrollIntoView({block: 'center'});
    const node = cy.getElementById(id);
    if (cy.zoom() < 0.8) { cy.zoom(1); }
    cy.center(node);
    requestAnimationFrame(() => requestAnimationFrame(() => {
        const box = el.getBoundingClientRect(), p = node.renderedPosition();
        done([box.left + p.x, box.top + p.y]);
    }));
})"""


# --parts: cytoscape built in the page from the same answer with and without what costs; each
# variant's build (construction with fit) and first frame, in ms.
PARTS = r"""async rounds => {
  const data = await (await fetch(location.pathname + ".json?whole=1")).json();
  const text = { "label": "data(label)", "font-size": 11, "min-zoomed-font-size": 8, "color": "#1d2733",
    "text-valign": "bottom", "text-margin-y": 3, "text-background-color": "#ffffff",
    "text-background-opacity": 0.75, "text-background-padding": 1 };
  const rules = labels => [
    { selector: "node", style: Object.assign({ "width": 14, "height": 14 }, labels ? text : {}) },
    { selector: "node.subject", style: { "background-color": "#114f8a", "width": 24, "height": 24 } },
    { selector: "node.identifier", style: { "background-color": "#d9822b", "shape": "diamond" } },
    { selector: "node.shared", style: { "background-color": "#c0392b",
      "width": "mapData(subjects, 2, 12, 22, 48)", "height": "mapData(subjects, 2, 12, 22, 48)" } },
    { selector: "edge", style: { "width": 1, "line-color": "#b8c2cc", "curve-style": "haystack" } }];
  const elements = edges => data.nodes.map(n => ({ group: "nodes", data: n, position: { x: n.x, y: n.y },
      classes: n.kind + (n.shared ? " shared" : "") }))
    .concat(edges ? data.edges.map(e => ({ group: "edges", data: e })) : []);
  const variants = { "labels on every node": [true, true], "no labels": [false, true],
                     "no labels, no edges": [false, false] };
  const host = document.getElementById("graph"), frame = () => new Promise(r =>
    requestAnimationFrame(() => requestAnimationFrame(r)));
  if (window.tasmanGraph) { window.tasmanGraph.destroy(); }
  const out = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, [labels, edges]] of Object.entries(variants)) {
      host.textContent = "";
      const els = elements(edges);
      await frame();
      const t0 = performance.now();
      const cy = cytoscape({ container: host, elements: els, style: rules(labels), pixelRatio: 1,
        layout: { name: "preset", fit: true, padding: 30 }, textureOnViewport: true, hideEdgesOnViewport: true });
      const t1 = performance.now();
      await frame();
      (out[name] = out[name] || []).push([Math.round(t1 - t0), Math.round(performance.now() - t1)]);
      cy.destroy();
    }
  }
  return out;
}"""


def _app(root: Path) -> tuple[Any, Any]:
    """The web app over a new workspace holding the 2,000-node case, and that workspace."""
    from argon2 import PasswordHasher
    from sqlalchemy import select
    from tests.serve.graph_data import add_subjects

    from tasman.accounts import store as accounts
    from tasman.core.models import Case
    from tasman.core.workspace import Workspace
    from tasman.evidence.cases import create_case
    from tasman.serve.app import create_app
    from tasman.serve.settings import ServeSettings

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    ws = Workspace.init(root / "ws", actor="bench")
    with ws.session() as s:
        create_case(s, "bench", CASE, "2,000 nodes")
        accounts.create_user(s, "bench", "ana", "analyst", PASSWORD)
        accounts.add_member(s, "bench", CASE, "ana")
        nodes = add_subjects(s, s.scalars(select(Case).where(Case.ref == CASE)).one())
    assert nodes == 2000, nodes
    return create_app(ws, ServeSettings(start_worker=False)), ws


def _browser_cpu() -> float:
    """CPU seconds (user + system) used so far by every Chromium process under this one."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                t = child.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            continue
    return total


def _round(page: Any, base: str) -> tuple[float, float, dict[str, int]]:
    started = time.perf_counter()
    page.goto(f"{base}/cases/{CASE}/graph?whole=1")
    page.locator("#graph[data-ready]").wait_for()
    drawn = time.perf_counter() - started
    assert page.evaluate("window.tasmanGraph.nodes().length") == 2000
    target = page.evaluate("window.tasmanGraph.nodes('.identifier.shared').max(n => n.data('subjects')).ele.id()")
    at = page.evaluate(POINT, target)
    page.mouse.click(float(at[0]), float(at[1]))
    page.locator(f"#graph[data-expanded='{target}']").wait_for()
    clicked = time.perf_counter() - started
    deadline = time.monotonic() + 5      # the expansion's frame mark, where graph.js marks the tap
    while (time.monotonic() < deadline and page.evaluate(
            "() => performance.getEntriesByName('graph:tap').length > 0"
            " && performance.getEntriesByName('graph:expanded').length === 0")):
        time.sleep(0.02)
    marks = page.evaluate("performance.getEntriesByType('mark').map(e => [e.name, Math.round(e.startTime)])")
    answers = page.evaluate("performance.getEntriesByType('resource').filter(e => /graph[./]/.test(e.name))"
                            ".map(e => [e.name.split('/').pop().split('?')[0] + ' server',"
                            " Math.round(e.responseStart - e.requestStart)])")
    return drawn, clicked, {str(k): int(v) for k, v in [*marks, *answers]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--base", type=Path, help="another graph.js, served in turn with this checkout's")
    ap.add_argument("--target", type=float, default=2.0, help="seconds (median interactive time)")
    ap.add_argument("--parts", type=int, default=0, metavar="ROUNDS",
                    help="then build the graph in the page this many times per variant: labels on every node, "
                    "none, none and no edges (where the browser's time goes)")
    opts = ap.parse_args()
    from playwright.sync_api import sync_playwright
    from tests.serve.localserver import serving

    base_js = opts.base.read_bytes() if opts.base else None
    variants = ["this"] + (["base"] if base_js is not None else [])
    drawn: dict[str, list[float]] = {v: [] for v in variants}
    cpus: dict[str, list[float]] = {v: [] for v in variants}
    clicked: dict[str, list[float]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="tasman-graph-") as tmp:
        app, ws = _app(Path(tmp))
        try:
            with serving(app) as url, sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
                for variant in variants:        # untimed: the server lays the case out, caches warm
                    ctx, page = _page(browser, url, base_js if variant == "base" else None)
                    _round(page, url)
                    ctx.close()
                load0 = os.getloadavg()[0]
                for r in range(opts.rounds):
                    for variant in variants:
                        ctx, page = _page(browser, url, base_js if variant == "base" else None)
                        cpu0 = _browser_cpu()
                        d, c, marks = _round(page, url)
                        cpu = _browser_cpu() - cpu0
                        ctx.close()
                        drawn[variant].append(d)
                        clicked[variant].append(c)
                        cpus[variant].append(cpu)
                        print(f"round {r + 1} {variant:4}: drawn {d:.2f} s, interactive {c:.2f} s, browser CPU "
                              f"{cpu:.2f} s; marks {marks}")
                load1 = os.getloadavg()[0]
                if opts.parts:
                    ctx, page = _page(browser, url, None)
                    page.goto(f"{url}/cases/{CASE}/graph?whole=1")
                    page.locator("#graph[data-ready]").wait_for()
                    for name, runs in page.evaluate(PARTS, opts.parts).items():
                        total = sorted(b + f for b, f in runs)
                        print(f"parts: {name:22} build + first frame median {statistics.median(total):.0f} ms "
                              f"({total[0]}..{total[-1]}); each (build, frame): {runs}")
                    ctx.close()
                browser.close()
        finally:
            ws.close()
    failed = False
    for variant in variants:
        med_d, med_c = statistics.median(drawn[variant]), statistics.median(clicked[variant])
        verdict = ""
        if variant == "this":
            failed = med_c > opts.target
            verdict = "FAIL" if failed else "PASS"
        print(f"{variant:4}: drawn median {med_d:.2f} s ({min(drawn[variant]):.2f}..{max(drawn[variant]):.2f}), "
              f"interactive median {med_c:.2f} s ({min(clicked[variant]):.2f}..{max(clicked[variant]):.2f}), "
              f"browser CPU median {statistics.median(cpus[variant]):.2f} s "
              f"({min(cpus[variant]):.2f}..{max(cpus[variant]):.2f})  {verdict}")
    print(f"load average (1 min) {load0:.1f} before, {load1:.1f} after; {os.cpu_count()} cores")
    return 1 if failed else 0


def _page(browser: Any, url: str, js: bytes | None) -> tuple[Any, Any]:
    """A new signed-in browser context (nothing cached from the last round but what a user's
    browser keeps within one visit); ``js`` replaces graph.js."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    if js is not None:
        page.route("**/static/graph.js", lambda route: route.fulfill(
            status=200, body=js, headers={"content-type": "text/javascript; charset=utf-8"}))
    page.goto(f"{url}/login")
    page.fill("input[name=name]", "ana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/cases")
    return ctx, page


if __name__ == "__main__":
    sys.exit(main())
