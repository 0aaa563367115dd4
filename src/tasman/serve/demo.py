"""The demo's web step: an account to sign in with, and one public tip received and imported.

The password is random and written next to the workspace's other secrets (mode 0600), never
printed; the tip carries the screenshot the demo hands in (a procedurally drawn picture, so its
hashes exist but match nothing: ``tasman.demo`` draws it, the web app never imports the generators).
"""

from __future__ import annotations

import os
import secrets

from tasman.accounts import store as accounts
from tasman.core.workspace import Workspace
from tasman.tips import intake as tips
from tasman.tips.vault import TipVault, serve_dir

DEMO_USER = "demo-admin"


def serve_demo(ws: Workspace, case_ref: str, screenshot_png: bytes) -> list[str]:
    password = secrets.token_urlsafe(18)
    with ws.session() as s:
        accounts.create_user(s, ws.actor, DEMO_USER, "admin", password)
        accounts.add_member(s, ws.actor, case_ref, DEMO_USER)
    login = serve_dir(ws.root) / "demo-login.txt"
    fd = os.open(login, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"user: {DEMO_USER}\npassword: {password}\n")
    report = tips.TipInput(what="A made-up report for the demo: an account offered to trade pictures in a group.",
                           url="https://forum.example.invalid/t/1", platform="ExampleChat", username="demo_user_77",
                           seen_when="yesterday evening")
    with ws.session() as s:
        receipt = tips.submit_tip(s, TipVault(ws.root), report, [tips.Upload("screenshot.png", screenshot_png)])
    with ws.session() as s:
        tips.import_tip(s, ws.actor, receipt.ref, case_ref)
    return [f"public tip {receipt.ref} received (files hashed, stored encrypted, matching {receipt.match_status}) "
            f"and imported into {case_ref}",
            f"web app: tasman -w {ws.root} serve; sign in as {DEMO_USER}, password in {login}"]
