"""A triage run as CASE/UCO nodes (``tasman export case``): the investigative action with Tasman
as its instrument, the evidence items with their hashes as its objects, the files it found as
its results, each with its hashes and its ``!/`` provenance chain (every container a ``File``,
``Contained_Within`` the one around it, the outermost within its evidence item).

Guarantee: the same files leave as from ``tasman export vics`` (exact matches and confirmed
perceptual ones; ``triage.vicsexport.run_media`` chooses), so the two exports agree."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.caseuco import Node, file_node, node, ref, relationship, tool_node, typed
from tasman.core.models import Evidence
from tasman.triage.vicsexport import run_media, run_to_export


def tasman_version() -> str:
    try:
        return version("tasman")
    except PackageNotFoundError:
        return "unknown"


def _chain(nodes: list[Node], ev_node: Node, ev_id: int, path: str, leaf: Node) -> None:
    """``a.zip!/b.zip!/c.jpg``: c within b.zip!/..., b within a.zip, a.zip within the evidence item."""
    parts = path.split("!/")
    inner = leaf
    for depth in range(len(parts) - 1, 0, -1):
        container_path = "!/".join(parts[:depth])
        container = file_node("container", f"{ev_id}/{container_path}", container_path.rsplit("/", 1)[-1], None, {},
                              path=container_path)
        nodes.append(container)
        nodes.append(relationship(f"{ev_id}/{'!/'.join(parts[:depth + 1])}", inner, container, "Contained_Within"))
        inner = container
    nodes.append(relationship(f"{ev_id}/{parts[0]}", inner, ev_node, "Contained_Within"))


def run_nodes(session: Session, actor: str, case_ref: str, run_id: int | None = None) -> list[Node]:
    run = run_to_export(session, case_ref, run_id)
    tool = tool_node(tasman_version())
    nodes: list[Node] = [tool]
    evidence: dict[int, Node] = {}
    for item in run.evidence:
        ev = session.get(Evidence, int(item.get("evidence_id", 0)))
        if ev is not None:
            evidence[ev.id] = file_node("evidence", ev.id, ev.name, ev.size, {"sha256": ev.sha256})
            nodes.append(evidence[ev.id])
    media, _ = run_media(session, run, with_artifacts=True)
    found: list[Node] = []
    for rec in media:
        for f in rec["MediaFiles"]:
            art: Any = f.pop("_artifact")
            path = f"{f['FilePath']}/{f['FileName']}" if f["FilePath"] else f["FileName"]
            leaf = file_node("artifact", art.id, f["FileName"], art.size,
                             {"md5": art.md5, "sha1": art.sha1, "sha256": art.sha256}, path=path)
            found.append(leaf)
            nodes.append(leaf)
            if art.evidence_id in evidence:
                _chain(nodes, evidence[art.evidence_id], art.evidence_id, path, leaf)
    props: dict[str, Any] = {"uco-core:name": f"triage run {run.id} of case {case_ref}",
                             "uco-action:instrument": ref(tool),
                             "uco-action:object": [ref(n) for n in evidence.values()],
                             "uco-action:result": [ref(n) for n in found],
                             "uco-action:startTime": typed(run.started_at.isoformat(), "dateTime")}
    if run.finished_at is not None:
        props["uco-action:endTime"] = typed(run.finished_at.isoformat(), "dateTime")
    nodes.append(node("case-investigation:InvestigativeAction", "triage-run", case_ref, run.id, **props))
    nodes.append(node("case-investigation:Investigation", "investigation", case_ref, **{
        "uco-core:name": case_ref, "uco-core:object": [ref(nodes[-1]), *(ref(n) for n in evidence.values())]}))
    audit.record(session, actor, "export.case", case_ref=case_ref, target=f"run {run.id}", files=len(found))
    return nodes
