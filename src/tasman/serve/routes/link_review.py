"""The review queue of probable links on the web: the case's review page, the "Probable links"
section of a subject's page (accept / reject with htmx, CSRF as every form), and
``/api/v1/cases/{ref}/link/review``. Reads and verdicts go through ``tasman.link.review``, the
functions ``tasman link review list|accept|reject`` call: every read audited, every verdict a
decision later link runs keep. Its routers are included by ``routes.subjects``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import Field

from tasman.accounts.roles import Perm
from tasman.link import review
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.schemas import Doc
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["subjects"])
PAGE_PAIRS = 200      # pairs on the case's review page (the API takes a limit up to 1000)
PAIR = r"^\d{1,18}-\d{1,18}$"


class ReviewPairOut(Doc):
    pair: str = Field(description="RUN-ID: the link run that scored it and the pair's id in it")
    probability: float
    match_weight: float
    a: str = Field(description="party key of one side: RECORD_ID[:ROLE]")
    b: str
    record_a: int
    role_a: str
    record_b: int
    role_b: str
    party_a: str = Field(description="SOURCE#ID[:ROLE] of one side")
    party_b: str
    subject_a: str
    subject_b: str
    countries_a: list[str]
    countries_b: list[str]
    changes_country: bool = Field(description="a merge would change a subject's country")
    records_a: int = Field(description="records (parties) in each side's subject now")
    records_b: int
    explanation: dict[str, Any] = Field(description="per comparison (and `place`: the weight taken off for a "
                                                    "country the shared name already implied): level, weight "
                                                    "(log2 Bayes factor), Bayes factor")


class ReviewIn(Doc):
    pair: str = Field(pattern=PAIR, description="RUN-ID as the queue gives it")
    verdict: str = Field(pattern=r"^(accept|reject)$", description="accept: the same person (the subjects are "
                                                                    "merged); reject: different people")
    note: str = Field(default="", max_length=2000)


class VerdictOut(Doc):
    pair: str
    verdict: str = Field(description="same | different")
    subjects: list[str] = Field(description="accept: the subject kept, then the one merged into it; reject: the two")
    decision: int


def pair_out(p: review.ReviewPair) -> ReviewPairOut:
    d = p.as_dict()
    return ReviewPairOut(**{k: d[k] for k in ReviewPairOut.model_fields})


def _decide(ctx: CaseCtx, pair: str, verdict: str, note: str) -> review.Verdict:
    ctx.viewer.need(Perm.DECIDE_SUBJECTS)
    return review.decide(ctx.session, ctx.viewer.name, ctx.ref, pair, verdict, note)


def probable_section(ctx: CaseCtx, subject: str | None, done: review.Verdict | None = None) -> dict[str, Any]:
    """What the "Probable links" section shows: the pending pairs (of ``subject`` when given)."""
    pairs = review.queue(ctx.session, ctx.viewer.name, ctx.ref, PAGE_PAIRS, subject)
    return {"probable": pairs, "probable_subject": subject or "", "probable_done": done}


@router.get("/cases/{ref}/link/review")
def review_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    return render(request, "link_review.html", ctx.viewer, case=ctx.case, tab="subjects",
                  **probable_section(ctx, None))


@router.post("/cases/{ref}/link/review")
def review_post(request: Request, pair: str = Form(pattern=PAIR, max_length=40),
                verdict: str = Form(pattern=r"^(accept|reject)$", max_length=8),
                note: str = Form("", max_length=2000), subject: str = Form("", max_length=32),
                ctx: CaseCtx = Depends(page_case)) -> Response:
    """Accept or reject one pair; htmx swaps the section in again (the subject's, when posted from
    a subject's page), a plain form goes back to the page it came from."""
    done = _decide(ctx, pair, verdict, note)
    back = subject if subject and verdict == "reject" else (done.subjects[0] if subject else "")
    if request.headers.get("hx-request") != "true":
        return see_other(f"/cases/{ctx.ref}/subjects/{back}" if back else f"/cases/{ctx.ref}/link/review")
    return render(request, "_probable_links.html", ctx.viewer, case=ctx.case,
                  **probable_section(ctx, back or None, done))


@api.get("/cases/{ref}/link/review", response_model=list[ReviewPairOut], responses=ERRORS)
def get_review(limit: int = Query(100, ge=1, le=1000), subject: str | None = Query(None, max_length=32),
               ctx: CaseCtx = Depends(api_case)) -> list[ReviewPairOut]:
    """Probable links waiting for review, best first: a merge that would change a subject's
    country, then by expected value (probability times the two subjects' sizes). ``subject``:
    only pairs with a side in it."""
    return [pair_out(p) for p in review.queue(ctx.session, ctx.viewer.name, ctx.ref, limit, subject)]


@api.post("/cases/{ref}/link/review", response_model=VerdictOut, status_code=201, responses=WRITE_ERRORS)
def post_review(body: ReviewIn, ctx: CaseCtx = Depends(api_case)) -> VerdictOut:
    """Accept (the same person: the two subjects are merged) or reject (different people: later
    runs keep the two records apart) one pair. A pair a later link run replaced is a 404, one
    already reviewed a 409; nothing changes."""
    v = _decide(ctx, body.pair, body.verdict, body.note)
    return VerdictOut(pair=v.pair, verdict=v.verdict, subjects=v.subjects, decision=v.decision)
