"""A referral package's subjects as CASE/UCO nodes (``tasman export case --referral``), of a
package the case sent or one another agency sent it (imported with ``package import``): each
subject a ``uco-identity:Person`` (its name when the package has one), each of its identifiers an
observable with its facet (``EmailAddress``, ``PhoneAccount``, ``ApplicationAccount`` for a
handle with its ``Application``, ``IPv4Address``/``IPv6Address``, ``URL``, ``DomainName``,
``Account`` for IBAN and PayPal, ``DigitalAddress`` for BTC/ETH, ``PaymentCard``), tied to its
subject by a ``uco-core:Relationship`` (``Linked_To``: Tasman's linking, not proof of use), and
the package's provenance: a ``ProvenanceRecord`` (exhibit number: the package id) and the
``InvestigativeAction`` that made it, performed by the sender (``uco-identity:Organization``)
with the package's generator as its instrument.

Guarantee (minimal disclosure): every value comes from the frozen ``PackageDocument`` as it was
sent (``ReferralPackage.document``; for a received one ``ReceivedPackage.document``, as it came,
with how it came in), so the export says no more than the package did: no
records, evidence paths, money parties or attribution reasons, only subjects' references,
names, countries and identifiers. A kind with no UCO home (MTCN) is counted in the person's
description, never dropped in silence. IRIs derive from the package id and subject reference,
so two exports of one package join."""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.caseuco import Node, iri, node, ref, tool_node, typed
from tasman.core.errors import InputError, IntegrityError, NotFoundError
from tasman.evidence import get_case
from tasman.refer.agencies import parse_countries
from tasman.refer.document import IdentifierEntry, PackageDocument, SubjectEntry
from tasman.refer.models import ReceivedPackage, ReferralPackage

LINK = "Linked_To"      # the subject's identifier as Tasman's linking found it (suspect, not proof)
# identifier type -> (observable class, facet class, facet property)
_DIGITAL = ("uco-observable:DigitalAddress", "uco-observable:DigitalAddressFacet", "uco-observable:addressValue")
ADDRESSES = {
    "email": ("uco-observable:EmailAddress", "uco-observable:EmailAddressFacet", "uco-observable:addressValue"),
    "btc": _DIGITAL, "eth": _DIGITAL,
    "url": ("uco-observable:URL", "uco-observable:URLFacet", "uco-observable:fullValue"),
    "domain": ("uco-observable:DomainName", "uco-observable:DomainNameFacet", "uco-observable:value"),
    "phone": ("uco-observable:PhoneAccount", "uco-observable:PhoneAccountFacet", "uco-observable:phoneNumber"),
}
ACCOUNTS = {"iban": "uco-observable:Account", "paypal": "uco-observable:Account", "card": "uco-observable:PaymentCard"}


def _facet(key: str, typ: str, **props: Any) -> Node:
    return {"@id": iri("facet", key, typ), "@type": typ, **props}


def identifier_nodes(package_id: str, ident: IdentifierEntry) -> list[Node] | None:
    """The observable for one identifier (first) and any node it needs (a handle's application);
    None for a kind UCO has no class for."""
    key = f"{package_id}/{ident.type}:{ident.value}"
    tags = {"uco-core:tag": [f"tasman:{ident.type}"]}
    if ident.type == "ip":
        try:
            v6 = ipaddress.ip_address(ident.value).version == 6
        except ValueError:
            return None
        cls = "uco-observable:IPv6Address" if v6 else "uco-observable:IPv4Address"
        return [node(cls, "identifier", key, **tags, **{"uco-core:hasFacet": [
            _facet(key, cls + "Facet", **{"uco-observable:addressValue": ident.value})]})]
    if ident.type in ADDRESSES:
        cls, facet, prop = ADDRESSES[ident.type]
        return [node(cls, "identifier", key, **tags,
                     **{"uco-core:hasFacet": [_facet(key, facet, **{prop: ident.value})]})]
    if ident.type == "handle":
        platform, sep, name = ident.value.partition(":")
        if not sep:
            platform, name = "", ident.value
        facets = [_facet(key, "uco-observable:AccountFacet", **{"uco-observable:accountIdentifier": name})]
        extra: list[Node] = []
        if platform:
            app = node("uco-observable:Application", "application", platform, **{"uco-core:name": platform})
            facets.append(_facet(key, "uco-observable:ApplicationAccountFacet",
                                 **{"uco-observable:application": ref(app)}))
            extra.append(app)
        return [node("uco-observable:ApplicationAccount", "identifier", key, **tags,
                     **{"uco-core:hasFacet": facets}), *extra]
    if ident.type in ACCOUNTS:
        return [node(ACCOUNTS[ident.type], "identifier", key, **tags, **{"uco-core:hasFacet": [
            _facet(key, "uco-observable:AccountFacet", **{"uco-observable:accountIdentifier": ident.value})]})]
    return None


def _subject_nodes(doc: PackageDocument, s: SubjectEntry, left_out: Counter[str]) -> list[Node]:
    person_id = iri("person", doc.package_id, s.ref)
    nodes: list[Node] = []
    missing: Counter[str] = Counter()
    for ident in s.identifiers:
        made = identifier_nodes(doc.package_id, ident)
        if made is None:
            missing[ident.type] += 1
            continue
        nodes.extend(made)
        nodes.append(node("uco-core:Relationship", "relationship", doc.package_id, s.ref, made[0]["@id"], LINK, **{
            "uco-core:source": [ref(made[0])], "uco-core:target": ref(person_id),
            "uco-core:kindOfRelationship": LINK, "uco-core:isDirectional": True}))
    conf = f"{s.attribution.confidence:.2f}" if s.attribution.confidence is not None else "n/a"
    desc = (f"Referral subject {s.ref} of case {doc.case_ref} in package {doc.package_id}, attributed to "
            f"{s.attribution.country} (confidence {conf}); a suspect, not a convicted person.")
    if missing:
        desc += " Not exported (no UCO class): " + ", ".join(f"{n} {t}" for t, n in sorted(missing.items())) + "."
        left_out.update(missing)
    props: dict[str, Any] = {"uco-core:description": desc, "uco-core:tag": [f"tasman:subject:{s.ref}"]}
    if s.name:
        props["uco-core:name"] = s.name
    return [{"@id": person_id, "@type": "uco-identity:Person", **props}, *nodes]


def package_nodes(doc: PackageDocument, received: str = "") -> tuple[list[Node], Counter[str]]:
    """The nodes of one package document, and the identifiers left out by kind; ``received``: how
    a package another agency sent came in (said in the provenance record)."""
    left_out: Counter[str] = Counter()
    sender = node("uco-identity:Organization", "agency", doc.sender.name, **{"uco-core:name": doc.sender.name})
    tool = tool_node(doc.generator.partition(" ")[2] or "unknown")     # "tasman 0.9.0": the package's maker
    nodes: list[Node] = [sender, tool]
    persons: list[Node] = []
    found: list[Node] = []
    for s in doc.subjects:
        made = _subject_nodes(doc, s, left_out)
        persons.append(made[0])
        found.extend(n for n in made[1:] if n["@type"] != "uco-core:Relationship")
        nodes.extend(made)
    handling = f"TLP:{doc.tlp.upper()}. {doc.handling}"
    record = node("case-investigation:ProvenanceRecord", "provenance", doc.package_id, **{
        "case-investigation:exhibitNumber": doc.package_id,
        "uco-core:description": f"Referral package {doc.package_id} (version {doc.version}) of case {doc.case_ref} "
                                f"from {doc.sender.name} to {doc.recipient.name} ({doc.country}). {handling}"
                                + (f" {received}" if received else ""),
        "uco-core:object": [ref(n) for n in persons] or [ref(sender)]})
    action = node("case-investigation:InvestigativeAction", "referral", doc.package_id, **{
        "uco-core:name": f"referral package {doc.package_id}",
        "uco-action:performer": ref(sender), "uco-action:instrument": ref(tool),
        "uco-action:result": [ref(record), *(ref(n) for n in persons), *(ref(n) for n in found)],
        "uco-action:startTime": typed(doc.created_at, "dateTime")})
    nodes += [record, action, node("case-investigation:Investigation", "investigation", doc.case_ref, **{
        "uco-core:name": doc.case_ref, "uco-core:object": [ref(action), ref(record)]})]
    return nodes, left_out


def _document(package_id: str, document: dict[str, Any]) -> PackageDocument:
    try:
        return PackageDocument.model_validate(document)
    except ValidationError as exc:
        raise IntegrityError(f"the stored document of {package_id} does not read as a package: "
                             f"{exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


def received_package(session: Session, case_ref: str, package_id: str) -> tuple[PackageDocument, str] | None:
    """A package another agency sent, as imported into the case, and a line on how it came in."""
    case = get_case(session, case_ref)
    row = session.scalar(select(ReceivedPackage).where(ReceivedPackage.case_id == case.id,
                                                       ReceivedPackage.package_id == package_id))
    if row is None:
        return None
    return _document(row.package_id, row.document), (
        f"Received into case {case_ref} on {row.received_at:%Y-%m-%d} by {row.received_by} "
        f"(package file SHA-256 {row.file_sha256}, sender key {row.sender_fingerprint}).")


def package_document(session: Session, case_ref: str, package_id: str | None = None,
                     country: str | None = None) -> PackageDocument:
    """The document of a package the case sent: by its id, or the latest version for a country."""
    case = get_case(session, case_ref)
    q = select(ReferralPackage).where(ReferralPackage.case_id == case.id)
    if package_id is not None:
        row = session.scalar(q.where(ReferralPackage.package_id == package_id))
        what = f"package {package_id!r}"
    elif country is not None:
        cc = parse_countries([country])[0]
        row = session.scalar(q.where(ReferralPackage.country == cc).order_by(ReferralPackage.version.desc()).limit(1))
        what = f"package for {cc}"
    else:
        raise InputError("give a package id or a country")
    if row is None:
        raise NotFoundError(f"case {case_ref!r} sent no {what} (see 'tasman package list --case {case_ref}')")
    return _document(row.package_id, row.document)


def referral_nodes(session: Session, actor: str, case_ref: str, package_id: str | None = None,
                   country: str | None = None) -> tuple[list[Node], Counter[str]]:
    """The CASE/UCO nodes of a package the case sent or (by its id) received, with the export's
    audit entry."""
    got = received_package(session, case_ref, package_id) if package_id is not None else None
    if got is None:
        try:
            doc, how = package_document(session, case_ref, package_id, country), ""
        except NotFoundError:
            if package_id is None:
                raise
            raise NotFoundError(f"case {case_ref!r} sent or received no package {package_id!r} "
                                f"(see 'tasman package list --case {case_ref}')") from None
    else:
        doc, how = got
    nodes, left_out = package_nodes(doc, how)
    audit.record(session, actor, "export.case", case_ref=case_ref, target=f"package {doc.package_id}",
                 received=bool(how), subjects=[s.ref for s in doc.subjects], left_out=dict(left_out))
    return nodes, left_out
