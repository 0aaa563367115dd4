"""The referral package document: one frozen, versioned pydantic model that every renderer
(JSON, HTML and PDF dossier, MISP, FollowTheMoney, CSV) works from.

Its JSON Schema is published in ``docs/schemas/referral-package.schema.json`` (``tasman package
schema`` prints it; a test keeps the file current). Changing the document means raising
``SCHEMA_VERSION``: minor for additions a newer reader can take from an older document (1.1
added ``money_parties``, 1.2 their ``ref``; older documents still validate), major for anything else.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Literal["1.2"] = "1.2"
SchemaVersion = Literal["1.0", "1.1", "1.2"]  # what this reader accepts
Tlp = Literal["clear", "green", "amber", "amber+strict", "red"]
TLPS: tuple[str, ...] = ("clear", "green", "amber", "amber+strict", "red")
FieldValue = str | int | float | bool | None | list[str]

HANDLING = {
    "clear": "TLP:CLEAR. No restriction on disclosure beyond applicable law.",
    "green": "TLP:GREEN. Share within your community, not publicly.",
    "amber": ("TLP:AMBER. Law-enforcement sensitive: for the receiving agency and those in it who need to know "
              "to act on it. Not for onward disclosure without the sender's agreement. Subjects are suspects, "
              "not convicted persons."),
    "amber+strict": ("TLP:AMBER+STRICT. Law-enforcement sensitive: the receiving agency only. Not for onward "
                     "disclosure. Subjects are suspects, not convicted persons."),
    "red": "TLP:RED. For the named recipients only. Not for disclosure. Subjects are suspects.",
}


# A package id names the folder a received package is opened into: letters, digits, '.', '_' and
# '-', starting with a letter or digit (so never '.', '..' or a path). What ``refer`` builds,
# ``CASE-CC-vN``, always fits, since a case reference is at most 64 such characters.
PACKAGE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgencyInfo(Frozen):
    name: str
    countries: list[str] = Field(default_factory=list)
    contact: str = ""
    key_fingerprint: str | None = None


class Reason(Frozen):
    signal: str
    value: str
    detail: str
    points: float
    sources: list[str]


class Candidate(Frozen):
    country: str
    score: float
    confidence: float
    rank: int
    reasons: list[Reason]


class IgnoredNote(Frozen):
    signal: str
    value: str
    why: str
    sources: list[str]


class Attribution(Frozen):
    country: str = Field(description="ISO 3166-1 alpha-2 the subject is referred to")
    confidence: float | None = None
    conflict: bool = False
    ranked: list[Candidate] = Field(default_factory=list, description="every candidate country, conflicts included")
    ignored: list[IgnoredNote] = Field(default_factory=list, description="evidence that carried no weight, and why")


class IdentifierEntry(Frozen):
    type: str
    value: str
    country: str | None = None
    sources: list[str]


class RecordEntry(Frozen):
    ref: str = Field(description="the sender's reference: source#source_id")
    kind: str
    source: str
    source_id: str
    fields: dict[str, FieldValue]
    withheld: list[str] = Field(default_factory=list, description="fields left out for data minimisation")


class MatchRef(Frozen):
    hashset: str
    category: int | None = None
    category_name: str | None = None
    match_type: str
    hash_name: str
    distance: int = 0


class EvidenceRef(Frozen):
    """Where an identifier of the subject was found: references and hashes, never the media."""

    evidence: str
    evidence_sha256: str
    path: str
    size: int | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    via: list[str] = Field(default_factory=list, description="the subject's identifiers found in it (type:value)")
    matches: list[MatchRef] = Field(default_factory=list)


class SubjectEntry(Frozen):
    ref: str
    name: str = ""
    attribution: Attribution
    identifiers: list[IdentifierEntry] = Field(default_factory=list)
    records: list[RecordEntry] = Field(default_factory=list)
    evidence: list[EvidenceRef] = Field(default_factory=list)


class MoneyReason(Frozen):
    indicator: str
    weight: float
    strength: float
    points: float
    why: str = Field(description="counts and countries only: never another party's identifiers")


class MoneyPartyEntry(Frozen):
    """An alerted sender or beneficiary of the sender's latest money analysis whose country is
    the package's: its own identifiers, score and reasons, and the records they rest on."""

    role: Literal["beneficiary", "sender"]
    ref: str | None = Field(default=None, description="the party's stable reference (P-...), what outcome reports "
                                                      "name (schema 1.2; absent in 1.1 documents)")
    key: str = Field(description="the party's smallest identifier (account:, email:, phone: or name:)")
    name: str = ""
    country: str
    rank: int = Field(description="its rank among the analysis's parties of the same role")
    score: float
    transfers: int
    total_usd: float
    first_seen: str | None = None
    last_seen: str | None = None
    counterparties: int = 0
    subject_payers: int = 0
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list, description="refs of this package's subjects it belongs to")
    reasons: list[MoneyReason]
    records: list[str] = Field(default_factory=list, description="the sender's transfer records: source#source_id")


class PackageDocument(Frozen):
    """One country's referral: only that country's subjects and money parties, and what belongs
    to them."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    package_id: str = Field(pattern=PACKAGE_ID_PATTERN,
                            description="CASE-CC-vN, unique per sender; it names the folder a package opens into")
    series: str = Field(description="CASE-CC: every version of this country's package")
    version: int = Field(ge=1)
    supersedes: str | None = None
    created_at: str
    generator: str
    tlp: Tlp
    handling: str
    country: str
    case_ref: str
    sender: AgencyInfo
    recipient: AgencyInfo
    audit_head: str = Field(description="the sender's audit chain head when the package was built")
    subjects: list[SubjectEntry]
    money_parties: list[MoneyPartyEntry] = Field(
        default_factory=list, description="alerted money-trail parties of this country (schema 1.1)")

    def canonical(self) -> bytes:
        return canonical_json(self.model_dump(mode="json"))

    def content_digest(self) -> str:
        """SHA-256 of what the package says, without the fields that change with every build.

        A document without money parties is digested as the 1.0 document it could have been, so
        upgrading Tasman alone never makes a new version of an unchanged package."""
        skip = {"package_id", "version", "supersedes", "created_at", "generator", "audit_head"}
        if not self.money_parties:
            skip.add("money_parties")
        body = self.model_dump(mode="json", exclude=skip)
        if not self.money_parties:
            body["schema_version"] = "1.0"
        return hashlib.sha256(canonical_json(body)).hexdigest()


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def schema() -> dict[str, Any]:
    out = PackageDocument.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["$id"] = f"https://tasman.invalid/schemas/referral-package-{SCHEMA_VERSION}.json"
    return out
