"""Rendering pages: one Jinja2 environment (autoescaped), and the context every page gets."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from tasman import __version__
from tasman.accounts.roles import Perm
from tasman.serve.assets import vendor_ready
from tasman.serve.deps import Viewer

TEMPLATES = Jinja2Templates(directory=str(resources.files("tasman.serve") / "templates"))
TEMPLATES.env.globals.update(Perm=Perm, version=__version__)

CASE_TABS = [
    ("overview", "Overview", ""), ("evidence", "Evidence", "evidence"), ("triage", "Triage", "triage"),
    ("records", "Records", "records"), ("identifiers", "Identifiers", "identifiers"),
    ("subjects", "Subjects", "subjects"), ("graph", "Link graph", "graph"), ("money", "Money trails", "money"),
    ("attribution", "Attribution", "attribution"), ("referrals", "Referrals", "referrals"),
    ("summary", "Summary", "summary"), ("audit", "Audit log", "audit"),
]


def render(request: Request, name: str, viewer: Viewer | None, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    csrf = viewer.web_session.csrf_token if viewer is not None and viewer.web_session is not None else ""
    context = {"viewer": viewer, "csrf_token": csrf, "case_tabs": CASE_TABS, "vendor_ready": vendor_ready(), **ctx}
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
