"""CASE/UCO export of a triage run (tasman.triage.caseuco), validated with case-utils' SHACL
validation (case_validate, offline: it bundles the CASE/UCO ontologies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasman.core.caseuco import write_document
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.synth.triage_set import TriageSet
from tasman.triage.caseuco import run_nodes
from tasman.triage.run import TriageOptions, run_triage
from tests.triage.conftest import FakeMatcher

case_validate = pytest.importorskip("case_utils.case_validate")
# pyshacl builds an rdflib ConjunctiveGraph and case-utils reads its ontologies with
# importlib.resources' legacy calls: both deprecated upstream, neither ours to fix
pytestmark = [pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.* is deprecated. Use files:DeprecationWarning")]


def test_triage_run_as_case_uco_conforms(ws: Workspace, triage_set: TriageSet, fake_matcher: FakeMatcher,
                                         tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "T-1")
    run_triage(ws, "T-1", [triage_set.items[k] for k in ("folder", "archive")], TriageOptions(workers=0),
               matcher=fake_matcher)
    out = tmp_path / "run.jsonld"
    with ws.session() as s:
        write_document(out, run_nodes(s, ws.actor, "T-1"))
    result = case_validate.validate(str(out))
    assert result.conforms, result.text
    graph = json.loads(out.read_text())["@graph"]
    action = next(n for n in graph if n["@type"] == "case-investigation:InvestigativeAction")
    exact = {p for p, t in triage_set.expected.items() if t == "exact" and p.startswith(("uploads/", "backup.zip"))}
    paths = {f["uco-observable:filePath"] for n in graph if n["@id"] in {r["@id"] for r in action["uco-action:result"]}
             for f in n["uco-core:hasFacet"] if f["@type"] == "uco-observable:FileFacet"}
    assert paths == exact
    inner = max(paths, key=lambda p: p.count("!/"))
    rels = [n for n in graph if n["@type"] == "uco-observable:ObservableRelationship"]
    by_id = {n["@id"]: n for n in graph}

    def path_of(i: str) -> str:
        return next(f.get("uco-observable:filePath", f["uco-observable:fileName"])
                    for f in by_id[i]["uco-core:hasFacet"] if f["@type"] == "uco-observable:FileFacet")

    up = {r["uco-core:source"][0]["@id"]: r["uco-core:target"]["@id"] for r in rels}
    at = next(i for i in by_id if by_id[i]["@type"] == "uco-observable:File" and i.startswith("kb:artifact-")
              and path_of(i) == inner)
    walk = [path_of(at)]
    while at in up and len(walk) < 10:
        at = up[at]
        walk.append(path_of(at))
    parts = inner.split("!/")    # each container within the one around it, the outermost within its evidence
    assert walk[:-1] == ["!/".join(parts[:i]) for i in range(len(parts), 0, -1)]
    assert walk[-1] == parts[0].split("/")[0] and inner.count("!/") == 2


def test_a_wrong_shape_is_reported_with_its_node(tmp_path: Path) -> None:
    out = tmp_path / "bad.jsonld"
    write_document(out, [{"@id": "kb:file-00000000-0000-0000-0000-000000000001", "@type": "uco-observable:File",
                          "uco-core:hasFacet": [{"@id": "kb:facet-00000000-0000-0000-0000-000000000002",
                                                 "@type": "uco-observable:FileFacet",
                                                 "uco-observable:sizeInBytes": "many"}]}])
    result = case_validate.validate(str(out))
    assert not result.conforms and "kb:facet-00000000-0000-0000-0000-000000000002" in result.text
