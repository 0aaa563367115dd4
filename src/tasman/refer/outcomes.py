"""Outcomes travel back as small signed documents.

The recipient (``tasman outcome report``) writes a report about subjects (or money-trail
parties, by their ``P-`` reference) of a package it received, signed with its Ed25519 key,
numbered with a sequence per package series and carrying a random nonce. The sender
(``tasman outcome import``) accepts it only when the signature is good, the signing key is the
one its agency directory holds for the agency the package went to, and the report is new: a
nonce or report id seen before, or a sequence not above the last one imported from that agency
for that series, is refused as a replay.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core import audit, safejson
from tasman.core.errors import InputError, IntegrityError, NotFoundError, reason
from tasman.core.timeutil import iso, utcnow
from tasman.evidence import get_case
from tasman.refer import agencies
from tasman.refer.container import verify_signature
from tasman.refer.document import AgencyInfo, Frozen, canonical_json
from tasman.refer.keys import LocalKeys, fingerprint
from tasman.refer.models import Outcome, OutcomeReport, ReferralPackage
from tasman.refer.service import received

MAX_OUTCOME_BYTES = 1 << 20   # a report of a few hundred items is tens of kilobytes
MAX_OUTCOME_DEPTH = 16        # a report nests 4 deep

STATUSES = ("acknowledged", "investigation_opened", "search_executed", "arrested", "charged", "convicted",
            "children_safeguarded", "no_further_action")
Status = Literal["acknowledged", "investigation_opened", "search_executed", "arrested", "charged", "convicted",
                 "children_safeguarded", "no_further_action"]


class OutcomeItem(Frozen):
    subject_ref: str = Field(description="a subject of the package (S-...) or one of its money-trail parties (P-...)")
    status: Status
    date: date
    children_safeguarded: int | None = Field(default=None, ge=0)
    note: str = ""

    @model_validator(mode="after")
    def _count(self) -> OutcomeItem:
        if self.status == "children_safeguarded" and self.children_safeguarded is None:
            raise ValueError("children_safeguarded needs a count")
        return self


class OutcomeReportDoc(Frozen):
    schema_version: Literal["1.0"] = "1.0"
    report_id: str
    package_id: str
    series: str
    reporter: AgencyInfo
    sequence: int = Field(ge=1)
    nonce: str = Field(min_length=32)
    created_at: str
    items: list[OutcomeItem] = Field(min_length=1)


class SignedOutcome(Frozen):
    report: OutcomeReportDoc
    public_key: str
    signature: str


def package_refs(document: dict[str, Any]) -> set[str]:
    """What outcomes can be about: the package's subjects and (schema 1.2) its money-trail parties."""
    refs = {str(s["ref"]) for s in document.get("subjects", [])}
    return refs | {str(p["ref"]) for p in document.get("money_parties", []) if p.get("ref")}


def report_outcome(session: Session, actor: str, case_ref: str, package_id: str, items: list[dict[str, Any]],
                   keys: LocalKeys) -> SignedOutcome:
    """Recipient side: sign a report about subjects or money-trail parties of a package received
    into ``case_ref``."""
    pkg = received(session, case_ref, package_id)
    refs = package_refs(pkg.document)
    try:
        parsed = [OutcomeItem.model_validate(i) for i in items]
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"outcome: {'.'.join(map(str, err['loc'])) or 'item'}: {err['msg']}") from exc
    for item in parsed:
        if item.subject_ref not in refs:
            raise InputError(f"subject or party {item.subject_ref!r} is not in package {package_id!r}")
        if item.date > date.today():
            raise InputError(f"outcome date {item.date.isoformat()} is in the future")
    last = session.scalar(select(func.max(OutcomeReport.sequence)).where(
        OutcomeReport.direction == "out", OutcomeReport.series == pkg.series, OutcomeReport.agency == pkg.sender))
    doc = OutcomeReportDoc(report_id=uuid.uuid4().hex, package_id=package_id, series=pkg.series,
                           reporter=AgencyInfo(name=keys.name, countries=list(keys.countries), contact=keys.contact,
                                               key_fingerprint=keys.fingerprint),
                           sequence=(last or 0) + 1, nonce=secrets.token_hex(16), created_at=iso(utcnow()),
                           items=parsed)
    signed = SignedOutcome(report=doc, public_key=keys.public_key,
                           signature=keys.sign(canonical_json(doc.model_dump(mode="json"))))
    session.add(OutcomeReport(case_id=pkg.case_id, direction="out", report_id=doc.report_id, package_id=package_id,
                              series=pkg.series, agency=pkg.sender, signer_fingerprint=keys.fingerprint,
                              sequence=doc.sequence, nonce=doc.nonce, document=signed.model_dump(mode="json"),
                              recorded_by=actor))
    session.flush()
    audit.record(session, actor, "outcome.report", case_ref=case_ref, target=package_id, report=doc.report_id,
                 sequence=doc.sequence, items=[(i.subject_ref, i.status) for i in parsed])
    return signed


def _where(loc: tuple[int | str, ...]) -> str:
    """A validation error's field path and a colon, or nothing for an error of the whole document."""
    return f"{'.'.join(map(str, loc))}: " if loc else ""


def read_signed(path: Path) -> SignedOutcome:
    """A signed outcome report from outside: at most ``MAX_OUTCOME_BYTES``, read with a bounded
    read, its JSON through ``safejson`` (nesting limit), then validated."""
    data = safejson.read_bounded(path, MAX_OUTCOME_BYTES, "an outcome report")
    try:
        return SignedOutcome.model_validate(safejson.loads(data, max_depth=MAX_OUTCOME_DEPTH))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"{path.name} is not an outcome report: {_where(err['loc'])}{err['msg']}") \
            from exc
    except safejson.DepthError as exc:
        raise InputError(f"{path.name} is not an outcome report: {reason(exc)}") from exc
    except ValueError as exc:   # JSONDecodeError, UnicodeDecodeError
        raise InputError(f"{path.name} is not an outcome report: Invalid JSON ({reason(exc)})") from exc


def import_outcome(session: Session, actor: str, case_ref: str, path: Path) -> dict[str, Any]:
    """Sender side: verify, refuse replays, record each item."""
    case = get_case(session, case_ref)
    signed = read_signed(path)
    doc = signed.report
    verify_signature(signed.public_key, signed.signature.encode("ascii"), canonical_json(doc.model_dump(mode="json")),
                f"{path.name}")
    fp = fingerprint(signed.public_key)
    agency = agencies.by_fingerprint(session, fp)
    if agency is None:
        raise IntegrityError(f"{path.name} is signed by key {fp}, which is not in the agency directory")
    pkg = session.scalar(select(ReferralPackage).where(ReferralPackage.case_id == case.id,
                                                       ReferralPackage.package_id == doc.package_id))
    if pkg is None:
        raise NotFoundError(f"{path.name} reports on package {doc.package_id!r}, which case {case_ref!r} never sent")
    if pkg.agency != agency.name:
        raise IntegrityError(f"{path.name} is signed by {agency.name!r}, but {doc.package_id} went to {pkg.agency!r}")
    seen = session.scalar(select(OutcomeReport).where(OutcomeReport.direction == "in").where(
        (OutcomeReport.nonce == doc.nonce) | (OutcomeReport.report_id == doc.report_id)))
    if seen is not None:
        raise IntegrityError(f"replay refused: outcome report {doc.report_id} (sequence {doc.sequence}) "
                             f"was already imported")
    last = session.scalar(select(func.max(OutcomeReport.sequence)).where(
        OutcomeReport.direction == "in", OutcomeReport.series == doc.series, OutcomeReport.agency == agency.name))
    if last is not None and doc.sequence <= last:
        raise IntegrityError(f"replay refused: sequence {doc.sequence} from {agency.name!r} for {doc.series} is not "
                             f"after the last imported ({last})")
    sent_refs = {r for d in session.scalars(select(ReferralPackage.document).where(
        ReferralPackage.case_id == case.id, ReferralPackage.country == pkg.country)) for r in package_refs(d)}
    unknown = sorted({i.subject_ref for i in doc.items} - sent_refs)
    if unknown:
        raise InputError(f"{path.name}: subject or party {unknown[0]!r} was never referred to {pkg.country}")
    row = OutcomeReport(case_id=case.id, direction="in", report_id=doc.report_id, package_id=doc.package_id,
                        series=doc.series, agency=agency.name, signer_fingerprint=fp, sequence=doc.sequence,
                        nonce=doc.nonce, document=json.loads(signed.model_dump_json()), recorded_by=actor)
    session.add(row)
    session.flush()
    for i in doc.items:
        session.add(Outcome(report_id=row.id, case_id=case.id, country=pkg.country, series=doc.series,
                            subject_ref=i.subject_ref, status=i.status, on=i.date,
                            children_safeguarded=i.children_safeguarded, note=i.note))
    session.flush()
    audit.record(session, actor, "outcome.import", case_ref=case_ref, target=doc.package_id, report=doc.report_id,
                 agency=agency.name, sequence=doc.sequence, items=[(i.subject_ref, i.status) for i in doc.items])
    return {"report_id": doc.report_id, "package_id": doc.package_id, "agency": agency.name,
            "sequence": doc.sequence, "items": len(doc.items)}


def outcome_schema() -> dict[str, Any]:
    out = SignedOutcome.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["$id"] = "https://tasman.invalid/schemas/outcome-report-1.0.json"
    return out
