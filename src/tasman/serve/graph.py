"""The link graph of a case: subjects, their records, and the identifiers seen in those records.

Identifiers shared by records of different subjects are what an analyst looks for; they are
the nodes with edges to more than one subject's records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core.models import Case, Record
from tasman.extract.models import Observation
from tasman.link.models import RecordLink, Subject, SubjectRecord

MAX_NODES = 1500


def case_graph(session: Session, case: Case, subject_ref: str | None = None) -> dict[str, list[dict[str, Any]]]:
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    q = select(Subject, SubjectRecord.record_id).join(SubjectRecord, SubjectRecord.subject_id == Subject.id) \
        .where(Subject.case_id == case.id)
    if subject_ref:
        q = q.where(Subject.ref == subject_ref)
    record_ids: set[int] = set()
    for sub, rid in session.execute(q.order_by(Subject.ref).limit(MAX_NODES)):
        nodes.setdefault(f"s{sub.id}", {"id": f"s{sub.id}", "label": sub.ref + (f" {sub.name}" if sub.name else ""),
                                        "kind": "subject", "country": sub.country})
        edges.append({"source": f"s{sub.id}", "target": f"r{rid}", "kind": "member"})
        record_ids.add(rid)
    if not subject_ref:  # records not (yet) in a subject still show the identifiers they share
        record_ids |= set(session.scalars(select(Observation.record_id).where(
            Observation.case_id == case.id, Observation.record_id.is_not(None)).distinct().limit(MAX_NODES)))
    for rec in session.scalars(select(Record).where(Record.id.in_(record_ids))):
        nodes[f"r{rec.id}"] = {"id": f"r{rec.id}", "label": f"{rec.source}#{rec.source_id}", "kind": "record"}
    for obs in session.scalars(select(Observation).where(Observation.record_id.in_(record_ids)).limit(MAX_NODES * 2)):
        key = f"i{obs.type}:{obs.value}"
        nodes.setdefault(key, {"id": key, "label": f"{obs.type}: {obs.value}", "kind": "identifier"})
        edges.append({"source": f"r{obs.record_id}", "target": key, "kind": "seen"})
    for link in session.scalars(select(RecordLink).where(RecordLink.record_a.in_(record_ids),
                                                         RecordLink.record_b.in_(record_ids))):
        edges.append({"source": f"r{link.record_a}", "target": f"r{link.record_b}", "kind": "link",
                      "label": link.rule or f"{link.match_weight:.1f}"})
    seen = set()
    unique: list[dict[str, Any]] = []
    for e in edges:
        k = (e["source"], e["target"], e["kind"])
        if k not in seen and e["source"] in nodes and e["target"] in nodes:
            seen.add(k)
            unique.append({**e, "id": f"e{len(unique)}"})
    return {"nodes": list(nodes.values())[:MAX_NODES], "edges": unique}
