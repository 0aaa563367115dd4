"""Server time and audit entries of every case page on the demo case.

    PYTHONPATH=src python bench/web_pages.py DEMO_OUT [--repeat 3]

DEMO_OUT is the folder ``tasman demo`` wrote (``make demo``: demo-out). Its workspace is copied
to a temporary folder first, so the demo is left as it was. Each page is requested in-process
(FastAPI's TestClient: no network, no browser), signed in as the demo's admin; the time printed
is the best of ``--repeat`` requests, and ``audit`` is how many entries one view appended (the
target is one). A page over the 1 s target is marked, and the script exits 1.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.serve.app import create_app
from tasman.serve.settings import ServeSettings

CASE = "DEMO-1"
PAGES = ["", "/evidence", "/triage", "/records", "/records?kind=transactions&offset=100", "/identifiers",
         "/identifiers?shared=1", "/subjects", "/subjects?q=de&sort=country", "/subjects/S-000001", "/money",
         "/attribution", "/referrals", "/summary", "/audit", "/audit?action=case.read"]
TARGET_S = 1.0


def _audit_count(ws: Workspace) -> int:
    with ws.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("demo_out", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    login = (args.demo_out / "workspace" / "serve" / "demo-login.txt").read_text(encoding="utf-8")
    user = re.search(r"user: (\S+)", login)
    password = re.search(r"password: (\S+)", login)
    assert user and password, "demo-login.txt has no user and password"
    slow = 0
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(args.demo_out / "workspace", Path(tmp) / "ws")
        ws = Workspace.open(Path(tmp) / "ws", db_url=f"sqlite:///{Path(tmp) / 'ws' / 'tasman.db'}", actor="bench")
        with TestClient(create_app(ws, ServeSettings(start_worker=False)), follow_redirects=False) as http:
            form = re.search(r'name="form_token" value="([^"]+)"', http.get("/login").text)
            assert form is not None
            r = http.post("/login", data={"name": user.group(1), "password": password.group(1),
                                          "form_token": form.group(1)})
            assert r.status_code == 303, r.status_code
            print(f"{'page':<48} {'status':>6} {'best ms':>8} {'audit':>5}")
            for page in [f"/cases/{CASE}{p}" for p in PAGES] + ["/audit", "/admin/users", "/cases"]:
                times, status, entries = [], 0, 0
                for _ in range(max(1, args.repeat)):
                    before = _audit_count(ws)
                    t0 = time.perf_counter()
                    r = http.get(page)
                    times.append(time.perf_counter() - t0)
                    status, entries = r.status_code, _audit_count(ws) - before
                best = min(times)
                mark = "  OVER 1 s" if best > TARGET_S else ""
                slow += best > TARGET_S
                print(f"{page:<48} {status:>6} {best * 1000:>8.0f} {entries:>5}{mark}")
        ws.close()
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
