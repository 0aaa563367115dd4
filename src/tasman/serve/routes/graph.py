"""The link graph page (drawn by cytoscape.js at the places the server laid out) and its JSON:
a neighbourhood, one node's expansion, the whole case, and a search. Each is one audited read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tasman.serve import graph as g
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS
from tasman.serve.schemas import GraphHit, GraphOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["subjects"])

Focus = Annotated[str | None, Query(max_length=400, description="a node id, subject ref or identifier value")]
Subject = Annotated[str | None, Query(max_length=32, description="a subject ref (the same as focus)")]
Hops = Annotated[int, Query(ge=1, le=3, description="how far from the focus")]
Whole = Annotated[bool, Query(description="the whole case instead of one neighbourhood")]
Node = Annotated[str, Query(min_length=1, max_length=400, description="the node to expand")]
Text = Annotated[str, Query(min_length=1, max_length=200, description="part of a subject ref, name or identifier")]


def _view(ctx: CaseCtx, focus: str | None, subject: str | None, hops: int, whole: bool) -> GraphOut:
    """A focus that names nothing in the graph is a NotFoundError (404, like an unknown subject)."""
    graph = g.case_graph(ctx.session, ctx.case)
    if whole:
        return GraphOut(**g.whole(graph))
    return GraphOut(**g.neighbourhood(graph, focus or subject, hops))


def _expand(ctx: CaseCtx, node: str) -> GraphOut:
    return GraphOut(**g.expand(g.case_graph(ctx.session, ctx.case), node))


@router.get("/cases/{ref}/graph")
def graph_page(request: Request, subject: Subject = None, focus: Focus = None, hops: Hops = 2, whole: Whole = False,
               ctx: CaseCtx = Depends(page_case)) -> Response:
    return render(request, "graph.html", ctx.viewer, case=ctx.case, tab="graph", focus=focus or subject or "",
                  hops=hops, whole=whole)


@router.get("/cases/{ref}/graph.json")
def graph_json(subject: Subject = None, focus: Focus = None, hops: Hops = 2, whole: Whole = False,
               ctx: CaseCtx = Depends(page_case)) -> GraphOut:
    return _view(ctx, focus, subject, hops, whole)


@router.get("/cases/{ref}/graph/expand.json")
def graph_expand_json(node: Node, ctx: CaseCtx = Depends(page_case)) -> GraphOut:
    return _expand(ctx, node)


@router.get("/cases/{ref}/graph/search.json")
def graph_search_json(q: Text, ctx: CaseCtx = Depends(page_case)) -> list[GraphHit]:
    return [GraphHit(**hit) for hit in g.search(g.case_graph(ctx.session, ctx.case), q)]


@api.get("/cases/{ref}/graph", response_model=GraphOut, responses=ERRORS)
def graph(subject: Subject = None, focus: Focus = None, hops: Hops = 2, whole: Whole = False,
          ctx: CaseCtx = Depends(api_case)) -> GraphOut:
    """Subjects and the identifiers they hold, with each node's place in the case's layout: the
    neighbourhood of ``focus`` (or ``subject``; else the subject sharing the most identifiers),
    or with ``whole`` the whole case."""
    return _view(ctx, focus, subject, hops, whole)


@api.get("/cases/{ref}/graph/expand", response_model=GraphOut, responses=ERRORS)
def graph_expand(node: Node, ctx: CaseCtx = Depends(api_case)) -> GraphOut:
    """One node's neighbours, with all their edges."""
    return _expand(ctx, node)


@api.get("/cases/{ref}/graph/search", response_model=list[GraphHit], responses=ERRORS)
def graph_search(q: Text, ctx: CaseCtx = Depends(api_case)) -> list[GraphHit]:
    """Subjects by ref or name and identifiers by value (at most 20, exact matches first)."""
    return [GraphHit(**hit) for hit in g.search(g.case_graph(ctx.session, ctx.case), q)]
