"""The link graph page (drawn by cytoscape.js from the JSON next to it) and its API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.graph import case_graph
from tasman.serve.routes.common import API, ERRORS
from tasman.serve.schemas import GraphOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["subjects"])


@router.get("/cases/{ref}/graph")
def graph_page(request: Request, subject: str | None = Query(None, max_length=32),
               ctx: CaseCtx = Depends(page_case)) -> Response:
    return render(request, "graph.html", ctx.viewer, case=ctx.case, tab="graph", subject=subject or "")


@router.get("/cases/{ref}/graph.json")
def graph_json(subject: str | None = Query(None, max_length=32), ctx: CaseCtx = Depends(page_case)) -> GraphOut:
    return GraphOut(**case_graph(ctx.session, ctx.case, subject or None))


@api.get("/cases/{ref}/graph", response_model=GraphOut, responses=ERRORS)
def graph(subject: str | None = Query(None, max_length=32), ctx: CaseCtx = Depends(api_case)) -> GraphOut:
    """Nodes (subjects, records, identifiers) and edges (membership, sightings, record links)."""
    return GraphOut(**case_graph(ctx.session, ctx.case, subject or None))
