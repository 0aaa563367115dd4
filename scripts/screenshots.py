"""The web app's screenshots in docs/serve.md, taken from the demo case.

    make demo    # or: tasman demo demo-out
    PYTHONPATH=src python scripts/screenshots.py demo-out docs/img

The demo's workspace is copied to a temporary folder (the demo is left as it was), served on
127.0.0.1 by uvicorn and shown in Debian's headless Chromium (Playwright), signed in as the
demo's admin. Each picture is one browser window (1280 x 800, not the whole page) saved as a
PNG with a 64-colour palette, so each stays small. Only generated, benign demo data is shown.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

CASE = "DEMO-1"
SHOTS = {   # file name -> (path, what to do first: a CSS selector to click, or "")
    "money.png": (f"/cases/{CASE}/money", ""),
    "records.png": (f"/cases/{CASE}/records?kind=tips", "#records tbody tr:first-child summary"),
    "identifiers.png": (f"/cases/{CASE}/identifiers", ""),
    "subjects.png": (f"/cases/{CASE}/subjects?sort=country", ""),   # with the stale notice: goAML came later
    "audit.png": (f"/cases/{CASE}/audit", ""),
    "users.png": ("/admin/users", ""),
}
SCROLL = {"records.png": "h3 + nav.chips", "identifiers.png": "#identifiers-list"}
CHROMIUM = "/usr/bin/chromium"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _save(png: bytes, out: Path) -> int:
    im = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    im.save(out, optimize=True)
    return out.stat().st_size


def main() -> int:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from tasman.core.workspace import Workspace
    from tasman.serve.app import create_app
    from tasman.serve.settings import ServeSettings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("demo_out", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    login = (args.demo_out / "workspace" / "serve" / "demo-login.txt").read_text(encoding="utf-8")
    user, password = (re.search(rf"{k}: (\S+)", login) for k in ("user", "password"))
    assert user and password, "demo-login.txt has no user and password"
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(args.demo_out / "workspace", Path(tmp) / "ws")
        ws = Workspace.open(Path(tmp) / "ws", db_url=f"sqlite:///{Path(tmp) / 'ws' / 'tasman.db'}", actor="screenshots")
        port = _port()
        srv = uvicorn.Server(uvicorn.Config(create_app(ws, ServeSettings(start_worker=False)), host="127.0.0.1",
                                            port=port, log_level="warning"))
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        while not srv.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{base}/login")
                page.fill("input[name=name]", user.group(1))
                page.fill("input[name=password]", password.group(1))
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/cases")
                for name, (path, click) in SHOTS.items():
                    page.goto(base + path)
                    if click and page.locator(click).count():
                        page.locator(click).first.click()
                    if name in SCROLL:   # the table, not the forms above it
                        page.evaluate(f"document.querySelector('{SCROLL[name]}').scrollIntoView()")
                    size = _save(page.screenshot(), args.out / name)
                    print(f"{name}: {size // 1024} KiB")
                browser.close()
        finally:
            srv.should_exit = True
            thread.join(timeout=10)
            ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
