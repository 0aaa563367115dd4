"""The public report form (no sign-in), and the tips queue for analysts.

A reporter's files are hashed, matched and stored encrypted; nothing they send is ever shown
back, to them or to anyone through this app: the queue shows hashes and match results only.
The reporter's contact is shown (decrypted, audited) only on the tip's page, to those who may
see the tip; the API never returns it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.accounts import store as accounts
from tasman.accounts.roles import Perm
from tasman.core.errors import InputError
from tasman.serve.deps import DB, Viewer, api_user, case_access, client_address, csrf_protect, state
from tasman.serve.proxies import limit_key
from tasman.serve.routes.auth import anonymous_form
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.schemas import TipFileOut, TipImportIn, TipIn, TipOut, TipReceipt
from tasman.serve.security import FORM_COOKIE, check_form_token
from tasman.serve.web import render
from tasman.tips import intake as tips
from tasman.tips.models import Tip, TipFile
from tasman.tips.vault import TipVault

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["tips"])


def tip_out(t: Tip, files: list[TipFile] | None = None, case_ref: str | None = None) -> TipOut:
    return TipOut(ref=t.ref, received_at=t.received_at.isoformat(), what=t.what, url=t.url, platform=t.platform,
                  username=t.username, seen_when=t.seen_when, status=t.status, match_status=t.match_status,
                  case=case_ref,
                  files=[TipFileOut(size=f.size, mime=f.mime, md5=f.md5, sha1=f.sha1, sha256=f.sha256, pdq=f.pdq,
                                    matches=f.matches) for f in files or []])


async def read_uploads(files: list[UploadFile]) -> list[tips.Upload]:
    """Read at most MAX_FILES files of at most MAX_FILE_BYTES each, never more than that into memory."""
    out: list[tips.Upload] = []
    for f in files:
        if not f.filename and not f.size:
            continue  # the empty file input of a form
        if len(out) >= tips.MAX_FILES:
            raise InputError(f"at most {tips.MAX_FILES} files per report")
        data = await f.read(tips.MAX_FILE_BYTES + 1)
        out.append(tips.Upload(filename=(f.filename or "file")[:200], data=data))
    return out


# ---- public ------------------------------------------------------------------------------------

@router.get("/report")
def report_page(request: Request) -> Response:
    return anonymous_form(request, "report.html", limits={"files": tips.MAX_FILES,
                                                          "mb": tips.MAX_FILE_BYTES // (1024 * 1024)})


@router.post("/report")
async def report(request: Request, what: str = Form(default="", max_length=10_000),
                 url: str = Form(default="", max_length=500), platform: str = Form(default="", max_length=500),
                 username: str = Form(default="", max_length=500), seen_when: str = Form(default="", max_length=500),
                 contact: str = Form(default="", max_length=500), website: str = Form(default="", max_length=500),
                 form_token: str = Form(default=""), files: list[UploadFile] | None = None,
                 s: Session = DB) -> Response:
    st = state(request)
    limits = {"files": tips.MAX_FILES, "mb": tips.MAX_FILE_BYTES // (1024 * 1024)}
    entered = {"what": what, "url": url, "platform": platform, "username": username, "seen_when": seen_when,
               "contact": contact}
    if not check_form_token(st.app_key, request.cookies.get(FORM_COOKIE), form_token):
        return anonymous_form(request, "report.html", 400, limits=limits, entered=entered,
                              error="This form expired. Please send it again.")
    address = client_address(request)  # counted only once the form token holds: a forged post costs nobody
    st.limiter.hit("report-address", limit_key(address), st.settings.reports_per_address)
    if website:  # the honeypot: hidden from people, filled by bots; answer as if it worked
        return render(request, "report_thanks.html", None, ref=tips.new_ref())
    try:
        receipt = tips.submit_tip(s, TipVault(st.ws.root), tips.TipInput(**entered), await read_uploads(files or []),
                                  source=tips.source_digest(st.app_key, address))
    except InputError as exc:
        return anonymous_form(request, "report.html", 400, limits=limits, entered=entered, error=str(exc))
    return render(request, "report_thanks.html", None, ref=receipt.ref)


# ---- analysts ------------------------------------------------------------------------------------
# The queue needs the tips role; a tip imported into a case is further limited to that case's
# members (admins included), and any other answers 404 as if it did not exist (tasman.tips.intake).


@dataclass(frozen=True)
class Scope:
    cases: dict[int, str]   # the viewer's cases, id -> ref

    @property
    def ids(self) -> set[int]:
        return set(self.cases)


def tip_scope(s: Session, viewer: Viewer) -> Scope:
    viewer.need(Perm.TIPS)
    return Scope({c.id: c.ref for c in accounts.member_cases(s, viewer.user)})


@contextmanager
def denial_kept(s: Session) -> Iterator[None]:
    """A refused tip is audited (``tip.access.denied``) although the request fails and rolls back."""
    try:
        yield
    except tips.TipHidden:
        s.commit()
        raise


@router.get("/tips")
def tips_page(request: Request, status: str = "new", viewer: Viewer = Depends(csrf_protect),
              s: Session = DB) -> Response:
    scope = tip_scope(s, viewer)
    rows = tips.list_tips(s, viewer.name, status if status in ("new", "imported", "dismissed") else None,
                          case_ids=scope.ids)
    return render(request, "tips.html", viewer, tips=rows, status=status, case_refs=scope.cases)


@router.get("/tips/{ref}")
def tip_page(request: Request, ref: str, viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    scope = tip_scope(s, viewer)
    with denial_kept(s):
        tip, files = tips.get_tip(s, viewer.name, ref, case_ids=scope.ids)
    contact = tips.read_contact(s, TipVault(state(request).ws.root), viewer.name, tip)
    return render(request, "tip.html", viewer, tip=tip, files=files, contact=contact,
                  case_ref=scope.cases.get(tip.case_id) if tip.case_id is not None else None,
                  cases=accounts.member_cases(s, viewer.user))


@router.post("/tips/{ref}/import")
def import_tip_page(request: Request, ref: str, case: str = Form(max_length=64),
                    viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    scope = tip_scope(s, viewer)
    case_access(request, case, s, viewer)
    with denial_kept(s):
        tips.import_tip(s, viewer.name, ref, case, case_ids=scope.ids)
    return see_other(f"/tips/{ref}")


@router.post("/tips/{ref}/dismiss")
def dismiss_tip_page(ref: str, reason: str = Form(default="", max_length=500), viewer: Viewer = Depends(csrf_protect),
                     s: Session = DB) -> Response:
    scope = tip_scope(s, viewer)
    with denial_kept(s):
        tips.dismiss_tip(s, viewer.name, ref, reason, case_ids=scope.ids)
    return see_other("/tips")


@api.post("/tips", response_model=TipReceipt, status_code=201, responses=WRITE_ERRORS)
def submit_tip(request: Request, body: TipIn, viewer: Viewer = Depends(api_user),
               s: Session = DB) -> TipReceipt:
    """Submit a tip from a partner system (a platform, a hotline); files go through ``/report``."""
    st = state(request)
    st.limiter.hit("upload-user", viewer.name, st.settings.uploads_per_user)
    r = tips.submit_tip(s, TipVault(st.ws.root), tips.TipInput(**body.model_dump()), [], source=f"api:{viewer.name}")
    return TipReceipt(ref=r.ref, files=r.files, match_status=r.match_status)


@api.get("/tips", response_model=list[TipOut], responses=ERRORS)
def list_tips(status: str | None = None, viewer: Viewer = Depends(api_user), s: Session = DB) -> list[TipOut]:
    """Tips not yet imported, and those imported into the caller's cases (never the reporter's contact)."""
    scope = tip_scope(s, viewer)
    return [tip_out(t, case_ref=scope.cases.get(t.case_id) if t.case_id is not None else None)
            for t in tips.list_tips(s, viewer.name, status, case_ids=scope.ids)]


@api.get("/tips/{ref}", response_model=TipOut, responses=ERRORS)
def get_tip(ref: str, viewer: Viewer = Depends(api_user), s: Session = DB) -> TipOut:
    """One tip with its files' hashes and matches; 404 for a tip imported into a case the caller is not in."""
    scope = tip_scope(s, viewer)
    with denial_kept(s):
        tip, files = tips.get_tip(s, viewer.name, ref, case_ids=scope.ids)
    return tip_out(tip, files, case_ref=scope.cases.get(tip.case_id) if tip.case_id is not None else None)


@api.post("/tips/{ref}/import", response_model=TipOut, responses=WRITE_ERRORS)
def import_tip(request: Request, ref: str, body: TipImportIn, viewer: Viewer = Depends(api_user),
               s: Session = DB) -> TipOut:
    """Import the tip into a case the user is a member of, as a ``tips`` record."""
    scope = tip_scope(s, viewer)
    case_access(request, body.case, s, viewer)
    with denial_kept(s):
        tip = tips.import_tip(s, viewer.name, ref, body.case, case_ids=scope.ids)
    return tip_out(tip, case_ref=body.case)


@api.post("/tips/{ref}/dismiss", response_model=TipOut, responses=WRITE_ERRORS)
def dismiss_tip(ref: str, viewer: Viewer = Depends(api_user), s: Session = DB) -> TipOut:
    scope = tip_scope(s, viewer)
    with denial_kept(s):
        tip = tips.dismiss_tip(s, viewer.name, ref, case_ids=scope.ids)
    return tip_out(tip, case_ref=scope.cases.get(tip.case_id) if tip.case_id is not None else None)
