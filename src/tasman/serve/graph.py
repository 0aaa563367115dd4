"""The link graph of a case: subjects and the identifiers they hold, laid out on the server.

A subject node joins an identifier node when linking stored the identifier on the subject
(``Subject.identifiers``) or extraction found it in one of the subject's records. Identifiers
held by several subjects are what an analyst looks for: they carry ``subjects`` > 1 and
``shared`` true. Retired subjects are left out; records not (yet) in any subject are counted
in ``stats`` (``records_outside``), never drawn and never dropped in silence; so are the places
found in them (``places_left_out``: cities and countries, which many people share without being
linked by them and which would join every subject of a country into one hairball).

The whole case is laid out once with networkx (subjects and shared identifiers by a force
layout per connected component, an identifier of one subject on a ring around it, components
packed in rows) and kept in a small in-process cache keyed on what the layout depends on: the
case's latest link, attribution and decision, and its subjects and observations. Every view
(a neighbourhood, an expansion, the whole case) uses those positions, so a node keeps its place
as the browser adds to what it shows, and the browser never runs a layout.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.attribute.models import AttributionRun
from tasman.core.errors import NotFoundError
from tasman.core.models import Case, Record
from tasman.extract.models import Observation
from tasman.link.artifacts import subject_identifiers
from tasman.link.models import Decision, LinkRun, Subject, SubjectRecord

MAX_VIEW = 5000          # nodes in one answer; past it the answer says how many were left out
LOCAL_LAYOUT = 300       # a neighbourhood up to this size is laid out on its own, spread out
MAX_SEARCH = 20          # matches a search returns
PLACE_TYPES = ("city", "country")   # observations that are places, not a person's identifiers
CACHED_CASES = 8         # laid-out graphs kept in memory
SPACING = 140.0          # px of room per node in a laid-out component (labels are ~120 px wide)
GAP = 80.0               # px between packed components


@dataclass
class CaseGraph:
    """One case's graph with every node's position (px, y down)."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    adj: dict[str, set[str]] = field(default_factory=dict)
    records: dict[tuple[str, str], int] = field(default_factory=dict)  # (subject, identifier) -> records
    stats: dict[str, Any] = field(default_factory=dict)

    def edge(self, a: str, b: str) -> dict[str, Any]:
        s, i = (a, b) if a.startswith("s:") else (b, a)
        return {"id": f"{s}|{i}", "source": s, "target": i, "kind": "holds", "records": self.records.get((s, i), 0)}


def subject_id(ref: str) -> str:
    return f"s:{ref}"


def identifier_id(typ: str, value: str) -> str:
    return f"i:{typ}:{value}"


def _fingerprint(session: Session, case: Case) -> tuple[Any, ...]:
    """What the graph depends on, in a few aggregate queries (cheap next to building it): a
    link run, split or merge, attribution run, extraction, or a subject retired in place."""
    subjects = session.execute(select(func.count(Subject.id), func.max(Subject.id),
                                      func.count(Subject.id).filter(Subject.status == "retired"),
                                      func.count(Subject.country))
                               .where(Subject.case_id == case.id)).one()
    members = session.execute(select(func.count(SubjectRecord.id), func.max(SubjectRecord.id))
                              .join(Subject, Subject.id == SubjectRecord.subject_id)
                              .where(Subject.case_id == case.id)).one()
    observations = session.execute(select(func.count(Observation.id), func.max(Observation.id))
                                   .where(Observation.case_id == case.id)).one()
    latest = [session.scalar(select(func.max(model.id)).where(model.case_id == case.id))
              for model in (LinkRun, AttributionRun, Decision)]
    return (*subjects, *members, *observations, *latest)


def _build(session: Session, case: Case) -> CaseGraph:
    g = CaseGraph()
    subjects = list(session.scalars(select(Subject).where(Subject.case_id == case.id, Subject.status != "retired")
                                    .order_by(Subject.ref)))
    by_pk = {s.id: subject_id(s.ref) for s in subjects}
    holds: dict[tuple[str, str], set[int]] = {}
    for sub in subjects:
        sid = by_pk[sub.id]
        g.nodes[sid] = {"id": sid, "kind": "subject", "label": sub.ref + (f" {sub.name}" if sub.name else ""),
                        "ref": sub.ref, "name": sub.name, "country": sub.country or "", "status": sub.status}
        for typ, value in subject_identifiers(sub):
            holds.setdefault((sid, identifier_id(typ, value)), set())
    idents: dict[str, tuple[str, str]] = {identifier_id(t, v): (t, v) for s in subjects for t, v in
                                          subject_identifiers(s)}
    members = select(SubjectRecord.subject_id, Observation.record_id, Observation.type, Observation.value) \
        .join(Observation, Observation.record_id == SubjectRecord.record_id) \
        .join(Subject, Subject.id == SubjectRecord.subject_id) \
        .where(Subject.case_id == case.id, Observation.case_id == case.id, Subject.status != "retired")
    rows = session.execute(members.where(Observation.type.not_in(PLACE_TYPES)))
    places = session.scalar(select(func.count()).select_from(
        members.where(Observation.type.in_(PLACE_TYPES)).subquery()))
    for pk, rid, typ, value in rows:
        if rid is None:     # the join is on it: never None, but the column may be
            continue
        iid = identifier_id(typ, value)
        idents[iid] = (typ, value)
        holds.setdefault((by_pk[pk], iid), set()).add(rid)
    for (sid, iid), rids in holds.items():
        g.adj.setdefault(sid, set()).add(iid)
        g.adj.setdefault(iid, set()).add(sid)
        g.records[(sid, iid)] = len(rids)
    for iid, (typ, value) in idents.items():
        n = len(g.adj.get(iid, ()))
        g.nodes[iid] = {"id": iid, "kind": "identifier", "label": value, "type": typ, "value": value,
                        "subjects": n, "shared": n > 1}
    for sid in by_pk.values():
        g.nodes[sid]["shared_identifiers"] = sum(1 for i in g.adj.get(sid, ()) if g.nodes[i]["shared"])
    for node in g.nodes.values():
        node["degree"] = len(g.adj.get(node["id"], ()))
    in_subjects = select(SubjectRecord.record_id).join(Subject, Subject.id == SubjectRecord.subject_id) \
        .where(Subject.case_id == case.id, Subject.status != "retired")
    outside = session.scalar(select(func.count(Record.id)).where(Record.case_id == case.id,
                                                                   Record.id.not_in(in_subjects)))
    g.stats = {"subjects": len(subjects), "identifiers": len(idents),
               "shared_identifiers": sum(1 for i in idents if g.nodes[i]["shared"]),
               "edges": len(g.records), "records_outside": int(outside or 0),
               "places_left_out": int(places or 0),
               "kinds": sorted({t for t, _ in idents.values()}),
               "countries": sorted({s.country for s in subjects if s.country})}
    _layout(g)
    return g


def _layout(g: CaseGraph) -> None:
    """Positions for every node: a force layout of subjects and shared identifiers per connected
    component, the rest on rings around their subject, the components packed in rows."""
    core = nx.Graph()
    core.add_nodes_from(n for n, d in g.nodes.items() if d["kind"] == "subject" or d["subjects"] > 1)
    core.add_edges_from((s, i) for s, i in g.records if i in core)
    leaves: dict[str, list[str]] = {}
    for n in g.nodes:
        if n not in core:
            owner = next(iter(sorted(g.adj.get(n, ()))), None)
            leaves.setdefault(owner or n, []).append(n)   # an identifier of no subject stands alone
    boxes: list[tuple[float, float, dict[str, tuple[float, float]]]] = []
    loose = [n for n in leaves if n not in core]
    for comp in [*sorted(nx.connected_components(core), key=lambda c: (-len(c), min(c))), *({n} for n in loose)]:
        size = sum(1 + len(leaves.get(n, ())) for n in comp)
        if len(comp) == 1:
            centre = {next(iter(comp)): (0.0, 0.0)}
        else:
            sub = core.subgraph(comp)
            raw = nx.spring_layout(sub, seed=7, iterations=50 if len(comp) <= 300 else 30, method="force")
            half = SPACING * math.sqrt(size) / 2
            centre = {n: (float(p[0]) * half, float(p[1]) * half) for n, p in raw.items()}
        pos: dict[str, tuple[float, float]] = {}
        for n, (x, y) in centre.items():
            pos[n] = (x, y)
            ring = sorted(leaves.get(n, ()))
            radius = max(70.0, 12.0 * len(ring))
            for k, leaf in enumerate(ring):
                angle = math.pi / 4 + 2 * math.pi * k / len(ring)   # off the subject's label row
                pos[leaf] = (x + radius * math.cos(angle), y + radius * math.sin(angle))
        xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
        boxes.append((max(xs) - min(xs), max(ys) - min(ys),
                      {n: (x - min(xs), y - min(ys)) for n, (x, y) in pos.items()}))
    width = max([math.sqrt(sum((w + GAP) * (h + GAP) for w, h, _ in boxes)) * 1.3, *(w for w, _, _ in boxes)])
    x = y = row = 0.0
    for w, h, pos in boxes:
        if x > 0 and x + w > width:
            x, y, row = 0.0, y + row + GAP, 0.0
        for n, (px, py) in pos.items():
            g.nodes[n]["x"], g.nodes[n]["y"] = round(x + px, 1), round(y + py, 1)
        x, row = x + w + GAP, max(row, h)


_cache: OrderedDict[tuple[str, int], tuple[tuple[Any, ...], CaseGraph]] = OrderedDict()
_lock = threading.Lock()


def case_graph(session: Session, case: Case) -> CaseGraph:
    """The case's laid-out graph, built again only when what it depends on has changed."""
    bind = session.get_bind()
    key = (str(bind.engine.url), case.id)
    with _lock:
        mark = _fingerprint(session, case)
        hit = _cache.get(key)
        if hit is not None and hit[0] == mark:
            _cache.move_to_end(key)
            return hit[1]
        graph = _build(session, case)
        _cache[key] = (mark, graph)
        while len(_cache) > CACHED_CASES:
            _cache.popitem(last=False)
        return graph


def _answer(g: CaseGraph, ids: Iterable[str], focus: str | None, extra_edges: Iterable[str] = ()) -> dict[str, Any]:
    """Nodes ``ids`` (at most MAX_VIEW, nearest first as given) with the edges among them and the
    edges of ``extra_edges`` to anyone (the browser keeps those whose ends it shows)."""
    ordered = list(dict.fromkeys(ids))
    kept = ordered[:MAX_VIEW]
    inside = set(kept)
    edges: dict[str, dict[str, Any]] = {}
    for n in kept:
        for m in g.adj.get(n, ()):
            if m in inside and n.startswith("s:"):
                e = g.edge(n, m)
                edges[e["id"]] = e
    for n in extra_edges:
        for m in g.adj.get(n, ()):
            e = g.edge(n, m)
            edges[e["id"]] = e
    return {"nodes": [g.nodes[n] for n in kept], "edges": list(edges.values()), "focus": focus,
            "left_out": len(ordered) - len(kept), "stats": g.stats}


def resolve(g: CaseGraph, focus: str) -> str:
    """A node id from what a user typed: a node id, a subject ref, or an identifier value."""
    if focus in g.nodes:
        return focus
    if subject_id(focus) in g.nodes:
        return subject_id(focus)
    found = sorted(n for n, d in g.nodes.items() if d["kind"] == "identifier" and d["value"] == focus)
    if found:
        return found[0]
    raise NotFoundError(f"nothing in this case's graph is called {focus!r}")


def default_focus(g: CaseGraph) -> str | None:
    """Where the page starts: the subject sharing the most identifiers with others."""
    subjects = [d for d in g.nodes.values() if d["kind"] == "subject"]
    if not subjects:
        return next(iter(sorted(g.nodes)), None)
    return str(min(subjects, key=lambda d: (-d["shared_identifiers"], -d["degree"], d["ref"]))["id"])


def neighbourhood(g: CaseGraph, focus: str | None, hops: int = 2) -> dict[str, Any]:
    """``focus`` (a node id, subject ref or identifier value; None: :func:`default_focus`) and
    every node within ``hops`` of it."""
    start = resolve(g, focus) if focus else default_focus(g)
    if start is None:
        return _answer(g, [], None)
    seen = {start: 0}
    queue = deque([start])
    while queue:
        n = queue.popleft()
        if seen[n] < hops:
            for m in sorted(g.adj.get(n, ())):
                if m not in seen:
                    seen[m] = seen[n] + 1
                    queue.append(m)
    return _spread(g, _answer(g, seen, start))


def _spread(g: CaseGraph, answer: dict[str, Any]) -> dict[str, Any]:
    """Places of its own for a small view, starting from the case's (a part of a big layout is
    cramped): its nodes keep their arrangement and move apart."""
    nodes = answer["nodes"]
    if not 2 < len(nodes) <= LOCAL_LAYOUT:
        return answer
    sub = nx.Graph()
    sub.add_nodes_from(n["id"] for n in nodes)
    sub.add_edges_from((e["source"], e["target"]) for e in answer["edges"])
    xs, ys = [n["x"] for n in nodes], [n["y"] for n in nodes]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    start = {n["id"]: ((n["x"] - min(xs)) / span * 2 - 1, (n["y"] - min(ys)) / span * 2 - 1) for n in nodes}
    raw = nx.spring_layout(sub, pos=start, seed=7, iterations=60, method="force")
    half = SPACING * 1.4 * math.sqrt(len(nodes)) / 2
    answer["nodes"] = [{**n, "x": round(float(raw[n["id"]][0]) * half, 1), "y": round(float(raw[n["id"]][1]) * half, 1)}
                       for n in nodes]
    return answer


def expand(g: CaseGraph, node: str) -> dict[str, Any]:
    """A node's neighbours, with every edge of theirs (to connect them to what is already shown);
    their places are the case layout's (the browser puts those it adds around the node)."""
    start = resolve(g, node)
    near = sorted(g.adj.get(start, ()))
    return _answer(g, [start, *near], start, extra_edges=near)


def whole(g: CaseGraph) -> dict[str, Any]:
    """Every node (the shared identifiers and subjects first if the answer must be cut)."""
    order = sorted(g.nodes, key=lambda n: (not g.nodes[n]["shared"] if n.startswith("i:") else False,
                                           not n.startswith("s:"), n))
    return _answer(g, order, None)


def search(g: CaseGraph, query: str) -> list[dict[str, Any]]:
    """Subjects by ref or name, identifiers by value (case-insensitive substring), exact first."""
    q = query.strip().casefold()
    if not q:
        return []
    hits = []
    for d in g.nodes.values():
        text = [d["ref"], d["name"]] if d["kind"] == "subject" else [d["value"]]
        folded = [t.casefold() for t in text]
        if any(q in t for t in folded):
            hits.append((0 if q in folded else 1, d["kind"] != "subject", d["label"], d))
    hits.sort(key=lambda h: h[:3])
    return [{"id": d["id"], "kind": d["kind"], "label": d["label"], "type": d.get("type", ""),
             "subjects": d.get("subjects", 0)} for *_, d in hits[:MAX_SEARCH]]
