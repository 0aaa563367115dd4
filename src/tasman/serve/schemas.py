"""The API's JSON documents (frozen pydantic models; they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from tasman.extract.identifiers import clean_country


class Doc(BaseModel):
    model_config = ConfigDict(frozen=True)


class Problem(Doc):
    detail: str


class Me(Doc):
    name: str
    role: str
    system: bool
    permissions: list[str]


class CaseOut(Doc):
    ref: str
    title: str
    created_at: str
    created_by: str


class CaseIn(Doc):
    ref: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    title: str = Field(default="", max_length=300)


class MemberIn(Doc):
    name: str = Field(min_length=1, max_length=120)


class MemberOut(Doc):
    name: str
    role: str


class EvidenceOut(Doc):
    id: int
    name: str
    kind: str
    sha256: str
    size: int
    files: int
    custodian: str
    acquired_at: str
    added_by: str


class RecordOut(Doc):
    id: int
    kind: str
    source: str
    source_id: str
    fields: dict[str, Any]


class Page(Doc):
    total: int
    offset: int
    limit: int


class RecordPage(Page):
    items: list[RecordOut]


class RecordImportOut(Doc):
    """One row of a case's import log (``tasman records list``)."""

    id: int
    kind: str
    source: str
    sha256: str
    size: int
    rows: int
    added: int
    updated: int
    unchanged: int
    skipped: int
    complete: bool = Field(description="Every row read was imported")
    warnings: int
    by: str
    at: str


class RecordUploadOut(Doc):
    """What an uploaded records file's import did (``tasman records import --json``, less server paths)."""

    kind: str
    source: str
    sha256: str = Field(description="SHA-256 of the file as it arrived; the server keeps it read-only")
    rows: int
    imported: int
    added: int
    updated: int
    unchanged: int
    skipped: int
    complete: bool
    warnings: list[str] = Field(description="One per skipped or doubtful row (the first 1000)")
    warning_count: int
    notes: list[str]
    mapping: dict[str, str | None] | None = Field(description="Column -> field, as given or guessed")
    mapping_guessed: bool
    mapping_saved: str | None = Field(description="The name a guessed mapping was saved under (to correct "
                                                  "and choose next time)")


class ObservationOut(Doc):
    id: int
    type: str
    value: str
    country: str | None
    path: str
    offset: int | None
    context: str
    extractor: str


class ObservationPage(Page):
    counts: dict[str, int]
    items: list[ObservationOut]


class SubjectOut(Doc):
    ref: str
    name: str
    status: str
    country: str | None
    confidence: float | None
    records: int
    identifiers: dict[str, list[str]]


class PartyOut(Doc):
    party: str = Field(description="SOURCE#ID[:ROLE], as 'tasman subject show' prints it")
    key: str = Field(description="RECORD_ID[:ROLE]: what a split names")
    kind: str
    role: str
    fields: dict[str, Any]


class LinkOut(Doc):
    a: str
    b: str
    rule: str
    match_weight: float
    probability: float
    explanation: dict[str, Any]


class StatedOut(Doc):
    """What a record says its person stated about themselves in free text (a chat counterpart's
    own line, a tip's quote of the reported user), as the extraction stage read it."""

    party: str = Field(description="the record it is in: SOURCE#ID, as in members")
    kind: str = Field(description="name, first_name, city (a gazetteer city), place (one it does not know) "
                                  "or country")
    value: str = Field(description="the name as written, a city's identifier (PL:poznan), a place's folded "
                                   "name, a country's ISO code")
    raw: str = Field(description="the words read in the text")
    pattern: str = Field(description="the pattern that read them (en:my-name-is, pl:mieszkam-w...)")
    name: str | None = Field(default=None, description="a place's name as written (read back from an "
                                                       "inflected form)")
    country: str | None = Field(default=None, description="a city's country")
    message: int | None = Field(default=None, description="a chat's message it is in (index in the session, "
                                                          "from 0)")
    where: str | None = Field(default=None, description="the field of a tip it is in (incident.description)")


class SubjectDetail(SubjectOut):
    members: list[PartyOut]
    links: list[LinkOut]
    stated: list[StatedOut] = Field(default_factory=list,
                                    description="what the person said about themselves, record by record")


class DecisionIn(Doc):
    kind: str = Field(pattern=r"^(confirm|split|merge)$")
    records: list[str] = Field(default_factory=list, max_length=10_000,
                               description="split: the parties to split off (RECORD_ID[:ROLE] or SOURCE#ID)")
    subjects: list[str] = Field(default_factory=list, max_length=1000,
                                description="merge: the subjects merged into this one")
    note: str = Field(default="", max_length=2000)


class DecisionOut(Doc):
    kind: str
    subjects: list[str] = Field(description="confirm: the subject; split: the one kept and the new one; "
                                            "merge: the one kept and those merged into it")


class GraphOut(Doc):
    nodes: list[dict[str, Any]] = Field(description="subjects (id ``s:REF``) and identifiers (id ``i:TYPE:VALUE``, "
                                                    "``subjects``: how many hold it, ``shared`` if more than one), "
                                                    "each with its place ``x``, ``y`` in the case's layout")
    edges: list[dict[str, Any]] = Field(description="subject holds identifier (``records``: in how many of its "
                                                    "records)")
    focus: str | None = Field(None, description="the node the view is centred on")
    left_out: int = Field(0, description="nodes not sent because the answer would be too large")
    stats: dict[str, Any] = Field(default_factory=dict, description="the whole case's counts, identifier kinds and "
                                                                    "countries; records in no subject")


class GraphHit(Doc):
    id: str
    kind: str
    label: str
    type: str = ""
    subjects: int = 0


MAX_WORKERS = 64
COUNTRY_CODES = sorted(c.alpha_2 for c in pycountry.countries)


def _say(message: str) -> PydanticCustomError:
    """A validation error whose message is shown to the user as it is."""
    return PydanticCustomError("tasman", message)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


def _region(value: str) -> str:
    country = clean_country(value.strip())
    if country is None:
        raise _say(f"unknown region {value[:64]!r}: use an ISO 3166 code such as GB")
    return str(country.value)


def _some(value: list[Any], what: str) -> list[Any]:
    if not value:
        raise _say(f"choose at least one {what}")
    return list(dict.fromkeys(value))


MAX_ID = 2**31 - 1          # every table's id is a 32-bit integer (PostgreSQL's INTEGER)
Workers = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=MAX_WORKERS)]


class JobParams(Doc):
    """What a job kind takes: the one check of a job's parameters, for the API and the pages
    alike (``tasman.serve.jobs.parse_params``). ``problems`` says in one line what a field that
    does not validate must be; a parameter another kind takes is refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    problems: ClassVar[dict[str, str]] = {}


class NoParams(JobParams):
    """``custody`` and ``money`` take nothing."""


class TriageParams(JobParams):
    problems: ClassVar[dict[str, str]] = {
        "evidence": "evidence must be a list of evidence item numbers",
        "hashsets": "hashsets must be a list of hash set names",
        "workers": f"workers must be a number from 0 to {MAX_WORKERS}"}
    evidence: Annotated[list[Annotated[int, BeforeValidator(_no_bool), Field(ge=1, le=MAX_ID)]],
                        AfterValidator(lambda v: _some(v, "evidence item"))] | None = Field(
        default=None, max_length=1000, description="ids of the case's evidence items (default: all of them)")
    hashsets: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]],
                        AfterValidator(lambda v: list(dict.fromkeys(v)))] | None = Field(
        default=None, max_length=100, description="names of imported hash sets (default: every one)")
    workers: Workers | None = Field(default=None, description="hashing processes (default: one per core)")


class ExtractParams(JobParams):
    problems: ClassVar[dict[str, str]] = {
        "region": "region must be a country code or name",
        "workers": f"workers must be a number from 0 to {MAX_WORKERS}"}
    region: Annotated[str, Field(max_length=64, json_schema_extra={"enum": COUNTRY_CODES}),
                      AfterValidator(_region)] | None = Field(
        default=None,
        description="the country (ISO 3166 code, or its name) national phone numbers in the evidence belong to")
    workers: Workers | None = Field(default=None, description="scanning processes (default: one per core; 0: none)")


class LinkParams(JobParams):
    problems: ClassVar[dict[str, str]] = {
        "threshold": "threshold must be a probability between 0 and 1 (exclusive)"}
    threshold: Annotated[float, BeforeValidator(_no_bool), Field(gt=0, lt=1)] | None = Field(
        default=None, description="match probability at which records are joined (default 0.95)")


def _job_schema(schema: dict[str, Any]) -> None:
    """One body per installed kind (the kinds registered when the schema is generated), so the
    schema says which parameters go with which kind."""
    from tasman.serve.jobs import KINDS

    variants = []
    for name, kind in sorted(KINDS.items()):
        params = kind.params.model_json_schema()
        params.pop("title", None)
        variants.append({"type": "object", "title": name, "required": ["kind"], "additionalProperties": False,
                         "properties": {"kind": {"type": "string", "enum": [name]}, "params": params}})
    for key in ("properties", "required", "type", "additionalProperties"):
        schema.pop(key, None)
    schema["oneOf"] = variants


class ValidationProblem(Doc):
    detail: str | list[dict[str, Any]] = Field(
        description="One line saying which parameter is wrong and why; a body that is not a job at all (no "
                    "kind, params not an object) gets the list of what is wrong with it")


class JobIn(Doc):
    """A job to queue: its kind and the parameters that kind takes (checked by the kind's
    parameter model when it is queued: 422 with one line saying what is wrong)."""

    model_config = ConfigDict(frozen=True, json_schema_extra=_job_schema)
    kind: str = Field(min_length=1, max_length=40)
    params: dict[str, Any] = Field(default_factory=dict)


class JobOut(Doc):
    id: int
    kind: str
    status: str
    done: int
    total: int | None
    message: str
    result: dict[str, Any]
    outcome: str = Field(description="A finished job's result in words (empty until it is done)")
    created_by: str
    created_at: str


class TriageRunOut(Doc):
    id: int
    status: str
    evidence: list[str]
    hashsets: list[str]
    started_by: str
    started_at: str
    finished_at: str | None
    counts: dict[str, int]


class TriageReviewIn(Doc):
    artifact_id: int = Field(ge=1, le=MAX_ID)
    decision: str = Field(pattern=r"^(confirmed|declined)$")
    note: str = Field(default="", max_length=2000)


class TriageReviewOut(Doc):
    id: int
    artifact_id: int
    path: str
    sha1: str | None
    decision: str = Field(description="confirmed | declined")
    note: str
    decided_by: str
    decided_at: str


class TriageOut(Doc):
    artifacts: int
    deleted: int
    by_type: dict[str, int]
    runs: list[TriageRunOut]
    latest_report: int | None = Field(description="The latest finished run: GET .../triage/runs/{id} has its report")
    jobs: list[JobOut]


class AuditOut(Doc):
    seq: int
    ts: str
    actor: str
    action: str
    case: str | None
    target: str
    details: dict[str, Any]


class CountryCount(Doc):
    country: str
    name: str
    subjects: int
    referred: int = 0
    packages: int = 0
    acknowledged: int = 0
    arrested: int = 0
    children_safeguarded: int = 0


class SummaryOut(Doc):
    subjects: int
    attributed: int
    packages: int
    arrested: int
    children_safeguarded: int
    countries: list[CountryCount]


class TipIn(Doc):
    what: str = Field(min_length=1, max_length=10_000)
    url: str = Field(default="", max_length=500)
    platform: str = Field(default="", max_length=500)
    username: str = Field(default="", max_length=500)
    seen_when: str = Field(default="", max_length=500)
    contact: str = Field(default="", max_length=500)


class TipReceipt(Doc):
    ref: str
    files: int
    match_status: str


class TipFileOut(Doc):
    size: int
    mime: str
    md5: str
    sha1: str
    sha256: str
    pdq: str | None
    matches: list[dict[str, Any]]


class TipOut(Doc):
    ref: str
    received_at: str
    what: str
    url: str
    platform: str
    username: str
    seen_when: str
    status: str
    match_status: str
    case: str | None
    files: list[TipFileOut] = Field(default_factory=list)


class TipImportIn(Doc):
    case: str = Field(min_length=1, max_length=64)


class UserIn(Doc):
    name: str = Field(min_length=1, max_length=120, pattern=r"^\S+$")
    role: str = Field(pattern=r"^(admin|examiner|analyst|liaison|auditor)$")
    password: str | None = Field(default=None, min_length=12, max_length=1000)
    system: bool = False


class UserOut(Doc):
    name: str
    role: str
    system: bool
    active: bool


class TokenOut(Doc):
    """An API token as listed: never the token itself (only its digest is kept)."""

    id: int
    user: str
    prefix: str = Field(description="the token's first characters, to tell tokens apart")
    label: str
    scopes: list[str]
    status: str = Field(description="active, expired or revoked")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
