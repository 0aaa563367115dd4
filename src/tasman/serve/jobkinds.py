"""The job kinds this installation can run, each a thin call of a library function.

STAGE-API: ``triage`` is registered when ``tasman.triage.run.run_triage`` exists (the triage
stage lands it); its call below follows the CLI's ``tasman triage EVIDENCE... --case CASE``.
"""

from __future__ import annotations

from typing import Any

from tasman.core.workspace import Workspace
from tasman.evidence.store import verify_evidence
from tasman.serve.jobs import JobKind, Progress, register
from tasman.serve.models import Job
from tasman.serve.roles import Perm
from tasman.serve.stageapi import available, stage_function


def _case_ref(ws: Workspace, job: Job) -> str:
    from tasman.core.models import Case

    with ws.session() as s:
        case = s.get(Case, job.case_id)
        assert case is not None
        return case.ref


def custody_check(ws: Workspace, job: Job, progress: Progress) -> dict[str, Any]:
    """Re-hash every evidence item of the case (``tasman evidence verify``), with byte progress."""
    from tasman.core.models import Evidence
    from tasman.evidence.cases import get_case

    ref = _case_ref(ws, job)
    with ws.session() as s:
        total = sum(e.size for e in s.query(Evidence).filter(Evidence.case_id == get_case(s, ref).id))
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress(done[0], total, f"hashed {done[0]:,} of {total:,} bytes")

    with ws.session() as s:
        checks = verify_evidence(s, job.created_by, ref, progress=tick)
        results = {str(c.evidence.id): c.status for c in checks}
    progress(total, total, "custody check finished")
    return {"results": results, "changed_or_missing": sum(1 for v in results.values() if v != "ok")}


register(JobKind("custody", "Custody check (re-hash evidence)", Perm.ADD_EVIDENCE, custody_check))


def _register_triage() -> None:
    if not available("tasman.triage.run", "run_triage"):
        return
    run_triage = stage_function("tasman.triage.run", "run_triage", "triage")

    def triage(ws: Workspace, job: Job, progress: Progress) -> dict[str, Any]:
        ref = _case_ref(ws, job)
        result = run_triage(ws, ref, evidence_ids=job.params.get("evidence_ids"),
                            hashsets=job.params.get("hashsets"), actor=job.created_by,
                            progress=lambda done, total: progress(done, total, f"{done} of {total} files"))
        return result if isinstance(result, dict) else {"summary": str(result)}

    register(JobKind("triage", "Triage against hash lists", Perm.RUN_TRIAGE, triage))


_register_triage()
