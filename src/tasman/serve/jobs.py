"""Background jobs: long library calls (a triage run, a custody check) started from a page and
watched while they run. A job is a row; one worker thread in the server claims queued rows and
runs the library function registered for the job's kind, writing progress as it goes.

The pages only enqueue and read rows, so the same work stays reachable from the CLI, which
calls the library function directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tasman.accounts.roles import Perm
from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError, NothingToDo, TasmanError
from tasman.core.progress import Progress as Progress  # the one progress protocol (core.progress)
from tasman.core.progress import StageResult
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tasman.evidence.cases import get_case
from tasman.serve.models import Job
from tasman.serve.schemas import JobParams, NoParams

# A job runs one stage and hands back its result (``core.progress.StageResult``): stored as its
# ``as_dict()``, with its ``summary_line()`` and ``page`` (the job's outcome and link).
JobFn = Callable[[Workspace, Job, Progress], StageResult]
# Checks a job's parameters, once its kind's model (``JobKind.params``) has validated them, against
# what the case holds (bad input answers at once, not as a failed job later) and returns them
# completed (a default filled in from the case).
CheckFn = Callable[[Session, str, dict[str, Any]], dict[str, Any]]
# Reads the start form of a page into parameters (validated afterwards like the API's).
FormFn = Callable[[FormData], dict[str, Any]]


SUMMARY, PAGE = "summary", "page"     # a finished job's outcome in words, and the case page that shows it


def _as_given(_session: Session, _case_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    return params


def _no_form(_form: FormData) -> dict[str, Any]:
    return {}


class ParamsError(InputError):
    """A job's parameters do not validate (the API answers 422, a page shows the line)."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    perm: Perm
    run: JobFn
    check: CheckFn = _as_given
    params: type[JobParams] = NoParams
    what: str = ""              # the kind in words, in messages ("link", "money analysis")
    page: str = "triage"        # the case page that starts it and lists its jobs ("" is the overview)
    form: FormFn = _no_form


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def parse_params(spec: JobKind, params: object) -> dict[str, Any]:
    """The parameters as the kind's model validates them, every field named; one line on what
    is wrong otherwise (the first problem)."""
    model = spec.params
    try:
        return model.model_validate(params).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        what = spec.what or spec.name
        if not field:
            message = f"{what} parameters must be an object of names and values"
        elif first["type"] == "extra_forbidden":
            allowed = sorted(model.model_fields)
            message = (f"unknown {what} parameter {field!r}: "
                       + (f"use {', '.join(allowed)}" if allowed else "it takes none"))
        elif first["type"] == "tasman":
            message = first["msg"]
        elif field in model.problems:
            message = model.problems[field]
        else:
            message = f"{what} parameter {field!r}: {first['msg']}"
        raise ParamsError(message) from None


def enqueue(session: Session, actor: str, kind: str, case_ref: str | None, params: object) -> Job:
    spec = KINDS.get(kind)
    if spec is None:
        raise InputError(f"unknown job kind {kind!r}: one of {', '.join(sorted(KINDS)) or 'none installed'}")
    clean = parse_params(spec, params)
    case_id = get_case(session, case_ref).id if case_ref else None
    if case_ref:
        clean = spec.check(session, case_ref, clean)
    job = Job(kind=kind, case_id=case_id, params=clean, created_by=actor)
    session.add(job)
    session.flush()
    audit.record(session, actor, "job.enqueue", case_ref=case_ref, target=f"job {job.id}", kind=kind, params=clean)
    return job


def get_job(session: Session, case_id: int | None, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.case_id != case_id:
        raise NotFoundError(f"no job {job_id} in this case")
    return job


def case_jobs(session: Session, case_id: int, limit: int = 20, kinds: Collection[str] | None = None) -> list[Job]:
    """The case's latest jobs, newest first (of the given kinds only, when named)."""
    q = select(Job).where(Job.case_id == case_id)
    if kinds is not None:
        q = q.where(Job.kind.in_(sorted(kinds)))
    return list(session.scalars(q.order_by(Job.id.desc()).limit(limit)))


def _claim(ws: Workspace) -> Job | None:
    with ws.session() as s:
        for job in s.scalars(select(Job).where(Job.status == "queued").order_by(Job.id).limit(5)):
            taken = s.execute(update(Job).where(Job.id == job.id, Job.status == "queued")
                              .values(status="running", started_at=utcnow(), message="started"))
            if taken.rowcount:  # type: ignore[attr-defined]
                s.refresh(job)
                return job
    return None


# Progress of running jobs lives in memory (the worker runs inside the server process): a job's
# library call may hold a long write transaction, and on SQLite a second writer would wait for it.
_LIVE: dict[int, tuple[int, int | None, str]] = {}
_LIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    status: str
    done: int
    total: int | None
    message: str
    result: dict[str, Any]
    created_by: str
    created_at: datetime
    outcome: str = ""             # a finished job's result in words
    link: str | None = None       # where under the case to see it


def view(job: Job) -> JobView:
    """The job as stored, with live progress while it runs and its outcome once done."""
    done, total, message = job.done, job.total, job.message
    if job.status == "running":
        with _LIVE_LOCK:
            done, total, message = _LIVE.get(job.id, (done, total, message))
    result = job.result or {}
    outcome, link = (str(result.get(SUMMARY, "")), result.get(PAGE)) if job.status == "done" else ("", None)
    return JobView(job.id, job.kind, job.status, done, total, message, job.result or {}, job.created_by,
                   job.created_at, outcome, link)


def _progress_writer(job_id: int) -> Progress:
    def write(done: int, total: int | None, message: str) -> None:
        with _LIVE_LOCK:
            _LIVE[job_id] = (done, total, message[:500])

    return write


def run_one(ws: Workspace, job: Job) -> None:
    kind = KINDS.get(job.kind)
    status, message = "done", "finished"
    result: dict[str, Any] = {}
    try:
        if kind is None:
            raise InputError(f"no handler for job kind {job.kind!r} in this installation")
        out = kind.run(ws, job, _progress_writer(job.id))
        result = {**out.as_dict(), SUMMARY: out.summary_line(), PAGE: out.page}
    except NothingToDo as exc:  # as on the command line: done, with the notice naming what is missing
        message = str(exc)
    except TasmanError as exc:
        status, message = "failed", str(exc)
    except Exception as exc:  # a bug in a job must not take the worker down
        status, message = "failed", f"internal error ({type(exc).__name__}: {exc})"
    with _LIVE_LOCK:
        done, total, _msg = _LIVE.pop(job.id, (0, None, ""))
    if status == "done" and total is not None:
        done = total
    with ws.session() as s:
        s.execute(update(Job).where(Job.id == job.id).values(status=status, message=message[:500], result=result,
                                                             finished_at=utcnow(), done=done, total=total))
        case_ref = None
        if job.case_id is not None:
            from tasman.core.models import Case

            case_ref = s.get(Case, job.case_id).ref  # type: ignore[union-attr]
        audit.record(s, job.created_by, f"job.{status}", case_ref=case_ref, target=f"job {job.id}", kind=job.kind,
                     message=message[:200])


def run_pending(ws: Workspace) -> int:
    """Run queued jobs until none is left (the worker's loop, and a synchronous helper for tests)."""
    n = 0
    while (job := _claim(ws)) is not None:
        run_one(ws, job)
        n += 1
    return n


def requeue_interrupted(ws: Workspace) -> int:
    """Jobs left 'running' by a server that stopped are queued again (the library functions resume)."""
    with ws.session() as s:
        r = s.execute(update(Job).where(Job.status == "running")
                      .values(status="queued", message="queued again after the server restarted"))
        return int(r.rowcount)  # type: ignore[attr-defined]


class Worker(threading.Thread):
    def __init__(self, ws: Workspace, poll: float = 0.5) -> None:
        super().__init__(name="tasman-jobs", daemon=True)
        self.ws, self.poll, self.stopping = ws, poll, threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            if run_pending(self.ws) == 0:
                self.stopping.wait(self.poll)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
