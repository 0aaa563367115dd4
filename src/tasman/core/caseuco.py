"""CASE/UCO JSON-LD building blocks (https://caseontology.org): the context, stable node IRIs,
files with their hashes, relationships, and the document writer, shared by the stages that add
their nodes (``triage.caseuco``: a triage run; ``refer.exports.case_uco``: referral subjects).

Guarantee: the same case data gives the same IRIs (``kb:<kind>-<uuid5>``, UUIDs derived from
Tasman's own keys), so two exports of one case join in a graph store, and every node ends in a
UUID as UCO's shapes recommend. Plain JSON, no media: names, paths, hashes and identifiers."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tasman.core.errors import InputError

NAMESPACE = uuid.UUID("6f1c7c0e-3d59-5f1a-9a4f-7a61736d616e")     # Tasman's own, fixed
KB = "urn:tasman:kb:"
CONTEXT = {
    "kb": KB,
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
HASH_NAMES = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}

Node = dict[str, Any]


def iri(kind: str, *key: object) -> str:
    return f"kb:{kind}-{uuid.uuid5(NAMESPACE, '/'.join(str(k) for k in (kind, *key)))}"


def ref(n: Node | str) -> dict[str, str]:
    return {"@id": n if isinstance(n, str) else n["@id"]}


def node(typ: str, kind: str, *key: object, **props: Any) -> Node:
    return {"@id": iri(kind, *key), "@type": typ, **props}


def typed(value: object, xsd: str) -> dict[str, str]:
    return {"@type": f"xsd:{xsd}", "@value": str(value)}


def hashes_facet(key: str, hashes: dict[str, str | None]) -> Node | None:
    found = [{"@id": iri("hash", key, name), "@type": "uco-types:Hash",
              "uco-types:hashMethod": HASH_NAMES[name],        # xsd:string since UCO 1.4
              "uco-types:hashValue": typed(value.upper(), "hexBinary")}
             for name, value in hashes.items() if value and name in HASH_NAMES]
    if not found:
        return None
    return {"@id": iri("content-facet", key), "@type": "uco-observable:ContentDataFacet", "uco-observable:hash": found}


def file_node(kind: str, key: object, name: str, size: int | None, hashes: dict[str, str | None],
              path: str | None = None) -> Node:
    """A ``uco-observable:File`` with its name, size, ``!/`` path and hashes."""
    facet: Node = {"@id": iri("file-facet", kind, key), "@type": "uco-observable:FileFacet",
                   "uco-observable:fileName": name}
    if path:
        facet["uco-observable:filePath"] = path
    if size is not None:
        facet["uco-observable:sizeInBytes"] = typed(size, "integer")
    facets = [facet]
    content = hashes_facet(f"{kind}/{key}", hashes)
    if content is not None:
        facets.append(content)
    return node("uco-observable:File", kind, key, **{"uco-core:hasFacet": facets})


def relationship(key: object, source: Node | str, target: Node | str, kind: str) -> Node:
    """A directed ``uco-observable:ObservableRelationship`` (``Contained_Within``, ``Has_Account`` ...)."""
    return node("uco-observable:ObservableRelationship", "relationship", key, kind, **{
        "uco-core:source": [ref(source)], "uco-core:target": ref(target),
        "uco-core:kindOfRelationship": kind,
        "uco-core:isDirectional": True})


def tool_node(version: str) -> Node:
    return node("uco-tool:Tool", "tool", "tasman", version, **{
        "uco-core:name": "Tasman", "uco-tool:version": version, "uco-tool:toolType": "forensic triage and referral"})


def document(nodes: Iterable[Node]) -> dict[str, Any]:
    seen: dict[str, Node] = {}
    for n in nodes:
        seen.setdefault(n["@id"], n)        # a node two parts both give (the tool) once
    return {"@context": CONTEXT, "@graph": list(seen.values())}


def write_document(out: Path, nodes: Iterable[Node]) -> int:
    """Write the JSON-LD document through a temporary file; the number of nodes."""
    doc = document(nodes)
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
    return len(doc["@graph"])
