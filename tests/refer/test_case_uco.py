"""CASE/UCO export of a sent referral package (tasman.refer.exports.case_uco), validated with
case-utils' SHACL validation (case_validate, offline: it bundles the CASE/UCO ontologies)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tasman.core.caseuco import write_document
from tasman.core.errors import NotFoundError
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.refer import agencies
from tasman.refer.document import IdentifierEntry, PackageDocument
from tasman.refer.exports.case_uco import identifier_nodes, package_document, referral_nodes
from tasman.refer.models import ReceivedPackage
from tasman.refer.service import import_package
from tests.refer.conftest import Sent

case_validate = pytest.importorskip("case_utils.case_validate")
# pyshacl builds an rdflib ConjunctiveGraph and case-utils reads its ontologies with
# importlib.resources' legacy calls: both deprecated upstream, neither ours to fix
pytestmark = [pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.* is deprecated. Use files:DeprecationWarning"),
              pytest.mark.usefixtures("one_case_ontology")]

VALUE_KEYS = ("uco-observable:addressValue", "uco-observable:phoneNumber", "uco-observable:accountIdentifier",
              "uco-observable:fullValue", "uco-observable:value")


def _export(sent: Sent, out: Path, **which: str) -> tuple[list[dict[str, Any]], PackageDocument]:
    with sent.ws.session() as s:
        nodes, _ = referral_nodes(s, sent.ws.actor, "OP-1", **which)
        doc = package_document(s, "OP-1", **which)
        write_document(out, nodes)
    return json.loads(out.read_text())["@graph"], doc


def _facet_values(graph: list[dict[str, Any]]) -> set[str]:
    return {f[k] for n in graph for f in n.get("uco-core:hasFacet", []) for k in VALUE_KEYS if k in f}


@pytest.mark.parametrize("cc", ["NL", "DE"])
def test_a_packages_subjects_as_case_uco_conform(sent: Sent, tmp_path: Path, cc: str) -> None:
    out = tmp_path / f"{cc}.jsonld"
    graph, doc = _export(sent, out, country=cc)
    result = case_validate.validate(str(out))
    assert result.conforms, result.text
    persons = [n for n in graph if n["@type"] == "uco-identity:Person"]
    assert sorted(p.get("uco-core:name", "") for p in persons) == sorted(s.name for s in doc.subjects)
    # every identifier the package holds, as the facet value of its own observable
    idents = {i.value for s in doc.subjects for i in s.identifiers}
    values = _facet_values(graph)
    assert values == {v.partition(":")[2] if v.startswith("skype:") else v for v in idents}
    rels = [n for n in graph if n["@type"] == "uco-core:Relationship"]
    assert len(rels) == sum(len(s.identifiers) for s in doc.subjects)
    assert {r["uco-core:target"]["@id"] for r in rels} == {p["@id"] for p in persons}
    record = next(n for n in graph if n["@type"] == "case-investigation:ProvenanceRecord")
    assert record["case-investigation:exhibitNumber"] == doc.package_id == f"OP-1-{cc}-v1"
    action = next(n for n in graph if n["@type"] == "case-investigation:InvestigativeAction")
    by_id = {n["@id"]: n for n in graph}
    assert by_id[action["uco-action:performer"]["@id"]]["uco-core:name"] == "Hotline Unit"
    assert by_id[action["uco-action:instrument"]["@id"]]["uco-core:name"] == "Tasman"


def test_only_what_the_package_holds(sent: Sent, tmp_path: Path) -> None:
    graph, doc = _export(sent, tmp_path / "nl.jsonld", package_id="OP-1-NL-v1")
    text = (tmp_path / "nl.jsonld").read_text()
    assert "Jan de Vries" in text and "Ana Reyes" not in text and "Max Muster" not in text
    body = json.dumps(doc.model_dump(mode="json"))
    assert all(v in body for v in _facet_values(graph))       # nothing the package does not say
    for s in doc.subjects:                  # records and evidence stay in the package
        for rec in s.records:
            for v in rec.fields.values():
                if isinstance(v, str) and len(v) > 6 and v not in {i.value for i in s.identifiers} | {s.name}:
                    assert v not in text, v
        assert all(e.path not in text for e in s.evidence)


def test_handles_ips_and_kinds_without_a_class() -> None:
    handle = identifier_nodes("P-1", IdentifierEntry(type="handle", value="telegram:someone", sources=[]))
    assert handle is not None and handle[0]["@type"] == "uco-observable:ApplicationAccount"
    assert handle[1]["@type"] == "uco-observable:Application" and handle[1]["uco-core:name"] == "telegram"
    ip6 = identifier_nodes("P-1", IdentifierEntry(type="ip", value="2001:db8::1", sources=[]))
    assert ip6 is not None and ip6[0]["@type"] == "uco-observable:IPv6Address"
    assert identifier_nodes("P-1", IdentifierEntry(type="mtcn", value="1234567890", sources=[])) is None


def test_a_wrong_shape_names_the_offending_node(sent: Sent, tmp_path: Path) -> None:
    out = tmp_path / "nl.jsonld"
    graph, _ = _export(sent, out, country="NL")
    phone = next(n for n in graph if n["@type"] == "uco-observable:PhoneAccount")
    facet = phone["uco-core:hasFacet"][0]
    facet["uco-observable:phoneNumber"] = [facet["uco-observable:phoneNumber"], "+31000000000"]   # maxCount 1
    write_document(out, graph)
    result = case_validate.validate(str(out))
    assert not result.conforms and facet["@id"] in result.text


def test_cli_exports_a_package_and_refuses_two_sources(sent: Sent, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "de.jsonld"
    r = run_cli("-w", sent.ws.root, "export", "case", "--case", "OP-1", "--country", "Germany", "--out", out)
    assert r.exit_code == 0, r.output
    assert "Max Muster" in out.read_text()
    r = run_cli("-w", sent.ws.root, "export", "case", "--case", "OP-1", "--run", "1", "--referral", "OP-1-DE-v1",
                "--out", out)
    assert r.exit_code == 5 and "--run, --referral" in r.stderr
    r = run_cli("-w", sent.ws.root, "export", "case", "--case", "OP-1", "--referral", "OP-1-XX-v9", "--out", out)
    assert r.exit_code != 0 and "OP-1-XX-v9" in r.stderr and "Traceback" not in r.output


def test_a_received_package_as_case_uco(sent: Sent, tmp_path: Path) -> None:
    """The partner who imported the package exports it too: the same subjects and identifiers,
    the sender as performer, and how it came in (the receiving case, the file's SHA-256)."""
    root, theirs = sent.partners["PH"]
    w = Workspace.init(root / "ws", actor="ph-officer")
    try:
        with w.session() as s:
            create_case(s, w.actor, "PH-2024-7")
            agencies.add_agency(s, w.actor, "Hotline Unit", ["GB"], sent.keys.age_recipient, sent.keys.public_key)
            import_package(s, w.actor, "PH-2024-7", sent.package("PH"), theirs.age_identity)
        out = tmp_path / "received.jsonld"
        with w.session() as s:
            nodes, _ = referral_nodes(s, w.actor, "PH-2024-7", package_id="OP-1-PH-v1")
            write_document(out, nodes)
            sha = s.scalars(select(ReceivedPackage)).one().file_sha256
            with pytest.raises(NotFoundError, match="sent or received no package 'OP-1-XX-v1'"):
                referral_nodes(s, w.actor, "PH-2024-7", package_id="OP-1-XX-v1")
        result = case_validate.validate(str(out))
        assert result.conforms, result.text
        graph = json.loads(out.read_text())["@graph"]
        with sent.ws.session() as s:
            doc = package_document(s, "OP-1", package_id="OP-1-PH-v1")
        persons = [n for n in graph if n["@type"] == "uco-identity:Person"]
        assert sorted(p.get("uco-core:name", "") for p in persons) == sorted(x.name for x in doc.subjects)
        record = next(n for n in graph if n["@type"] == "case-investigation:ProvenanceRecord")
        said = record["uco-core:description"]
        assert "Received into case PH-2024-7" in said and sha in said
        with w.session() as s:
            entry = s.scalars(select(AuditEvent).where(AuditEvent.action == "export.case")).one()
            assert json.loads(entry.details)["received"] is True
    finally:
        w.close()
