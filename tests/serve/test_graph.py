"""The link graph: built from subjects and observations, laid out once per change, served as
neighbourhoods, expansions, the whole case and searches; every read audited."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.core.models import Case
from tasman.core.workspace import Workspace
from tasman.link.models import Subject
from tasman.serve import graph as g
from tests.serve.conftest import CASE, Client, audit_actions
from tests.serve.graph_data import add_subjects


def _case(ws: Workspace, **kw: int) -> int:
    with ws.session() as s:
        case = s.scalars(select(Case).where(Case.ref == CASE)).one()
        return add_subjects(s, case, **kw)


def _graph(ws: Workspace) -> g.CaseGraph:
    with ws.session() as s:
        return g.case_graph(s, s.scalars(select(Case).where(Case.ref == CASE)).one())


def test_a_case_of_2000_nodes_is_laid_out_once_and_kept(ws: Workspace) -> None:
    expected = _case(ws)
    started = time.perf_counter()
    graph = _graph(ws)
    took = time.perf_counter() - started
    print(f"\ngraph of {len(graph.nodes)} nodes built and laid out in {took:.2f} s")
    assert len(graph.nodes) == expected == 2000
    assert graph.stats["subjects"] == 600 and graph.stats["shared_identifiers"] == 200
    assert graph.stats["kinds"] == ["email", "handle", "iban", "phone"]
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in graph.nodes.values())
    places = {(round(n["x"]), round(n["y"])) for n in graph.nodes.values()}
    assert len(places) > 0.97 * len(graph.nodes)      # nodes are spread out, not piled up
    shared = [n for n in graph.nodes.values() if n["kind"] == "identifier" and n["shared"]]
    assert {n["subjects"] for n in shared} == {2, 3, 4, 5}
    assert _graph(ws) is graph                        # nothing changed: the same laid-out graph
    with ws.session() as s:
        s.scalars(select(Subject).where(Subject.ref == "S-000001")).one().status = "retired"
    again = _graph(ws)
    assert again is not graph and "s:S-000001" not in again.nodes and len(again.nodes) < len(graph.nodes)


def test_neighbourhood_expansion_and_search(ws: Workspace) -> None:
    _case(ws, subjects=40, shared=10)
    graph = _graph(ws)
    start = g.default_focus(graph)
    assert start is not None and graph.nodes[start]["shared_identifiers"] == max(
        n.get("shared_identifiers", 0) for n in graph.nodes.values())
    one = g.neighbourhood(graph, start, hops=1)
    ids = {n["id"] for n in one["nodes"]}
    assert ids == {start} | graph.adj[start]
    assert {(e["source"], e["target"]) for e in one["edges"]} == {(start, i) for i in graph.adj[start]}
    two = g.neighbourhood(graph, start, hops=2)
    subjects = {n["id"] for n in two["nodes"] if n["kind"] == "subject"}
    assert len(subjects) > 1 and subjects <= {s for i in graph.adj[start] for s in graph.adj[i]}
    shared = next(i for i in sorted(graph.adj[start]) if graph.nodes[i]["shared"])
    grown = g.expand(graph, shared)
    assert {n["id"] for n in grown["nodes"]} == {shared} | graph.adj[shared]
    holder = next(iter(graph.adj[shared] - {start}))
    assert {e["target"] for e in grown["edges"] if e["source"] == holder} == graph.adj[holder]
    assert g.neighbourhood(graph, "S-000002", 1)["focus"] == "s:S-000002"    # a subject ref
    assert g.neighbourhood(graph, "user3@example.invalid", 1)["focus"] == "i:email:user3@example.invalid"
    hits = g.search(graph, "person 1")
    assert hits[0]["label"] == "S-000001 Person 1" and len(hits) == 11 and all(h["kind"] == "subject" for h in hits)
    assert next(h["id"] for h in g.search(graph, "SHARED_HANDLE_1")) == "i:handle:shared_handle_1"
    assert g.search(graph, "  ") == []


def test_the_whole_case_is_cut_with_the_count_said(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    _case(ws, subjects=40, shared=10)
    graph = _graph(ws)
    monkeypatch.setattr(g, "MAX_VIEW", 50)
    cut = g.whole(graph)
    assert len(cut["nodes"]) == 50 and cut["left_out"] == len(graph.nodes) - 50
    assert [n["kind"] for n in cut["nodes"][:40]] == ["subject"] * 40 and all(n["shared"] for n in cut["nodes"][40:])


def test_graph_routes_are_audited_and_say_what_they_cannot_find(
        ws: Workspace, make_client: Callable[..., Client], api: Callable[[str], TestClient]) -> None:
    _case(ws, subjects=40, shared=10)
    ana = make_client("ana")
    page = ana.get(f"/cases/{CASE}/graph?focus=S-000004&hops=1")
    assert page.status_code == 200 and 'data-focus="S-000004"' in page.text and 'data-hops="1"' in page.text
    before = len(audit_actions(ws, "ana"))
    view = ana.get(f"/cases/{CASE}/graph.json", params={"focus": "S-000004", "hops": 1}).json()
    assert view["focus"] == "s:S-000004" and view["stats"]["subjects"] == 40
    grown = ana.get(f"/cases/{CASE}/graph/expand.json", params={"node": "s:S-000004"}).json()
    assert {n["id"] for n in grown["nodes"]} == {n["id"] for n in view["nodes"]}
    hits = ana.get(f"/cases/{CASE}/graph/search.json", params={"q": "user4@"}).json()
    assert [h["id"] for h in hits] == ["i:email:user4@example.invalid"] + [
        h["id"] for h in hits[1:]] and len(hits) >= 1
    whole = ana.get(f"/cases/{CASE}/graph.json", params={"whole": 1}).json()
    assert len(whole["nodes"]) == 130 and whole["left_out"] == 0
    reads = audit_actions(ws, "ana")[before:]
    assert [a[1] for a in reads] == ["case.read"] * 4
    assert [a[3] for a in reads] == [f"/cases/{CASE}/graph.json", f"/cases/{CASE}/graph/expand.json",
                                     f"/cases/{CASE}/graph/search.json", f"/cases/{CASE}/graph.json"]
    missing = ana.get(f"/cases/{CASE}/graph.json", params={"focus": "S-999999"})
    assert missing.status_code == 404
    assert "nothing in this case&#39;s graph is called &#39;S-999999&#39;" in missing.text
    assert ana.get(f"/cases/{CASE}/graph.json", params={"hops": 9}).status_code == 400
    bad = api("ana").get(f"/api/v1/cases/{CASE}/graph/expand", params={"node": "i:email:nobody"})
    assert bad.status_code == 404
    assert bad.json() == {"detail": "nothing in this case's graph is called 'i:email:nobody'"}
    one = api("ana").get(f"/api/v1/cases/{CASE}/graph", params={"subject": "S-000004", "hops": 1}).json()
    assert one["focus"] == "s:S-000004" and all("x" in n and "y" in n for n in one["nodes"])
    assert api("ana").get(f"/api/v1/cases/{CASE}/graph/search", params={"q": "Person 7"}).json()[0]["id"] == \
        "s:S-000007"


def test_identifiers_found_in_records_join_their_subjects_places_are_counted_not_drawn(ws: Workspace) -> None:
    from tasman.core.models import Record
    from tasman.extract.models import Observation
    from tasman.link.models import SubjectRecord

    _case(ws, subjects=3, shared=0)
    with ws.session() as s:
        case = s.scalars(select(Case).where(Case.ref == CASE)).one()
        subjects = list(s.scalars(select(Subject).where(Subject.case_id == case.id).order_by(Subject.ref)))
        for n, sub in enumerate(subjects):
            rec = Record(case_id=case.id, kind="chats", source="chat.json", source_id=str(n))
            s.add(rec)
            s.flush()
            s.add(SubjectRecord(subject_id=sub.id, record_id=rec.id))
            for typ, value in (("ip", "203.0.113.7"), ("country", "GB"), ("city", "london")):
                s.add(Observation(case_id=case.id, type=typ, value=value, raw=value, record_id=rec.id,
                                  extractor="test", key=f"{n}{typ}"))
        s.add(Record(case_id=case.id, kind="chats", source="chat.json", source_id="alone"))
    graph = _graph(ws)
    ip = graph.nodes["i:ip:203.0.113.7"]
    assert ip["subjects"] == 3 and ip["shared"] and graph.records[("s:S-000001", "i:ip:203.0.113.7")] == 1
    assert not any(n.startswith(("i:country:", "i:city:")) for n in graph.nodes)
    assert graph.stats["places_left_out"] == 6 and graph.stats["records_outside"] == 1
