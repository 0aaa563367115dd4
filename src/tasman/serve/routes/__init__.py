"""One module per stage, each with a ``router`` of pages (and an ``api`` of JSON endpoints)."""

from fastapi import APIRouter

from tasman.serve.routes import (
    account,
    attribution,
    audit_log,
    auth,
    cases,
    evidence,
    graph,
    hma,
    identifiers,
    jobs,
    link_review,
    media,
    money,
    records,
    referrals,
    subjects,
    summary,
    tips,
    triage,
    users,
)

_MODULES = [auth, cases, evidence, triage, jobs, media, records, identifiers, subjects, link_review, graph, money,
            attribution, referrals, summary, audit_log, tips, users, account, hma]
ROUTERS: list[APIRouter] = [r for m in _MODULES for r in (getattr(m, "router", None), getattr(m, "api", None)) if r]
