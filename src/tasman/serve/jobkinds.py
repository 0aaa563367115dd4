"""The job kinds the web app runs, each a thin call of the library function the CLI calls, as the
user who started it:

- ``custody`` is ``tasman evidence verify``;
- ``triage`` is ``tasman triage EVIDENCE... --case CASE`` over evidence already recorded in the case;
- ``extract`` is ``tasman extract --case CASE``;
- ``link`` is ``tasman link --case CASE``;
- ``money`` is ``tasman money analyse --case CASE`` (default settings, files in ``out/CASE/money``).

Each kind names the pydantic model of its parameters (``tasman.serve.schemas``: the one
validation, for the API and the pages alike), checks them against what the case holds when it is
queued (bad input answers at once, not as a failed job later) and reads its page's start form.
A job hands back the stage's own result (``core.progress.StageResult``) and reports progress
through ``core.progress``: no kind has an adapter of its own for either.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tasman.accounts.roles import Perm
from tasman.core.errors import InputError, NotFoundError
from tasman.core.models import Case, Evidence, Record
from tasman.core.progress import Progress, stage_hook, ticks
from tasman.core.workspace import Workspace
from tasman.evidence.cases import get_case
from tasman.evidence.store import CustodyResult, verify_evidence
from tasman.extract.runner import RunSummary, extract_case
from tasman.link.run import LinkResult, link_case
from tasman.money.config import load_config
from tasman.money.run import AnalyseSummary, analyse_workspace
from tasman.serve.jobs import JobKind, register
from tasman.serve.models import Job
from tasman.serve.schemas import ExtractParams, LinkParams, TriageParams
from tasman.triage.match.loader import select_sets
from tasman.triage.run import TriageOptions, TriageResult, run_triage

LINK_STAGES = {"normalise": "reading and normalising the records", "rules": "applying the deterministic rules",
               "train": "training the model", "predict": "scoring record pairs",
               "cluster": "clustering records into subjects", "store": "storing the subjects"}
MONEY_STAGES = {"load": "reading the transfers", "analyse": "scoring senders and beneficiaries",
                "files": "writing the files", "store": "storing the run"}


def _case_ref(ws: Workspace, job: Job) -> str:
    with ws.session() as s:
        case = s.get(Case, job.case_id)
        assert case is not None
        return case.ref


def _as_user(ws: Workspace, job: Job) -> Workspace:
    """The workspace acting as the user who started the job (library calls audit ``ws.actor``)."""
    return dataclasses.replace(ws, actor=job.created_by)


def _count(session: Session, model: type[Evidence] | type[Record], case: Case, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(model.case_id == case.id, *where)) or 0)


# -- custody ------------------------------------------------------------------------------------

def custody_check(ws: Workspace, job: Job, progress: Progress) -> CustodyResult:
    """Re-hash every evidence item of the case (``tasman evidence verify``), with byte progress."""
    ref = _case_ref(ws, job)
    with ws.session() as s:
        total = sum(e.size for e in s.scalars(select(Evidence).where(Evidence.case_id == get_case(s, ref).id)))
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress(done[0], total, f"hashed {done[0]:,} of {total:,} bytes")

    with ws.session() as s:
        result = CustodyResult.of(verify_evidence(s, job.created_by, ref, progress=tick))
    progress(total, total, "custody check finished")
    return result


# -- triage -------------------------------------------------------------------------------------

def check_triage(session: Session, case_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    """``evidence`` (left out: all of the case's items) must be the case's; ``hashsets`` (left
    out: every list) must be imported. None ticked on a form (an empty list) is refused, rather
    than read as "all", where there are lists to tick."""
    case = get_case(session, case_ref)
    recorded = list(session.scalars(select(Evidence.id).where(Evidence.case_id == case.id).order_by(Evidence.id)))
    if not recorded:
        raise NotFoundError(f"case {case_ref} has no evidence to triage yet: record it first (tasman evidence add)")
    ids = recorded if params["evidence"] is None else params["evidence"]
    strangers = [i for i in ids if i not in recorded]
    if strangers:
        raise NotFoundError(f"no evidence {strangers[0]} in case {case_ref}")
    names = params["hashsets"]
    if names:
        select_sets(session, names)     # a missing list: NotFoundError
    elif names == [] and select_sets(session, None):
        raise InputError("choose at least one hash list")
    return {"evidence": ids, "hashsets": names or [], "workers": params["workers"]}


def triage_form(form: FormData) -> dict[str, Any]:
    """The boxes ticked (none ticked is an empty list, refused rather than read as "all")."""
    return {"evidence": form.getlist("evidence"), "hashsets": form.getlist("hashsets")}


def triage(ws: Workspace, job: Job, progress: Progress) -> TriageResult:
    """A triage run of recorded evidence; progress says how many files are done of how many: a
    lower bound ("at least", no bar total) until archives and disk images have been walked, then
    the exact total."""
    ref = _case_ref(ws, job)
    params = job.params
    with ws.session() as s:
        paths = [Path(p) for p in s.scalars(select(Evidence.path).where(Evidence.id.in_(params["evidence"]))
                                            .order_by(Evidence.id))]
    options = TriageOptions(hashsets=tuple(params.get("hashsets") or ()), workers=params.get("workers"))
    result = run_triage(_as_user(ws, job), ref, paths, options, progress=ticks(progress))
    c = result.counts
    progress(c["files"], c["files"], f"triage run {result.run_id} finished: {c['files']:,} files, "
                                     f"{c['matched_files']} matched, {c['errors']} unreadable")
    return result


# -- extract ------------------------------------------------------------------------------------

def check_extract(session: Session, case_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    """The case must hold evidence or records."""
    case = get_case(session, case_ref)
    if not _count(session, Evidence, case) and not _count(session, Record, case):
        raise NotFoundError(f"case {case_ref} has nothing to extract from yet: record evidence or import records "
                            "first")
    return params


def extract_form(form: FormData) -> dict[str, Any]:
    region = form.get("region")
    return {"region": region.strip()} if isinstance(region, str) and region.strip() else {}


def extract(ws: Workspace, job: Job, progress: Progress) -> RunSummary:
    """An extraction run over the case's evidence files and records; progress after each stored batch."""
    workers = job.params.get("workers")
    return extract_case(_as_user(ws, job), _case_ref(ws, job), region=job.params.get("region"),
                        workers=None if workers is None else max(1, workers), progress=ticks(progress))


# -- link ---------------------------------------------------------------------------------------

def check_link(session: Session, case_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    """The case must hold records."""
    if not _count(session, Record, get_case(session, case_ref)):
        raise NotFoundError(f"case {case_ref} has no records to link yet: import some first (Records page)")
    return params


def link(ws: Workspace, job: Job, progress: Progress) -> LinkResult:
    """A link run: the case's records resolved into subjects, analysts' decisions kept; progress
    names the stage it is in."""
    return link_case(_as_user(ws, job), _case_ref(ws, job), threshold=job.params.get("threshold"),
                     stage=stage_hook(progress, LINK_STAGES, "linking"))


# -- money --------------------------------------------------------------------------------------

def check_money(session: Session, case_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    """Takes no parameters (the default settings of docs/money.md); the case needs transfers."""
    if not _count(session, Record, get_case(session, case_ref), Record.kind == "transactions"):
        raise NotFoundError(f"case {case_ref} has no transactions records yet: import a transfers file first "
                            "(Records page, kind transactions)")
    return {}


def money(ws: Workspace, job: Job, progress: Progress) -> AnalyseSummary:
    """A money analysis with the default settings; its files go where the CLI puts them."""
    return analyse_workspace(_as_user(ws, job), _case_ref(ws, job), load_config(None),
                             stage=stage_hook(progress, MONEY_STAGES, "money analysis"))


register(JobKind("custody", "Custody check (re-hash evidence)", Perm.ADD_EVIDENCE, custody_check, what="custody check"))
register(JobKind("triage", "Triage against hash lists", Perm.RUN_TRIAGE, triage, check_triage, TriageParams,
                 form=triage_form))
register(JobKind("extract", "Extract identifiers", Perm.RUN_EXTRACT, extract, check_extract, ExtractParams,
                 what="extraction", page="identifiers", form=extract_form))
register(JobKind("link", "Link records into subjects", Perm.RUN_LINK, link, check_link, LinkParams,
                 page="subjects"))
register(JobKind("money", "Money analysis", Perm.ANALYSE_MONEY, money, check_money, what="money analysis",
                 page="money"))
