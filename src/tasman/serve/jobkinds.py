"""The job kinds the web app runs, each a thin call of the library function the CLI calls:
``custody`` is ``tasman evidence verify``, ``triage`` is ``tasman triage EVIDENCE... --case CASE``
over evidence already recorded in the case.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core.errors import InputError, NotFoundError
from tasman.core.models import Case, Evidence
from tasman.core.workspace import Workspace
from tasman.evidence.cases import get_case
from tasman.evidence.store import verify_evidence
from tasman.serve.jobs import JobKind, Progress, register
from tasman.serve.models import Job
from tasman.serve.roles import Perm
from tasman.triage.match.loader import select_sets
from tasman.triage.run import ProgressInfo, TriageOptions, run_triage

TRIAGE_PARAMS = {"evidence", "hashsets", "workers"}
MAX_WORKERS = 64


def _case_ref(ws: Workspace, job: Job) -> str:
    with ws.session() as s:
        case = s.get(Case, job.case_id)
        assert case is not None
        return case.ref


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
        results = {str(c.evidence.id): c.status for c in checks}
    progress(total, total, "custody check finished")
    return {"results": results, "changed_or_missing": sum(1 for v in results.values() if v != "ok")}


def _int_list(value: object, what: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise InputError(f"{what} must be a list of numbers")
    return list(dict.fromkeys(value))


def check_triage(session: Session, case_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    """``evidence``: ids of the case's evidence items (left out: all of them); ``hashsets``: names
    of imported hash sets (left out: all of them); ``workers``: hashing processes (left out: one
    per core). An empty list given on purpose (a form with nothing ticked) is refused."""
    unknown = sorted(set(params) - TRIAGE_PARAMS)
    if unknown:
        raise InputError(f"unknown triage parameter {unknown[0]!r}: use {', '.join(sorted(TRIAGE_PARAMS))}")
    case = get_case(session, case_ref)
    recorded = list(session.scalars(select(Evidence.id).where(Evidence.case_id == case.id).order_by(Evidence.id)))
    if not recorded:
        raise NotFoundError(f"case {case_ref} has no evidence to triage yet: record it first (tasman evidence add)")
    chosen = params.get("evidence")
    if chosen == []:     # named explicitly (a form with nothing ticked), not left to the default
        raise InputError("choose at least one evidence item")
    ids = _int_list(recorded if chosen is None else chosen, "evidence")
    strangers = [i for i in ids if i not in recorded]
    if strangers:
        raise NotFoundError(f"no evidence {strangers[0]} in case {case_ref}")
    names = params.get("hashsets")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise InputError("hashsets must be a list of hash set names")
    if names:
        select_sets(session, names)     # a missing list: NotFoundError
    elif names == [] and select_sets(session, None):
        raise InputError("choose at least one hash list")
    workers = params.get("workers")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                or not 0 <= workers <= MAX_WORKERS):
        raise InputError(f"workers must be a number from 0 to {MAX_WORKERS}")
    return {"evidence": ids, "hashsets": list(dict.fromkeys(names or [])), "workers": workers}


def triage(ws: Workspace, job: Job, progress: Progress) -> dict[str, Any]:
    """A triage run of recorded evidence; progress says how many files are done (the total is
    unknown until archives and disk images have been walked)."""
    ref = _case_ref(ws, job)
    params = job.params
    with ws.session() as s:
        paths = [Path(p) for p in s.scalars(select(Evidence.path).where(Evidence.id.in_(params["evidence"]))
                                            .order_by(Evidence.id))]
    options = TriageOptions(hashsets=tuple(params.get("hashsets") or ()), workers=params.get("workers"))

    def tick(p: ProgressInfo) -> None:
        progress(p.files, None, f"{p.files:,} files ({p.bytes / 1e6:,.1f} MB) hashed, {p.matched} matched, "
                                f"{p.errors} unreadable" + (f", {p.skipped} already done" if p.skipped else ""))

    result = run_triage(dataclasses.replace(ws, actor=job.created_by), ref, paths, options, progress=tick)
    c = result.counts
    progress(c["files"], c["files"], f"triage run {result.run_id} finished: {c['files']:,} files, "
                                     f"{c['matched_files']} matched, {c['errors']} unreadable")
    return {"run_id": result.run_id, "resumed": result.resumed, **result.counts}


register(JobKind("custody", "Custody check (re-hash evidence)", Perm.ADD_EVIDENCE, custody_check))
register(JobKind("triage", "Triage against hash lists", Perm.RUN_TRIAGE, triage, check_triage))
