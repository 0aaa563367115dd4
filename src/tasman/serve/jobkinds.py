"""The job kinds the web app runs, each a thin call of the library function the CLI calls, as the
user who started it:

- ``custody`` is ``tasman evidence verify``;
- ``triage`` is ``tasman triage EVIDENCE... --case CASE`` over evidence already recorded in the case;
- ``extract`` is ``tasman extract --case CASE``;
- ``link`` is ``tasman link --case CASE``;
- ``money`` is ``tasman money analyse --case CASE`` (default settings, files in ``out/CASE/money``).

Each kind names the pydantic model of its parameters (``tasman.serve.schemas``: the one
validation, for the API and the pages alike), checks them against what the case holds when it is
queued (bad input answers at once, not as a failed job later), reads its page's start form, and
says in a few words what a finished run did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tasman.core.errors import InputError, NotFoundError
from tasman.core.models import Case, Evidence, Record
from tasman.core.workspace import Workspace
from tasman.evidence.cases import get_case
from tasman.evidence.store import verify_evidence
from tasman.extract.runner import RunSummary, extract_case
from tasman.link.resolve import StageHook
from tasman.link.run import link_case
from tasman.money.config import load_config
from tasman.money.run import analyse_workspace
from tasman.serve.jobs import JobKind, Progress, register
from tasman.serve.models import Job
from tasman.serve.roles import Perm
from tasman.serve.schemas import ExtractParams, LinkParams, TriageParams
from tasman.triage.match.loader import select_sets
from tasman.triage.run import ProgressInfo, TriageOptions, run_triage

LINK_STAGES = {"normalise": "reading and normalising the records", "rules": "applying the deterministic rules",
               "train": "training the model", "predict": "scoring record pairs",
               "cluster": "clustering records into subjects", "store": "storing the subjects"}
MONEY_STAGES = {"load": "reading the transfers", "analyse": "scoring senders and beneficiaries",
                "files": "writing the files", "store": "storing the run"}


def _stages(progress: Progress, stages: dict[str, str], what: str) -> StageHook:
    """A stage hook that reports which stage a run is in (step N of the stages)."""
    order = list(stages)

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        step = order.index(name) if name in stages else 0
        progress(step, len(order), f"{what}: {stages.get(name, name)}")
        yield

    return stage


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

def custody_check(ws: Workspace, job: Job, progress: Progress) -> dict[str, Any]:
    """Re-hash every evidence item of the case (``tasman evidence verify``), with byte progress."""
    ref = _case_ref(ws, job)
    with ws.session() as s:
        total = sum(e.size for e in s.scalars(select(Evidence).where(Evidence.case_id == get_case(s, ref).id)))
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress(done[0], total, f"hashed {done[0]:,} of {total:,} bytes")

    with ws.session() as s:
        checks = verify_evidence(s, job.created_by, ref, progress=tick)
        # an unchanged E01 whose stored acquisition hashes disagree with its media is not ok either
        results = {str(c.evidence.id): c.status if c.ok or c.status != "ok" else "acquisition hashes disagree"
                   for c in checks}
    progress(total, total, "custody check finished")
    return {"results": results, "changed_or_missing": sum(1 for v in results.values() if v != "ok")}


def custody_outcome(result: dict[str, Any]) -> tuple[str, str | None]:
    checked, bad = len(result.get("results", {})), result.get("changed_or_missing", 0)
    return f"{checked} items checked, {bad} changed or missing", "evidence"


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


def triage(ws: Workspace, job: Job, progress: Progress) -> dict[str, Any]:
    """A triage run of recorded evidence; progress says how many files are done of how many: a
    lower bound ("at least", no bar total) until archives and disk images have been walked, then
    the exact total."""
    ref = _case_ref(ws, job)
    params = job.params
    with ws.session() as s:
        paths = [Path(p) for p in s.scalars(select(Evidence.path).where(Evidence.id.in_(params["evidence"]))
                                            .order_by(Evidence.id))]
    options = TriageOptions(hashsets=tuple(params.get("hashsets") or ()), workers=params.get("workers"))

    def tick(p: ProgressInfo) -> None:
        progress(p.files, p.total if p.total_exact else None,
                 f"{p.of_total} ({p.bytes / 1e6:,.1f} MB) hashed, {p.matched} matched, "
                 f"{p.errors} unreadable" + (f", {p.skipped} already done" if p.skipped else ""))

    result = run_triage(_as_user(ws, job), ref, paths, options, progress=tick)
    c = result.counts
    progress(c["files"], c["files"], f"triage run {result.run_id} finished: {c['files']:,} files, "
                                     f"{c['matched_files']} matched, {c['errors']} unreadable")
    return {"run_id": result.run_id, "resumed": result.resumed, **result.counts}


def triage_outcome(result: dict[str, Any]) -> tuple[str, str | None]:
    run = result.get("run_id")
    return (f"run {run}: {result.get('files', 0)} files, {result.get('matched_files', 0)} matched, "
            f"{result.get('errors', 0)} unreadable", f"triage?run={run}")


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


def extract(ws: Workspace, job: Job, progress: Progress) -> dict[str, Any]:
    """An extraction run over the case's evidence files and records; progress after each stored batch."""
    ref = _case_ref(ws, job)
    workers = job.params.get("workers")

    def tick(s: RunSummary) -> None:
        progress(s.files + s.records, None, f"{s.files:,} files and {s.records:,} records read, "
                                            f"{s.added:,} new identifiers, {len(s.warnings)} warnings")

    summary = extract_case(_as_user(ws, job), ref, region=job.params.get("region"),
                           workers=None if workers is None else max(1, workers), progress=tick)
    return {"run_id": summary.run_id, "files": summary.files, "skipped": summary.skipped,
            "records": summary.records, "added": summary.added, "duplicates": summary.duplicates,
            "by_type": summary.by_type, "warnings": len(summary.warnings) + summary.warnings_dropped}


def extract_outcome(result: dict[str, Any]) -> tuple[str, str | None]:
    return (f"extraction run {result.get('run_id')}: {result.get('added', 0)} new identifiers from "
            f"{result.get('files', 0)} files and {result.get('records', 0)} records, "
            f"{result.get('warnings', 0)} warnings", "identifiers")


# -- link ---------------------------------------------------------------------------------------

def check_link(session: Session, case_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    """The case must hold records."""
    if not _count(session, Record, get_case(session, case_ref)):
        raise NotFoundError(f"case {case_ref} has no records to link yet: import some first (Records page)")
    return params


def link(ws: Workspace, job: Job, progress: Progress) -> dict[str, Any]:
    """A link run: the case's records resolved into subjects, analysts' decisions kept; progress
    names the stage it is in."""
    ref = _case_ref(ws, job)
    result = link_case(_as_user(ws, job), ref, threshold=job.params.get("threshold"),
                       stage=_stages(progress, LINK_STAGES, "linking"))
    st, stored = result.stats, result.stats.get("stored", {})
    return {"run_id": result.run_id, "parties": st["parties"], "subjects": st["subjects"], "links": st["links"],
            "threshold": st["threshold"], "kept_refs": stored.get("kept_refs", 0),
            "new_refs": stored.get("new_refs", 0), "retired": stored.get("retired", 0),
            "mode": st.get("mode", "full"), "new_parties": st.get("new_parties"), "touched": stored.get("touched")}


def link_outcome(result: dict[str, Any]) -> tuple[str, str | None]:
    if result.get("mode") == "incremental":
        return (f"incremental link run {result.get('run_id')}: {result.get('new_parties', 0)} new parties, "
                f"{result.get('touched', 0)} subjects touched, {result.get('new_refs', 0)} new, "
                f"{result.get('retired', 0)} retired", "subjects")
    return (f"link run {result.get('run_id')}: {result.get('parties', 0)} parties into "
            f"{result.get('subjects', 0)} subjects ({result.get('new_refs', 0)} new, "
            f"{result.get('retired', 0)} retired)", "subjects")


# -- money --------------------------------------------------------------------------------------

def check_money(session: Session, case_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    """Takes no parameters (the default settings of docs/money.md); the case needs transfers."""
    if not _count(session, Record, get_case(session, case_ref), Record.kind == "transactions"):
        raise NotFoundError(f"case {case_ref} has no transactions records yet: import a transfers file first "
                            "(Records page, kind transactions)")
    return {}


def money(ws: Workspace, job: Job, progress: Progress) -> dict[str, Any]:
    """A money analysis with the default settings; its files go where the CLI puts them."""
    ref = _case_ref(ws, job)
    summary = analyse_workspace(_as_user(ws, job), ref, load_config(None),
                                stage=_stages(progress, MONEY_STAGES, "money analysis"))
    return {"run_id": summary.run_id, **summary.stats}


def money_outcome(result: dict[str, Any]) -> tuple[str, str | None]:
    return (f"money run {result.get('run_id')}: {result.get('transfers', 0)} transfers, "
            f"{result.get('beneficiaries', 0)} beneficiaries ({result.get('alerted_beneficiaries', 0)} alerted), "
            f"{result.get('senders', 0)} senders ({result.get('alerted_senders', 0)} alerted)", None)


register(JobKind("custody", "Custody check (re-hash evidence)", Perm.ADD_EVIDENCE, custody_check, what="custody check",
                 outcome=custody_outcome))
register(JobKind("triage", "Triage against hash lists", Perm.RUN_TRIAGE, triage, check_triage, TriageParams,
                 form=triage_form, outcome=triage_outcome))
register(JobKind("extract", "Extract identifiers", Perm.RUN_EXTRACT, extract, check_extract, ExtractParams,
                 what="extraction", page="identifiers", form=extract_form, outcome=extract_outcome))
register(JobKind("link", "Link records into subjects", Perm.RUN_LINK, link, check_link, LinkParams,
                 page="subjects", outcome=link_outcome))
register(JobKind("money", "Money analysis", Perm.ANALYSE_MONEY, money, check_money, what="money analysis",
                 page="money", outcome=money_outcome))
